"""DNS messages (RFC 1035) as carried in one UDP datagram: header, questions, resource records.

Names are text without the trailing dot, case kept; labels are decoded as Latin-1 so every byte
survives (a '.' inside a label is not escaped). A, AAAA records carry address text, CNAME, NS and
PTR records a name; other record data stays raw bytes (compression pointers inside it, as in MX
or SOA, refer to the original message). Compression pointers must point before the name being
read, which makes loops impossible rather than merely bounded.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass
from typing import Sequence

from minewatch.errors import DecodeError, NeedMoreData

A, NS, CNAME, SOA, PTR, MX, TXT, AAAA, OPT = 1, 2, 5, 6, 12, 15, 16, 28, 41
IN = 1
NOERROR, NXDOMAIN = 0, 3
_NAME_TYPES = (CNAME, NS, PTR)
_HEADER_FIELDS = (("txid", "H"), ("flags", "H"), ("qdcount", "H"), ("ancount", "H"),
                  ("nscount", "H"), ("arcount", "H"))
_HEADER = struct.Struct("!" + "".join(code for _, code in _HEADER_FIELDS))
_RR_FIXED = struct.Struct("!HHIH")  # type, class, ttl, rdlength
_QR, _AA, _TC, _RD, _RA = 1 << 15, 1 << 10, 1 << 9, 1 << 8, 1 << 7
_MAX_NAME = 255
_POINTER = 0xC0


@dataclass(frozen=True, slots=True)
class Question:
    name: str
    qtype: int = A
    qclass: int = IN


@dataclass(frozen=True, slots=True)
class ResourceRecord:
    name: str
    rtype: int
    rclass: int
    ttl: int  # s
    data: str | bytes  # address text (A, AAAA), a name (CNAME, NS, PTR), else raw rdata


@dataclass(frozen=True, slots=True)
class DnsMessage:
    txid: int
    flags: int  # QR, opcode, AA, TC, RD, RA, Z, rcode as on the wire
    questions: tuple[Question, ...] = ()
    answers: tuple[ResourceRecord, ...] = ()
    authority: tuple[ResourceRecord, ...] = ()
    additional: tuple[ResourceRecord, ...] = ()

    @property
    def is_response(self) -> bool:
        return bool(self.flags & _QR)

    @property
    def rcode(self) -> int:
        return self.flags & 0xF

    @property
    def truncated(self) -> bool:
        return bool(self.flags & _TC)


# --- decoding ------------------------------------------------------------------------------------

def parse_message(data: bytes) -> DnsMessage:
    """Decode a DNS message; bytes after the last record are ignored."""
    if len(data) < _HEADER.size:
        raise NeedMoreData("DNS header needs 12 bytes")
    txid, flags, *counts = _HEADER.unpack_from(data)
    pos, questions = _HEADER.size, []
    for _ in range(counts[0]):
        name, pos = read_name(data, pos)
        if len(data) - pos < 4:
            raise NeedMoreData("question runs past the message")
        questions.append(Question(name, *struct.unpack_from("!HH", data, pos)))
        pos += 4
    sections = []
    for count in counts[1:]:
        records, pos = _records(data, pos, count)
        sections.append(records)
    return DnsMessage(txid, flags, tuple(questions), *sections)


def _records(data: bytes, pos: int, count: int) -> tuple[tuple[ResourceRecord, ...], int]:
    records = []
    for _ in range(count):
        name, pos = read_name(data, pos)
        if len(data) - pos < _RR_FIXED.size:
            raise NeedMoreData("resource record runs past the message")
        rtype, rclass, ttl, rdlength = _RR_FIXED.unpack_from(data, pos)
        pos += _RR_FIXED.size
        if len(data) - pos < rdlength:
            raise NeedMoreData("record data runs past the message")
        records.append(ResourceRecord(name, rtype, rclass, ttl, _rdata(data, pos, rdlength, rtype)))
        pos += rdlength
    return tuple(records), pos


def _rdata(data: bytes, pos: int, length: int, rtype: int) -> str | bytes:
    raw = bytes(data[pos:pos + length])
    if rtype == A:
        if length != 4:
            raise DecodeError(f"A record of {length} bytes")
        return str(ipaddress.IPv4Address(raw))
    if rtype == AAAA:
        if length != 16:
            raise DecodeError(f"AAAA record of {length} bytes")
        return str(ipaddress.IPv6Address(raw))
    if rtype in _NAME_TYPES:
        name, end = read_name(data, pos)
        if end != pos + length:
            raise DecodeError("name does not fill its record data")
        return name
    return raw


def read_name(data: bytes, pos: int) -> tuple[str, int]:
    """A possibly compressed name at pos; returns it and the position after it."""
    labels, floor, resume, size = [], pos, None, 0
    while True:
        if pos >= len(data):
            raise NeedMoreData("name runs past the message")
        length = data[pos]
        if length == 0:
            return ".".join(labels), resume if resume is not None else pos + 1
        if length & _POINTER == _POINTER:
            pos, floor, resume = _follow(data, pos, floor, resume)
            continue
        if length & _POINTER:
            raise DecodeError(f"unsupported label type {length >> 6:#x}")
        size += length + 1
        if size > _MAX_NAME:
            raise DecodeError("name longer than 255 bytes")
        if pos + 1 + length > len(data):
            raise NeedMoreData("label runs past the message")
        labels.append(data[pos + 1:pos + 1 + length].decode("latin-1"))
        pos += 1 + length


def _follow(data: bytes, pos: int, floor: int, resume: int | None) -> tuple[int, int, int]:
    """Jump through a pointer; it must land before every byte of the name read so far."""
    if pos + 1 >= len(data):
        raise NeedMoreData("compression pointer cut off")
    target = (data[pos] & 0x3F) << 8 | data[pos + 1]
    if target >= floor:
        raise DecodeError("compression pointer does not point backwards")
    return target, target, resume if resume is not None else pos + 2


def answer_addresses(message: DnsMessage) -> list[tuple[str, str, int]]:
    """(question name in lower case, address, TTL s) for each A/AAAA answer, CNAMEs followed."""
    by_owner: dict[str, list[ResourceRecord]] = {}
    for rr in message.answers:
        by_owner.setdefault(rr.name.lower(), []).append(rr)
    found = []
    for q in message.questions:
        names, seen = [q.name.lower()], set()
        while names:
            name = names.pop(0)
            seen.add(name)
            for rr in by_owner.get(name, ()):
                if rr.rtype in (A, AAAA):
                    found.append((q.name.lower(), rr.data, rr.ttl))
                elif rr.rtype == CNAME and str(rr.data).lower() not in seen:
                    names.append(str(rr.data).lower())
    return found


# --- encoding ------------------------------------------------------------------------------------

def encode_message(message: DnsMessage) -> bytes:
    """Wire bytes of a message, names compressed (the inverse of parse_message)."""
    sections = (message.answers, message.authority, message.additional)
    out = bytearray(_HEADER.pack(message.txid, message.flags, len(message.questions),
                                 *(len(s) for s in sections)))
    offsets: dict[str, int] = {}
    for q in message.questions:
        _write_name(out, q.name, offsets)
        out += struct.pack("!HH", q.qtype, q.qclass)
    for rr in (rr for s in sections for rr in s):
        _write_name(out, rr.name, offsets)
        rdata = _encode_rdata(rr, len(out) + _RR_FIXED.size, offsets)
        out += _RR_FIXED.pack(rr.rtype, rr.rclass, rr.ttl, len(rdata)) + rdata
    return bytes(out)


def _encode_rdata(rr: ResourceRecord, at: int, offsets: dict[str, int]) -> bytes:
    if rr.rtype == A:
        return ipaddress.IPv4Address(rr.data).packed
    if rr.rtype == AAAA:
        return ipaddress.IPv6Address(rr.data).packed
    if rr.rtype in _NAME_TYPES:
        buf = bytearray()
        _write_name(buf, str(rr.data), offsets, at)
        return bytes(buf)
    return bytes(rr.data)


def _write_name(out: bytearray, name: str, offsets: dict[str, int], base: int = 0) -> None:
    """Append name, ending in a pointer to the longest suffix written before (case kept)."""
    labels = name.split(".") if name else []
    for i in range(len(labels)):
        suffix = ".".join(labels[i:])
        if suffix in offsets:
            out += struct.pack("!H", _POINTER << 8 | offsets[suffix])
            return
        if base + len(out) < 0x4000:
            offsets[suffix] = base + len(out)
        raw = labels[i].encode("latin-1")
        if not 0 < len(raw) < 64:
            raise ValueError(f"label of {len(raw)} bytes in {name!r}")
        out += bytes([len(raw)]) + raw
    out.append(0)


def encode_query(qname: str, txid: int, qtype: int = A, recursion: bool = True) -> bytes:
    return encode_message(DnsMessage(txid, _RD if recursion else 0, (Question(qname, qtype),)))


def encode_response(qname: str, answers: Sequence[str], ttl: int, txid: int,
                    rcode: int = NOERROR) -> bytes:
    """A recursive resolver's answer: names in answers form a CNAME chain from qname, addresses
    become A/AAAA records of the chain's last name; the question asks AAAA only when every
    address is IPv6."""
    owner, records = qname, []
    for value in answers:
        rtype = _address_type(value)
        records.append(ResourceRecord(owner, rtype or CNAME, IN, ttl, value))
        owner = owner if rtype else value
    addresses = [r.rtype for r in records if r.rtype != CNAME]
    qtype = AAAA if addresses and all(t == AAAA for t in addresses) else A
    flags = _QR | _RD | _RA | rcode
    return encode_message(DnsMessage(txid, flags, (Question(qname, qtype),), tuple(records)))


def _address_type(value: str) -> int | None:
    try:
        return A if ipaddress.ip_address(value).version == 4 else AAAA
    except ValueError:
        return None
