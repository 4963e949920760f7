"""IP fragments (RFC 791 for IPv4, RFC 8200 section 4.5 for IPv6): one fragment's place in
its datagram, the datagram rebuilt from its pieces, and the datagram cut into fragments (for
the tests and the simulator).

Fragments are rare between a miner and its pool (TCP sets Don't Fragment and sizes its
segments to the path), but common in what a mirror delivers: ERSPAN or GRE carrying full-size
frames over a link without jumbo frames fragments the outer packets, and a large UDP answer
(DNS with EDNS) arrives in pieces. The state that gathers the pieces is `flows.ipfrag`; this
module is bytes in, bytes out.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from minewatch.decode.packet import IPV4, IPV6, header_checksum
from minewatch.decode.pcap import field_struct
from minewatch.errors import DecodeError

_V4, _V6 = field_struct(IPV4, "!"), field_struct(IPV6, "!")
_V4_LEN, _V6_LEN, _V6_FRAG_LEN = 20, 40, 8
_MORE, _DONT, _OFFSET = 0x2000, 0x4000, 0x1FFF
_V6_FRAGMENT = 44
_V6_CHAINED = frozenset({0, 43, 60, 135, 139, 140, 51})  # headers before the fragment header
_FRAG6 = struct.Struct("!BBHI")  # next header, reserved, offset << 3 | M, identification
_U16 = struct.Struct("!H")
MAX_DATAGRAM = 65535  # an IPv4 total length; IPv6 payload length is as wide
RAW_IP = 101  # the link type a rebuilt datagram is read as (LINKTYPE_RAW: version nibble first)


class Fragment(NamedTuple):
    """One fragment: `key` names its datagram (version, source, destination, protocol,
    identification, as RFC 791 and RFC 8200 do), `offset` is where `data` goes in the
    datagram's fragmentable part, `more` is False on the last one. `head` is what every
    fragment repeats in front of its data (the IP header; for IPv6 the headers before the
    fragment header), `link` the offset in `head` of the byte that names the next header.
    `size` is the data's length as the header gives it: `data` is shorter when the capture's
    snap length cut the frame."""

    key: tuple
    offset: int
    more: bool
    head: bytes
    link: int
    data: bytes
    size: int

    @property
    def cut(self) -> bool:
        return len(self.data) < self.size

    def transport(self) -> tuple[int, int, int, int, int]:
        """(sport, dport, TCP flags, seq, ack) from the transport header at the front of a
        first fragment's data, zeros where it is not there (a later fragment, a header cut)."""
        if self.offset or self.key[3] not in (6, 17) or len(self.data) < 4:
            return 0, 0, 0, 0, 0
        sport, dport = struct.unpack_from("!HH", self.data)
        if self.key[3] != 6 or len(self.data) < 14:
            return sport, dport, 0, 0, 0
        seq, ack, flags = struct.unpack_from("!IIxB", self.data, 4)
        return sport, dport, flags, seq, ack


def parse_fragment(packet: bytes) -> Fragment | None:
    """The fragment an IP packet (header first, as captured) is; None if it is whole (an
    IPv6 atomic fragment, offset 0 and no more to come, is whole too: RFC 6946). Raises
    DecodeError for headers cut short or inconsistent."""
    if not packet:
        raise DecodeError("empty IP packet")
    version = packet[0] >> 4
    if version == 4:
        return _v4(packet)
    if version == 6:
        return _v6(packet)
    raise DecodeError(f"bad IP version {version}")


def _v4(packet: bytes) -> Fragment | None:
    if len(packet) < _V4_LEN:
        raise DecodeError("IPv4 header cut short")
    ver_ihl, _, total, ident, frag, _, proto, _, src, dst = _V4.unpack_from(packet)
    hlen = (ver_ihl & 15) * 4
    if hlen < _V4_LEN or len(packet) < hlen or total < hlen:
        raise DecodeError(f"bad IPv4 fragment header (length {hlen}, total {total})")
    if not frag & (_MORE | _OFFSET):
        return None
    key = (4, src, dst, proto, ident)
    return Fragment(key, (frag & _OFFSET) * 8, bool(frag & _MORE), packet[:hlen], 9,
                    packet[hlen:total], total - hlen)


