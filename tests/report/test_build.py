"""The report's figures from the store (report/build.py)."""

from minewatch import schema
from minewatch.report.build import _labelled
from minewatch.store.duck import Store


def _node(client_port: int, ts: float, input_id: str) -> dict:
    return {"ts_start": ts, "client_ip": "10.0.0.5", "client_port": client_port,
            "server_ip": "192.0.2.80", "server_port": 8333, "label": "node",
            "methods": "version", "input_id": input_id}


def test_a_connection_labelled_in_two_rotated_captures_counts_once(tmp_path):
    with Store(tmp_path / "r.duckdb") as store:
        for input_id, rows in (("a" * 64, [_node(50000, 1.0, "a" * 64)]),
                               ("b" * 64, [_node(50000, 900.0, "b" * 64),
                                           _node(50001, 950.0, "b" * 64)])):
            with store.ingesting() as job:
                job.put("labelled_connections", schema.to_table("labelled_connections", rows))
                job.commit({"input_id": input_id, "path": "x.pcap", "status": "ok"})
        assert store.scalar("SELECT count(*) FROM labelled_connections") == 3
        assert _labelled(store) == {"node": 2}
