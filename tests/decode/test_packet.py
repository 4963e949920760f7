"""Frames to segments: every link type, IP options and extension headers, fragments, damage,
encoder round trips, and facts about the real captures."""

from __future__ import annotations

import contextlib
import ipaddress
import struct
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.decode.packet import (
    ACK, FIN, PSH, RST, SYN, URG, Segment, decode_frame, encode_ip, encode_segment, encode_tcp,
    encode_udp, nflog_frame,
)
from minewatch.decode.pcap import PcapReader
from minewatch.errors import DecodeError

PCAPS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "pcaps"

V4, V6 = ("10.1.2.3", "192.0.2.200"), ("2001:db8::1", "2001:db8:0:1::beef")


def ip_part(frame: bytes) -> bytes:
    """The IP packet inside an Ethernet frame made by the encoders."""
    return frame[14:]


def ipv4_checksum_ok(header: bytes) -> bool:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total == 0xFFFF


# -- encoder round trips

ipv4_text = st.ip_addresses(v=4).map(str)
ipv6_text = st.integers(0, 2**128 - 1).map(lambda n: ipaddress.IPv6Address(n).compressed)
address_pairs = st.one_of(st.tuples(ipv4_text, ipv4_text), st.tuples(ipv6_text, ipv6_text))
ports = st.integers(0, 65535)
u32 = st.integers(0, 2**32 - 1)


@given(address_pairs, ports, ports, u32, u32, st.integers(0, 255), st.binary(max_size=1500),
       st.floats(0, 2e9))
def test_tcp_round_trip(addrs, sport, dport, seq, ack, flags, payload, ts):
    frame = encode_tcp(*addrs, sport, dport, seq, ack, flags, payload)
    header = 20 if ":" not in addrs[0] else 40
    assert decode_frame(1, frame, ts) == Segment(
        ts, *addrs, 6, sport, dport, flags, seq, ack, payload, header + 20 + len(payload))


@given(address_pairs, ports, ports, st.binary(max_size=1500))
def test_udp_round_trip(addrs, sport, dport, payload):
    seg = decode_frame(1, encode_udp(*addrs, sport, dport, payload), 1.0)
    header = 20 if ":" not in addrs[0] else 40
    assert seg == Segment(1.0, *addrs, 17, sport, dport, 0, 0, 0, payload,
                          header + 8 + len(payload))


segments = st.builds(
    lambda addrs, proto, sport, dport, flags, seq, ack, payload, ts: Segment(
        ts, *addrs, proto,
        sport if proto in (6, 17) else 0, dport if proto in (6, 17) else 0,
        flags if proto == 6 else 0, seq if proto == 6 else 0, ack if proto == 6 else 0,
        payload if proto in (6, 17) else b"",
        (20 if ":" not in addrs[0] else 40) + {6: 20, 17: 8}.get(proto, 0)
        + (len(payload) if proto in (6, 17) else 0)),
    address_pairs, st.sampled_from([6, 17, 1, 47, 58]), ports, ports, st.integers(0, 255), u32,
    u32, st.binary(max_size=200), st.floats(0, 2e9))


@given(segments)
def test_decode_encode_segment_round_trip(seg):
    assert decode_frame(1, encode_segment(seg), seg.ts) == seg


@given(st.tuples(ipv4_text, ipv4_text), st.binary(max_size=100))
def test_ipv4_header_checksum_is_right(addrs, payload):
    assert ipv4_checksum_ok(ip_part(encode_tcp(*addrs, 1, 2, 3, 4, ACK, payload))[:20])
    assert ipv4_checksum_ok(ip_part(encode_udp(*addrs, 1, 2, payload))[:20])


def test_encoders_reject_bad_or_mixed_addresses():
    with pytest.raises(ValueError):
        encode_tcp("10.0.0.1", "2001:db8::1", 1, 2, 0, 0, SYN)
    with pytest.raises(ValueError):
        encode_udp("10.0.0.300", "10.0.0.1", 1, 2)


def test_flag_constants():
    assert (FIN, SYN, RST, PSH, ACK, URG) == (1, 2, 4, 8, 16, 32)


# -- link layers

TCP_V4 = encode_tcp(*V4, 50000, 3333, 7, 9, PSH | ACK, b"hello")
EXPECTED_V4 = decode_frame(1, TCP_V4, 0.0)
TCP_V6 = encode_tcp(*V6, 50000, 3333, 7, 9, PSH | ACK, b"hello")
EXPECTED_V6 = decode_frame(1, TCP_V6, 0.0)


