"""The compiled frame parser and pcap walker agree with decode_frame and PcapReader, field for
field: on every frame of the real captures, on encoded frames of every shape, and on random and
mutated bytes (where "agree" includes failing on the same frames)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.decode import framescan as fs
from minewatch.decode.packet import (TUNNELS, decode_frame, encapsulate, encode_ip, encode_tcp,
                                     encode_udp, nflog_frame)
from minewatch.decode.pcap import PcapReader, PcapWriter, pcap_layout
from minewatch.errors import DecodeError
from minewatch.flows.meter import opens_tls_record
from minewatch.ingest.capture import AddressText

PCAPS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "pcaps"
LINKTYPES = [0, 1, 9, 12, 14, 50, 101, 104, 108, 113, 204, 205, 228, 229, 239, 276, 147]


def parse(frames: list[tuple[int, bytes]]) -> tuple[np.ndarray, np.ndarray]:
    """(buffer, rows) of frames (linktype, bytes) parsed by the compiled parser."""
    buf = np.frombuffer(b"".join(f for _, f in frames) or b"\0", np.uint8)
    rows = np.zeros(len(frames), fs.PACKET)
    lens = np.array([len(f) for _, f in frames], np.int64)
    rows["off"] = np.cumsum(lens) - lens
    rows["caplen"], rows["linktype"] = lens, [lt for lt, _ in frames]
    rows["ts"] = np.arange(len(frames)) + 0.5
    fs.parse_frames(buf, rows, 0, len(frames))
    return buf, rows


def assert_agrees(linktype: int, frame: bytes) -> None:
    buf, rows = parse([(linktype, frame)])
    row = rows[0]
    try:
        seg = decode_frame(linktype, frame, 0.5)
    except DecodeError:
        assert row["status"] == fs.ERROR
        return
    if seg is None:
        assert row["status"] == fs.NON_IP
        return
    assert row["status"] == (fs.FRAGMENT if seg.fragment else fs.OK)
    text = AddressText().text
    got = (text(int(row["ver"]), int(row["src_hi"]), int(row["src_lo"])),
           text(int(row["ver"]), int(row["dst_hi"]), int(row["dst_lo"])), int(row["proto"]),
           int(row["sport"]), int(row["dport"]), int(row["flags"]), int(row["seq"]),
           int(row["ack"]), buf[row["pl_off"]:row["pl_off"] + row["pl_len"]].tobytes(),
           int(row["ip_len"]))
    assert got == (seg.src, seg.dst, seg.proto, seg.sport, seg.dport, seg.flags, seg.seq,
                   seg.ack, seg.payload, seg.ip_len)
    assert bool(row["tls"]) == opens_tls_record(seg.payload)


# -- frames of every shape, and their damaged versions

addresses = st.sampled_from([("10.1.2.3", "192.0.2.200"), ("203.0.113.9", "10.0.0.1"),
                             ("2001:db8::1", "2001:db8:0:1::beef"), ("::1", "fe80::2")])
ports = st.integers(0, 65535)


@st.composite
def frames(draw) -> bytes:
    """A frame of every shape, a third of them inside one or two tunnels."""
    frame = draw(bare_frames())
    for tunnel in draw(st.lists(st.sampled_from(TUNNELS), max_size=2)):
        frame = encapsulate(frame, tunnel, draw(addresses.filter(lambda a: "." in a[0])))
    return frame


@st.composite
def bare_frames(draw) -> bytes:
    (src, dst), kind = draw(addresses), draw(st.sampled_from(["tcp", "udp", "ip"]))
    payload = draw(st.binary(max_size=64))
    if kind == "tcp":
        return encode_tcp(src, dst, draw(ports), draw(ports), draw(st.integers(0, 2**32 - 1)),
                          draw(st.integers(0, 2**32 - 1)), draw(st.integers(0, 255)), payload)
    if kind == "udp":
        return encode_udp(src, dst, draw(ports), draw(ports), payload)
    return encode_ip(src, dst, draw(st.sampled_from([1, 47, 50, 58])), payload)


@settings(max_examples=300, deadline=None)
@given(frames())
def test_encoded_frames_agree(frame):
    assert_agrees(1, frame)
    assert_agrees(101, frame[14:])  # raw IP
    assert_agrees(113, frame[12:14].rjust(16, b"\0")[:14] + frame[12:])  # Linux cooked


@settings(max_examples=500, deadline=None)
@given(frames(), st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), max_size=4),
       st.integers(0, 200))
def test_mutated_and_cut_frames_agree(frame, flips, cut):
    data = bytearray(frame)
    for pos, value in flips:
        if pos < len(data):
            data[pos] = value
    assert_agrees(1, bytes(data[:len(data) - min(cut, len(data))]))


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(LINKTYPES), st.binary(max_size=120))
def test_random_bytes_agree(linktype, data):
    assert_agrees(linktype, data)


@pytest.mark.parametrize("frame", [
    b"\xff" * 12 + b"\x81\x00\x00\x05\x08\x00" + encode_tcp("10.0.0.1", "10.0.0.2", 1, 2, 3, 4, 0x18, b"x")[14:],
    b"\xff" * 12 + b"\x88\xa8\x00\x05\x81\x00\x00\x06\x86\xdd"
    + encode_udp("2001:db8::1", "2001:db8::2", 53, 5353, b"abc")[14:],
    b"\xff" * 12 + b"\x88\x64\x11\x00\x00\x01\x00\x20\x00\x21"
    + encode_tcp("10.0.0.1", "10.0.0.2", 1, 2, 3, 4, 0x02, b"")[14:],
    b"\xff" * 12 + b"\x08\x06" + b"\0" * 28,  # ARP: not IP
])
def test_vlan_qinq_pppoe_and_arp(frame):
    assert_agrees(1, frame)


@pytest.mark.parametrize("payload, opens", [
    (b"\x16\x03\x01\x00\xc8\x01", True), (b"\x17\x03\x03\x00\x10", True),  # hello, data
    (b"\x14\x03\x04\x00\x01", True), (b"\x15\x03\x00\x00\x02", True),  # CCS, alert
    (b"\x16\x03\x01\x00", False), (b"\x16\x03\x05\x00\x05", False),  # short; minor 5
    (b"\x18\x03\x03\x00\x05", False), (b"\x16\x02\x00\x00\x05", False), (b"", False),
])
@pytest.mark.parametrize("tunnel", [None, *TUNNELS])
def test_tls_record_flag(payload, opens, tunnel):
    """The walker's `tls` flag (what the flow meter counts) on the payload of a TCP or UDP
    frame, bare or inside a tunnel (the inner payload's)."""
    for frame in (encode_tcp("10.0.0.1", "10.0.0.2", 40000, 443, 5, 6, 0x18, payload),
                  encode_udp("10.0.0.1", "10.0.0.2", 40000, 443, payload)):
        if tunnel is not None:
            frame = encapsulate(frame, tunnel, ("192.0.2.1", "192.0.2.2"))
        _, rows = parse([(1, frame)])
        assert rows[0]["status"] == fs.OK and bool(rows[0]["tls"]) is opens
        assert_agrees(1, frame)


@pytest.mark.parametrize("tunnel", TUNNELS)
def test_tunnels_agree_whole_cut_and_nested(tunnel):
    tcp4 = encode_tcp("10.0.0.1", "10.0.0.2", 40000, 3333, 5, 6, 0x18, b'{"id":1}\n')
    udp6 = encode_udp("2001:db8::1", "2001:db8::2", 1, 53, b"q")
    for inner, frame in ((tcp4, encapsulate(tcp4, tunnel)), (udp6, encapsulate(udp6, tunnel)),
                         (tcp4, encapsulate(encapsulate(tcp4, tunnel), "vxlan"))):
        assert decode_frame(1, frame, 0.5) == decode_frame(1, inner, 0.5)
        assert_agrees(1, frame)
        for cut in range(len(frame)):  # cut anywhere: both fall back to the same outer packet
            assert_agrees(1, frame[:cut])


def test_nflog_whole_cut_and_in_either_byte_order():
    tcp4 = encode_tcp("10.0.0.1", "10.0.0.2", 40000, 3333, 5, 6, 0x18, b'{"id":1}\n')[14:]
    udp6 = encode_udp("2001:db8::1", "2001:db8::2", 1, 53, b"q")[14:]
    for ip, family in ((tcp4, 2), (udp6, 10), (tcp4, 7)):
        for big in (False, True):
            frame = nflog_frame(ip, family, big)
            for cut in range(len(frame) + 1):
                assert_agrees(239, frame[:cut])


def test_null_and_loop_families():
    ip = encode_tcp("10.0.0.1", "10.0.0.2", 1, 2, 3, 4, 0x10, b"data")[14:]
    for linktype, head in [(0, b"\x02\0\0\0"), (0, b"\0\0\0\x02"), (108, b"\0\0\0\x02"),
                           (0, b"\x1e\0\0\0"), (0, b"\x07\0\0\0")]:
        assert_agrees(linktype, head + ip)


def test_serial_links_agree():
    """PPP and Cisco HDLC, whole and cut at every byte (test_packet.SERIAL_FRAMES)."""
    ip = encode_tcp("10.0.0.1", "10.0.0.2", 1, 2, 3, 4, 0x10, b"data")[14:]
    for linktype, head in [(9, b"\xff\x03\x00\x21"), (9, b"\x21"), (9, b"\xc0\x21"),
                           (50, b"\x0f\x00\x08\x00"), (50, b"\xff\x03\x00\x21"),
                           (104, b"\x0f\x00\x88\x47\x00\x01\x01\x40"),
                           (204, b"\x01\x00\x21"), (205, b"\x01\x8f\x00\x08\x00")]:
        frame = head + ip
        for cut in range(len(frame) + 1):
            assert_agrees(linktype, frame[:cut])


def test_real_captures_agree():
    found = sorted(PCAPS.glob("*.pcap*")) if PCAPS.is_dir() else []
    if not found:
        pytest.skip("../shared/data/pcaps not present")
    for path in found:
        with path.open("rb") as f:
            for raw in PcapReader(f):
                assert_agrees(raw.linktype, raw.data)


# -- the pcap walker

def walk(data: bytes, capacity: int = 1000) -> tuple[list, int, int]:
    layout = pcap_layout(data[:24])
    buf = np.frombuffer(data, np.uint8)
    rows = np.zeros(capacity, fs.PACKET)
    n, pos, why = fs.walk_pcap(buf, 24, len(data), layout, rows, 0)
    got = [(float(r["ts"]), buf[r["off"]:r["off"] + r["caplen"]].tobytes(), int(r["wirelen"]),
            int(r["linktype"])) for r in rows[:n]]
    return got, pos, why


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 2e9), st.binary(max_size=80)), max_size=20),
       st.booleans())
