"""The schema registry is the one source of the columns; docs/schema.md must follow it."""

from pathlib import Path

from minewatch import schema

DOCS = Path(__file__).resolve().parents[1] / "docs" / "schema.md"


def test_docs_table_of_columns_is_generated_from_the_registry():
    assert DOCS.read_text(encoding="utf-8") == schema.docs_markdown()


def test_every_table_has_unique_column_names():
    for name, cols in schema.TABLES.items():
        names = [c.name for c in cols]
        assert len(names) == len(set(names)), name


def test_ddl_round_trips_through_duckdb():
    import duckdb

    db = duckdb.connect()
    for name in schema.TABLES:
        db.execute(schema.duckdb_ddl(name))
        got = [r[0] for r in db.execute(f'DESCRIBE "{name}"').fetchall()]
        assert got == schema.column_names(name)
