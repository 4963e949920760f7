"""`minewatch websites` lists the web_entities table as JSON or CSV."""

import json

from typer.testing import CliRunner

from minewatch import schema
from minewatch.cli.main import app
from minewatch.store.duck import Store

ROWS = [{"ts_first": 1.0, "ts_last": 2.0, "client_ip": "10.0.0.1", "host": "mine.example",
         "url": "http://mine.example/", "kind": "page", "evidence": '["page holds x"]',
         "input_id": "i1"},
        {"ts_first": 3.0, "ts_last": 3.0, "client_ip": "10.0.0.2", "host": "coinhive.com",
         "url": None, "kind": "dns", "evidence": "[]", "input_id": "i1"}]


def test_websites_json_and_csv(tmp_path):
    db = tmp_path / "m.duckdb"
    with Store(db) as store:
        store.ingest({"web_entities": schema.to_table("web_entities", ROWS)},
                     {"input_id": "i1", "path": "x.pcap", "format": "pcap", "status": "ok",
                      "size_bytes": 1, "records": 1, "skipped": 0, "message": "",
                      "ingested_at": 0.0})
    runner = CliRunner()
    out = runner.invoke(app, ["websites", "--db", str(db)])
    assert out.exit_code == 0, out.output
    assert [(r["host"], r["kind"]) for r in json.loads(out.stdout)] == [
        ("coinhive.com", "dns"), ("mine.example", "page")]
    out = runner.invoke(app, ["websites", "--db", str(db), "--format", "csv"])
    assert out.exit_code == 0 and out.stdout.splitlines()[0].replace('"', "").split(",") == \
        schema.column_names("web_entities")


def test_websites_missing_db(tmp_path):
    out = CliRunner().invoke(app, ["websites", "--db", str(tmp_path / "none.duckdb")])
    assert out.exit_code == 65
