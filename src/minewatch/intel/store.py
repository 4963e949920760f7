"""Indicators in the store: import (idempotent per source), listing, export, and the rows
that pool detection uses.

Each import replaces every row of its source in one transaction, so importing a list again
(or a newer copy of it under the same source name) leaves exactly the new list.
"""

from __future__ import annotations

import csv
import io
import json
import time

import duckdb

from minewatch import schema
from minewatch.errors import InputError
from minewatch.intel.indicator import Parsed
from minewatch.store.duck import Store

TABLE = "intel_indicators"
POOL_CATEGORIES = ("pool", "proxy")  # categories whose indicators are pool endpoints
EXPORT_FORMATS = ("csv", "json", "hosts")


def import_parsed(store: Store, parsed: Parsed, source: str, now: float | None = None) -> int:
    """Replace the rows of `source` with `parsed`'s; the number of rows stored."""
    stamp = time.time() if now is None else now
    rows = [{**row, "source": source, "imported_at": stamp} for row in parsed.rows]
    store.replace(TABLE, schema.to_table(TABLE, rows), where=f"source = {_literal(source)}")
    return len(rows)


def _literal(text: str) -> str:
    """A SQL string literal (Store.replace takes its condition as SQL text)."""
    return "'" + text.replace("'", "''") + "'"


def indicators(store: Store, kind: str | None = None, category: str | None = None) -> list[dict]:
    """Stored indicators, optionally of one kind and/or category, in a stable order."""
    where, params = [], []
    for column, value in (("kind", kind), ("category", category)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    sql = f"SELECT * FROM {TABLE}" + (" WHERE " + " AND ".join(where) if where else "")
    try:
        return store.rows(sql + " ORDER BY source, kind, value, port", params)
    except duckdb.Error as exc:
        message = str(exc).splitlines()[0]
        raise InputError(f"{store.path}: cannot read indicators: {message}") from None


def pool_indicators(store: Store, categories: tuple[str, ...] = POOL_CATEGORIES) -> list[dict]:
    """Domain, address and network indicators of the given categories (for PoolIntel)."""
    marks = ", ".join("?" for _ in categories)
    return store.rows(f"SELECT * FROM {TABLE} WHERE kind IN ('domain', 'ip', 'ip_port', 'cidr') "
                      f"AND category IN ({marks}) ORDER BY source, kind, value, port",
                      list(categories))


def counts(store: Store) -> list[dict]:
    """Rows per source, kind and category."""
    return store.rows(f"SELECT source, category, kind, count(*)::BIGINT AS n FROM {TABLE} "
                      "GROUP BY ALL ORDER BY ALL")


def export(rows: list[dict], fmt: str) -> str:
    """Indicators as csv (all columns), json (a list of objects) or a hosts file (domains)."""
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"
    if fmt == "hosts":
        names = sorted({r["value"] for r in rows if r["kind"] == "domain"})
        lines = ["# minewatch intel export: domain indicators", *(f"0.0.0.0 {n}" for n in names)]
        return "\n".join(lines) + "\n"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, schema.column_names(TABLE), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()
