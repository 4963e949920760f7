"""Capture bytes to packet header columns, compiled: the fast twin of `pcap.PcapReader` framing
and `packet.decode_frame`.

`walk_pcap` finds the records of a classic pcap in a buffer and `parse_frames` reads each frame's
link, IP and transport headers (those inside a tunnel, as decode_frame peels them) into one row
of a `PACKET` structured array: no objects per packet, so a capture is read at memory speed.
Both are pure functions of their arguments (bytes in, rows out) and agree with the Python
decoders field for field; tests/decode/test_framescan.py holds them to it on real captures and
on random and mutated frames. A frame the compiled parser
cannot read gets status ERROR and the caller asks `decode_frame` why, so error messages have one
source.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from minewatch.decode.packet import GTPU_PORT, MAX_TUNNELS, VXLAN_PORT

# status of a parsed frame; a FRAGMENT row's payload span is its IP packet, header first
OK, NON_IP, ERROR, FRAGMENT = 0, 1, 2, 3

PACKET = np.dtype([
    ("ts", "f8"), ("off", "i8"), ("caplen", "i4"), ("wirelen", "u4"), ("linktype", "i4"),
    ("status", "u1"), ("ver", "u1"), ("proto", "u1"), ("flags", "u1"),
    ("src_hi", "u8"), ("src_lo", "u8"), ("dst_hi", "u8"), ("dst_lo", "u8"),
    ("sport", "u2"), ("dport", "u2"), ("seq", "u4"), ("ack", "u4"), ("ip_len", "u4"),
    ("pl_off", "i8"), ("pl_len", "i4"),
    ("mark", "u4"),  # IPv4 identification << 16 | TCP checksum (decode.packet.Segment.mark)
    ("tls", "u1"),  # 1: the payload opens a TLS record (flows.meter.opens_tls_record)
])

# why walk_pcap / walk_pcapng stopped
NEED_MORE, FULL, BAD_LENGTH, OTHER_BLOCK = 0, 1, 2, 3
PCAP_RECORD_LEN = 16
MAX_RECORD = 16 << 20  # as pcap.MAX_BLOCK: longer records are corruption


@njit(cache=True, nogil=True, forceinline=True)
def u16(b, i):
    """The big-endian 16-bit number at b[i] (network order; flows.conntable reads with it too)."""
    return (np.int64(b[i]) << 8) | np.int64(b[i + 1])


@njit(cache=True, nogil=True, forceinline=True)
def _u32(b, i):
    return (np.int64(b[i]) << 24) | (np.int64(b[i + 1]) << 16) | (np.int64(b[i + 2]) << 8) \
        | np.int64(b[i + 3])


@njit(cache=True, nogil=True, forceinline=True)
def u32le(b, i):
    """The little-endian 32-bit number at b[i] (pcap headers; the P2P framing conntable reads)."""
    return (np.int64(b[i + 3]) << 24) | (np.int64(b[i + 2]) << 16) | (np.int64(b[i + 1]) << 8) \
        | np.int64(b[i])


@njit(cache=True, nogil=True, forceinline=True)
def _u64(b, i):
    v = np.uint64(0)
    for k in range(8):
        v = (v << np.uint64(8)) | np.uint64(b[i + k])
    return v


@njit(cache=True, nogil=True)
def walk_pcap(buf, pos, end, layout, out, n):
    """Classic pcap records in buf[pos:end] into out[n:], until the buffer or out runs out.

    layout = (big_endian, fraction units per second, linktype). Each row's headers are parsed
    as `parse_frames` would. Returns (rows filled so far,
    position after the last whole record, why it stopped: NEED_MORE, FULL or BAD_LENGTH).
    """
    big, units, linktype = layout
    while n < out.shape[0]:
        if end - pos < PCAP_RECORD_LEN:
            return n, pos, NEED_MORE
        if big:
            sec, frac = _u32(buf, pos), _u32(buf, pos + 4)
            caplen, wirelen = _u32(buf, pos + 8), _u32(buf, pos + 12)
        else:
            sec, frac = u32le(buf, pos), u32le(buf, pos + 4)
            caplen, wirelen = u32le(buf, pos + 8), u32le(buf, pos + 12)
        if caplen > MAX_RECORD:
            return n, pos, BAD_LENGTH
        if end - pos < PCAP_RECORD_LEN + caplen:
            return n, pos, NEED_MORE
        row = out[n]
        row.ts = sec + frac / units
        row.off, row.caplen, row.wirelen = pos + PCAP_RECORD_LEN, caplen, wirelen
        row.linktype = linktype
        _parse(buf, row)  # while the frame is in cache
        pos += PCAP_RECORD_LEN + caplen
        n += 1
    return n, pos, FULL


# pcapng blocks the compiled walker reads (the Python reader does the rest: section headers,
# interface descriptions, statistics, names)
OPB_TYPE, SPB_TYPE, EPB_TYPE = 2, 3, 6
MAX_BLOCK = 16 << 20  # as pcap.MAX_BLOCK


@njit(cache=True, nogil=True, forceinline=True)
def _u32o(b, i, big):
    return _u32(b, i) if big else u32le(b, i)


@njit(cache=True, nogil=True)
def walk_pcapng(buf, span, section, ifaces, out, n):
    """pcapng packet blocks (enhanced, simple, obsolete) in buf[span[0]:span[1]] into out[n:],
    their headers parsed as `parse_frames` would.

    section = [big_endian, last timestamp, blocks skipped] (updated in place: a damaged packet
    block is skipped and counted, as PcapReader does); ifaces = float64 rows (linktype, units,
    offset, snaplen) of the section's interfaces. Returns (rows filled, position, why):
    NEED_MORE, FULL, BAD_LENGTH (the block at position has an impossible length) or
    OTHER_BLOCK (the block at position is for the Python reader)."""
    pos, end = span[0], span[1]
    big = section[0] != 0
    while n < out.shape[0]:
        if end - pos < 12:
            return n, pos, NEED_MORE
        btype, length = _u32o(buf, pos, big), _u32o(buf, pos + 4, big)
        if btype == 0x0A0D0D0A or (btype != EPB_TYPE and btype != SPB_TYPE
                                   and btype != OPB_TYPE):
            return n, pos, OTHER_BLOCK
        if length < 12 or length % 4 or length > MAX_BLOCK:
            return n, pos, BAD_LENGTH
        if end - pos < length:
            return n, pos, NEED_MORE
        if _u32o(buf, pos + length - 4, big) != length or not _packet_block(
                buf, (pos, btype, length), section, ifaces, out[n]):
            section[2] += 1  # damaged: skipped
        else:
            _parse(buf, out[n])  # while the frame is in cache
            n += 1
        pos += length
    return n, pos, FULL


@njit(cache=True, nogil=True, forceinline=True)
def _packet_block(b, block, section, ifaces, row):
    """One EPB/SPB/OPB into row (as pcap._Section.block); False when it is damaged."""
    pos, btype, length = block
    big = section[0] != 0
    start, end = pos + 8, pos + length - 4
    if btype == SPB_TYPE:
        if len(ifaces) == 0 or end - start < 4:
            return False
        wirelen = _u32o(b, start, big)
        snaplen = np.int64(ifaces[0, 3])
        caplen = min(wirelen, end - start - 4, snaplen if snaplen else wirelen)
        row.ts, row.off, row.caplen, row.wirelen = section[1], start + 4, caplen, wirelen
        row.linktype = np.int64(ifaces[0, 0])
        return True
    if end - start < 20:
        return False
    if btype == EPB_TYPE:
        iface = _u32o(b, start, big)
    else:  # OPB: 16-bit interface and drop count
        iface = ((np.int64(b[start]) << 8) | b[start + 1]) if big else \
            ((np.int64(b[start + 1]) << 8) | b[start])
    high, low = _u32o(b, start + 4, big), _u32o(b, start + 8, big)
    caplen, wirelen = _u32o(b, start + 12, big), _u32o(b, start + 16, big)
    if iface >= len(ifaces) or start + 20 + caplen > end:
        return False
    units = np.uint64(ifaces[iface, 1])
    ticks = (np.uint64(high) << np.uint64(32)) | np.uint64(low)
    ts = np.float64(ticks // units) + np.float64(ticks % units) / np.float64(units) \
        + ifaces[iface, 2]
    section[1] = ts
    row.ts, row.off, row.caplen, row.wirelen = ts, start + 20, caplen, wirelen
    row.linktype = np.int64(ifaces[iface, 0])
    return True


@njit(cache=True, nogil=True)
def parse_frames(buf, rows, start, stop):
    """Fill the header columns of rows[start:stop], whose ts/off/caplen/linktype are set."""
    for i in range(start, stop):
        _parse(buf, rows[i])


@njit(cache=True, nogil=True, forceinline=True)
def _parse(buf, row):
    """A frame's headers, and whether its payload opens a TLS record: the flow meter counts
    those, and peeking here, where the walker has the frame in cache, keeps the meter on
    another thread from fetching a line of every payload from this one's cache."""
    _headers(buf, row)
    row.tls = row.status == OK and opens_tls_record(buf, row.pl_off, row.pl_len)