@pytest.mark.parametrize("tpids", [
    [0x8100],
    [0x88A8, 0x8100],  # QinQ: 802.1ad outer tag, 802.1Q inner
    [0x9100, 0x8100, 0x8100],
])
def test_vlan_tags(tpids):
    inner = tpids[1:] + [0x0800]
    tags = b"".join(struct.pack("!HH", 100 + i, nxt) for i, nxt in enumerate(inner))
    frame = TCP_V4[:12] + struct.pack("!H", tpids[0]) + tags + ip_part(TCP_V4)
    assert decode_frame(1, frame, 0.0) == EXPECTED_V4


def test_pppoe_session():
    pppoe = struct.pack("!BBHHH", 0x11, 0, 0x1234, len(ip_part(TCP_V6)) + 2, 0x0057)
    frame = TCP_V6[:12] + b"\x88\x64" + pppoe + ip_part(TCP_V6)
    assert decode_frame(1, frame, 0.0) == EXPECTED_V6


def test_linux_cooked_v1_and_v2():
    sll = struct.pack("!HHH8sH", 0, 1, 6, b"\x02" * 6 + b"\0\0", 0x0800)
    assert decode_frame(113, sll + ip_part(TCP_V4), 0.0) == EXPECTED_V4
    sll2 = struct.pack("!HHIHBB8s", 0x86DD, 0, 3, 1, 0, 6, b"\x02" * 8)
    assert decode_frame(276, sll2 + ip_part(TCP_V6), 0.0) == EXPECTED_V6


@pytest.mark.parametrize("linktype", [101, 12, 14, 228, 229])
def test_raw_ip(linktype):
    assert decode_frame(linktype, ip_part(TCP_V4), 0.0) == EXPECTED_V4
    assert decode_frame(linktype, ip_part(TCP_V6), 0.0) == EXPECTED_V6


# a router's serial links (tcpdump.org/linktypes.html): PPP in HDLC-like framing (RFC 1662),
# with the protocol field compressed to one byte (RFC 1661 §6.5), Cisco HDLC, a direction byte
SERIAL_FRAMES = [
    (9, b"\xff\x03\x00\x21", TCP_V4), (9, b"\x00\x57", TCP_V6), (9, b"\x21", TCP_V4),
    (9, b"\xff\x03\x57", TCP_V6), (50, b"\xff\x03\x00\x21", TCP_V4),
    (50, b"\x0f\x00\x08\x00", TCP_V4), (50, b"\x8f\x00\x86\xdd", TCP_V6),
    (104, b"\x0f\x00\x08\x00", TCP_V4), (104, b"\x0f\x00\x86\xdd", TCP_V6),
    (204, b"\x01\xff\x03\x00\x21", TCP_V4), (205, b"\x00\x0f\x00\x86\xdd", TCP_V6),
]


@pytest.mark.parametrize("linktype, head, frame", SERIAL_FRAMES)
def test_ppp_and_cisco_hdlc(linktype, head, frame):
    expected = EXPECTED_V4 if frame is TCP_V4 else EXPECTED_V6
    assert decode_frame(linktype, head + ip_part(frame), 0.0) == expected


def test_ppp_control_protocols_are_not_ip_and_cut_headers_are_errors():
    lcp = b"\xff\x03\xc0\x21\x01\x01\x00\x04"  # an LCP Configure-Request
    assert decode_frame(9, lcp, 0.0) is None
    assert decode_frame(104, b"\x8f\x00\x80\x35" + b"\0" * 28, 0.0) is None  # SLARP
    for linktype, frame in ((9, b"\xff\x03"), (9, b"\x00"), (104, b"\x0f\x00\x08"),
                            (205, b"\x00\x0f\x00\x08")):
        with pytest.raises(DecodeError):
            decode_frame(linktype, frame, 0.0)


@pytest.mark.parametrize("family,fmt,expected", [
    (2, "<I", EXPECTED_V4), (2, ">I", EXPECTED_V4),
    (24, "<I", EXPECTED_V6), (28, "<I", EXPECTED_V6), (30, ">I", EXPECTED_V6),
    (10, "<I", EXPECTED_V6),
])
def test_null_loopback(family, fmt, expected):
    body = ip_part(TCP_V4 if expected is EXPECTED_V4 else TCP_V6)
    assert decode_frame(0, struct.pack(fmt, family) + body, 0.0) == expected
    assert decode_frame(108, struct.pack(">I", family) + body, 0.0) == expected


