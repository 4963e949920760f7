"""Resource limits every part of minewatch applies to its own DuckDB connections.

DuckDB's buffer pool takes 80 % of RAM by default; the ingest path's memory bound (one capture
in at most ~1 GB, docs/design-notes.md) needs it smaller, and DuckDB spills past it. Both the
store and the behavioural model's feature queries (on their own in-memory connection) use it.
"""

from __future__ import annotations

import os

import duckdb

MEMORY_LIMIT = os.environ.get("MINEWATCH_DUCKDB_MEMORY", "512MB")


def tune(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The connection with the memory cap set and DuckDB's own progress bar off (ours, rich,
    reports progress)."""
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute("SET enable_progress_bar = false")
    return con
