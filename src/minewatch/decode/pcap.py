"""pcap and pcapng framing: capture files in, raw link-layer frames out.

`PcapReader` streams `RawPacket`s from any binary file object (stdin included: it never seeks)
with memory bounded by one read chunk plus one block. `PcapWriter` writes classic pcap cheaply
enough for the simulator's multi-million-packet files; `PcapngWriter` exists so pcapng decoding
can be round-tripped in tests.

Formats: classic pcap (https://www.tcpdump.org/manpages/pcap-savefile.5.html) and pcapng
(https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from minewatch.errors import DecodeError, NeedMoreData

Fields = tuple[tuple[str, str], ...]


def field_struct(fields: Fields, order: str = "<") -> struct.Struct:
    """The struct for a field table: (name, struct code) pairs in wire order."""
    return struct.Struct(order + "".join(code for _, code in fields))


# Classic pcap
PCAP_HEADER: Fields = (
    ("magic", "I"), ("version_major", "H"), ("version_minor", "H"), ("thiszone", "i"),
    ("sigfigs", "I"), ("snaplen", "I"), ("linktype", "I"),
)
PCAP_RECORD: Fields = (("ts_sec", "I"), ("ts_frac", "I"), ("caplen", "I"), ("wirelen", "I"))
MAGIC_USEC, MAGIC_NSEC = 0xA1B2C3D4, 0xA1B23C4D
# magic bytes as they appear in the file -> (byte order, fraction units per second)
_PCAP_MAGICS = {
    struct.pack(order + "I", magic): (order, units)
    for order in "<>"
    for magic, units in ((MAGIC_USEC, 10**6), (MAGIC_NSEC, 10**9))
}
_LINKTYPE_MASK = 0x03FFFFFF  # the upper bits of the header's linktype carry FCS info

# pcapng: every block is type, total length, body, total length again
BLOCK_HEAD: Fields = (("type", "I"), ("total_len", "I"))
SHB: Fields = (("byte_order_magic", "I"), ("major", "H"), ("minor", "H"), ("section_len", "q"))
IDB: Fields = (("linktype", "H"), ("reserved", "H"), ("snaplen", "I"))
EPB: Fields = (("interface", "I"), ("ts_high", "I"), ("ts_low", "I"), ("caplen", "I"),
               ("wirelen", "I"))
SPB: Fields = (("wirelen", "I"),)
OPB: Fields = (("interface", "H"), ("drops", "H"), ("ts_high", "I"), ("ts_low", "I"),
               ("caplen", "I"), ("wirelen", "I"))
OPTION: Fields = (("code", "H"), ("length", "H"))
SHB_TYPE, IDB_TYPE, OPB_TYPE, SPB_TYPE, EPB_TYPE = 0x0A0D0D0A, 1, 2, 3, 6
BYTE_ORDER_MAGIC = 0x1A2B3C4D
OPT_END, OPT_TSRESOL, OPT_TSOFFSET = 0, 9, 14
_SHB_HEAD = struct.pack("<I", SHB_TYPE)
_BOMS = {struct.pack(order + "I", BYTE_ORDER_MAGIC): order for order in "<>"}

MAX_BLOCK = 16 << 20  # larger lengths are corruption; the bound keeps memory bounded too
CHUNK = 1 << 20


def sniff(head: bytes) -> str | None:
    """'pcap', 'pcapng' or None from the first bytes of a file (4 suffice, 12 are surer)."""
    if head[:4] in _PCAP_MAGICS:
        return "pcap"
    if head[:4] == _SHB_HEAD and (len(head) < 12 or head[8:12] in _BOMS):
        return "pcapng"
    return None


def pcap_layout(header: bytes) -> tuple[bool, int, int]:
    """(big-endian, timestamp fraction units per second, linktype) of a classic pcap file
    header (24 bytes). Raises DecodeError for another magic, NeedMoreData if cut short."""
    if header[:4] not in _PCAP_MAGICS:
        raise DecodeError(f"not a classic pcap file (magic {header[:4].hex()})")
    if len(header) < 24:
        raise NeedMoreData("pcap file header cut short")
    order, units = _PCAP_MAGICS[header[:4]]
    linktype = field_struct(PCAP_HEADER, order).unpack_from(header)[-1] & _LINKTYPE_MASK
    return order == ">", units, linktype


@dataclass(frozen=True, slots=True)
class RawPacket:
    ts: float  # s since epoch
    linktype: int
    data: bytes  # the captured bytes (at most snaplen)
    wirelen: int  # length on the wire


@dataclass(frozen=True, slots=True)
class Interface:
    """A pcapng interface: timestamps are ticks of 1/units s, plus offset s."""

    linktype: int
    snaplen: int
    units: int = 10**6
    offset: int = 0


class PcapReader:
    """Iterates the RawPackets of a pcap or pcapng stream.

    Bad magic raises DecodeError from the constructor. Iteration never raises on damage: a
    truncated last record sets `.truncated`; a malformed pcapng block is counted in `.skipped`
    and passed over; damage that loses the framing (an absurd length) ends iteration with
    `.error` saying why. `.format` is 'pcap' or 'pcapng'; `.linktype` is the classic pcap
    header's (None for pcapng, where each interface has its own).
    """

    def __init__(self, fileobj: BinaryIO, chunk_size: int = CHUNK):
        self._file, self._chunk = fileobj, chunk_size
        self._buf, self._pos = b"", 0
        self.packets, self.truncated, self.skipped = 0, False, 0
        self.error: str | None = None
        self._section: _Section | None = None
        if not self._fill(4):
            raise NeedMoreData("capture shorter than its magic number")
        self.format = sniff(self._buf[:4])
        if self.format is None:
            raise DecodeError(f"not a pcap or pcapng file (magic {self._buf[:4].hex()})")
        self.linktype = self._read_pcap_header() if self.format == "pcap" else None

    def __iter__(self) -> Iterator[RawPacket]:
        packets = self._iter_pcap() if self.format == "pcap" else self._iter_pcapng()
        yield from packets
        if self._pos < len(self._buf):  # bytes left that do not make a whole record
            self.truncated = True

    # -- buffer: the only place that reads the file
    def _fill(self, n: int) -> bool:
        """Whether n bytes are buffered at the read position, reading more if needed."""
        if len(self._buf) - self._pos >= n:
            return True
        parts, have = [self._buf[self._pos:]], len(self._buf) - self._pos
        while have < n:
            chunk = self._file.read(max(self._chunk, n - have))
            if not chunk:
                break
            parts.append(chunk)
            have += len(chunk)
        self._buf, self._pos = b"".join(parts), 0
        return have >= n

    def _stop(self, why: str) -> None:
        self.error, self.skipped = why, self.skipped + 1
        self._pos = len(self._buf)  # what remains cannot be framed; it is not a truncation

    # -- classic pcap
    def _read_pcap_header(self) -> int:
        if not self._fill(24):
            raise NeedMoreData("pcap file header cut short")
        big, self._units, linktype = pcap_layout(self._buf[:24])
        self._record = field_struct(PCAP_RECORD, ">" if big else "<")
        self._pos = 24
        return linktype

    def _iter_pcap(self) -> Iterator[RawPacket]:
        unpack, units, linktype = self._record.unpack_from, self._units, self.linktype
        while self._fill(16):
            sec, frac, caplen, wirelen = unpack(self._buf, self._pos)
            if caplen > MAX_BLOCK:
                self._stop(f"record length {caplen} at packet {self.packets + 1}")
                return
            if not self._fill(16 + caplen):
                return
            start = self._pos + 16
            self._pos = end = start + caplen
            self.packets += 1
            yield RawPacket(sec + frac / units, linktype, self._buf[start:end], wirelen)

    # -- pcapng
    def _iter_pcapng(self) -> Iterator[RawPacket]:
        while self._fill(12):
            length = self._block_length()
            if length is None:
                return
            if not self._fill(length):
                return
            start, self._pos = self._pos, self._pos + length
            packet = self._block(start, length)
            if packet is not None:
                self.packets += 1
                yield packet

    def _block_length(self) -> int | None:
        """Total length of the block at the read position (adopting a new SHB's byte order)."""
        buf, pos = self._buf, self._pos
        if buf[pos:pos + 4] == _SHB_HEAD:
            order = _BOMS.get(buf[pos + 8:pos + 12])
            if order is None:
                self._stop("section header with a bad byte-order magic")
                return None
            self._section = _Section(order)
        elif self._section is None:
            self._stop("pcapng data before any section header")
            return None
        length = self._section.head.unpack_from(buf, pos)[1]
        if length < 12 or length % 4 or length > MAX_BLOCK:
            self._stop(f"block length {length} after packet {self.packets}")
            return None
        return length

    def _block(self, start: int, length: int) -> RawPacket | None:
        section, buf = self._section, self._buf
        btype, _ = section.head.unpack_from(buf, start)
        if section.u32.unpack_from(buf, start + length - 4)[0] != length:
            self.skipped += 1  # trailing length disagrees: the block is damaged
            return None
        try:
            return section.block(btype, buf, start + 8, start + length - 4)
        except (struct.error, IndexError, DecodeError):
            self.skipped += 1
            return None


class _Section:
    """State of one pcapng section: its byte order and the interfaces declared so far."""

    def __init__(self, order: str):
        self.head, self.u32 = field_struct(BLOCK_HEAD, order), struct.Struct(order + "I")
        self.epb, self.opb = field_struct(EPB, order), field_struct(OPB, order)
        self.idb, self.spb = field_struct(IDB, order), field_struct(SPB, order)
        self.option, self.order = field_struct(OPTION, order), order
        self.interfaces: list[Interface] = []
        self.last_ts = 0.0

    def block(self, btype: int, buf: bytes, start: int, end: int) -> RawPacket | None:
        """The packet in one block body buf[start:end], or None for blocks that carry none."""
        if btype == EPB_TYPE:
            return self._packet(self.epb.unpack_from(buf, start), buf, start + 20, end)
        if btype == SPB_TYPE:
            return self._simple(buf, start, end)
        if btype == IDB_TYPE:
            self.interfaces.append(self._interface(buf, start, end))
        elif btype == OPB_TYPE:
            iface, _drops, *rest = self.opb.unpack_from(buf, start)
            return self._packet((iface, *rest), buf, start + 20, end)
        return None  # SHB (already handled), statistics, name resolution, unknown blocks

    def _packet(self, head: tuple, buf: bytes, data_start: int, end: int) -> RawPacket:
        """head: interface, ts_high, ts_low, caplen, wirelen."""
        iface, high, low, caplen, wirelen = head
        if iface >= len(self.interfaces) or data_start + caplen > end:
            raise DecodeError("packet block for an unknown interface or longer than its block")
        i = self.interfaces[iface]
        sec, frac = divmod((high << 32) | low, i.units)  # whole seconds exact, as framescan
        self.last_ts = ts = sec + frac / i.units + i.offset
        return RawPacket(ts, i.linktype, buf[data_start:data_start + caplen], wirelen)

    def _simple(self, buf: bytes, start: int, end: int) -> RawPacket:
        """SPB: interface 0, no timestamp (the previous packet's is used), caplen implied."""
        if not self.interfaces:
            raise DecodeError("simple packet block before any interface")
        i, (wirelen,) = self.interfaces[0], self.spb.unpack_from(buf, start)
        caplen = min(wirelen, end - start - 4, i.snaplen or wirelen)
        return RawPacket(self.last_ts, i.linktype, buf[start + 4:start + 4 + caplen], wirelen)

    def _interface(self, buf: bytes, start: int, end: int) -> Interface:
        linktype, _, snaplen = self.idb.unpack_from(buf, start)
        units, offset = 10**6, 0
        for code, value in self._options(buf, start + 8, end):
            if code == OPT_TSRESOL and value:
                units = 1 << (value[0] & 0x7F) if value[0] & 0x80 else 10 ** value[0]
            elif code == OPT_TSOFFSET and len(value) == 8:
                offset = struct.unpack(self.order + "q", value)[0]
        return Interface(linktype, snaplen, units, offset)

    def _options(self, buf: bytes, pos: int, end: int) -> Iterator[tuple[int, bytes]]:
        """(code, value) pairs; a damaged option list just ends early."""
        while pos + 4 <= end:
            code, length = self.option.unpack_from(buf, pos)
            if code == OPT_END or pos + 4 + length > end:
                return
            yield code, buf[pos + 4:pos + 4 + length]
            pos += 4 + (-length % 4) + length


class PcapWriter:
    """Writes classic pcap, little-endian; microsecond or nanosecond timestamps."""

    def __init__(self, fileobj: BinaryIO, linktype: int = 1, nanosecond: bool = False,
                 snaplen: int = 262144):
        self._write = fileobj.write
        self._units = 10**9 if nanosecond else 10**6
        self._record = field_struct(PCAP_RECORD).pack
        magic = MAGIC_NSEC if nanosecond else MAGIC_USEC
        self._write(field_struct(PCAP_HEADER).pack(magic, 2, 4, 0, 0, snaplen, linktype))

    def write(self, ts: float, data: bytes, wirelen: int | None = None) -> None:
        """One record; ts in s since epoch (>= 0), wirelen defaults to len(data)."""
        sec = int(ts)
        frac = int((ts - sec) * self._units + 0.5)
        if frac >= self._units:  # rounding carried into the next second
            sec, frac = sec + 1, frac - self._units
        n = len(data)
        self._write(self._record(sec, frac, n, n if wirelen is None else wirelen) + data)


class PcapngWriter:
    """Writes one pcapng section: interfaces, then enhanced or simple packet blocks."""

    def __init__(self, fileobj: BinaryIO, order: str = "<"):
        self._write, self._order = fileobj.write, order
        self._epb = field_struct(EPB, order)
        self._interfaces: list[Interface] = []
        self.block(SHB_TYPE, field_struct(SHB, order).pack(BYTE_ORDER_MAGIC, 1, 0, -1))

    def block(self, btype: int, body: bytes) -> None:
        """Any block: body is padded to 4 bytes and framed by its total length."""
        body += b"\0" * (-len(body) % 4)
        length = struct.pack(self._order + "I", len(body) + 12)
        self._write(struct.pack(self._order + "I", btype) + length + body + length)

    def add_interface(self, linktype: int = 1, snaplen: int = 0, tsresol: int = 6,
                      tsoffset: int = 0) -> int:
        """Declare an interface; tsresol is the if_tsresol byte (6 = us, 9 = ns, 0x80|n = 2^-n)."""
        units = 1 << (tsresol & 0x7F) if tsresol & 0x80 else 10**tsresol
        self._interfaces.append(Interface(linktype, snaplen, units, tsoffset))
        opt = field_struct(OPTION, self._order)
        options = opt.pack(OPT_TSRESOL, 1) + bytes([tsresol, 0, 0, 0])
        if tsoffset:
            options += opt.pack(OPT_TSOFFSET, 8) + struct.pack(self._order + "q", tsoffset)
        body = field_struct(IDB, self._order).pack(linktype, 0, snaplen) + options
        self.block(IDB_TYPE, body + opt.pack(OPT_END, 0))
        return len(self._interfaces) - 1

    def write(self, ts: float, data: bytes, interface: int = 0,
              wirelen: int | None = None) -> None:
        """An enhanced packet block."""
        i = self._interfaces[interface]
        ts -= i.offset
        ticks = int(ts) * i.units + round((ts - int(ts)) * i.units)  # exact for whole seconds
        wire = len(data) if wirelen is None else wirelen
        head = self._epb.pack(interface, ticks >> 32, ticks & 0xFFFFFFFF, len(data), wire)
        self.block(EPB_TYPE, head + data)

    def write_simple(self, data: bytes, wirelen: int | None = None) -> None:
        """A simple packet block (interface 0, no timestamp)."""
        wire = len(data) if wirelen is None else wirelen
        self.block(SPB_TYPE, struct.pack(self._order + "I", wire) + data)