def test_non_ip_frames_are_none():
    arp = TCP_V4[:12] + b"\x08\x06" + b"\0" * 28
    lldp = TCP_V4[:12] + b"\x88\xcc" + b"\0" * 20
    llc = TCP_V4[:12] + b"\x00\x26" + b"\x42\x42\x03" + b"\0" * 35  # 802.3 length, STP
    assert decode_frame(1, arp, 0.0) is None
    assert decode_frame(1, lldp, 0.0) is None
    assert decode_frame(1, llc, 0.0) is None
    assert decode_frame(0, struct.pack("<I", 7) + b"xx", 0.0) is None


def test_unknown_linktype_is_a_decode_error():
    with pytest.raises(DecodeError):
        decode_frame(105, TCP_V4, 0.0)  # 802.11


# -- IP details

def with_ipv4_options(frame: bytes, options: bytes) -> bytes:
    ip = bytearray(ip_part(frame))
    ip[0] = 0x40 | (5 + len(options) // 4)
    ip[2:4] = struct.pack("!H", len(ip) + len(options))
    return frame[:14] + bytes(ip[:20]) + options + bytes(ip[20:])


def test_ipv4_options():
    frame = with_ipv4_options(TCP_V4, b"\x94\x04\0\0" + b"\x01" * 36)  # router alert + NOPs
    seg = decode_frame(1, frame, 0.0)
    assert (seg.sport, seg.dport, seg.payload, seg.ip_len) == (50000, 3333, b"hello", 85)


def set_fragment(frame: bytes, flags_offset: int) -> bytes:
    return frame[:20] + struct.pack("!H", flags_offset) + frame[22:]


def test_ipv4_fragments_are_pieces_for_the_reassembler():
    """A first fragment (MF, offset 0) and a later one (offset 40 bytes) have no ports: their
    payload is the IP packet itself, header first, for flows.ipfrag."""
    for flags_offset in (0x2000, 0x0005, 0x4000 | 0x2000):
        frame = set_fragment(TCP_V4, flags_offset)
        seg = decode_frame(1, frame, 0.0)
        assert (seg.fragment, seg.proto, seg.sport, seg.dport, seg.payload, seg.ip_len) == (
            True, 6, 0, 0, frame[14:14 + 45], 45)
    whole = decode_frame(1, set_fragment(TCP_V4, 0x4000), 0.0)  # DF only: a whole packet
    assert (whole.fragment, whole.sport, whole.payload) == (False, 50000, b"hello")


def ipv6_with_extensions(chain: list[tuple[int, bytes]], upper: int, body: bytes) -> bytes:
    """Ethernet + IPv6 whose extension headers are chain = [(type, header bytes after the
    next-header byte)], then body of protocol upper."""
    types = [t for t, _ in chain] + [upper]
    exts = b"".join(bytes([types[i + 1]]) + rest for i, (_, rest) in enumerate(chain))
    payload = exts + body
    ip = struct.pack("!IHBB16s16s", 0x60000000, len(payload), types[0], 64,
                     ipaddress.IPv6Address(V6[0]).packed, ipaddress.IPv6Address(V6[1]).packed)
    return TCP_V6[:14] + ip + payload


HBH = (0, b"\0" + b"\x01\x04\0\0\0\0")  # len 0 -> 8 bytes: PadN option
ROUTING = (43, b"\x02" + b"\0" * 22)  # len 2 -> 24 bytes
DEST = (60, b"\0" + b"\x01\x04\0\0\0\0")


def test_ipv6_extension_headers_are_skipped():
    tcp = ip_part(TCP_V6)[40:]
    atomic = (44, b"\0" + struct.pack("!HI", 0x0000, 77))  # offset 0, no M flag: RFC 6946
    frame = ipv6_with_extensions([HBH, ROUTING, DEST, atomic], 6, tcp)
    seg = decode_frame(1, frame, 0.0)
    assert (seg.proto, seg.sport, seg.dport, seg.payload) == (6, 50000, 3333, b"hello")
    assert seg.ip_len == 40 + 8 + 24 + 8 + 8 + len(tcp)
    first = (44, b"\0" + struct.pack("!HI", 0x0001, 77))  # offset 0, M flag: a piece
    frame = ipv6_with_extensions([HBH, ROUTING, DEST, first], 6, tcp)
    seg = decode_frame(1, frame, 0.0)
    assert (seg.fragment, seg.proto, seg.sport, seg.payload) == (True, 6, 0, frame[14:])


def test_ipv6_later_fragment_and_no_next_header():
    later = (44, b"\0" + struct.pack("!HI", 100 << 3, 77))
    frame = ipv6_with_extensions([HBH, later], 17, b"\0" * 30)
    seg = decode_frame(1, frame, 0.0)
    assert (seg.fragment, seg.proto, seg.sport, seg.dport, seg.payload) == (
        True, 17, 0, 0, frame[14:])
    seg = decode_frame(1, ipv6_with_extensions([DEST], 59, b""), 0.0)
    assert (seg.proto, seg.sport, seg.payload) == (59, 0, b"")


def test_other_protocols_have_no_ports():
    icmp = decode_frame(1, encode_ip(*V4, 1, b"\x08\0" + b"\0" * 30), 0.0)
    assert (icmp.proto, icmp.sport, icmp.dport, icmp.flags, icmp.payload, icmp.ip_len) == (
        1, 0, 0, 0, b"", 52)


def test_ethernet_padding_is_not_payload():
    frame = encode_tcp(*V4, 1, 2, 3, 4, ACK)  # 54 bytes: the NIC pads to 60
    seg = decode_frame(1, frame + b"\0" * 6, 0.0)
    assert (seg.payload, seg.ip_len) == (b"", 40)


def test_snaplen_cut_payload_keeps_header_length():
    frame = encode_tcp(*V4, 1, 2, 3, 4, ACK, b"x" * 1000)
    seg = decode_frame(1, frame[:96], 0.0)
    assert (seg.payload, seg.ip_len) == (b"x" * 42, 1040)
    with pytest.raises(DecodeError):
        decode_frame(1, frame[:50], 0.0)  # inside the TCP header


def test_segmentation_offload_zero_length():
    frame = bytearray(encode_tcp(*V4, 1, 2, 3, 4, ACK, b"y" * 3000))
    frame[16:18] = b"\0\0"  # captured on the sender before the NIC split it
    seg = decode_frame(1, bytes(frame), 0.0)
    assert (len(seg.payload), seg.ip_len) == (3000, 3040)


def test_tcp_options_via_data_offset():
    frame = bytearray(encode_tcp(*V4, 1, 2, 3, 4, SYN, b""))
    options = b"\x02\x04\x05\xb4\x01\x03\x03\x07"  # MSS, NOP, window scale
    ip_len = 20 + 28 + 3
    frame[16:18] = struct.pack("!H", ip_len)
    frame[46] = 0x70  # data offset 7 words
    frame[24:26] = b"\0\0"  # checksum is not verified
    seg = decode_frame(1, bytes(frame) + options + b"abc", 0.0)
    assert (seg.flags, seg.payload, seg.ip_len) == (SYN, b"abc", ip_len)


def test_udp_length_bounds_payload():
    frame = bytearray(encode_udp(*V4, 53, 5353, b"abcdef"))
    frame[38:40] = struct.pack("!H", 8 + 4)
    assert decode_frame(1, bytes(frame), 0.0).payload == b"abcd"


@pytest.mark.parametrize("frame,linktype", [
    (TCP_V4[:13], 1), (TCP_V4[:30], 1), (TCP_V6[:40], 1),
    (TCP_V4[:14] + b"\x46" + TCP_V4[15:34], 1),  # IHL 6 but only 20 header bytes
    (TCP_V4[:14] + b"\x65" + TCP_V4[15:], 1),  # version 6 under ethertype IPv4
    (TCP_V4[:14] + b"\x44" + TCP_V4[15:], 1),  # IHL below 5
    (TCP_V4[:16] + b"\0\x10" + TCP_V4[18:], 1),  # total length 16 < header
    (TCP_V4[:46] + b"\x20" + TCP_V4[47:], 1),  # TCP data offset 8 bytes
    (TCP_V4[:12] + b"\x81\x00\0", 1), (b"\0\0", 0), (b"", 101), (b"\x50" * 30, 101),
    (b"\0" * 10, 113), (b"\0" * 10, 276),
])
def test_malformed_frames_raise_decode_error(frame, linktype):
    with pytest.raises(DecodeError):
        decode_frame(linktype, frame, 0.0)


LINKTYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276]


