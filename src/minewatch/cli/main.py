"""minewatch: find cryptocurrency miners in network traffic, measure them, and report.

Exit status: 0 success, 2 usage error, 65 an input could not be read at all (nothing of it was
stored; other inputs were still processed).
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

from minewatch.cli.common import EXIT_DATAERR, fail
import typer

from minewatch.cli.progress import progress_bar
from minewatch.errors import InputError, MinewatchError


app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__,
                  pretty_exceptions_enable=False)


class ScaleName(str, Enum):
    small = "small"
    medium = "medium"
    province = "province"


class ReportFormat(str, Enum):
    text = "text"
    json = "json"
    html = "html"


class TableFormat(str, Enum):
    json = "json"
    csv = "csv"




@app.command()
def version() -> None:
    """Print the version."""
    from minewatch import __version__

    typer.echo(__version__)


@app.command()
def simulate(
    out: Path = typer.Option(..., "--out", help="Directory to write the province into."),
    seed: int = typer.Option(1, "--seed", help="Random seed; the same seed gives the same files."),
    scale: ScaleName = typer.Option(ScaleName.small, "--scale", help="small, medium or province."),
) -> None:
    """Simulate a province (packets, flow telemetry, DNS log, IP register, truth.json)."""
    from minewatch.sim.run import simulate as run_simulation

    with progress_bar() as progress:
        summary = run_simulation(out, seed, scale.value, progress)
    typer.echo(summary)


@app.command()
def analyze(
    inputs: list[Path] = typer.Argument(..., help="pcap/pcapng, IPFIX files, nfcapd files, pcaps of "
                                        "NetFlow/IPFIX datagrams, DNS logs; '-' reads a pcap from stdin."),
    db: Path = typer.Option(..., "--db", help="DuckDB file to store results in (created if missing)."),
    registry: Optional[Path] = typer.Option(None, "--registry", help="IP owner register (CSV)."),
) -> None:
    """Decode, detect, estimate, enrich and store. Feeding the same input twice changes nothing."""
    from minewatch.engine.local import analyze as run_analysis

    if registry is not None and not registry.is_file():
        fail(f"{registry}: no such register file", 2)
    with progress_bar() as progress:
        try:
            result = run_analysis([str(p) for p in inputs], db, registry, progress)
        except MinewatchError as exc:
            fail(str(exc), EXIT_DATAERR)
    for line in result.lines():
        typer.echo(line)
    if result.unreadable:
        raise typer.Exit(EXIT_DATAERR)


@app.command()
def report(
    db: Path = typer.Option(..., "--db", help="DuckDB file written by `minewatch analyze`."),
    format: ReportFormat = typer.Option(ReportFormat.text, "--format", help="text, json or html."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write to this file instead of stdout."),
) -> None:
    """The situation report: egress, miner IPs, hashrate per algorithm, energy, cities, coins, owners."""
    from minewatch.report.build import build_report, render

    try:
        rep, miners = build_report(db)
    except MinewatchError as exc:
        fail(str(exc), EXIT_DATAERR)
    _emit(render(rep, miners, format.value), out)


@app.command()
def miners(
    db: Path = typer.Option(..., "--db", help="DuckDB file written by `minewatch analyze`."),
    format: TableFormat = typer.Option(TableFormat.json, "--format", help="json or csv."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write to this file instead of stdout."),
) -> None:
    """One row per miner IP per period (the `miners` table)."""
    _table_command(db, "miners", "ORDER BY ip", format, out)


@app.command()
def sessions(
    db: Path = typer.Option(..., "--db", help="DuckDB file written by `minewatch analyze`."),
    format: TableFormat = typer.Option(TableFormat.json, "--format", help="json or csv."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write to this file instead of stdout."),
) -> None:
    """One row per pool session (the `sessions` table)."""
    _table_command(db, "sessions", "ORDER BY ts_start, client_ip, client_port", format, out)


@app.command()
def labelled(
    db: Path = typer.Option(..., "--db", help="DuckDB file written by `minewatch analyze`."),
    format: TableFormat = typer.Option(TableFormat.json, "--format", help="json or csv."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write to this file instead of stdout."),
) -> None:
    """Connections recognised as no miner's and labelled, not counted (the
    `labelled_connections` table): clients of a coin daemon's RPC (daemon-rpc), such as a
    wallet, a pool's back end, or solo mining against one's own node, and coin nodes talking
    to their peers (node: Bitcoin-family P2P, Monero's levin, Ethereum's RLPx)."""
    _table_command(db, "labelled_connections", "ORDER BY ts_start, client_ip, client_port",
                   format, out)


def _table_command(db: Path, table: str, order: str, fmt: TableFormat, out: Optional[Path]) -> None:
    from minewatch.store.duck import Store

    try:
        with Store(db, read_only=True) as store:
            rows = store.query(f'SELECT * FROM "{table}" {order}')
    except MinewatchError as exc:
        fail(str(exc), EXIT_DATAERR)
    if fmt is TableFormat.json:
        text = json.dumps(rows.to_pylist(), ensure_ascii=False, indent=1) + "\n"
    else:
        import io

        import pyarrow.csv as pcsv

        buf = io.BytesIO()
        pcsv.write_csv(rows, buf)
        text = buf.getvalue().decode("utf-8")
    _emit(text, out)


def _emit(text: str, out: Optional[Path]) -> None:
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}", err=True)


# --- command groups (each in its own module; one registration line each) -------------------------
from minewatch.cli import probe as _probe  # noqa: E402  (active pool verification, opt-in)
app.command()(_probe.probe)
from minewatch.cli.attribution import orgs_app as _orgs_app, registry_app as _registry_app  # noqa: E402
app.add_typer(_registry_app, name="registry")  # registry import/show/lookup
app.add_typer(_orgs_app, name="orgs")  # orgs classify
from minewatch.cli.intel import app as _intel_app  # noqa: E402  (intel import/list/export)
app.add_typer(_intel_app, name="intel")
from minewatch.cli import telemetry as _telemetry  # noqa: E402  (collect, watch)
app.command()(_telemetry.collect)
app.command()(_telemetry.watch)
from minewatch.cli import websites as _websites  # noqa: E402  (browser mining)
app.command()(_websites.websites)
from minewatch.cli.model import app as _model_app  # noqa: E402  (behavioural model train/info)
app.add_typer(_model_app, name="model")


def main() -> None:
    try:
        app()
    except InputError as exc:
        typer.secho(f"minewatch: {exc}", err=True, fg="red")
        sys.exit(EXIT_DATAERR)
