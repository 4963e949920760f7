"""`minewatch websites`: web sites and services that make their visitors mine (web_entities)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

ORDER = "ORDER BY host, kind, client_ip, ts_first"


class WebFormat(str, Enum):
    json = "json"
    csv = "csv"


def websites(
    db: Path = typer.Option(..., "--db", help="DuckDB file written by `minewatch analyze`."),
    format: WebFormat = typer.Option(WebFormat.json, "--format", help="json or csv."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write to this file instead of stdout."),
) -> None:
    """Browser mining: pages, scripts, WebSockets, DNS names and TLS SNI of in-page miners
    (the `web_entities` table), one row per visitor, host, URL and kind."""
    from minewatch.cli.main import TableFormat, _table_command  # main imports this module

    _table_command(db, "web_entities", ORDER, TableFormat(format.value), out)