@settings(max_examples=500)
@given(st.sampled_from(LINKTYPES), st.binary(max_size=120))
def test_random_bytes_raise_only_decode_error(linktype, data):
    with contextlib.suppress(DecodeError):
        decode_frame(linktype, data, 0.0)


@settings(max_examples=500)
@given(st.sampled_from([TCP_V4, TCP_V6, encode_udp(*V6, 1, 2, b"abc")]), st.data())
def test_mutated_frames_raise_only_decode_error(frame, data):
    mutated = bytearray(frame[:data.draw(st.integers(0, len(frame)))])
    for _ in range(data.draw(st.integers(0, 6))):
        if mutated:
            mutated[data.draw(st.integers(0, len(mutated) - 1))] = data.draw(st.integers(0, 255))
    with contextlib.suppress(DecodeError):
        decode_frame(1, bytes(mutated), 0.0)


# -- real captures

# name: (TCP, UDP, other IP, non-IP, sum of ip_len, sum of payload lengths)
# Checked with `tshark -r <file> -T fields -e ip.version -e ipv6.version -e tcp.srcport
# -e udp.srcport -e ip.len -e ipv6.plen -e tcp.len -e udp.length` summed with awk
# (ip_len = ip.len, or ipv6.plen + 40; payload = tcp.len, or udp.length - 8).
# cgminer-pool-scan's 48 non-IP frames are 44 MAC-control pause frames and 4 ARP, its 37
# other-IP packets ICMPv6. Every packet's addresses, ports, flags, seq, ack, payload length
# and ip_len were also compared one by one with tshark's: all agreed.
GOLDEN = {
    "btc-stratum-bitminter.pcap": (188, 0, 0, 0, 28265, 20385),
    "cgminer-pool-scan.pcapng": (8486, 45, 37, 48, 713689, 348321),
    "ethproxy-dwarfpool.pcapng": (88, 0, 0, 0, 11077, 7533),
    "ltc-stratum-pool-side-mini.pcapng": (69, 0, 0, 0, 53641, 50209),
    "not-mining-bitcoin-p2p.pcap": (529, 0, 0, 0, 419138, 391630),
    "not-mining-ssh.pcap": (295, 0, 0, 0, 40847, 25471),
    "not-mining-tls.pcap": (28, 0, 0, 0, 8696, 7568),
}