def test_walk_equals_pcap_reader(records, nanosecond):
    out = io.BytesIO()
    w = PcapWriter(out, linktype=101, nanosecond=nanosecond)
    for ts, data in records:
        w.write(ts, data, len(data) + 7)
    data = out.getvalue()
    got, pos, why = walk(data)
    expected = [(p.ts, p.data, p.wirelen, p.linktype) for p in PcapReader(io.BytesIO(data))]
    assert got == expected and pos == len(data) and why == fs.NEED_MORE


def test_walk_stops_at_a_cut_record_a_full_batch_and_an_absurd_length():
    out = io.BytesIO()
    w = PcapWriter(out)
    for k in range(5):
        w.write(k, bytes(40))
    data = out.getvalue()
    got, pos, why = walk(data[:-3])
    assert len(got) == 4 and why == fs.NEED_MORE and pos == len(data) - 56
    got, pos, why = walk(data, capacity=2)
    assert len(got) == 2 and why == fs.FULL and pos == 24 + 2 * 56
    bad = bytearray(data)
    bad[24 + 56 + 8:24 + 56 + 12] = (fs.MAX_RECORD + 1).to_bytes(4, "little")
    got, pos, why = walk(bytes(bad))
    assert len(got) == 1 and why == fs.BAD_LENGTH and pos == 24 + 56
