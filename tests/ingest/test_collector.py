"""The UDP collector and the directory watcher, against `minewatch analyze` of the same data.

A small province is simulated once. Its exporters' datagrams (netflow-v9.pcap and ipfix.pcap,
interleaved in capture order, with some garbage) are replayed over loopback to a collector whose
database already holds packets.pcap and dns.log; the reference is `analyze` of all four files.
Every flow record must be stored exactly once and the two reports must be equal.
"""

from __future__ import annotations

import heapq
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from minewatch import schema
from minewatch.cli.progress import NullProgress
from minewatch.decode import netflow_v9
from minewatch.decode.flowfields import ExportConfig
from minewatch.decode.packet import decode_frame, encode_tcp
from minewatch.decode.pcap import PcapReader, PcapWriter
from minewatch.engine.local import analyze
from minewatch.ingest.collector import (
    CollectorConfig,
    DirectoryWatch,
    FlowCollector,
    WatchConfig,
    parse_listen,
)
from minewatch.ingest.exports import ExportDecoder
from minewatch.report.build import build_report
from minewatch.sim.run import simulate
from minewatch.store.duck import Store

LOOPBACK = "127.0.0.1"
GARBAGE = [b"", b"x", b"hello, collector", b"\x00\x09" + b"\xff" * 40, b"\x00\x0a\x00\x05junk",
           b"\x00\x05\x00\x1e" + b"\x00" * 30, bytes(range(256)) * 4]
RECORD_COLUMNS = ("source", "ts_start", "ts_end", "src_ip", "src_port", "dst_ip", "dst_port",
                  "proto", "packets", "bytes", "tcp_flags", "sampling_rate")


# --- helpers --------------------------------------------------------------------------------------

def payloads(path: Path) -> list[tuple[float, bytes]]:
    """(capture time, UDP payload) of each datagram in a collector's capture."""
    with path.open("rb") as f:
        return [(raw.ts, decode_frame(raw.linktype, raw.data, raw.ts).payload) for raw in PcapReader(f)]


