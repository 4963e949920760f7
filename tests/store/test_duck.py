"""The store keeps each value in its column when the registry gained columns since the
database was made (a migration adds them at the end of the table, not where the registry has
them)."""

import duckdb

from minewatch import schema
from minewatch.store.duck import Store

LOG = {"input_id": "f" * 64, "path": "a.pcap", "format": "pcap", "status": "ok"}


def _older_database(path, table: str, missing: str) -> None:
    """A database whose `table` lacks the column `missing` (made before it was added)."""
    cols = ", ".join(f'"{c.name}" {schema.duckdb_type(c)}' for c in schema.TABLES[table]
                     if c.name != missing)
    db = duckdb.connect(str(path))
    db.execute(f'CREATE TABLE "{table}" ({cols})')
    db.close()


def _row(table: str) -> dict:
    """A row whose every column holds a value of its own (its name, or its position)."""
    out = {}
    for k, c in enumerate(schema.TABLES[table]):
        out[c.name] = {"string": c.name, "double": k + 0.5, "int64": k, "bool": k % 2 == 0}[
            str(c.type)]
    return out


def test_replace_fills_columns_by_name_in_a_migrated_database(tmp_path):
    path = tmp_path / "old.duckdb"
    _older_database(path, "sessions", "password")  # a column in the middle of the registry
    row = _row("sessions")
    with Store(path) as store:
        store.replace("sessions", schema.to_table("sessions", [row]))
        (got,) = store.rows("SELECT * FROM sessions")
    assert got == row
    assert list(got)[-1] == "password"  # (the migration put it last)


def test_an_input_is_stored_by_name_in_a_migrated_database(tmp_path):
    path = tmp_path / "old.duckdb"
    _older_database(path, "payload_sessions", "wallet")
    row = _row("payload_sessions")
    with Store(path) as store:
        with store.ingesting() as job:
            job.put("payload_sessions", schema.to_table("payload_sessions", [row]))
            job.commit(LOG)
        (got,) = store.rows("SELECT * FROM payload_sessions")
    assert got == row
