"""IPFIX (RFC 7011) messages and IPFIX files (RFC 5655: a file is a sequence of messages).

A message is a 16-byte header and sets: templates (set 2), options templates (set 3) and data
(set id = template id >= 256). Beyond NetFlow v9, IPFIX has enterprise-specific elements
(carried, then skipped), variable-length fields, template withdrawal (field count 0; template id
2 or 3 withdraws every template of its kind) and a sequence number that counts data records, so
`Datagram.lost` is in records here. Templates and pending data live in the caller's
`TemplateCache` (shared with NetFlow v9).
"""

from __future__ import annotations

import struct
from typing import BinaryIO, Iterable, Iterator, NamedTuple, Sequence

import numpy as np
import pyarrow as pa

from minewatch.decode.flowfields import (
    DataBlock,
    Datagram,
    ExportClock,
    ExportConfig,
    FieldSpec,
    Template,
    TemplateSet,
    flow_rows,
    flow_table,
    pack_rows,
)
from minewatch.decode.netflow_v9 import export_seconds, flow_elements
from minewatch.decode.templates import (
    Dialect,
    SetWalk,
    TemplateCache,
    WireHeader,
    decode_sets,
    encode_sets,
)
from minewatch.errors import DecodeError, NeedMoreData

SOURCE = "ipfix"
VERSION = 10
_HEADER = WireHeader.of(("version", "H"), ("length", "H"), ("export_time", "I"),
                        ("sequence", "I"), ("domain_id", "I"))
HEADER_SIZE = _HEADER.struct.size
_ENTERPRISE_BIT = 0x8000

__all__ = ["IpfixHeader", "TemplateCache", "parse_datagram", "encode_datagram", "sniff",
           "iter_ipfix_file", "write_ipfix_file", "encode_ipfix_messages", "to_flow_rows",
           "to_flow_table"]


class IpfixHeader(NamedTuple):  # a tuple: built once per datagram, cheaply
    export_time: int  # s since epoch
    sequence: int  # data records sent in this domain before this message, mod 2^32
    domain_id: int  # observation domain


# --- templates ------------------------------------------------------------------------------------

def _parse_templates(data: bytes, lo: int, hi: int, options: bool) -> tuple[Template, ...]:
    found, pos = [], lo
    while hi - pos >= 4:
        tid, count = struct.unpack_from("!HH", data, pos)
        pos += 4
        if count == 0:
            if tid == 0:
                break  # zero padding
            found.append(_withdrawal(tid, options))
            continue
        scopes = 0
        if options:
            if hi - pos < 2:
                raise NeedMoreData("options template header runs past its set")
            scopes, pos = struct.unpack_from("!H", data, pos)[0], pos + 2
        if tid < 256 or (options and not 0 < scopes <= count):
            raise DecodeError(f"bad template {tid} ({count} fields, {scopes} scope)")
        specs, pos = _field_specs(data, pos, hi, count)
        found.append(Template(tid, specs, scopes))
    return tuple(found)


def _withdrawal(tid: int, options: bool) -> Template:
    if tid != (3 if options else 2) and tid < 256:
        raise DecodeError(f"withdrawal of reserved template id {tid}")
    return Template(tid, ())


def _field_specs(data: bytes, pos: int, hi: int, count: int) -> tuple[tuple[FieldSpec, ...], int]:
    specs = []
    for _ in range(count):
        if hi - pos < 4:
            raise NeedMoreData("template runs past its set")
        eid, length = struct.unpack_from("!HH", data, pos)
        pos += 4
        enterprise = 0
        if eid & _ENTERPRISE_BIT:
            if hi - pos < 4:
                raise NeedMoreData("enterprise number runs past its set")
            enterprise, pos = struct.unpack_from("!I", data, pos)[0], pos + 4
        specs.append(FieldSpec(eid & ~_ENTERPRISE_BIT, length, enterprise))
    return tuple(specs), pos


def _encode_template(t: Template) -> bytes:
    head = (struct.pack("!HHH", t.template_id, len(t.fields), t.scope_count) if t.scope_count
            else struct.pack("!HH", t.template_id, len(t.fields)))
    return head + b"".join(
        struct.pack("!HHI", s.element_id | _ENTERPRISE_BIT, s.length, s.enterprise)
        if s.enterprise else struct.pack("!HH", s.element_id, s.length) for s in t.fields)


DIALECT = Dialect(2, 3, _parse_templates, _encode_template)


# --- messages -------------------------------------------------------------------------------------

def parse_datagram(data: bytes, exporter: str, cache: TemplateCache) -> Datagram:
    """Decode one IPFIX message (bytes past its length field are ignored).

    `lost` counts data records missing before it; after a message with pending sets (record
    count unknown) the sequence is re-synchronised rather than guessed."""
    version, length, *fields = _HEADER.unpack(data)
    if version != VERSION or length < HEADER_SIZE:
        raise DecodeError(f"not an IPFIX message (version {version}, length {length})")
    if length > len(data):
        raise NeedMoreData(f"message of {length} bytes, {len(data)} present")
    header = IpfixHeader(*fields)
    key = (exporter, header.domain_id)
    walk = SetWalk(cache, key, ExportClock(header.export_time), DIALECT)
    found = decode_sets(data, HEADER_SIZE, length, walk)
    advance = None if found.pending else found.records
    lost = cache.sequence_gap(key, header.sequence, advance)
    return Datagram(SOURCE, exporter, header.domain_id, header, found.sets,
                    cache.exporter_options(key), lost, found.pending)


