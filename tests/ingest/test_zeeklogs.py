"""Zeek conn.log -> flows (one row per direction) and ssl.log -> tls_hellos, TSV and JSON lines."""

from __future__ import annotations

import io
import json

import pytest

from minewatch.cli.progress import NullProgress
from minewatch.engine.local import ingest_one, sniff
from minewatch.ingest import zeeklogs
from minewatch.store.duck import Store

CONN_FIELDS = ("ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration orig_bytes "
               "resp_bytes conn_state local_orig local_resp missed_bytes history orig_pkts "
               "orig_ip_bytes resp_pkts resp_ip_bytes tunnel_parents").split()
CONN_TYPES = ("time string addr port addr port enum string interval count count string bool bool "
              "count string count count count count set[string]").split()
SSL_FIELDS = ("ts uid id.orig_h id.orig_p id.resp_h id.resp_p version cipher curve server_name "
              "resumed last_alert next_protocol established ssl_history").split()
SSL_TYPES = ("time string addr port addr port string string string string bool string string "
             "bool string").split()


def tsv(path: str, fields: list[str], types: list[str], lines: list[str]) -> bytes:
    head = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-",
            f"#path\t{path}", "#open\t2024-03-01-10-00-00", "#fields\t" + "\t".join(fields),
            "#types\t" + "\t".join(types)]
    return ("\n".join(head + lines + ["#close\t2024-03-01-11-00-00"]) + "\n").encode()


CONN_LINES = [
    # a pool session with IP byte counts
    "1709287200.250000\tCa1\t10.20.0.5\t51000\t203.0.113.9\t3333\ttcp\t-\t3600.5\t120000\t480000"
    "\tSF\tT\tF\t0\tShADadFf\t2000\t200000\t2500\t580000\t(empty)",
    # no IP byte counts (an older Zeek or a trimmed log): payload + 40 B per packet
    "1709287201.000000\tCa2\t10.20.0.6\t51001\t203.0.113.9\t443\ttcp\tssl\t10.0\t1000\t2000"
    "\tSF\tT\tF\t0\tShADadFf\t10\t-\t12\t-\t(empty)",
    # a UDP exchange with no reply: one row only
    "1709287202.000000\tCa3\t10.20.0.7\t5353\t198.51.100.1\t53\tudp\tdns\t-\t40\t0"
    "\tS0\tT\tF\t0\tD\t1\t68\t0\t0\t(empty)",
    "not a conn.log line",
    "1709287203.0\tCa4\tnot-an-address" + "\t-" * 18,
    "1709287204.0\tCa5\t10.20.0.8\t1\t10.0.0.1\t2\ttcp\t-\t1.0\t1\t1\tSF\tT\tF\t0\tS\tlots"
    "\t1\t1\t1\t(empty)",
]


def test_conn_tsv_gives_one_row_per_direction():
    rows, lines, bad = zeeklogs.read_rows(io.BytesIO(tsv("conn", CONN_FIELDS, CONN_TYPES, CONN_LINES)),
                                          zeeklogs.CONN, "sha", "conn.log")
    assert (lines, bad) == (6, 3)
    assert len(rows) == 5
    up, down = rows[0], rows[1]
    assert (up["src_ip"], up["src_port"], up["dst_ip"], up["dst_port"], up["proto"]) == (
        "10.20.0.5", 51000, "203.0.113.9", 3333, 6)
    assert (up["packets"], up["bytes"], down["packets"], down["bytes"]) == (2000, 200000, 2500, 580000)
    assert (down["src_ip"], down["src_port"]) == ("203.0.113.9", 3333)
    assert up["ts_start"] == down["ts_start"] == 1709287200.25
    assert up["ts_end"] == pytest.approx(1709287200.25 + 3600.5)
    assert (up["tcp_flags"], down["tcp_flags"]) == (0x02 | 0x10 | 0x18 | 0x01, 0x12 | 0x18 | 0x01)
    assert (up["source"], up["exporter"], up["input_id"], up["sampling_rate"]) == (
        "zeek-conn", "conn.log", "sha", 1)
    assert (rows[2]["bytes"], rows[3]["bytes"]) == (1000 + 40 * 10, 2000 + 40 * 12)
    assert rows[4]["proto"] == 17 and rows[4]["ts_end"] == rows[4]["ts_start"]
    assert (rows[4]["bytes"], rows[4]["tcp_flags"]) == (68, 0)


