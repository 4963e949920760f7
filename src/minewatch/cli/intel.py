"""`minewatch intel`: import pool and miner lists into the store, list them, export them.

Exit status: 0 success, 2 usage error, 65 a file or database could not be read (other files
were still imported).
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Optional

from minewatch.cli.common import EXIT_DATAERR, fail
import typer

from minewatch.errors import MinewatchError

SHOWN_REASONS = 3  # bad lines printed per file

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Pool intelligence: import lists of pools and miners, list and export them.")


class ListFormat(str, Enum):
    auto = "auto"
    hosts = "hosts"
    adblock = "adblock"
    domains = "domains"
    ips = "ips"
    csv = "csv"
    suricata = "suricata"
    sigma = "sigma"
    falco = "falco"
    stix = "stix"
    misp = "misp"


class Category(str, Enum):
    pool = "pool"
    browser_miner = "browser-miner"
    cryptojacking = "cryptojacking"
    proxy = "proxy"
    other = "other"


class Kind(str, Enum):
    domain = "domain"
    ip = "ip"
    ip_port = "ip_port"
    cidr = "cidr"
    url = "url"
    wallet = "wallet"


class ExportFormat(str, Enum):
    csv = "csv"
    json = "json"
    hosts = "hosts"




@app.command("import")
def import_lists(
    files: list[Path] = typer.Argument(..., help="List files (hosts, Adblock, domains, IPs, CSV, "
                                       "Suricata rules, Sigma, Falco, STIX 2 bundle, MISP event)."),
    db: Path = typer.Option(..., "--db",
                            help="DuckDB file to store indicators in (created if missing)."),
    format: ListFormat = typer.Option(ListFormat.auto, "--format",
                                      help="The files' format; auto guesses from the content."),
    category: Optional[Category] = typer.Option(
        None, "--category", help="What the list names: pool, browser-miner, cryptojacking, proxy "
        "or other (default: guessed per file)."),
    source: Optional[str] = typer.Option(
        None, "--source", help="Source name to store the rows under (default: the file's "
        "absolute path); one file only."),
) -> None:
    """Import lists; importing a source again replaces its earlier rows."""
    from minewatch.store.duck import Store

    if source is not None and len(files) > 1:
        fail("--source names one file's rows: give one file", 2)
    failed = False
    try:
        with Store(db) as store:
            for path in files:
                failed |= not _import_one(store, path, format.value, category, source)
    except MinewatchError as exc:
        fail(str(exc), EXIT_DATAERR)
    if failed:
        raise typer.Exit(EXIT_DATAERR)


def _import_one(store, path: Path, fmt: str, category: Optional[Category],
                source: Optional[str]) -> bool:
    """Import one file and print what it gave; False when it could not be read."""
    from minewatch.intel.formats import parse_file
    from minewatch.intel.store import import_parsed

    try:
        fmt, kind, parsed = parse_file(path, fmt, category.value if category else None)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        typer.secho(f"minewatch: {path}: {reason}", err=True, fg="red")
        return False
    count = import_parsed(store, parsed, source or str(path.resolve()))
    typer.echo(f"{path}: {count} indicators imported ({fmt}, {kind}), "
               f"{len(parsed.bad)} lines not used")
    for line, reason in parsed.bad[:SHOWN_REASONS]:
        typer.echo(f"  line {line}: {reason}" if line else f"  {reason}")
    return True


@app.command("list")
def list_indicators(
    db: Path = typer.Option(..., "--db", help="DuckDB file with imported indicators."),
    kind: Optional[Kind] = typer.Option(None, "--kind", help="Only this kind: domain, ip, "
                                        "ip_port, cidr, url or wallet."),
    category: Optional[Category] = typer.Option(None, "--category", help="Only this category."),
) -> None:
    """One line per indicator: kind, value[:port], category, coin, source, reference."""
    rows = _rows(db, kind, category)
    for r in rows:
        where = f"{r['value']}:{r['port']}" if r["port"] else r["value"]
        typer.echo("\t".join([r["kind"], where, r["category"], r["coin"] or "-", r["source"],
                              r["reference"]]))
    typer.echo(f"{len(rows)} indicators", err=True)


@app.command("export")
def export_indicators(
    db: Path = typer.Option(..., "--db", help="DuckDB file with imported indicators."),
    format: ExportFormat = typer.Option(ExportFormat.csv, "--format",
                                        help="csv (all columns), json, or hosts (domains only)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write to this file instead of stdout."),
    kind: Optional[Kind] = typer.Option(None, "--kind", help="Only this kind."),
    category: Optional[Category] = typer.Option(None, "--category", help="Only this category."),
) -> None:
    """Write the stored indicators as csv, json or a hosts file."""
    from minewatch.intel.store import export

    text = export(_rows(db, kind, category), format.value)
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"{out}: {exc.strerror or exc}", EXIT_DATAERR)
    typer.echo(f"wrote {out}", err=True)


def _rows(db: Path, kind: Optional[Kind], category: Optional[Category]) -> list[dict]:
    from minewatch.intel.store import indicators
    from minewatch.store.duck import Store

    try:
        with Store(db, read_only=True) as store:
            return indicators(store, kind.value if kind else None,
                              category.value if category else None)
    except MinewatchError as exc:
        fail(str(exc), EXIT_DATAERR)
    return []