def decode_capture(path: Path) -> list[Segment | None]:
    with open(path, "rb") as f:
        return [decode_frame(p.linktype, p.data, p.ts) for p in PcapReader(f)]


@pytest.mark.skipif(not PCAPS.is_dir(), reason="../shared/data/pcaps not present")
@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_real_capture_golden(name):
    segs = decode_capture(PCAPS / name)
    kinds = Counter("non-ip" if s is None else {6: "tcp", 17: "udp"}.get(s.proto, "other")
                    for s in segs)
    ip = [s for s in segs if s is not None]
    got = (kinds["tcp"], kinds["udp"], kinds["other"], kinds["non-ip"],
           sum(s.ip_len for s in ip), sum(len(s.payload) for s in ip))
    assert got == GOLDEN[name]


@pytest.mark.skipif(not PCAPS.is_dir(), reason="../shared/data/pcaps not present")
def test_real_capture_first_packets():
    # tshark -r ethproxy-dwarfpool.pcapng -c 7: frame 4 is the SYN of 3911 -> 8008
    segs = decode_capture(PCAPS / "ethproxy-dwarfpool.pcapng")
    syn = segs[3]
    assert (syn.src, syn.sport, syn.dst, syn.dport, syn.flags) == (
        "192.168.1.128", 3911, "87.98.182.61", 8008, SYN)
    # tshark -Y frame.number==7 -T fields -e tcp.payload: the login, 146 bytes
    assert segs[6].payload.startswith(b'{"id":1,"method":"eth_submitLogin","worker":"0x512ee')
    assert len(segs[6].payload) == 146
    # the IPv6 neighbour discovery in the scan capture: fe80::1 asking fe80::a149:...
    v6 = [s for s in decode_capture(PCAPS / "cgminer-pool-scan.pcapng") if s and ":" in s.src]
    assert (v6[0].src, v6[0].dst, v6[0].proto) == ("fe80::1", "fe80::a149:a4ec:3800:34be", 58)