def wait_until(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


def replay(collector: FlowCollector, datagrams: list[bytes], window: int = 128) -> None:
    """Send datagrams to the collector, never more than `window` ahead of what it received
    (loopback UDP drops when the socket buffer overflows, and a lost datagram is not the point)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for i, d in enumerate(datagrams, 1):
            sock.sendto(d, collector.address)
            if i % 32 == 0:
                wait_until(lambda: collector.counters.datagrams >= i - window)
    wait_until(lambda: collector.counters.datagrams >= len(datagrams))


def records(db: Path, where: str) -> list[tuple]:
    cols = ", ".join(RECORD_COLUMNS)
    with Store(db, read_only=True) as store:
        return store.db.execute(f"SELECT {cols} FROM flows WHERE {where} ORDER BY ALL").fetchall()


def comparable(report: dict) -> dict:
    return {k: v for k, v in report.items() if k not in ("generated_at", "inputs")}


# --- the province, collected and analysed ---------------------------------------------------------

@pytest.fixture(scope="module")
def province(tmp_path_factory):
    out = tmp_path_factory.mktemp("province")
    simulate(out, 4711, "small", NullProgress())
    collected, reference = out / "collected.duckdb", out / "reference.duckdb"
    analyze([str(out / "packets.pcap"), str(out / "dns.log")], collected, out / "registry.csv",
            NullProgress())
    shutil.copy(collected, reference)
    analyze([str(out / "netflow-v9.pcap"), str(out / "ipfix.pcap")], reference,
            out / "registry.csv", NullProgress())
    streams = [payloads(out / "netflow-v9.pcap"), payloads(out / "ipfix.pcap")]
    datagrams = [d for _, d in heapq.merge(*streams, key=lambda x: x[0])]
    for i, junk in enumerate(GARBAGE):  # spread through the stream
        datagrams.insert((i + 1) * len(datagrams) // (len(GARBAGE) + 1), junk)
    config = CollectorConfig(db=collected, host=LOOPBACK, port=0, registry=out / "registry.csv",
                             batch_seconds=0.2, batch_datagrams=250)
    collector = FlowCollector(config)
    collector.start()
    try:
        replay(collector, datagrams)
    finally:
        counters = collector.stop()
    return {"out": out, "collected": collected, "reference": reference, "counters": counters,
            "sent": len(datagrams), "collector": collector}


def test_every_datagram_is_received_and_garbage_is_counted(province):
    c = province["counters"]
    assert c.datagrams == province["sent"]
    assert c.decode_errors == len(GARBAGE)
    assert (c.dropped, c.lost, c.template_misses, c.store_errors) == (0, 0, 0, 0)


def test_every_record_is_stored_exactly_once(province):
    exported = "source IN ('netflow-v9', 'ipfix')"
    got, want = records(province["collected"], exported), records(province["reference"], exported)
    assert len(got) == len(want) > 10_000
    assert sum(r[RECORD_COLUMNS.index("bytes")] for r in got) == sum(
        r[RECORD_COLUMNS.index("bytes")] for r in want)
    assert got == want
    assert province["counters"].records == len(got)


def test_each_batch_is_one_ingest_log_row(province):
    with Store(province["collected"], read_only=True) as store:
        rows = store.rows("SELECT * FROM ingest_log WHERE format = 'collector'")
        stream = store.scalar("SELECT count(*) FROM flows WHERE input_id LIKE 'collector:udp://%'")
    c = province["counters"]
    assert len(rows) == c.batches > 5
    assert len({r["input_id"] for r in rows}) == len(rows)
    assert all(r["input_id"].startswith("collector:") for r in rows)
    assert {r["path"] for r in rows} == {province["collector"].url}
    assert sum(r["records"] for r in rows) == stream == c.records
    assert sum(r["skipped"] for r in rows) == len(GARBAGE)


def test_report_equals_analyze_of_the_same_files(province):
    got, _ = build_report(province["collected"])
    want, _ = build_report(province["reference"])
    assert want["miner_ips"] > 0
    assert comparable(got) == comparable(want)


# --- smaller behaviours ---------------------------------------------------------------------------

def _flows(n: int, t0: float = 1.7e9) -> list[dict]:
    return [{"ts_start": t0 + i, "ts_end": t0 + i + 5, "src_ip": f"10.9.0.{i + 1}",
             "src_port": 40000 + i, "dst_ip": "198.51.100.7", "dst_port": 3333, "proto": 6,
             "packets": 10 + i, "bytes": 1000 + 100 * i, "tcp_flags": 0x18, "sampling_rate": 1,
             "exporter": "", "source": "sim", "input_id": ""} for i in range(n)]


def _v9(n: int) -> list[bytes]:
    """n datagrams of one record each; only the first carries the template."""
    config = ExportConfig(boot_time=1.7e9 - 3600, domain=7, records_per_datagram=1,
                          template_refresh=1000)
    return netflow_v9.encode_v9_datagrams(schema.to_table("flows", _flows(n)), config)


def _collect(tmp_path: Path, datagrams: list[bytes]) -> tuple[FlowCollector, list[tuple]]:
    collector = FlowCollector(CollectorConfig(db=tmp_path / "c.duckdb", host=LOOPBACK, port=0,
                                              batch_seconds=0.05, rebuild_on_stop=False))
    collector.start()
    try:
        for d in datagrams:
            replay(collector, [d])
            time.sleep(0.1)  # a batch boundary between datagrams
    finally:
        collector.stop()
    return collector, records(tmp_path / "c.duckdb", "true")


def test_data_before_its_template_is_decoded_when_the_template_comes(tmp_path):
    datagrams = _v9(4)
    collector, got = _collect(tmp_path, datagrams[1:] + datagrams[:1])
    decoder = ExportDecoder("reference")
    for d in datagrams:
        decoder.add_payload(d, LOOPBACK)
    want = sorted(tuple(r[c] for c in RECORD_COLUMNS) for r in decoder.table().to_pylist())
    assert len(want) == 4
    assert got == want
    c = collector.counters
    assert (c.template_misses, c.records, c.lost, c.decode_errors) == (3, 4, 0, 0)
    # a batch boundary before the template at least (on a loaded machine two datagrams 0.1 s
    # apart can share a 0.05 s batch: the count is no measure of anything here)
    assert 2 <= c.batches <= 4


def test_garbage_never_stops_the_collector(tmp_path):
    datagrams = _v9(2)
    collector, got = _collect(tmp_path, [GARBAGE[2], datagrams[0], *GARBAGE, datagrams[1]])
    assert len(got) == 2
    assert collector.counters.decode_errors == len(GARBAGE) + 1


def test_listen_addresses():
    assert parse_listen("127.0.0.1:2055") == ("127.0.0.1", 2055)
    assert parse_listen(":4739") == ("0.0.0.0", 4739)
    assert parse_listen("[::1]:9995") == ("::1", 9995)
    for bad in ("2055", "host:", "host:port", "h:70000"):
        with pytest.raises(ValueError):
            parse_listen(bad)


def test_sigterm_flushes_rebuilds_prints_counters_and_exits_0(province, tmp_path):
    db = tmp_path / "c.duckdb"
    cmd = [sys.executable, "-m", "minewatch", "collect", "--listen", f"{LOOPBACK}:0",
           "--db", str(db), "--batch-seconds", "3600"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        port = int(first.split()[2].rstrip(",").rsplit(":", 1)[1])
        sent = [d for _, d in payloads(province["out"] / "netflow-v9.pcap")[:200]]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for d in sent:
                sock.sendto(d, (LOOPBACK, port))
                time.sleep(0.002)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    decoder = ExportDecoder("reference")
    for d in sent:
        decoder.add_payload(d, LOOPBACK)
    counters = dict(kv.split("=") for kv in out.strip().splitlines()[-1].split())
    assert counters["datagrams"] == "200"
    assert counters["records"] == str(decoder.table().num_rows)
    assert (counters["batches"], counters["dropped"], counters["decode_errors"]) == ("1", "0", "0")
    with Store(db, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM flows") == decoder.table().num_rows
        assert store.scalar("SELECT count(*) FROM meta WHERE key = 'period'") == 1  # rebuilt


def test_collect_rejects_a_bad_listen_address(tmp_path):
    p = subprocess.run([sys.executable, "-m", "minewatch", "collect", "--listen", "nowhere",
                        "--db", str(tmp_path / "c.duckdb")], capture_output=True, timeout=60)
    assert p.returncode == 2
    assert b"Traceback" not in p.stderr


# --- the directory watcher ------------------------------------------------------------------------

def _pcap(path: Path, n: int = 20) -> None:
    with path.open("wb") as f:
        w = PcapWriter(f)
        for i in range(n):
            w.write(1.7e9 + i, encode_tcp("10.1.1.1", "10.2.2.2", 40000, 3333, i * 10, 0, 0x18,
                                          b'{"id":1,"method":"mining.subscribe","params":[]}\n'))


CONN_LOG = ('{"ts":1700000000.5,"uid":"C1","id.orig_h":"10.1.1.9","id.orig_p":50000,'
            '"id.resp_h":"198.51.100.7","id.resp_p":3333,"proto":"tcp","duration":60.0,'
            '"orig_bytes":5000,"resp_bytes":9000,"conn_state":"SF","orig_pkts":50,'
            '"orig_ip_bytes":7000,"resp_pkts":60,"resp_ip_bytes":11400}\n')


def test_watch_reads_each_file_once_after_its_size_is_stable(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _pcap(inbox / "a.pcap")
    watcher = DirectoryWatch(WatchConfig(inbox, tmp_path / "w.duckdb", interval=0))
    watcher.start()
    try:
        assert watcher.poll() == []  # first sight: not yet known to be complete
        (inbox / "conn.log").write_text(CONN_LOG)
        assert [r.path for r in watcher.poll()] == [str(inbox / "a.pcap")]
        with (inbox / "conn.log").open("a") as f:  # still growing: wait
            f.write(CONN_LOG.replace("C1", "C2").replace("50000", "50001"))
        assert watcher.poll() == []
        (inbox / ".partial").write_text("ignored")
        shutil.copy(inbox / "a.pcap", inbox / "b.pcap")  # same bytes as a.pcap
        assert [(r.format, r.records) for r in watcher.poll()] == [("zeek-conn", 2)]
        assert [r.status for r in watcher.poll()] == ["duplicate"]
        assert watcher.poll() == []
        with (inbox / "a.pcap").open("ab") as f:
            f.write(b"\0" * 16)
        watcher.poll()
        assert watcher.poll() == []  # changed after it was stored: counted, not read again
        c = watcher.counters
        assert (c.ingested, c.duplicates, c.failed, c.changed_after_ingest) == (2, 1, 0, 1)
        assert c.rebuilds == 2
    finally:
        watcher.stop()
    with Store(tmp_path / "w.duckdb", read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM ingest_log") == 2
        assert store.scalar("SELECT count(*) FROM flows WHERE source = 'zeek-conn'") == 4


def test_watch_finds_files_in_subdirectories_but_not_hidden_ones_or_its_database(tmp_path):
    """nfcapd -S 1 writes YYYY/MM/DD/nfcapd.*; a database inside the watched folder is ours."""
    inbox = tmp_path / "inbox"
    (inbox / "2026" / "11" / "28").mkdir(parents=True)
    (inbox / ".spool").mkdir()
    _pcap(inbox / "2026" / "11" / "28" / "a.pcap")
    (inbox / "2026" / "11" / "28" / "nfcapd.current.4242").write_bytes(b"\0" * 64)
    _pcap(inbox / ".spool" / "hidden.pcap")
    watcher = DirectoryWatch(WatchConfig(inbox, inbox / "w.duckdb", interval=0))
    watcher.start()
    try:
        watcher.poll()
        assert [r.path for r in watcher.poll()] == [str(inbox / "2026" / "11" / "28" / "a.pcap")]
        assert watcher.poll() == [] and watcher.poll() == []  # not its own database, ever
    finally:
        watcher.stop()


def test_watch_once_from_the_command_line(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _pcap(inbox / "a.pcap")
    (inbox / "conn.log").write_text(CONN_LOG)
    cmd = [sys.executable, "-m", "minewatch", "watch", str(inbox), "--db", str(tmp_path / "w.duckdb"),
           "--interval", "0.1", "--once"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "a.pcap: pcap, 20 records" in p.stdout
    assert "conn.log: zeek-conn, 1 records" in p.stdout
    assert "ingested=2" in p.stdout.splitlines()[-1]
    (inbox / "notes.txt").write_text("not telemetry\n")
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert p.returncode == 65
    assert "notes.txt: cannot read" in p.stderr
    assert "already ingested" in p.stdout
