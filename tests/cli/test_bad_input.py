"""Bad input gets one clear line and a documented exit status, never a traceback."""

from __future__ import annotations

import gzip
import lzma
import subprocess
import sys

import pytest

from minewatch.decode.packet import encode_tcp
from minewatch.decode.pcap import PcapWriter
from minewatch.ingest import packed


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "minewatch", *args], capture_output=True,
                          input=stdin, timeout=120)


def _pcap(path, n: int = 50) -> None:
    with path.open("wb") as f:
        w = PcapWriter(f)
        for i in range(n):
            w.write(1.6e9 + i, encode_tcp("10.1.1.1", "10.2.2.2", 40000, 3333, i * 10, 0, 0x18,
                                          b'{"id":1,"method":"mining.subscribe","params":[]}\n'))


def _no_traceback(p: subprocess.CompletedProcess) -> str:
    err = p.stderr.decode()
    assert "Traceback" not in err, err
    return err


def test_empty_file_exits_65_with_one_line(tmp_path):
    (tmp_path / "empty.pcap").write_bytes(b"")
    p = run("analyze", str(tmp_path / "empty.pcap"), "--db", str(tmp_path / "db.duckdb"))
    err = _no_traceback(p)
    assert p.returncode == 65
    assert "empty" in (p.stdout.decode() + err)


def test_text_file_exits_65(tmp_path):
    (tmp_path / "notes.txt").write_text("hello, this is not a capture\n" * 20)
    p = run("analyze", str(tmp_path / "notes.txt"), "--db", str(tmp_path / "db.duckdb"))
    _no_traceback(p)
    assert p.returncode == 65
    assert "unrecognised" in p.stdout.decode()


def test_truncated_pcap_is_read_up_to_the_break(tmp_path):
    _pcap(tmp_path / "full.pcap")
    data = (tmp_path / "full.pcap").read_bytes()
    (tmp_path / "cut.pcap").write_bytes(data[: len(data) - 37])
    p = run("analyze", str(tmp_path / "cut.pcap"), "--db", str(tmp_path / "db.duckdb"))
    _no_traceback(p)
    assert p.returncode == 0
    assert "truncated after 49 packets" in p.stdout.decode()


def test_a_capture_cut_by_its_snap_length_says_so(tmp_path):
    """tcpdump -s 96: every record keeps 96 bytes of a longer frame; the line says how many
    packets were cut and where, so nobody takes the missing payloads for missing mining."""
    with (tmp_path / "short.pcap").open("wb") as f:
        w = PcapWriter(f)
        for i in range(5):
            frame = encode_tcp("10.1.1.1", "10.2.2.2", 40000, 3333, 1 + 200 * i, 0, 0x18,
                               b'{"id":1,"method":"mining.subscribe","params":["' + b"x" * 140
                               + b'"]}\n')
            w.write(1.6e9 + i, frame[:96], len(frame))
    p = run("analyze", str(tmp_path / "short.pcap"), "--db", str(tmp_path / "db.duckdb"))
    _no_traceback(p)
    assert p.returncode == 0
    assert "5 packets cut short by the capture's snap length of 96 bytes" in p.stdout.decode()


def test_a_capture_whose_first_record_is_impossible_says_why(tmp_path):
    """A pcap header, then a record claiming 2 GB: no packet, and the line says which record
    broke the framing, not only that there were none."""
    _pcap(tmp_path / "full.pcap", 1)
    head = (tmp_path / "full.pcap").read_bytes()[:24]
    record = bytes(8) + (0x7FFFFFFF).to_bytes(4, "little") + (16).to_bytes(4, "little")
    (tmp_path / "bad.pcap").write_bytes(head + record + bytes(16))
    p = run("analyze", str(tmp_path / "bad.pcap"), "--db", str(tmp_path / "db.duckdb"))
    _no_traceback(p)
    assert p.returncode == 65
    assert "no packets (record length 2147483647 at packet 1)" in p.stdout.decode()


def test_missing_file_and_good_file_together(tmp_path):
    _pcap(tmp_path / "ok.pcap")
    p = run("analyze", str(tmp_path / "nope.pcap"), str(tmp_path / "ok.pcap"), "--db",
            str(tmp_path / "db.duckdb"))
    _no_traceback(p)
    assert p.returncode == 65
    out = p.stdout.decode()
    assert "nope.pcap: cannot read: no such file" in out
    assert "ok.pcap: pcap, 50 records" in out


def test_pcap_on_stdin(tmp_path):
    _pcap(tmp_path / "ok.pcap")
    p = run("analyze", "-", "--db", str(tmp_path / "db.duckdb"),
            stdin=(tmp_path / "ok.pcap").read_bytes())
    _no_traceback(p)
    assert p.returncode == 0


@pytest.mark.parametrize("packing, pack", [("gzip", gzip.compress), ("xz", lzma.compress),
                                           ("zstd", packed.zstd.compress)])
def test_a_compressed_capture_is_read_and_counts_as_the_plain_one(tmp_path, packing, pack):
    _pcap(tmp_path / "ok.pcap")
    plain = (tmp_path / "ok.pcap").read_bytes()
    (tmp_path / "ok.pcap.packed").write_bytes(pack(plain))
    db = str(tmp_path / "db.duckdb")
    p = run("analyze", str(tmp_path / "ok.pcap.packed"), "--db", db)
    _no_traceback(p)
    assert p.returncode == 0 and f"pcap ({packing}), 50 records" in p.stdout.decode()
    p = run("analyze", str(tmp_path / "ok.pcap"), "--db", db)  # what it holds: the same input
    assert p.returncode == 0 and "already ingested" in p.stdout.decode()
    p = run("analyze", "-", "--db", str(tmp_path / "db2.duckdb"), stdin=pack(plain))
    assert p.returncode == 0 and f"pcap ({packing}), 50 records" in p.stdout.decode()


def test_a_compressed_capture_cut_short_is_read_up_to_the_cut(tmp_path):
    _pcap(tmp_path / "full.pcap", 2000)
    blob = gzip.compress((tmp_path / "full.pcap").read_bytes())
    (tmp_path / "cut.pcap.gz").write_bytes(blob[:len(blob) // 2])
    p = run("analyze", str(tmp_path / "cut.pcap.gz"), "--db", str(tmp_path / "db.duckdb"))
    _no_traceback(p)
    out = p.stdout.decode()
    assert p.returncode == 0 and "truncated after" in out and "gzip stream is cut short" in out
    (tmp_path / "junk.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")  # nothing unpacks at all
    p = run("analyze", str(tmp_path / "junk.gz"), "--db", str(tmp_path / "db.duckdb"))
    _no_traceback(p)
    assert p.returncode == 65 and "gzip stream is cut short" in p.stdout.decode()


@pytest.mark.parametrize("args", [["analyze"], ["report", "--format", "pdfx", "--db", "x"],
                                  ["nonsense"]])
def test_usage_errors_exit_2(args):
    p = run(*args)
    _no_traceback(p)
    assert p.returncode == 2


def test_report_on_missing_database_exits_65(tmp_path):
    p = run("report", "--db", str(tmp_path / "none.duckdb"))
    _no_traceback(p)
    assert p.returncode == 65