def test_a_hand_built_gtpu_frame_decodes_to_its_inner_packet():
    """Outer Ethernet/IPv4/UDP 2152 and a GTP-U G-PDU header with a sequence number and a PDU
    session container (5G N3), assembled here byte by byte from 3GPP TS 29.281, not by
    encapsulate()."""
    inner = bytes.fromhex("4500002c0001000040067c7a" "0a000005" "c6336414"  # 10.0.0.5 >
                          "9c4101bb0000000100000000" "50180200" "00000000"  # 198.51.100.20,
                          "7b7d")  # TCP 40001 > 443, payload "{}"
    gtp = bytes.fromhex("36ff") + (len(inner) + 8).to_bytes(2, "big") + bytes.fromhex(
        "0000abcd" "0007" "00" "85" "01" "0001" "00")  # TEID, seq 7, N-PDU, next ext 0x85
    udp = bytes.fromhex("0868" "0868") + (8 + len(gtp) + len(inner)).to_bytes(2, "big") + b"\0\0"
    ip = bytes.fromhex("4500") + (20 + len(udp) + len(gtp) + len(inner)).to_bytes(2, "big") + \
        bytes.fromhex("00000000" "4011" "0000" "c0000201" "c0000202")
    frame = b"\x02" * 12 + b"\x08\x00" + ip + udp + gtp + inner
    seg = decode_frame(1, frame, 1.0)
    assert (seg.src, seg.dst, seg.proto, seg.sport, seg.dport, seg.payload, seg.ip_len) == \
        ("10.0.0.5", "198.51.100.20", 6, 40001, 443, b"{}", 44)


def test_a_tunnel_whose_inside_does_not_decode_leaves_the_outer_packet():
    vxlan = encode_udp("192.0.2.1", "192.0.2.2", 5000, 4789, b"\x08\0\0\0\0\0\x2a\0" + b"\xff" * 6)
    seg = decode_frame(1, vxlan, 1.0)
    assert (seg.src, seg.dport, seg.proto) == ("192.0.2.1", 4789, 17)


def test_nflog_records_in_either_byte_order():
    """An NFLOG record by hand (libpcap's LINKTYPE_NFLOG: nflog_hdr_t, then TLVs in the
    capturing host's order; NFULA_PACKET_HDR 1, NFULA_IFINDEX_INDEV 4, NFULA_PREFIX 10,
    NFULA_PAYLOAD 9): the segment is the logged packet's."""
    ip4 = encode_tcp("10.0.0.1", "10.0.0.2", 40000, 3333, 7, 8, 0x18, b'{"id":1}\n')[14:]
    ip6 = encode_udp("2001:db8::1", "2001:db8::2", 5353, 53, b"q")[14:]
    for big in (False, True):
        frame = nflog_frame(ip4, 2, big)
        head = frame[:8]  # family 2, version 0, resource 1, then the first TLV: 8 bytes, type 1
        assert head == (b"\x02\x00\x00\x01" + (b"\x00\x08\x00\x01" if big else b"\x08\x00\x01\x00"))
        seg = decode_frame(239, frame, 1.0)
        assert (seg.src, seg.dst, seg.sport, seg.dport, seg.payload) == (
            "10.0.0.1", "10.0.0.2", 40000, 3333, b'{"id":1}\n')
        seg = decode_frame(239, nflog_frame(ip6, 10, big), 1.0)
        assert (seg.src, seg.dport, seg.payload) == ("2001:db8::1", 53, b"q")


def test_nflog_without_a_packet_cut_or_damaged():
    ip4 = encode_tcp("10.0.0.1", "10.0.0.2", 1, 2, 3, 4, 0x18, b"hello")[14:]
    frame = nflog_frame(ip4)
    metadata_only = frame[:frame.index(ip4) - 4]
    assert decode_frame(239, metadata_only, 1.0) is None
    cut = decode_frame(239, frame[:frame.index(ip4) + len(ip4) - 2], 1.0)  # a snaplen cut it
    assert cut.payload == b"hel" and cut.ip_len == len(ip4)
    assert decode_frame(239, nflog_frame(ip4, family=7), 1.0) is None  # not IP (bridge)
    with pytest.raises(DecodeError):
        decode_frame(239, frame[:4] + b"\x02\x00\x01\x00" + frame[8:], 1.0)  # length 2 < 4
    with pytest.raises(DecodeError):
        decode_frame(239, b"\x02\x00", 1.0)