def _v6(packet: bytes) -> Fragment | None:
    if len(packet) < _V6_LEN:
        raise DecodeError("IPv6 header cut short")
    _, plen, proto, _, src, dst = _V6.unpack_from(packet)
    end = min(_V6_LEN + plen, len(packet))
    link, pos = 6, _V6_LEN
    while proto in _V6_CHAINED:
        if pos + 2 > end:
            raise DecodeError(f"IPv6 extension header {proto} cut short")
        size = (packet[pos + 1] + 2) * 4 if proto == 51 else (packet[pos + 1] + 1) * 8
        link, proto, pos = pos, packet[pos], pos + size
    if proto != _V6_FRAGMENT:
        return None
    if pos + _V6_FRAG_LEN > end:
        raise DecodeError("IPv6 fragment header cut short")
    inner, _, place, ident = _FRAG6.unpack_from(packet, pos)
    if not place & 0xFFF9:  # offset 0, M clear: an atomic fragment
        return None
    key = (6, src, dst, inner, ident)
    start = pos + _V6_FRAG_LEN
    return Fragment(key, place & 0xFFF8, bool(place & 1), packet[:pos], link,
                    packet[start:_V6_LEN + plen], _V6_LEN + plen - start)


def datagram(first: Fragment, data: bytes) -> bytes:
    """The whole datagram: the first fragment's head with its lengths and fragment fields
    made those of an unfragmented packet, then `data`, the fragmentable part put together."""
    head = bytearray(first.head)
    if first.key[0] == 4:
        struct.pack_into("!H", head, 2, len(head) + len(data))
        _fields(head, _U16.unpack_from(head, 6)[0] & _DONT)
    else:
        struct.pack_into("!H", head, 4, len(head) - _V6_LEN + len(data))
        head[first.link] = first.key[3]
    return bytes(head) + data


def _fields(head: bytearray, frag: int) -> None:
    """An IPv4 header's flags and offset set to frag, its checksum made again."""
    struct.pack_into("!H", head, 6, frag)
    struct.pack_into("!H", head, 10, 0)
    words = sum(struct.unpack(f"!{len(head) // 2}H", head))
    struct.pack_into("!H", head, 10, header_checksum(words))


def fragment(packet: bytes, mtu: int, ident: int = 0x1234) -> list[bytes]:
    """packet (an unfragmented IP packet, header first) cut into fragments of at most `mtu`
    bytes each, as a router (IPv4) or the sender (IPv6, with `ident`) would; [packet] when it
    fits. Raises ValueError when the MTU leaves no room for 8 bytes of data."""
    if len(packet) <= mtu:
        return [packet]
    if packet[0] >> 4 == 4:
        return _fragment_v4(packet, mtu)
    return _fragment_v6(packet, mtu, ident)


def _pieces(data: bytes, room: int) -> list[tuple[int, bytes, bool]]:
    """(offset, bytes, more) pieces of data, each but the last a multiple of 8 long."""
    step = room // 8 * 8
    if step <= 0:
        raise ValueError(f"an MTU leaving {room} bytes of room cannot carry a fragment")
    return [(at, data[at:at + step], at + step < len(data)) for at in range(0, len(data), step)]


def _fragment_v4(packet: bytes, mtu: int) -> list[bytes]:
    hlen = (packet[0] & 15) * 4
    total = _U16.unpack_from(packet, 2)[0]
    out = []
    for at, piece, more in _pieces(packet[hlen:total], mtu - hlen):
        head = bytearray(packet[:hlen])
        struct.pack_into("!H", head, 2, hlen + len(piece))
        _fields(head, (_U16.unpack_from(head, 6)[0] & _DONT) | (_MORE if more else 0) | at // 8)
        out.append(bytes(head) + piece)
    return out


def _fragment_v6(packet: bytes, mtu: int, ident: int) -> list[bytes]:
    """The fragment header goes straight after the fixed header (no extension headers kept
    in front of it: the simulator's packets have none)."""
    plen = _U16.unpack_from(packet, 4)[0]
    inner, data = packet[6], packet[_V6_LEN:_V6_LEN + plen]
    out = []
    for at, piece, more in _pieces(data, mtu - _V6_LEN - _V6_FRAG_LEN):
        head = bytearray(packet[:_V6_LEN])
        struct.pack_into("!H", head, 4, _V6_FRAG_LEN + len(piece))
        head[6] = _V6_FRAGMENT
        out.append(bytes(head) + _FRAG6.pack(inner, 0, at | int(more), ident) + piece)
    return out
