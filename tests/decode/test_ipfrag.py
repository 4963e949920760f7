"""IP fragments: a hand-read IPv4 and IPv6 fragment, fragment → datagram round trips for any
packet and MTU, and random bytes raising only DecodeError."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from minewatch.decode.ipfrag import datagram, fragment, parse_fragment
from minewatch.decode.packet import encode_tcp, encode_udp
from minewatch.errors import DecodeError

V4, V6 = ("10.0.0.5", "192.0.2.80"), ("2001:db8::5", "2001:db8::80")


def test_an_ipv4_fragment_read_by_hand():
    # 20-byte header: total 28, ident 0xbeef, MF and offset 3 (24 bytes), UDP, then 8 bytes
    packet = bytes.fromhex("4500001c" "beef2003" "4011" "0000" "0a000005" "c0000250") + b"A" * 8
    frag = parse_fragment(packet)
    assert frag.key == (4, bytes([10, 0, 0, 5]), bytes([192, 0, 2, 80]), 17, 0xBEEF)
    assert (frag.offset, frag.more, frag.data, frag.size, frag.cut) == (24, True, b"A" * 8, 8,
                                                                        False)
    assert frag.transport() == (0, 0, 0, 0, 0)  # not the first: no transport header in it
    assert parse_fragment(packet[:24]).cut  # the snap length kept 4 of its 8 bytes


def test_an_ipv6_fragment_behind_a_destination_options_header():
    src, dst = bytes(15) + b"\x05", bytes(15) + b"\x50"
    dest_opts = bytes([44, 0]) + b"\x01\x04\0\0\0\0"  # next: fragment header
    frag_hdr = struct.pack("!BBHI", 6, 0, (16 << 3) | 1, 77)  # TCP, offset 128, M
    body = b"B" * 16
    packet = struct.pack("!IHBB16s16s", 0x60000000, 8 + 8 + 16, 60, 64, src, dst) \
        + dest_opts + frag_hdr + body
    frag = parse_fragment(packet)
    assert frag.key == (6, src, dst, 6, 77)
    assert (frag.offset, frag.more, frag.data, frag.link, frag.head) == (
        128, True, body, 40, packet[:48])
    atomic = packet[:48] + struct.pack("!BBHI", 6, 0, 0, 77) + body
    assert parse_fragment(atomic) is None  # offset 0 and no more: whole (RFC 6946)


def test_a_first_fragment_shows_its_ports():
    packet = encode_tcp(*V4, 40001, 3333, 7, 9, 0x18, b"x" * 600)[14:]
    first = parse_fragment(fragment(packet, 300)[0])
    assert first.transport() == (40001, 3333, 0x18, 7, 9)


@given(st.booleans(), st.booleans(), st.integers(0, 3000), st.integers(68, 1500),
       st.randoms(use_true_random=False))
def test_fragments_put_together_give_the_packet_back(v6, udp, size, mtu, rnd):
    src, dst = V6 if v6 else V4
    payload = bytes(rnd.getrandbits(8) for _ in range(size))
    frame = encode_udp(src, dst, 5, 6, payload) if udp else \
        encode_tcp(src, dst, 5, 6, 1, 2, 0x18, payload)
    packet = frame[14:]
    if mtu < (48 + 8 if v6 else 28) and len(packet) > mtu:
        return  # (no room for 8 bytes of data: fragment() refuses, as a sender would)
    pieces = fragment(packet, mtu)
    assert all(len(p) <= max(mtu, len(packet) if len(pieces) == 1 else 0) for p in pieces)
    frags = [parse_fragment(p) for p in pieces]
    if len(pieces) == 1:
        assert frags == [None]
        return
    rnd.shuffle(frags)
    first = next(f for f in frags if f.offset == 0)
    assert sum(not f.more for f in frags) == 1
    data = b"".join(f.data for f in sorted(frags, key=lambda f: f.offset))
    assert datagram(first, data) == packet


@given(st.binary(max_size=120))
def test_random_bytes_raise_only_decode_error(data):
    try:
        frag = parse_fragment(data)
    except DecodeError:
        return
    if frag is not None:
        assert frag.offset % 8 == 0 and len(frag.data) <= frag.size
        frag.transport()
