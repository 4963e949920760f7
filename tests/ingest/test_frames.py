"""The frame sources of the compiled path frame a capture exactly as PcapReader does: the same
packets (timestamp, bytes, wire length, link type), and the same verdict on damage (truncated,
skipped blocks, the error that stops it), on pcap and on pcapng of every block kind and byte
order, whole, cut and mutated."""

from __future__ import annotations

import io
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.decode.pcap import OPB_TYPE, PcapngWriter, PcapReader, PcapWriter
from minewatch.ingest import frames


def framed(data: bytes) -> tuple[list, bool, int, str | None]:
    src = (frames.ClassicFrames if data[:4] != b"\x0a\x0d\x0d\x0a" else frames.PcapngFrames)(
        io.BytesIO(data[4:]), data[:4], lambda n: None)
    got = []
    for buf, n in src:
        got += [(float(r["ts"]), buf[r["off"]:r["off"] + r["caplen"]].tobytes(),
                 int(r["wirelen"]), int(r["linktype"])) for r in src.rows[:n]]
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


@settings(max_examples=300, deadline=None)
@given(st.sampled_from("<>"), st.lists(st.tuples(st.integers(0, 700), st.integers(0, 255)),
                                       max_size=3), st.integers(0, 700))
def test_mutated_and_cut_pcapng_is_framed_as_pcap_reader_does(order, flips, cut):
    data = bytearray(sample_pcapng(order))
    for pos, value in flips:
        if 4 <= pos < len(data):  # the magic stays, so both readers take it as pcapng
            data[pos] = value
    data = bytes(data[:len(data) - min(cut, len(data) - 4)])
    assert framed(data) == reference(data)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 2e9), st.binary(max_size=80)), max_size=12),
       st.booleans(), st.integers(0, 100))
def test_cut_pcap_is_framed_as_pcap_reader_does(records, nanosecond, cut):
    out = io.BytesIO()
    w = PcapWriter(out, nanosecond=nanosecond)
    for ts, payload in records:
        w.write(ts, payload)
    data = out.getvalue()
    data = data[:max(len(data) - cut, 24)]
    assert framed(data) == reference(data)
