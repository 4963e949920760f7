"""NetFlow v9 (RFC 3954) export packets.

A v9 packet is a 20-byte header and flowsets: templates (id 0), options templates (id 1) and data
(id >= 256, naming its template). Templates are per (exporter, source id), so the decoder keeps
them in a `TemplateCache` (minewatch.decode.templates, shared with IPFIX and re-exported here)
the caller passes in, along with sequence numbers, the sampling rate exporters announce in
options records, and data sets that arrived before their template: those are held (bounded) and
decoded when the template arrives, in the datagram that brought it.
"""

from __future__ import annotations

import struct
from typing import NamedTuple, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from minewatch.decode.flowfields import (
    VARLEN,
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
from minewatch.decode.templates import (
    Dialect,
    SetWalk,
    TemplateCache,
    WireHeader,
    count_records,
    decode_sets,
    encode_sets,
    known_data_sets,
)
from minewatch.errors import DecodeError

SOURCE = "netflow-v9"
_HEADER = WireHeader.of(("version", "H"), ("count", "H"), ("sys_uptime", "I"),
                        ("unix_secs", "I"), ("sequence", "I"), ("source_id", "I"))
_U32 = 1 << 32


class V9Header(NamedTuple):  # a tuple: built once per datagram, cheaply
    sys_uptime: int  # ms since the exporter booted
    unix_secs: int  # export time, s since epoch
    sequence: int  # export packet counter
    source_id: int  # observation domain of the exporter


# --- NetFlow v9 -----------------------------------------------------------------------------------

def _parse_templates(data: bytes, lo: int, hi: int, options: bool) -> tuple[Template, ...]:
    """Template records of a flowset; a zero tail (or one too short for a record) is padding."""
    found, pos, head = [], lo, 6 if options else 4
    while hi - pos >= head:
        tid, a = struct.unpack_from("!HH", data, pos)
        b = struct.unpack_from("!H", data, pos + 4)[0] if options else 0
        if tid == 0 and a == 0:
            break
        scope_len, field_len = (a, b) if options else (0, 4 * a)
        pos += head
        if scope_len % 4 or field_len % 4 or hi - pos < scope_len + field_len:
            raise DecodeError(f"template {tid} runs past its flowset")
        found.append(_template(tid, data, pos, scope_len // 4, (scope_len + field_len) // 4))
        pos += scope_len + field_len
    return tuple(found)


def _template(tid: int, data: bytes, pos: int, scopes: int, count: int) -> Template:
    if tid < 256:
        raise DecodeError(f"template id {tid} is reserved")
    raw = struct.unpack_from(f"!{2 * count}H", data, pos)
    specs = tuple(FieldSpec(raw[2 * i], raw[2 * i + 1], v9_scope=i < scopes) for i in range(count))
    if any(s.length == VARLEN for s in specs):
        raise DecodeError("NetFlow v9 has no variable-length fields")
    return Template(tid, specs, scopes)


def _encode_template(t: Template) -> bytes:
    pairs = [x for s in t.fields for x in (s.element_id, s.length)]
    fields = struct.pack(f"!{len(pairs)}H", *pairs)
    if t.scope_count:
        return struct.pack("!HHH", t.template_id, 4 * t.scope_count,
                           4 * (len(t.fields) - t.scope_count)) + fields
    return struct.pack("!HH", t.template_id, len(t.fields)) + fields


DIALECT = Dialect(0, 1, _parse_templates, _encode_template)


def parse_datagram(data: bytes, exporter: str, cache: TemplateCache) -> Datagram:
    """Decode one v9 export packet; `lost` counts export packets missing before it."""
    version, _count, *fields = _HEADER.unpack(data)
    if version != 9:
        raise DecodeError(f"not NetFlow v9 (version {version})")
    header = V9Header(*fields)
    key = (exporter, header.source_id)
    lost = cache.sequence_gap(key, header.sequence, 1)
    clock = ExportClock(header.unix_secs, header.sys_uptime)
    sets = known_data_sets(data, _HEADER.struct.size, key, clock, cache)
    pending = 0
    if sets is None:
        found = decode_sets(data, _HEADER.struct.size, len(data), SetWalk(cache, key, clock, DIALECT))
        sets, pending = found.sets, found.pending
    return Datagram(SOURCE, exporter, header.source_id, header, sets,
                    cache.exporter_options(key), lost, pending)


def encode_datagram(header: V9Header, sets: Sequence[TemplateSet | DataBlock]) -> bytes:
    """The export packet of header and sets (count is derived from the sets)."""
    head = _HEADER.struct.pack(9, count_records(sets), header.sys_uptime, header.unix_secs,
                               header.sequence, header.source_id)
    return head + encode_sets(sets, DIALECT)


def sniff(head: bytes) -> bool:
    """Does this UDP payload look like a NetFlow v9 export packet?"""
    if len(head) < 24 or head[:2] != b"\x00\x09":
        return False
    set_id, length = struct.unpack_from("!HH", head, 20)
    return (set_id in (0, 1) or set_id >= 256) and length >= 4


def to_flow_rows(datagram: Datagram, input_id: str = "") -> list[dict]:
    return flow_rows(datagram, input_id)


def to_flow_table(datagrams: Sequence[Datagram], input_id: str = "") -> pa.Table:
    return flow_table(datagrams, input_id)


# --- vectorised export (simulator) ---------------------------------------------------------------

def flow_elements(flows: pa.Table) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """flows columns as element arrays (counts divided back by the sampling rate), IPv4 only.

    Returns the elements, ts_start and ts_end (s)."""
    rate = np.maximum(_column(flows, "sampling_rate", 1), 1)
    elements = {
        "sourceIPv4Address": ipv4_ints(flows["src_ip"]),
        "destinationIPv4Address": ipv4_ints(flows["dst_ip"]),
        "sourceTransportPort": _column(flows, "src_port", 0),
        "destinationTransportPort": _column(flows, "dst_port", 0),
        "protocolIdentifier": _column(flows, "proto", 0),
        "tcpControlBits": _column(flows, "tcp_flags", 0),
        "packetDeltaCount": (_column(flows, "packets", 0) + rate // 2) // rate,
        "octetDeltaCount": (_column(flows, "bytes", 0) + rate // 2) // rate,
        "samplingInterval": rate,
    }
    start = pc.fill_null(flows["ts_start"], 0.0).to_numpy()
    return elements, start, pc.fill_null(flows["ts_end"], 0.0).to_numpy()


def ipv4_ints(texts: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """uint32 of dotted-quad text, vectorised; anything else raises ValueError."""
    parts = pc.split_pattern(texts, ".")
    if texts.null_count or not pc.all(pc.equal(pc.list_value_length(parts), 4)).as_py():
        raise ValueError("only IPv4 dotted quads can be packed here")
    try:
        octets = pc.cast(pc.list_flatten(parts), pa.uint8()).to_numpy().reshape(-1, 4)
    except pa.ArrowInvalid as exc:
        raise ValueError(f"not an IPv4 address: {exc}") from None
    return octets.astype(np.uint32) @ np.array([1 << 24, 1 << 16, 1 << 8, 1], np.uint32)


def _column(flows: pa.Table, name: str, default: int) -> np.ndarray:
    return pc.fill_null(flows[name], default).to_numpy().astype(np.int64)


def export_seconds(ts_end: np.ndarray, per_datagram: int) -> np.ndarray:
    """Export time of each datagram of per_datagram records: the whole second after its last
    flow ends, never earlier than the datagram before (an exporter's clock does not go back)."""
    if not len(ts_end):
        return np.zeros(0, np.int64)
    latest = np.maximum.reduceat(ts_end, np.arange(0, len(ts_end), per_datagram))
    return np.ceil(np.maximum.accumulate(latest)).astype(np.int64)


def flow_template(template_id: int, per_record_sampling: bool) -> Template:
    """The IPv4 data template the simulator exports (Cisco-like, sysUpTime timestamps)."""
    ids = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (6, 1), (2, 4), (1, 8), (22, 4), (21, 4)]
    ids += [(34, 4)] if per_record_sampling else []
    return Template(template_id, tuple(FieldSpec(i, n) for i, n in ids))


def sampling_option_template(template_id: int) -> Template:
    """Options template: scope System, samplingInterval, samplingAlgorithm (2 = random)."""
    return Template(template_id, (FieldSpec(1, 4, v9_scope=True), FieldSpec(34, 4),
                                  FieldSpec(35, 1)), scope_count=1)


def encode_v9_datagrams(flows: pa.Table, config: ExportConfig) -> list[bytes]:
    """Export packets carrying the `flows` rows (IPv4), records packed with numpy.

    Templates (and, unless sampling rates differ between rows or config asks for per-record
    sampling, an options record with the rate) open every config.template_refresh-th packet."""
    elements, start, end = flow_elements(flows)
    if len(start) and start.min() < config.boot_time:
        raise ValueError("a flow starts before the exporter booted")
    rate = elements["samplingInterval"]
    per_record = config.per_record_sampling or len(np.unique(rate)) > 1
    template = flow_template(config.template_id, per_record)
    elements["flowStartSysUpTime"] = uptime_ms(start, config.boot_time)
    elements["flowEndSysUpTime"] = uptime_ms(end, config.boot_time)
    elements["tcpControlBits"] &= 0xFF  # v9 TCP_FLAGS is one byte: NS does not fit
    rows = pack_rows(template, elements, len(start))
    refresh = [TemplateSet((template,))]
    if not per_record and len(rate):
        option = sampling_option_template(config.options_template_id)
        option_rows = pack_rows(option, {"scopeSystem": [config.domain],
                                         "samplingInterval": rate[:1], "samplingAlgorithm": [2]}, 1)
        refresh += [TemplateSet((option,), options=True), DataBlock(option, option_rows)]
    exports = export_seconds(end, config.records_per_datagram)
    return [_v9_packet(i, rows, int(t), config, refresh, template) for i, t in enumerate(exports)]


def _v9_packet(i: int, rows: np.ndarray, unix_secs: int, config: ExportConfig,
               refresh: list, template: Template) -> bytes:
    lo, hi = i * config.records_per_datagram, (i + 1) * config.records_per_datagram
    uptime = round((unix_secs - config.boot_time) * 1000) % _U32
    header = V9Header(uptime, unix_secs, (config.sequence + i) % _U32, config.domain)
    sets = refresh if i % config.template_refresh == 0 else []
    return encode_datagram(header, [*sets, DataBlock(template, rows[lo:hi])])


def uptime_ms(ts: np.ndarray, boot_time: float) -> np.ndarray:
    """sysUpTime (ms, wrapping at 2^32) of epoch times ts for an exporter booted at boot_time."""
    return (np.rint((ts - boot_time) * 1000).astype(np.int64) % _U32).astype(np.uint64)
