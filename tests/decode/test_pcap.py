"""pcap / pcapng framing: round trips, damage, streaming, and facts about the real captures."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minewatch.decode.pcap import (
    EPB, EPB_TYPE, OPB, OPB_TYPE, PCAP_HEADER, PCAP_RECORD, PcapngWriter, PcapReader, PcapWriter,
    RawPacket, field_struct, sniff,
)
from minewatch.errors import DecodeError

PCAPS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "pcaps"

# name: (format, packets, first ts, last ts, sum of captured lengths)
# Checked with Wireshark 4.x: `capinfos -c -F <file>` for format and count, and
# `tshark -r <file> -T fields -e frame.time_epoch -e frame.cap_len` (first, last, sum).
# not-mining-ssh.pcap is pcapng despite its name; capinfos says so too.
GOLDEN = {
    "btc-stratum-bitminter.pcap": ("pcap", 188, 1533305980.158471, 1533306236.593560, 31203),
    "cgminer-pool-scan.pcapng": ("pcapng", 8616, 1526710943.795333, 1526710984.256439, 847528),
    "ethproxy-dwarfpool.pcapng": ("pcapng", 88, 1474529402.803555, 1474530091.389779, 12363),
    "ltc-stratum-pool-side-mini.pcapng": ("pcapng", 69, 1401276008.643193, 1401276015.911173,
                                          54607),
    "not-mining-bitcoin-p2p.pcap": ("pcap", 529, 1301327937.725033, 1301329810.839993, 426544),
    "not-mining-ssh.pcap": ("pcapng", 295, 1320435464.760244, 1720684524.712342, 44977),
    "not-mining-tls.pcap": ("pcap", 28, 1434443394.683939, 1434443401.353810, 9108),
}


def read_all(data: bytes, **kw) -> tuple[PcapReader, list[RawPacket]]:
    reader = PcapReader(io.BytesIO(data), **kw)
    return reader, list(reader)


def classic(packets, nanosecond=False, linktype=1) -> bytes:
    out = io.BytesIO()
    writer = PcapWriter(out, linktype=linktype, nanosecond=nanosecond)
    for ts, data in packets:
        writer.write(ts, data)
    return out.getvalue()


class Trickle(io.RawIOBase):
    """A pipe-like stream: short reads, no seeking."""

    def __init__(self, data: bytes, step: int = 7):
        self._data, self._pos, self._step = data, 0, step

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        chunk = self._data[self._pos:self._pos + min(n, self._step)]
        self._pos += len(chunk)
        return chunk


# -- real captures

@pytest.mark.skipif(not PCAPS.is_dir(), reason="../shared/data/pcaps not present")
@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_real_capture_golden(name):
    fmt, count, first, last, caplen = GOLDEN[name]
    with open(PCAPS / name, "rb") as f:
        reader = PcapReader(f)
        packets = list(reader)
    assert reader.format == fmt
    assert (reader.packets, len(packets)) == (count, count)
    assert (reader.truncated, reader.skipped, reader.error) == (False, 0, None)
    assert packets[0].ts == pytest.approx(first, abs=1e-6)
    assert packets[-1].ts == pytest.approx(last, abs=1e-6)
    assert sum(len(p.data) for p in packets) == caplen
    assert {p.linktype for p in packets} == {1}  # all Ethernet (capinfos: "ether")


@pytest.mark.skipif(not PCAPS.is_dir(), reason="../shared/data/pcaps not present")
@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_real_capture_cut_anywhere_never_raises(name):
    data = (PCAPS / name).read_bytes()[:40000]
    full = len(read_all(data)[1])
    for cut in range(40, len(data), 997):
        reader, packets = read_all(data[:cut])
        assert len(packets) <= full and reader.error is None


# -- classic pcap

def test_sniff():
    assert sniff(classic([])) == "pcap"
    assert sniff(classic([], nanosecond=True)[:4]) == "pcap"
    assert sniff(bytes.fromhex("a1b2c3d4")) == "pcap"  # big-endian
    ng = io.BytesIO()
    PcapngWriter(ng)
    assert sniff(ng.getvalue()) == "pcapng"
    assert sniff(b"\x0a\x0d\x0d\x0a\0\0\0\0XXXX") is None  # SHB type, bad byte-order magic
    assert sniff(b"GET / HTTP/1.1") is None
    assert sniff(b"") is None


packet_lists = st.lists(
    st.tuples(st.floats(0, 2**32 - 2, allow_nan=False), st.binary(max_size=300)), max_size=20)


@given(packet_lists, st.booleans())
def test_classic_round_trip(packets, nanosecond):
    reader, got = read_all(classic(packets, nanosecond))
    assert [p.data for p in got] == [d for _, d in packets]
    assert [p.wirelen for p in got] == [len(d) for _, d in packets]
    tolerance = (0.5e-9 if nanosecond else 0.5e-6) + 1e-6  # float carries ~0.5 us at 2**32 s
    assert all(abs(p.ts - ts) <= tolerance for p, (ts, _) in zip(got, packets, strict=True))
    assert (reader.packets, reader.truncated, reader.linktype) == (len(packets), False, 1)


@pytest.mark.parametrize("order", "<>")
@pytest.mark.parametrize("magic,units", [(0xA1B2C3D4, 10**6), (0xA1B23C4D, 10**9)])
def test_classic_both_byte_orders(order, magic, units):
    header = field_struct(PCAP_HEADER, order).pack(magic, 2, 4, 0, 0, 65535, 113)
    record = field_struct(PCAP_RECORD, order).pack(1700000000, units // 4, 3, 1500)
    _, (packet,) = read_all(header + record + b"abc")
    assert packet == RawPacket(1700000000.25, 113, b"abc", 1500)


def test_classic_linktype_fcs_bits_masked():
    header = field_struct(PCAP_HEADER).pack(0xA1B2C3D4, 2, 4, 0, 0, 65535, (1 << 28) | 1)
    assert PcapReader(io.BytesIO(header)).linktype == 1


def test_writer_rounding_carries_into_next_second():
    _, (packet,) = read_all(classic([(1.9999999, b"x")]))
    assert packet.ts == 2.0


def test_writer_wirelen():
    out = io.BytesIO()
    PcapWriter(out).write(5.0, b"abc", wirelen=1514)
    assert read_all(out.getvalue())[1] == [RawPacket(5.0, 1, b"abc", 1514)]


def test_truncated_last_record_stops_quietly():
    data = classic([(1.0, b"a" * 100), (2.0, b"b" * 100)])
    reader, packets = read_all(data[:-10])
    assert len(packets) == 1 and reader.truncated and reader.skipped == 0
    reader, packets = read_all(data[:-110])  # cut inside the second record's header
    assert len(packets) == 1 and reader.truncated


def test_absurd_record_length_ends_with_error():
    data = classic([(1.0, b"abc")])
    bad = data + field_struct(PCAP_RECORD).pack(2, 0, 0xFFFFFFF0, 60) + b"x" * 64
    reader, packets = read_all(bad)
    assert len(packets) == 1 and reader.error and reader.skipped == 1 and not reader.truncated


def test_header_errors_are_decode_errors():
    with pytest.raises(DecodeError):
        PcapReader(io.BytesIO(b""))
    with pytest.raises(DecodeError):
        PcapReader(io.BytesIO(b"\xd4\xc3\xb2\xa1\x02\x00"))  # cut inside the header
    with pytest.raises(DecodeError):
        PcapReader(io.BytesIO(b"not a capture at all"))


def test_streams_from_a_pipe_without_seeking():
    data = classic([(float(i), bytes([i]) * i) for i in range(50)])
    reader = PcapReader(Trickle(data), chunk_size=16)
    assert [p.data for p in reader] == [bytes([i]) * i for i in range(50)]


def test_memory_is_bounded_by_chunk_and_record():
    chunk, record = 1 << 16, b"z" * 1000
    data = classic([(float(i), record) for i in range(5000)])  # 5 MB
    reader, most = PcapReader(io.BytesIO(data), chunk_size=chunk), 0
    for _ in reader:
        most = max(most, len(reader._buf))
    assert reader.packets == 5000 and most <= chunk + 16 + len(record)


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_decode_error(data):
    try:
        reader = PcapReader(io.BytesIO(data))
    except DecodeError:
        return
    list(reader)


@settings(max_examples=300)
@given(st.sampled_from(["pcap", "pcap-ns", "pcapng-le", "pcapng-be"]), st.binary(max_size=300))
def test_random_body_after_good_magic_never_raises(kind, tail):
    reader, _ = read_all(_header(kind) + tail)
    assert reader.packets >= 0


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_files_never_raise_while_iterating(data):
    original = bytearray(_sample_pcapng("<"))
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(original) - 1))
        original[at] = data.draw(st.integers(0, 255))
    try:
        reader = PcapReader(io.BytesIO(bytes(original)))
    except DecodeError:
        return
    list(reader)


def _header(kind: str) -> bytes:
    if kind.startswith("pcapng"):
        out = io.BytesIO()
        PcapngWriter(out, "<" if kind.endswith("le") else ">").add_interface()
        return out.getvalue()
    return classic([], nanosecond=kind == "pcap-ns")


# -- pcapng

def _sample_pcapng(order: str) -> bytes:
    out = io.BytesIO()
    w = PcapngWriter(out, order)
    w.add_interface(linktype=1)
    w.add_interface(linktype=113, tsresol=9)
    w.write(1700000000.5, b"eth-frame")
    w.write(1700000001.25, b"sll-frame", interface=1, wirelen=2000)
    w.block(0x0BAD, b"unknown block, skipped")
    w.write_simple(b"simple")
    return out.getvalue()


@pytest.mark.parametrize("order", "<>")
def test_pcapng_interfaces_resolutions_and_block_kinds(order):
    reader, packets = read_all(_sample_pcapng(order))
    assert packets == [
        RawPacket(1700000000.5, 1, b"eth-frame", 9),
        RawPacket(1700000001.25, 113, b"sll-frame", 2000),
        RawPacket(1700000001.25, 1, b"simple", 6),  # SPB: no timestamp, previous one kept
    ]
    assert (reader.format, reader.packets, reader.skipped, reader.truncated) == (
        "pcapng", 3, 0, False)


def test_pcapng_binary_resolution_and_offset():
    out = io.BytesIO()
    w = PcapngWriter(out)
    w.add_interface(linktype=101, tsresol=0x80 | 20, tsoffset=1_600_000_000)
    w.write(1_600_000_123.5, b"raw")
    assert read_all(out.getvalue())[1] == [RawPacket(1_600_000_123.5, 101, b"raw", 3)]


def test_pcapng_obsolete_packet_block():
    out = io.BytesIO()
    w = PcapngWriter(out, ">")
    w.add_interface(linktype=1)
    w.block(OPB_TYPE, field_struct(OPB, ">").pack(0, 0, 0, 3_000_000, 4, 60) + b"opb!")
    assert read_all(out.getvalue())[1] == [RawPacket(3.0, 1, b"opb!", 60)]


def test_pcapng_sections_may_change_byte_order():
    data = _sample_pcapng("<") + _sample_pcapng(">") + _sample_pcapng("<")
    reader, packets = read_all(data)
    assert reader.packets == 9 and [p.data for p in packets[3:6]] == [
        b"eth-frame", b"sll-frame", b"simple"]


def test_pcapng_new_section_forgets_interfaces():
    out = io.BytesIO()
    PcapngWriter(out).add_interface(linktype=1)
    # a second section, without interfaces, whose EPB names interface 0
    PcapngWriter(out).block(EPB_TYPE, field_struct(EPB).pack(0, 0, 1, 6, 6) + b"orphan")
    reader, packets = read_all(out.getvalue())
    assert packets == [] and reader.skipped == 1


def test_pcapng_damaged_blocks_are_skipped_or_stop():
    good = _sample_pcapng("<")
    epb_at, length = next((at, n) for at, kind, n in _blocks(good) if kind == EPB_TYPE)
    # the trailing length disagrees: that block is skipped, the rest still decodes
    bad_trailer = bytearray(good)
    bad_trailer[epb_at + length - 4] ^= 0xFF
    reader, packets = read_all(bytes(bad_trailer))
    assert reader.skipped == 1 and len(packets) == 2
    # the leading length is not a multiple of 4: framing is lost, iteration ends with an error
    bad_length = bytearray(good)
    bad_length[epb_at + 4] += 1
    reader, packets = read_all(bytes(bad_length))
    assert reader.error and packets == []


def _blocks(data: bytes):
    """(offset, type, length) of each little-endian pcapng block."""
    at = 0
    while at < len(data):
        kind, length = struct.unpack_from("<II", data, at)
        yield at, kind, length
        at += length


def test_pcapng_truncated_block():
    data = _sample_pcapng("<")
    reader, packets = read_all(data[:-6])
    assert reader.truncated and len(packets) == 2


@given(st.lists(st.tuples(st.integers(0, 2**40), st.binary(max_size=100),
                          st.sampled_from([6, 9, 0x80 | 16])), max_size=10), st.sampled_from("<>"))
def test_pcapng_round_trip(packets, order):
    out = io.BytesIO()
    w = PcapngWriter(out, order)
    resolutions = [6, 9, 0x80 | 16]
    for res in resolutions:
        w.add_interface(linktype=res, tsresol=res)
    for micros, data, res in packets:
        w.write(micros / 1e6, data, interface=resolutions.index(res))
    _, got = read_all(out.getvalue())
    assert [(p.data, p.linktype) for p in got] == [(d, r) for _, d, r in packets]
    assert all(abs(p.ts - m / 1e6) <= 2e-5 for p, (m, _, _) in zip(got, packets, strict=True))
