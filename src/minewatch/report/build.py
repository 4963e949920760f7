"""Read the store, compute the situation figures, render them."""

from __future__ import annotations

import json
from pathlib import Path

from minewatch.report.figures import situation
from minewatch.report.render import render_html, render_text
from minewatch.store.duck import Store


def build_report(db: Path) -> tuple[dict, list[dict]]:
    """The report dict and the miner rows of the database at `db`."""
    with Store(db, read_only=True) as store:
        miners = store.rows("SELECT * FROM miners ORDER BY ip")
        period = store.rows("SELECT min(period_start) AS s, max(period_end) AS e FROM miners")[0]
        sessions = store.scalar("SELECT count(*) FROM sessions")
        inputs = store.rows("SELECT path, format, status, records, skipped FROM ingest_log "
                            "ORDER BY ingested_at")
        span = store.rows("SELECT value FROM meta WHERE key = 'period'")
        labelled = _labelled(store)
    start, end = _period(period, span)
    up = sum(m["bytes_up"] or 0 for m in miners)
    down = sum(m["bytes_down"] or 0 for m in miners)
    return situation(miners, start, end, up, down, sessions, inputs, labelled), miners


def _labelled(store: Store) -> dict[str, int]:
    """Labelled connections by label (none in a database written before the table was), each
    counted once however many inputs (rotated captures) labelled it."""
    if not store.scalar("SELECT count(*) FROM information_schema.tables "
                        "WHERE table_name = 'labelled_connections'"):
        return {}
    return {r["label"]: r["n"] for r in store.rows(
        "SELECT label, count(DISTINCT (client_ip, client_port, server_ip, server_port)) AS n "
        "FROM labelled_connections GROUP BY label ORDER BY label")}


def _period(period: dict, span: list[dict]) -> tuple[float, float]:
    if span:
        s, e = json.loads(span[0]["value"])
        return float(s), float(e)
    return float(period["s"] or 0.0), float(period["e"] or 0.0)


def render(report: dict, miners: list[dict], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report, ensure_ascii=False, indent=1) + "\n"
    if fmt == "html":
        return render_html(report, miners)
    return render_text(report)