def test_conn_json_lines_and_nested_ids():
    lines = [
        {"ts": 1709287200.25, "uid": "Cj1", "id.orig_h": "10.20.0.5", "id.orig_p": 51000,
         "id.resp_h": "2001:db8::9", "id.resp_p": 3333, "proto": "tcp", "duration": 5.0,
         "orig_bytes": 100, "resp_bytes": 300, "conn_state": "SF", "history": "ShAdDaFf",
         "orig_pkts": 5, "orig_ip_bytes": 400, "resp_pkts": 4, "resp_ip_bytes": 560},
        {"ts": "2024-03-01T10:00:01.500000Z", "uid": "Cj2",
         "id": {"orig_h": "10.20.0.6", "orig_p": 8, "resp_h": "10.0.0.1", "resp_p": 0},
         "proto": "icmp", "conn_state": "OTH", "orig_pkts": 1, "orig_ip_bytes": 84,
         "resp_pkts": 1, "resp_ip_bytes": 84},
        {"ts": 1709287202.0, "uid": "Cj3", "id.orig_h": "10.20.0.7", "conn_state": "SF"},
    ]
    text = "\n".join(json.dumps(x) for x in lines) + "\n{broken\n"
    assert zeeklogs.sniff(text.encode()) == zeeklogs.CONN
    rows, n, bad = zeeklogs.read_rows(io.StringIO(text), zeeklogs.CONN)
    assert (n, bad) == (4, 2)  # the third has no responder address
    assert [(r["src_ip"], r["bytes"]) for r in rows] == [
        ("10.20.0.5", 400), ("2001:db8::9", 560), ("10.20.0.6", 84), ("10.0.0.1", 84)]
    assert rows[2]["ts_start"] == 1709287201.5
    assert (rows[2]["proto"], rows[2]["src_port"], rows[2]["dst_port"]) == (1, 0, 0)


SSL_LINES = [
    "1709287200.300000\tCs1\t10.20.0.6\t51001\t203.0.113.9\t443\tTLSv13\tTLS_AES_128_GCM_SHA256"
    "\tx25519\tXMR.Pool.Example.\tF\t-\t-\tT\tCsiI",
    "1709287200.400000\tCs2\t10.20.0.7\t51002\t198.51.100.3\t443\tTLSv12\t-\t-\t-\tF\t-\t-\tF\tC",
    "1709287200.500000\tCs3\t10.20.0.8\t51003\t198.51.100.4\t8443\tTLSv12\t-\t-"
    "\tesc\\x09aped.example\tF\t-\t-\tT\tCsiI",
    "1709287200.600000\tCs4\t10.20.0.9",
]


def test_ssl_tsv_gives_one_hello_per_server_name():
    data = tsv("ssl", SSL_FIELDS, SSL_TYPES, SSL_LINES)
    assert zeeklogs.sniff(data) == zeeklogs.SSL
    rows, lines, bad = zeeklogs.read_rows(io.BytesIO(data), zeeklogs.SSL, "sha")
    assert (lines, bad) == (4, 1)
    assert rows == [
        {"ts": 1709287200.3, "client_ip": "10.20.0.6", "client_port": 51001,
         "server_ip": "203.0.113.9", "server_port": 443, "sni": "xmr.pool.example", "input_id": "sha"},
        {"ts": 1709287200.5, "client_ip": "10.20.0.8", "client_port": 51003,
         "server_ip": "198.51.100.4", "server_port": 8443, "sni": "esc\taped.example",
         "input_id": "sha"}]


def test_ssl_json_lines():
    line = {"ts": 1709287200.3, "uid": "Cs1", "id.orig_h": "10.20.0.6", "id.orig_p": 51001,
            "id.resp_h": "203.0.113.9", "id.resp_p": 443, "server_name": "pool.example",
            "resumed": False, "established": True}
    data = (json.dumps(line) + "\n").encode()
    assert zeeklogs.sniff(data) == zeeklogs.SSL
    rows, _, bad = zeeklogs.read_rows(io.BytesIO(data), zeeklogs.SSL)
    assert bad == 0 and rows[0]["sni"] == "pool.example"


def test_sniffing_tells_the_logs_apart():
    conn = tsv("conn", CONN_FIELDS, CONN_TYPES, CONN_LINES[:1])
    ssl = tsv("ssl", SSL_FIELDS, SSL_TYPES, SSL_LINES[:1])
    assert (sniff(conn), sniff(ssl)) == ("zeek-conn", "zeek-ssl")
    # a log renamed by a site (#path other) is still known by its fields
    assert sniff(conn.replace(b"#path\tconn", b"#path\tconn_site")) == "zeek-conn"
    dns = b'{"ts":1.0,"id.orig_h":"10.0.0.1","query":"a.example","answers":["192.0.2.1"]}\n'
    assert sniff(dns) == "dnslog"
    assert zeeklogs.sniff(b"hello\n") is None
    assert zeeklogs.sniff(b'{"ts":1.0,"id.orig_h":"10.0.0.1"}\n') is None


def test_analyze_dispatches_zeek_logs(tmp_path):
    (tmp_path / "conn.log").write_bytes(tsv("conn", CONN_FIELDS, CONN_TYPES, CONN_LINES))
    (tmp_path / "ssl.log").write_bytes(tsv("ssl", SSL_FIELDS, SSL_TYPES, SSL_LINES))
    with Store(tmp_path / "z.duckdb") as store:
        conn = ingest_one(str(tmp_path / "conn.log"), store, NullProgress())
        ssl = ingest_one(str(tmp_path / "ssl.log"), store, NullProgress())
        assert ingest_one(str(tmp_path / "ssl.log"), store, NullProgress()).status == "duplicate"
        assert store.scalar("SELECT count(*) FROM flows WHERE source = 'zeek-conn'") == 5
        assert store.scalar("SELECT count(*) FROM tls_hellos") == 2
    assert (conn.format, conn.status, conn.records, conn.skipped) == ("zeek-conn", "partial", 3, 3)
    assert (ssl.format, ssl.records, ssl.skipped) == ("zeek-ssl", 3, 1)
    assert "lines skipped" in conn.line()