def encode_datagram(header: IpfixHeader, sets: Sequence[TemplateSet | DataBlock]) -> bytes:
    """The message of header and sets (its length is derived)."""
    body = encode_sets(sets, DIALECT)
    if HEADER_SIZE + len(body) > 0xFFFF:
        raise ValueError("IPFIX message over 65535 bytes")
    return _HEADER.struct.pack(VERSION, HEADER_SIZE + len(body), header.export_time,
                               header.sequence, header.domain_id) + body


def sniff(head: bytes) -> bool:
    """Does this start an IPFIX message (a UDP payload or an RFC 5655 file)?"""
    if len(head) < HEADER_SIZE + 4 or head[:2] != b"\x00\x0a":
        return False
    length = struct.unpack_from("!H", head, 2)[0]
    set_id, set_length = struct.unpack_from("!HH", head, HEADER_SIZE)
    plausible_set = (set_id in (2, 3) or set_id >= 256) and 4 <= set_length <= length - HEADER_SIZE
    follows = len(head) < length + 2 or head[length:length + 2] == b"\x00\x0a"
    return length >= HEADER_SIZE + 4 and plausible_set and follows


def to_flow_rows(datagram: Datagram, input_id: str = "") -> list[dict]:
    return flow_rows(datagram, input_id)


def to_flow_table(datagrams: Sequence[Datagram], input_id: str = "") -> pa.Table:
    return flow_table(datagrams, input_id)


# --- files (RFC 5655) -----------------------------------------------------------------------------

def iter_ipfix_file(fileobj: BinaryIO) -> Iterator[bytes]:
    """The messages of an IPFIX file, one read per message; a cut-off last one raises."""
    while head := fileobj.read(HEADER_SIZE):
        if len(head) < HEADER_SIZE:
            raise NeedMoreData("IPFIX file ends inside a message header")
        version, length = struct.unpack_from("!HH", head)
        if version != VERSION or length < HEADER_SIZE:
            raise DecodeError(f"not an IPFIX message (version {version}, length {length})")
        body = fileobj.read(length - HEADER_SIZE)
        if len(body) < length - HEADER_SIZE:
            raise NeedMoreData("IPFIX file ends inside a message")
        yield head + body


def write_ipfix_file(fileobj: BinaryIO, messages: Iterable[bytes]) -> int:
    """Write messages back to back (RFC 5655); returns the bytes written."""
    written = 0
    for m in messages:
        if m[:2] != b"\x00\x0a" or struct.unpack_from("!H", m, 2)[0] != len(m):
            raise ValueError("not a whole IPFIX message")
        written += fileobj.write(m)
    return written


# --- vectorised export (simulator) ---------------------------------------------------------------

def flow_template(template_id: int, per_record_sampling: bool) -> Template:
    """The IPv4 data template the simulator exports (millisecond absolute timestamps)."""
    ids = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (6, 2), (2, 4), (1, 8), (152, 8), (153, 8)]
    ids += [(34, 4)] if per_record_sampling else []
    return Template(template_id, tuple(FieldSpec(i, n) for i, n in ids))


def sampling_option_template(template_id: int) -> Template:
    """Options template: scope observationDomainId, samplingInterval, samplingAlgorithm."""
    return Template(template_id, (FieldSpec(149, 4), FieldSpec(34, 4), FieldSpec(35, 1)),
                    scope_count=1)


def encode_ipfix_messages(flows: pa.Table, config: ExportConfig) -> list[bytes]:
    """Messages carrying the `flows` rows (IPv4), records packed with numpy; see
    netflow_v9.encode_v9_datagrams for template refresh and sampling."""
    elements, start, end = flow_elements(flows)
    rate = elements["samplingInterval"]
    per_record = config.per_record_sampling or len(np.unique(rate)) > 1
    template = flow_template(config.template_id, per_record)
    elements["flowStartMilliseconds"] = np.rint(start * 1000).astype(np.uint64)
    elements["flowEndMilliseconds"] = np.rint(end * 1000).astype(np.uint64)
    rows = pack_rows(template, elements, len(start))
    refresh: list[TemplateSet | DataBlock] = [TemplateSet((template,))]
    if not per_record and len(rate):
        option = sampling_option_template(config.options_template_id)
        option_rows = pack_rows(option, {"observationDomainId": [config.domain],
                                         "samplingInterval": rate[:1], "samplingAlgorithm": [2]}, 1)
        refresh += [TemplateSet((option,), options=True), DataBlock(option, option_rows)]
    messages, sequence, k = [], config.sequence, config.records_per_datagram
    for i, export_time in enumerate(export_seconds(end, k)):
        sets = [*(refresh if i % config.template_refresh == 0 else []),
                DataBlock(template, rows[i * k:(i + 1) * k])]
        header = IpfixHeader(int(export_time), sequence, config.domain)
        messages.append(encode_datagram(header, sets))
        sequence = (sequence + sum(len(s) for s in sets if isinstance(s, DataBlock))) % 2**32
    return messages
