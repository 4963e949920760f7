"""The frame sources of the compiled path frame a capture exactly as PcapReader does: the same
packets (timestamp, bytes, wire length, link type), and the same verdict on damage (truncated,
skipped blocks, the error that stops it), on pcap and on pcapng of every block kind and byte
order, whole, cut and mutated."""

from __future__ import annotations

import io
import os
import struct
import sys
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.decode.pcap import OPB_TYPE, PcapngWriter, PcapReader, PcapWriter
from minewatch.ingest import frames, process


def framed(data: bytes, chunk: int = frames.READ, f=None) -> tuple[list, bool, int, str | None]:
    """What the frame source reads of data, `chunk` bytes at a time (f: the stream to read it
    from, data[4:] in memory by default)."""
    src = (frames.ClassicFrames if data[:4] != b"\x0a\x0d\x0d\x0a" else frames.PcapngFrames)(
        f or io.BytesIO(data[4:]), data[:4], lambda n: None, chunk)
    got = []
    for buf, rows, n in src:
        got += [(float(r["ts"]), buf[r["off"]:r["off"] + r["caplen"]].tobytes(),
                 int(r["wirelen"]), int(r["linktype"])) for r in rows[:n]]
    return got, src.truncated, src.skipped, src.error


def reference(data: bytes) -> tuple[list, bool, int, str | None]:
    reader = PcapReader(io.BytesIO(data))
    got = [(p.ts, p.data, p.wirelen, p.linktype) for p in reader]
    return got, reader.truncated, reader.skipped, reader.error


def sample_pcapng(order: str) -> bytes:
    """Two sections' worth of every packet block kind; clocks of 1e-6, 1e-9, 2^-20 s and one
    of 2^-60 s, too fine for floats, which the Python reader keeps (small times: 64-bit ticks)."""
    out = io.BytesIO()
    for resol, t0 in (((6, 9), 1_600_000_000), ((0x80 | 20, 0x80 | 60), 7)):
        w = PcapngWriter(out, order)
        a = w.add_interface(1, snaplen=0, tsresol=resol[0], tsoffset=5)
        b = w.add_interface(101, snaplen=64, tsresol=resol[1])
        w.write(t0 + 0.25, b"\x01" * 60, a)
        w.write(t0 + 1.5, b"\x45" + bytes(70), b, wirelen=90)
        w.write_simple(b"\x02" * 30)
        ticks = (t0 + 2) * 10**6
        w.block(OPB_TYPE, struct.pack(order + "HHIIII", a, 0, ticks >> 32, ticks & 0xFFFFFFFF,
                                      4, 4) + b"abcd")
        w.block(0x80000001, b"custom block")
    return out.getvalue()


def test_pcapng_of_every_block_kind_and_order():
    for order in "<>":
        data = sample_pcapng(order)
        assert framed(data) == reference(data)
        assert len(reference(data)[0]) == 8


CHUNKS = st.sampled_from([frames.READ, 4096, 64, 13])  # blocks cut records anywhere


@settings(max_examples=300, deadline=None)
@given(st.sampled_from("<>"), st.lists(st.tuples(st.integers(0, 700), st.integers(0, 255)),
                                       max_size=3), st.integers(0, 700), CHUNKS)
def test_mutated_and_cut_pcapng_is_framed_as_pcap_reader_does(order, flips, cut, chunk):
    data = bytearray(sample_pcapng(order))
    for pos, value in flips:
        if 4 <= pos < len(data):  # the magic stays, so both readers take it as pcapng
            data[pos] = value
    data = bytes(data[:len(data) - min(cut, len(data) - 4)])
    assert framed(data, chunk) == reference(data)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 2e9), st.binary(max_size=80)), max_size=12),
       st.booleans(), st.integers(0, 100), CHUNKS)
def test_cut_pcap_is_framed_as_pcap_reader_does(records, nanosecond, cut, chunk):
    out = io.BytesIO()
    w = PcapWriter(out, nanosecond=nanosecond)
    for ts, payload in records:
        w.write(ts, payload)
    data = out.getvalue()
    data = data[:max(len(data) - cut, 24)]
    assert framed(data, chunk) == reference(data)


def many_packets(n: int = 3000, size: int = 700) -> bytes:
    out = io.BytesIO()
    w = PcapWriter(out)
    for k in range(n):
        w.write(1e9 + k, bytes([k % 251]) * (size + k % 97))
    return out.getvalue()


def test_records_longer_than_the_block_and_its_reserve(monkeypatch):
    """A record that no block holds, nor the room in front of the next, is joined by copying."""
    monkeypatch.setattr(frames, "RESERVE", 100)
    data = many_packets(50, 1500)
    assert framed(data, 512) == reference(data)
    assert len(framed(data, 512)[0]) == 50


def test_a_pipe_is_read_as_a_file_is(tmp_path):
    data = many_packets()
    path = tmp_path / "c.pcap"
    path.write_bytes(data[4:])
    with open(path, "rb") as f:
        assert framed(data, 4096, f) == reference(data)
    r, w = os.pipe()
    writer = threading.Thread(target=lambda: (os.write(w, data[4:]), os.close(w)))
    writer.start()
    with os.fdopen(r, "rb") as f:
        assert framed(data, 4096, f) == reference(data)
    writer.join()


def test_readers_shorten_the_switch_interval_and_give_the_callers_back():
    """A reader waits for the GIL between its reads; the interval is short while one runs
    (overlapping ones too) and the caller's own once the last one is done."""
    before = sys.getswitchinterval()
    data = many_packets()

    def source():
        return iter(frames.ClassicFrames(io.BytesIO(data[4:]), data[:4], lambda n: None, 4096))

    a, b = source(), source()
    next(a), next(b)
    assert sys.getswitchinterval() == pytest.approx(min(before, process.SWITCH_S))
    for _ in a:
        pass
    assert sys.getswitchinterval() == pytest.approx(min(before, process.SWITCH_S))  # b still reads
    for _ in b:
        pass
    assert sys.getswitchinterval() == before


class _Failing(io.BytesIO):
    def readinto(self, view) -> int:
        if self.tell() > 5000:
            raise OSError("device gone")
        return super().readinto(view[:1000])


def test_a_read_error_reaches_the_caller_and_leaving_early_stops_the_reader():
    data = many_packets()
    src = frames.ClassicFrames(_Failing(data[4:]), data[:4], lambda n: None, 2048)
    with pytest.raises(OSError, match="device gone"):
        for _ in src:
            pass
    before = threading.active_count()
    src = frames.ClassicFrames(io.BytesIO(data[4:]), data[:4], lambda n: None, 1024)
    for _ in src:
        break
    del src  # the generator closes: its reader ends
    assert threading.active_count() <= before