@njit(cache=True, nogil=True, forceinline=True)
def opens_tls_record(b, p, n):
    """flows.meter.opens_tls_record, compiled: b[p:p + n] opens a TLS record header."""
    return n >= 5 and 20 <= b[p] <= 23 and b[p + 1] == 3 and b[p + 2] <= 4


@njit(cache=True, nogil=True, forceinline=True)
def _headers(buf, row):
    row.status, row.ver, row.proto, row.flags = ERROR, 0, 0, 0
    row.src_hi = row.src_lo = row.dst_hi = row.dst_lo = np.uint64(0)
    row.sport = row.dport = 0
    row.seq = row.ack = row.ip_len = row.mark = 0
    row.pl_off, row.pl_len = row.off, 0
    ethertype, offset = _link(buf, row.off, row.caplen, row.linktype)
    if ethertype < 0:
        return  # ERROR
    if ethertype == 0:
        row.status = NON_IP
        return
    start, end = _ip(buf, row, ethertype, offset)
    for _ in range(MAX_TUNNELS):  # decode_frame's loop: the inside, or the outer packet stands
        if row.status != OK or start < 0:
            return
        ethertype, offset = _tunnel(buf, row, start, end)
        if ethertype <= 0:
            return
        outer = (row.ver, row.proto, row.flags, row.src_hi, row.src_lo, row.dst_hi, row.dst_lo,
                 row.sport, row.dport, row.seq, row.ack, row.ip_len, row.pl_off, row.pl_len,
                 row.mark)
        row.status, row.flags, row.sport, row.dport, row.seq, row.ack = ERROR, 0, 0, 0, 0, 0
        row.mark = 0
        row.src_hi = row.dst_hi = np.uint64(0)
        row.pl_off, row.pl_len = row.off, 0
        start, end = _ip(buf, row, ethertype, offset)
        if row.status != OK and row.status != FRAGMENT:
            (row.ver, row.proto, row.flags, row.src_hi, row.src_lo, row.dst_hi, row.dst_lo,
             row.sport, row.dport, row.seq, row.ack, row.ip_len, row.pl_off, row.pl_len,
             row.mark) = outer
            row.status = OK
            return


