"""nfcapd files read through Debian's nfdump: a real file written by nfcapd from NetFlow v9
datagrams of the project's own encoder must give the flows the project's v9 decoder makes of the
same datagrams. Tests that need nfdump/nfcapd skip where they are not installed (`make nfdump`).

nfdump keeps times to the millisecond; the v9 decoder derives them from millisecond sysUpTime
values, so start and end agree to 1 ms (TIME_RESOLUTION)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest

from minewatch import schema
from minewatch.cli.progress import NullProgress
from minewatch.decode import netflow_v9
from minewatch.decode.flowfields import ExportConfig
from minewatch.engine.local import analyze, sniff
from minewatch.errors import InputError
from minewatch.ingest import nfcapd
from minewatch.ingest.collector import DirectoryWatch, WatchConfig
from minewatch.ingest.exports import ExportDecoder
from minewatch.store.duck import Store

LOOPBACK = "127.0.0.1"
TIME_RESOLUTION = 0.001  # s: nfdump stores milliseconds
KEY = ("src_ip", "src_port", "dst_ip", "dst_port", "proto", "packets", "bytes", "tcp_flags",
       "sampling_rate", "exporter")
needs_nfdump = pytest.mark.skipif(not (shutil.which("nfdump") and shutil.which("nfcapd")),
                                  reason="nfdump/nfcapd not installed (make nfdump)")


def _flows(n: int, rate: int = 1) -> list[dict]:
    t0 = int(time.time()) - 900 + 0.123  # recent, with milliseconds
    return [{"ts_start": t0 + 7 * i + 0.001 * i, "ts_end": t0 + 7 * i + 3.456 + 0.001 * i,
             "src_ip": f"10.9.{i // 250}.{i % 250 + 1}", "src_port": 40000 + i,
             "dst_ip": "198.51.100.7" if i % 4 else "203.0.113.9", "dst_port": 3333 if i % 5 else 53,
             "proto": 17 if i % 5 == 0 else 6, "packets": (10 + i) * rate,
             "bytes": (1000 + 37 * i) * rate, "tcp_flags": 0 if i % 5 == 0 else (0x1B, 0x18, 0x02, 0xC2)[i % 4],
             "sampling_rate": rate, "exporter": "", "source": "sim", "input_id": ""}
            for i in range(n)]


def _datagrams(n: int, rate: int = 1) -> list[bytes]:
    config = ExportConfig(boot_time=time.time() - 7200, domain=7, sequence=100,
                          records_per_datagram=12, template_refresh=3)
    return netflow_v9.encode_v9_datagrams(schema.to_table("flows", _flows(n, rate)), config)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def _capture(directory: Path, datagrams: list[bytes], *options: str) -> list[Path]:
    """Run nfcapd on a loopback port, send the datagrams, stop it (SIGTERM flushes the file);
    its finished files (more than one if a rotation fell in between)."""
    directory.mkdir()
    port = _free_udp_port()
    proc = subprocess.Popen(["nfcapd", "-b", LOOPBACK, "-p", str(port), "-w", str(directory),
                             "-t", "300", *options],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while not list(directory.glob("nfcapd.current.*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # the socket is bound before the file opens; a margin for slow machines
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for d in datagrams:
                s.sendto(d, (LOOPBACK, port))
                time.sleep(0.002)
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    files = sorted(p for p in directory.glob("nfcapd.*") if not p.name.startswith("nfcapd.current"))
    assert files, out.decode(errors="replace")
    return files


def _reference(datagrams: list[bytes]) -> list[dict]:
    decoder = ExportDecoder("reference")
    for d in datagrams:
        decoder.add_payload(d, LOOPBACK)
    return decoder.table().to_pylist()


def _assert_same(got: list[dict], want: list[dict]) -> None:
    got = sorted(got, key=lambda r: (r["src_ip"], r["src_port"]))
    want = sorted(want, key=lambda r: (r["src_ip"], r["src_port"]))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert tuple(g[k] for k in KEY) == tuple(w[k] for k in KEY)
        assert abs(g["ts_start"] - w["ts_start"]) <= TIME_RESOLUTION + 1e-6
        assert abs(g["ts_end"] - w["ts_end"]) <= TIME_RESOLUTION + 1e-6
        assert g["source"] == "nfcapd"


@pytest.fixture(scope="module")
def captured(tmp_path_factory):
    if not (shutil.which("nfdump") and shutil.which("nfcapd")):
        pytest.skip("nfdump/nfcapd not installed (make nfdump)")
    datagrams = _datagrams(60)
    files = _capture(tmp_path_factory.mktemp("nf") / "flows", datagrams)
    return files, _reference(datagrams)


@needs_nfdump
def test_nfcapd_file_is_sniffed_by_its_header(captured):
    files, _ = captured
    head = files[0].read_bytes()[:4096]
    assert int.from_bytes(head[:2], "little") == 0xA50C and head[2:4] == b"\x02\x00"  # nfdump 1.7
    assert sniff(head) == "nfcapd"


@needs_nfdump
def test_analyze_gives_what_the_v9_decoder_gives(captured, tmp_path):
    files, want = captured
    result = analyze([str(p) for p in files], tmp_path / "a.duckdb", None, NullProgress())
    assert [(r.format, r.status, r.skipped) for r in result.inputs] == [("nfcapd", "ok", 0)] * len(files)
    assert sum(r.records for r in result.inputs) == len(want) == 60
    with Store(tmp_path / "a.duckdb", read_only=True) as store:
        got = store.query("SELECT * FROM flows").to_pylist()
    _assert_same(got, want)
    assert {r["exporter"] for r in got} == {"127.0.0.1/7"}


@needs_nfdump
def test_stdin_bytes_go_through_a_temporary_file(captured, tmp_path, monkeypatch):
    import io
    import sys

    files, want = captured
    data = b"".join(p.read_bytes() for p in files[:1])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    result = analyze(["-"], tmp_path / "s.duckdb", None, NullProgress())
    [r] = result.inputs
    assert (r.format, r.status) == ("nfcapd", "ok") and r.records > 0


@needs_nfdump
def test_sampling_applied_by_nfcapd_is_kept(tmp_path):
    """nfcapd multiplies counts by the rate it applies (here its -s default: nfcapd 1.7.1 does
    not take the rate from this exporter's v9 options record) and marks the records sampled;
    the rate comes from `nfdump -E`."""
    datagrams = _datagrams(20, rate=10)
    files = _capture(tmp_path / "flows", datagrams, "-s", "10")
    got = [r for p in files for r in nfcapd.read(p, "x").flows.to_pylist()]
    _assert_same(got, _reference(datagrams))  # the v9 decoder applies the announced 1-in-10
    assert {r["sampling_rate"] for r in got} == {10}


@needs_nfdump
def test_truncated_or_corrupt_files_give_one_line_or_partial(captured, tmp_path):
    data = captured[0][0].read_bytes()
    (tmp_path / "head").write_bytes(data[:200])  # header only: nothing readable
    (tmp_path / "tail").write_bytes(data[:-100])  # the records, without the appendix block
    broken = bytearray(data)
    broken[300:700] = b"\xff" * 400
    (tmp_path / "broken").write_bytes(bytes(broken))
    paths = [str(tmp_path / n) for n in ("head", "tail", "broken")]
    result = analyze(paths, tmp_path / "b.duckdb", None, NullProgress())
    head, tail, broken_result = result.inputs
    assert head.status == "failed" and head.message.startswith("nfdump: ")
    assert tail.status == "partial" and tail.records > 0
    assert broken_result.status in ("failed", "partial")
    for r in result.inputs:
        assert "\n" not in r.line() and "Traceback" not in r.line()


@needs_nfdump
def test_watch_reads_rotated_files_not_the_one_being_written(captured, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    data = captured[0][0].read_bytes()
    (inbox / "nfcapd.202401010000").write_bytes(data)
    (inbox / "nfcapd.current.4242").write_bytes(data[:-100])
    watcher = DirectoryWatch(WatchConfig(inbox, tmp_path / "w.duckdb", interval=0))
    watcher.start()
    try:
        assert watcher.poll() == []
        assert [(Path(r.path).name, r.format, r.status) for r in watcher.poll()] == [
            ("nfcapd.202401010000", "nfcapd", "ok")]
        assert watcher.poll() == []
    finally:
        watcher.stop()


# --- without nfdump, or with a stand-in for it ----------------------------------------------------

NFCAPD_HEAD = (0xA50C).to_bytes(2, "little") + (2).to_bytes(2, "little") + bytes(200)


def test_missing_nfdump_is_one_clear_line(tmp_path, monkeypatch):
    (tmp_path / "nfcapd.202401010000").write_bytes(NFCAPD_HEAD)
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = analyze([str(tmp_path / "nfcapd.202401010000")], tmp_path / "m.duckdb", None,
                     NullProgress())
    [r] = result.inputs
    assert r.status == "failed"
    assert r.line() == f"{tmp_path / 'nfcapd.202401010000'}: cannot read: {nfcapd.MISSING}"
    assert "make nfdump" in r.line()


def test_layouts_sniffed():
    assert nfcapd.sniff(NFCAPD_HEAD)
    assert nfcapd.sniff((0xA50C).to_bytes(2, "little") + b"\x01\x00")  # nfdump 1.6
    assert not nfcapd.sniff((0xA50C).to_bytes(2, "big") + b"\x00\x02")
    assert not nfcapd.sniff((0xA50C).to_bytes(2, "little") + b"\x03\x00")


FAKE_OUTPUT = """\
{
\t"type" : "FLOW",
\t"sampled" : 0,
\t"export_sysid" : 1,
\t"first" : "2024-01-01T00:00:01.250",
\t"last" : "2024-01-01T00:00:09.999",
\t"in_packets" : 12,
\t"in_bytes" : 1500,
\t"proto" : 6,
\t"tcp_flags" : "...AP.SF",
\t"src_port" : 50000,
\t"dst_port" : 3333,
\t"src4_addr" : "10.0.0.5",
\t"dst4_addr" : "198.51.100.7",
\t"ip4_router" : "192.0.2.1"
},
{
\t"type" : "FLOW",
\t"first" : "garbled
},
{ "type" : "FLOW", "sampled" : 1, "export_sysid" : 2, "first" : "2024-01-01T00:00:02.000", "last" : "2024-01-01T00:00:03.000", "in_packets" : 5, "in_bytes" : 500, "out_packets" : 4, "out_bytes" : 300, "proto" : 6, "tcp_flags" : "C.....S.", "src_port" : 1, "dst_port" : 2, "src6_addr" : "2001:db8::1", "dst6_addr" : "2001:db8::2", "ip6_router" : "2001:db8::ff" },
{
\t"type" : "FLOW",
\t"in_packets" : 1
}
"""
FAKE_EXPORTERS = """\
Exporters:

SysID: 1, IP:        192.0.2.1, version: 9, ID:  7, Sequence failures: 0, packets: 3, flows: 1
SysID: 2, IP:     2001:db8::ff, version: 10, ID:  70000, Sequence failures: 0, packets: 3, flows: 1
    Sampler: Static default Sampler: algorithm: 0, packet interval: 1, packet space: 99
"""


def _fake_nfdump(bin_dir: Path, stderr: str = "") -> None:
    bin_dir.mkdir()
    (bin_dir / "out.json").write_text(FAKE_OUTPUT)
    (bin_dir / "exporters.txt").write_text(FAKE_EXPORTERS)
    script = bin_dir / "nfdump"
    script.write_text(f"""#!/bin/sh
if [ "$1" = "-E" ]; then cat '{bin_dir}/exporters.txt'; exit 0; fi
[ "$TZ" = "UTC" ] || {{ echo "TZ not UTC" >&2; exit 3; }}
cat '{bin_dir}/out.json'
printf '%s' '{stderr}' >&2
""")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def test_records_malformed_objects_and_nfdump_errors(tmp_path, monkeypatch):
    _fake_nfdump(tmp_path / "bin", stderr="Unknown extension 65535\nmore\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    got = nfcapd.read(tmp_path / "whatever", "sha")
    assert (got.records, got.skipped) == (2, 2)
    assert got.error == "Unknown extension 65535"
    rows = got.flows.to_pylist()
    assert rows[0] == {"ts_start": 1704067201.25, "ts_end": 1704067209.999, "src_ip": "10.0.0.5",
                       "src_port": 50000, "dst_ip": "198.51.100.7", "dst_port": 3333, "proto": 6,
                       "packets": 12, "bytes": 1500, "tcp_flags": 0x1B, "psh_packets": None,
                       "bytes_sq": None, "gap_sq": None, "gap_max": None, "tls_packets": None,
                       "sampling_rate": 1,
                       "exporter": "192.0.2.1/7", "source": "nfcapd", "input_id": "sha"}
    forward, reverse = rows[1:]
    assert (forward["src_ip"], forward["packets"], forward["sampling_rate"]) == ("2001:db8::1", 5, 100)
    assert forward["tcp_flags"] == 0x82 and forward["exporter"] == "2001:db8::ff/70000"
    assert (reverse["src_ip"], reverse["src_port"], reverse["dst_port"], reverse["bytes"]) == (
        "2001:db8::2", 2, 1, 300)


def test_nfdump_error_before_any_record_is_an_input_error(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "nfdump"
    script.write_text("#!/bin/sh\necho 'Open file x: appendix offset error' >&2\n"
                      "echo 'GetNextFile() error in nfdump.c line 295' >&2\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(InputError, match=r"^nfdump: Open file x: appendix offset error$"):
        nfcapd.read(tmp_path / "x", "sha")


def test_tcp_flag_forms():
    assert nfcapd.tcp_flags("........") == 0
    assert nfcapd.tcp_flags("...AP.SF") == 0x1B
    assert nfcapd.tcp_flags("CEUAPRSF") == 0xFF
    assert nfcapd.tcp_flags("0x12") == 0x12
    assert nfcapd.tcp_flags(24) == 24
