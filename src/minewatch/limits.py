"""Resource limits every part of minewatch applies to its own DuckDB connections.

DuckDB's buffer pool takes 80 % of RAM by default; the ingest path's memory bound (one capture
in at most ~1 GB, docs/design-notes.md) needs it smaller, and DuckDB spills past it. Both the
store and the behavioural model's feature queries (on their own in-memory connection) use it.
"""

from __future__ import annotations

import ctypes
import gc
import os

import duckdb
import pyarrow as pa

# With ~0.25 GB of imports and up to ~0.2 GB of Python work at a time, 384 MB keeps a whole
# `analyze` under 1 GB (docs/design-notes.md, "Memory"); DuckDB spills past it to disk.
MEMORY_LIMIT = os.environ.get("MINEWATCH_DUCKDB_MEMORY", "384MB")


def tune(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The connection with the memory cap set and DuckDB's own progress bar off (ours, rich,
    reports progress)."""
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute("SET enable_progress_bar = false")
    return con


def release_memory() -> None:
    """Hand memory freed by one phase back to the system before the next: Arrow's allocator
    keeps freed blocks for reuse, and so does glibc's malloc. Between inputs and before the
    derive step this lowers the peak by 0.1 GB or more, because DuckDB's buffers then grow on
    top of what the packet path had held."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    trim = getattr(_process_symbols(), "malloc_trim", None)  # glibc only (not musl, macOS)
    if trim is not None:
        trim(0)


def _process_symbols():
    """The symbols already loaded into this process (libc among them), without the
    subprocess that ctypes.util.find_library runs; None where that is not possible."""
    try:
        return ctypes.CDLL(None)
    except (OSError, TypeError):  # TypeError: Windows has no process handle for None
        return None