@njit(cache=True, nogil=True, forceinline=True)
def _ip(b, row, ethertype, offset):
    """Parse the IP packet at offset into row; its transport span, (-1, -1) if none."""
    if ethertype == 0x0800:
        return _ipv4(b, row, offset)
    return _ipv6(b, row, offset)


@njit(cache=True, nogil=True, forceinline=True)
def _tunnel(b, row, start, end):
    """(IP ethertype, offset) of the packet row's packet encapsulates; ethertype <= 0: none."""
    if row.proto == 4:
        return 0x0800, start
    if row.proto == 41:
        return 0x86DD, start
    if row.proto == 47:
        return _gre(b, row.off, start, end, row.caplen)
    if row.proto == 17 and (row.dport == VXLAN_PORT or row.sport == GTPU_PORT
                            or row.dport == GTPU_PORT):
        pay = row.pl_off - row.off
        if row.dport == VXLAN_PORT:
            if row.pl_len < 8 or not b[row.pl_off] & 0x08:
                return 0, 0
            return _inner_ethernet(b, row.off, pay + 8, pay + row.pl_len, row.caplen)
        return _gtpu(b, row.off, pay, pay + row.pl_len)
    return 0, 0


@njit(cache=True, nogil=True, forceinline=True)
def _gre(b, base, pos, end, n):
    if pos + 4 > end:
        return 0, 0
    flags, ptype = u16(b, base + pos), u16(b, base + pos + 2)
    if flags & 0x4007:
        return 0, 0
    pos += 4
    for bit in (0x8000, 0x2000, 0x1000):
        if flags & bit:
            pos += 4
    if ptype == 0x0800 or ptype == 0x86DD:
        return (ptype, pos) if pos < end else (0, 0)
    if ptype == 0x88BE and flags & 0x1000:
        pos += 8
    elif ptype == 0x22EB:
        if pos + 12 > end:
            return 0, 0
        pos += 20 if b[base + pos + 11] & 1 else 12
    elif ptype == 0x8847 or ptype == 0x8848:
        return _ethertype(b, base, n, pos, ptype)
    elif ptype != 0x6558 and ptype != 0x88BE:
        return 0, 0
    return _inner_ethernet(b, base, pos, end, n)


