"""The embedded store: one DuckDB file behind a narrow interface, one writer.

Raw tables (flows, stratum_events, payload sessions, dns_map, tls_hellos) only grow, one input
at a time inside a transaction together with its ingest_log row, so a crash mid-input leaves no
trace and the input is simply ingested again. Derived tables (sessions from flows, miners) are
rebuilt from the raw ones, which makes the result independent of input order and repetition.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from minewatch import schema
from minewatch.errors import InputError
from minewatch.limits import tune

SCHEMA_VERSION = 1


class Store:
    def __init__(self, path: str | Path, read_only: bool = False):
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise InputError(f"{self.path}: no such database (run `minewatch analyze` first)")
        try:
            self.db = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise InputError(f"{self.path}: cannot open database: {str(exc).splitlines()[0]}") from None
        tune(self.db)  # memory cap (it spills past it), no DuckDB progress bar
        if not read_only:
            self.migrate()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def migrate(self) -> None:
        """Idempotent: create what is missing, add columns the registry gained."""
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        for name in schema.TABLES:
            self.db.execute(schema.duckdb_ddl(name))
            self._add_missing_columns(name)
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])

    def _add_missing_columns(self, name: str) -> None:
        have = {r[0] for r in self.db.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [name]).fetchall()}
        for col in schema.TABLES[name]:
            if col.name not in have:
                self.db.execute(f'ALTER TABLE "{name}" ADD COLUMN "{col.name}" '
                                f'{schema.duckdb_type(col)}')

    def has_input(self, input_id: str) -> bool:
        rows = self.db.execute("SELECT 1 FROM ingest_log WHERE input_id = ? AND status != 'failed'",
                               [input_id]).fetchall()
        return bool(rows)

    def ingest(self, tables: dict[str, pa.Table], log_row: dict) -> None:
        """Append one input's raw rows and its ingest_log row atomically."""
        self.db.execute("BEGIN TRANSACTION")
        try:
            for name, table in tables.items():
                self._append(name, table)
            self._log(log_row)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    @contextmanager
    def ingesting(self) -> Iterator[Ingestion]:
        """One input's rows, handed over as they come (`put`) and stored atomically by
        `commit(log_row)`; without a commit (an error) nothing is stored.

        The rows wait in Parquet files beside the database, so an input of any size costs
        no more memory than one block of rows: DuckDB holds an open transaction's appends in
        memory, but writes a single INSERT from a file straight to the database."""
        job = Ingestion(self, Path(tempfile.mkdtemp(prefix=".minewatch-spool-", dir=self.path.parent)))
        try:
            yield job
        finally:
            job.close()

    def _log(self, log_row: dict) -> None:
        self.db.execute("DELETE FROM ingest_log WHERE input_id = ?", [log_row["input_id"]])
        self._append("ingest_log", schema.to_table("ingest_log", [log_row]))

    def _append(self, name: str, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        table = table.select(schema.column_names(name)).cast(schema.arrow_schema(name))
        self.db.register("_incoming", table)
        try:
            self.db.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM _incoming')
        finally:
            self.db.unregister("_incoming")

    def replace(self, name: str, table: pa.Table, where: str = "") -> None:
        """Replace the rows of a derived table (all, or those matching `where`)."""
        self.db.execute("BEGIN TRANSACTION")
        try:
            self.db.execute(f'DELETE FROM "{name}"' + (f" WHERE {where}" if where else ""))
            self._append(name, table)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def query(self, sql: str, params: list | None = None) -> pa.Table:
        return self.db.sql(sql, params=params or None).to_arrow_table()

    def rows(self, sql: str, params: list | None = None) -> list[dict]:
        return self.query(sql, params).to_pylist()

    def scalar(self, sql: str, params: list | None = None):
        rows = self.db.execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None


class Ingestion:
    """The rows of one input on their way into the store (`Store.ingesting`)."""

    def __init__(self, store: Store, spool: Path):
        self._store, self._spool = store, spool
        self._writers: dict[str, pq.ParquetWriter] = {}
        self.committed = False

    def put(self, name: str, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        if name not in self._writers:
            self._writers[name] = pq.ParquetWriter(self._spool / f"{name}.parquet",
                                                   schema.arrow_schema(name))
        self._writers[name].write_table(
            table.select(schema.column_names(name)).cast(schema.arrow_schema(name)))

    def commit(self, log_row: dict) -> None:
        for writer in self._writers.values():
            if writer.is_open:
                writer.close()
        db = self._store.db
        db.execute("BEGIN TRANSACTION")
        try:
            for name in self._writers:
                path = (self._spool / f"{name}.parquet").as_posix()
                db.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM read_parquet(?)',
                           [path])
            self._store._log(log_row)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.committed = True

    def close(self) -> None:
        for writer in self._writers.values():
            if writer.is_open:
                writer.close()
        shutil.rmtree(self._spool, ignore_errors=True)