@njit(cache=True, nogil=True, forceinline=True)
def _gtpu(b, base, pos, end):
    if pos + 8 > end:
        return 0, 0
    first = b[base + pos]
    if first >> 5 != 1 or not first & 0x10 or b[base + pos + 1] != 0xFF:
        return 0, 0
    head = 8
    if first & 0x07:
        if pos + 12 > end:
            return 0, 0
        head, following = 12, b[base + pos + 11]
        while following:
            if pos + head >= end or not b[base + pos + head]:
                return 0, 0
            head += np.int64(b[base + pos + head]) * 4
            if pos + head > end:
                return 0, 0
            following = b[base + pos + head - 1]
    if pos + head >= end:
        return 0, 0
    version = b[base + pos + head] >> 4
    if version == 4:
        return 0x0800, pos + head
    if version == 6:
        return 0x86DD, pos + head
    return 0, 0


@njit(cache=True, nogil=True, forceinline=True)
def _inner_ethernet(b, base, pos, end, n):
    if pos + 14 > end:
        return 0, 0
    return _ethertype(b, base, n, pos + 14, u16(b, base + pos + 12))


@njit(cache=True, nogil=True, forceinline=True)
def _link(b, base, n, linktype):
    """(ethertype, offset of the IP header from base): ethertype 0 = not IP, -1 = malformed."""
    if linktype == 1:
        if n < 14:
            return -1, 0
        return _ethertype(b, base, n, 14, u16(b, base + 12))
    if linktype == 113:
        if n < 16:
            return -1, 0
        return _ethertype(b, base, n, 16, u16(b, base + 14))
    if linktype == 276:
        if n < 20:
            return -1, 0
        return _ethertype(b, base, n, 20, u16(b, base))
    if linktype == 12 or linktype == 14 or linktype == 101 or linktype == 228 \
            or linktype == 229:
        if n <= 0:
            return -1, 0
        version = b[base] >> 4
        if version == 4:
            return 0x0800, 0
        if version == 6:
            return 0x86DD, 0
        return -1, 0
    if linktype == 0 or linktype == 108:
        if n < 4:
            return -1, 0
        family = _u32(b, base)
        if linktype == 0:
            family = u32le(b, base)
            if family > 0xFFFF:
                family = _u32(b, base)
        if family == 2:
            return 0x0800, 4
        if family == 10 or family == 23 or family == 24 or family == 28 or family == 30:
            return 0x86DD, 4
        return 0, 0
    if linktype == 239:
        return _nflog(b, base, n)
    if linktype == 50 and n > 0 and (b[base] == 0x0F or b[base] == 0x8F):
        return _c_hdlc(b, base, n, 0)
    if linktype == 9 or linktype == 50 or linktype == 204:
        return _ppp(b, base, n, 1 if linktype == 204 else 0)
    if linktype == 104 or linktype == 205:
        return _c_hdlc(b, base, n, 1 if linktype == 205 else 0)
    return -1, 0  # unsupported link type


@njit(cache=True, nogil=True, forceinline=True)
def _ppp(b, base, n, offset):
    """packet._ppp: the protocol field after an optional ff 03, one byte when odd."""
    if n >= offset + 2 and b[base + offset] == 0xFF and b[base + offset + 1] == 0x03:
        offset += 2
    if n <= offset:
        return -1, 0
    if b[base + offset] & 1:
        protocol, offset = np.int64(b[base + offset]), offset + 1
    else:
        if n < offset + 2:
            return -1, 0
        protocol, offset = u16(b, base + offset), offset + 2
    if protocol == 0x0021:
        return 0x0800, offset
    if protocol == 0x0057:
        return 0x86DD, offset
    if protocol == 0x0281 or protocol == 0x0283:
        return _ethertype(b, base, n, offset, 0x8847 if protocol == 0x0281 else 0x8848)
    return 0, 0


@njit(cache=True, nogil=True, forceinline=True)
def _c_hdlc(b, base, n, offset):
    """packet._c_hdlc: address, control, then an Ethernet type."""
    if n < offset + 4:
        return -1, 0
    return _ethertype(b, base, n, offset + 4, u16(b, base + offset + 2))


@njit(cache=True, nogil=True, forceinline=True)
def _nflog(b, base, n):
    """packet._nflog: the payload TLV's value, its family from the NFLOG header."""
    if n < 4:
        return -1, 0
    family, pos = b[base], 4
    while pos + 4 <= n:
        p = base + pos
        if b[p + 3] != 0:  # a type of 256 or more read little-endian: big-endian
            length, tlv_type = u16(b, p), u16(b, p + 2)
        else:
            length = np.int64(b[p]) | (np.int64(b[p + 1]) << 8)
            tlv_type = np.int64(b[p + 2])
        if tlv_type == 9:
            if family == 2:
                return 0x0800, pos + 4
            if family == 10 or family == 23 or family == 24 or family == 28 or family == 30:
                return 0x86DD, pos + 4
            return 0, 0
        if length < 4 or pos + length > n:
            return -1, 0
        pos += (length + 3) & ~3
    return 0, 0


@njit(cache=True, nogil=True, forceinline=True)
def _ethertype(b, base, n, offset, ethertype):
    while ethertype == 0x8100 or ethertype == 0x88A8 or ethertype == 0x9100 \
            or ethertype == 0x9200 or ethertype == 0x8847 or ethertype == 0x8848:
        if ethertype == 0x8847 or ethertype == 0x8848:
            offset, ethertype = _mpls(b, base, n, offset)
            if ethertype <= 0:
                return ethertype, 0
            if ethertype == 0x0800 or ethertype == 0x86DD:
                return ethertype, offset
            continue
        if n < offset + 4:
            return -1, 0
        ethertype = u16(b, base + offset + 2)
        offset += 4
    if ethertype == 0x8864:  # PPPoE session
        if n < offset + 8:
            return -1, 0
        ppp = u16(b, base + offset + 6)
        ethertype = 0x0800 if ppp == 0x21 else (0x86DD if ppp == 0x57 else 0)
        offset += 8
    if ethertype == 0x0800 or ethertype == 0x86DD:
        return ethertype, offset
    return 0, 0


@njit(cache=True, nogil=True, forceinline=True)
def _mpls(b, base, n, offset):
    """packet._mpls: (offset, ethertype) after the label stack; ethertype -1 cut, 0 not IP."""
    while True:
        if n < offset + 4:
            return 0, -1
        bottom = b[base + offset + 2] & 1
        offset += 4
        if bottom:
            break
    if n <= offset:
        return 0, -1
    version = b[base + offset] >> 4
    if version == 4:
        return offset, 0x0800
    if version == 6:
        return offset, 0x86DD
    if version == 0 and n >= offset + 18:
        return offset + 18, u16(b, base + offset + 16)
    return offset, 0


@njit(cache=True, nogil=True, forceinline=True)
def _ipv4(b, row, offset):
    base, n = row.off, row.caplen
    if n < offset + 20:
        return -1, -1
    o = base + offset
    ver_ihl = b[o]
    hlen = (ver_ihl & 15) * 4
    if ver_ihl >> 4 != 4 or hlen < 20 or n < offset + hlen:
        return -1, -1
    total = u16(b, o + 2)
    if total == 0:
        total = n - offset
    elif total < hlen:
        return -1, -1
    row.ver, row.proto, row.ip_len = 4, b[o + 9], total
    row.mark = u16(b, o + 4) << 16
    row.src_lo, row.dst_lo = np.uint64(_u32(b, o + 12)), np.uint64(_u32(b, o + 16))
    end = min(offset + total, n)
    if u16(b, o + 6) & 0x3FFF:  # more fragments, or an offset: a piece of a datagram
        _fragment(row, o, end - offset)
        return -1, -1
    _transport(b, row, offset + hlen, end)
    return offset + hlen, end


@njit(cache=True, nogil=True, forceinline=True)
def _ipv6(b, row, offset):
    base, n = row.off, row.caplen
    if n < offset + 40:
        return -1, -1
    o = base + offset
    if b[o] >> 4 != 6:
        return -1, -1
    plen = u16(b, o + 4)
    total = 40 + plen if plen else n - offset
    end = min(offset + total, n)
    row.ver, row.ip_len = 6, total
    row.src_hi, row.src_lo = _u64(b, o + 8), _u64(b, o + 16)
    row.dst_hi, row.dst_lo = _u64(b, o + 24), _u64(b, o + 32)
    proto, pos = b[o + 6], offset + 40
    while proto == 0 or proto == 43 or proto == 60 or proto == 135 or proto == 139 \
            or proto == 140 or proto == 44 or proto == 51:
        if pos + 8 > end:
            return -1, -1
        p = base + pos
        if proto == 44:
            if u16(b, p + 2) & 0xFFF9:  # an offset or more to come (not an atomic fragment)
                row.proto = b[p]
                _fragment(row, o, end - offset)
                return -1, -1
            proto, pos = b[p], pos + 8
        elif proto == 51:
            proto, pos = b[p], pos + (np.int64(b[p + 1]) + 2) * 4
        else:
            proto, pos = b[p], pos + (np.int64(b[p + 1]) + 1) * 8
    row.proto = proto
    if proto == 59:
        row.status = OK
        return -1, -1
    _transport(b, row, pos, end)
    return pos, end


@njit(cache=True, nogil=True, forceinline=True)
def _fragment(row, at, length):
    """row is an IP fragment: its payload span is the IP packet at buffer offset `at`."""
    row.status, row.pl_off, row.pl_len = FRAGMENT, at, length


@njit(cache=True, nogil=True, forceinline=True)
def _transport(b, row, start, end):
    """TCP/UDP header at frame offsets [start, end); other protocols have no ports."""
    base = row.off
    if row.proto == 6:
        if start + 20 > end:
            return
        s = base + start
        off_flags = u16(b, s + 12)
        hlen = (off_flags >> 12) * 4
        if hlen < 20 or start + hlen > end:
            return
        row.sport, row.dport, row.seq = u16(b, s), u16(b, s + 2), _u32(b, s + 4)
        row.ack = _u32(b, s + 8)
        row.flags = off_flags & 0xFF
        row.mark |= u16(b, s + 16)
        row.pl_off, row.pl_len = base + start + hlen, end - start - hlen
    elif row.proto == 17:
        if start + 8 > end:
            return
        s = base + start
        length = u16(b, s + 4)
        if length >= 8:
            end = min(end, start + length)
        row.sport, row.dport = u16(b, s), u16(b, s + 2)
        row.pl_off, row.pl_len = base + start + 8, end - start - 8
    row.status = OK
