"""NetFlow v9 (RFC 3954) export packets, and the template machinery IPFIX shares with it.

A v9 packet is a 20-byte header and flowsets: templates (id 0), options templates (id 1) and data
(id >= 256, naming its template). Templates are per (exporter, source id), so the decoder keeps
them in a `TemplateCache` the caller passes in, along with sequence numbers, the sampling rate
exporters announce in options records, and data sets that arrived before their template: those
are held (bounded) and decoded when the template arrives, in the datagram that brought it.
"""

from __future__ import annotations

import struct
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from minewatch.decode.flowfields import (
    VARLEN,
    DataBlock,
    Datagram,
    ExportClock,
    ExportConfig,
    ExporterOptions,
    FieldSpec,
    Template,
    TemplateSet,
    WireHeader,
    flow_rows,
    flow_table,
    pack_rows,
)
from minewatch.errors import DecodeError, NeedMoreData

SOURCE = "netflow-v9"
_HEADER = WireHeader.of(("version", "H"), ("count", "H"), ("sys_uptime", "I"),
                        ("unix_secs", "I"), ("sequence", "I"), ("source_id", "I"))
_U32 = 1 << 32
_REORDER_WINDOW = 1024  # sequence units (packets or records) a late datagram may trail by


@dataclass(frozen=True, slots=True)
class V9Header:
    sys_uptime: int  # ms since the exporter booted
    unix_secs: int  # export time, s since epoch
    sequence: int  # export packet counter
    source_id: int  # observation domain of the exporter


# --- template cache -------------------------------------------------------------------------------

TemplateKey = tuple[str, int, int]  # exporter, domain, template id
DomainKey = tuple[str, int]


@dataclass(slots=True)
class TemplateCache:
    """Collector state for v9 and IPFIX: templates, options, sequence numbers, pending sets.

    Data sets whose template is unknown are kept pending, up to max_pending sets overall (the
    oldest beyond that is dropped and counted as counters['pending_dropped']), and decoded when
    their template arrives. Counters: templates, withdrawals, pending, pending_dropped,
    pending_undecodable, replayed_records, reserved_sets, lost, reordered."""

    max_pending: int = 1024
    templates: dict[TemplateKey, Template] = field(default_factory=dict)
    options: dict[DomainKey, ExporterOptions] = field(default_factory=dict)
    sequences: dict[DomainKey, int | None] = field(default_factory=dict)
    pending: deque = field(default_factory=deque)  # (TemplateKey, set body bytes, ExportClock)
    counters: Counter = field(default_factory=Counter)

    def sequence_gap(self, key: DomainKey, sequence: int, advance: int | None) -> int:
        """Units lost before this sequence number; then expect sequence + advance (None: resync).

        A datagram slightly behind the expected number arrived out of order: it is not loss
        and does not move the expectation back; one far behind means the exporter restarted."""
        expected = self.sequences.get(key)
        behind = 0 if expected is None else (expected - sequence) % _U32
        if 0 < behind <= _REORDER_WINDOW:
            self.counters["reordered"] += 1
            return 0
        self.sequences[key] = None if advance is None else (sequence + advance) % _U32
        gap = 0 if expected is None else (sequence - expected) % _U32
        gap = gap if gap < _U32 // 2 else 0  # far behind: a restart, not loss
        self.counters["lost"] += gap
        return gap

    def learn(self, key: DomainKey, templates: Sequence[Template],
              options: bool) -> list[DataBlock]:
        """Store (or withdraw) templates; returns the pending data they make decodable."""
        replayed = []
        for t in templates:
            if not t.fields:
                self._withdraw(key, t.template_id, options)
                continue
            tkey = (*key, t.template_id)
            if self.templates.get(tkey) != t:  # refreshes keep the old object: cheap grouping
                self.templates[tkey] = t
            self.counters["templates"] += 1
            replayed += self._replay(tkey)
        return replayed

    def _withdraw(self, key: DomainKey, template_id: int, options: bool) -> None:
        self.counters["withdrawals"] += 1
        if template_id in (2, 3):  # the set id itself: withdraw every template of the kind
            doomed = [k for k, t in self.templates.items()
                      if k[:2] == key and bool(t.scope_count) == options]
        else:
            doomed = [(*key, template_id)]
        for k in doomed:
            self.templates.pop(k, None)

    def _replay(self, tkey: TemplateKey) -> list[DataBlock]:
        mine = [p for p in self.pending if p[0] == tkey]
        if mine:
            self.pending = deque(p for p in self.pending if p[0] != tkey)
        blocks = []
        for _, body, clock in mine:
            try:  # a held set that does not fit its template must not sink the template's datagram
                blocks.append(self.block(tkey, body, 0, len(body), clock))
            except DecodeError:
                self.counters["pending_undecodable"] += 1
        self.counters["replayed_records"] += sum(len(b) for b in blocks)
        return blocks

    def block(self, tkey: TemplateKey, data: bytes, start: int, stop: int,
              clock: ExportClock) -> DataBlock | None:
        """Decode a data set body, or hold it pending (None) until its template arrives."""
        template = self.templates.get(tkey)
        if template is None:
            self._hold(tkey, bytes(data[start:stop]), clock)
            return None
        block = DataBlock(template, decode_rows(template, data, start, stop), clock)
        if template.scope_count:
            self._learn_options(tkey[:2], block)
        return block

    def _hold(self, tkey: TemplateKey, body: bytes, clock: ExportClock) -> None:
        self.counters["pending"] += 1
        self.pending.append((tkey, body, clock))
        if len(self.pending) > self.max_pending:
            self.pending.popleft()
            self.counters["pending_dropped"] += 1

    def _learn_options(self, key: DomainKey, block: DataBlock) -> None:
        known = self.options.get(key, ExporterOptions())
        rates, init = dict(known.sampling), known.system_init_ms
        for r in block.records():
            rate = _announced_rate(r)
            if rate:
                rates[int(r.get("samplerId", r.get("selectorId", 0)))] = rate
            init = r.get("systemInitTimeMilliseconds", init)
        self.options[key] = ExporterOptions(tuple(sorted(rates.items())), init)

    def exporter_options(self, key: DomainKey) -> ExporterOptions:
        return self.options.get(key) or ExporterOptions()


def _announced_rate(record: dict) -> int | None:
    for name in ("samplingInterval", "samplerRandomInterval"):
        if record.get(name):
            return int(record[name])
    interval, space = record.get("samplingPacketInterval"), record.get("samplingPacketSpace")
    return (interval + space) // interval if interval and space is not None else None


# --- sets (shared with IPFIX) ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Dialect:
    """Where v9 and IPFIX differ in sets: the template set ids and the template record layout."""

    template_set: int
    options_set: int
    parse_templates: Callable[[bytes, int, int, bool], tuple[Template, ...]]
    encode_template: Callable[[Template], bytes]


@dataclass(frozen=True, slots=True)
class SetWalk:
    """What decoding the sets of one datagram needs besides the bytes."""

    cache: TemplateCache
    key: DomainKey
    clock: ExportClock
    dialect: Dialect


@dataclass(frozen=True, slots=True)
class DecodedSets:
    sets: tuple[TemplateSet | DataBlock, ...]
    pending: int  # data sets held for a missing template
    records: int  # data records (options ones too) decoded from this datagram's own sets


def decode_sets(data: bytes, offset: int, end: int, walk: SetWalk) -> DecodedSets:
    """Templates learnt and data decoded, set by set, against the caller's cache."""
    sets: list[TemplateSet | DataBlock] = []
    pending = records = 0
    for set_id, lo, hi in iter_sets(data, offset, end):
        if set_id >= 256:
            block = walk.cache.block((*walk.key, set_id), data, lo, hi, walk.clock)
            if block is None:
                pending += 1
            else:
                sets.append(block)
                records += len(block)
        elif set_id in (walk.dialect.template_set, walk.dialect.options_set):
            options = set_id == walk.dialect.options_set
            found = walk.dialect.parse_templates(data, lo, hi, options)
            sets.append(TemplateSet(found, options))
            sets += walk.cache.learn(walk.key, found, options)
        else:
            walk.cache.counters["reserved_sets"] += 1
    return DecodedSets(tuple(sets), pending, records)


def encode_sets(sets: Sequence[TemplateSet | DataBlock], dialect: Dialect) -> bytes:
    out = []
    for s in sets:
        if isinstance(s, TemplateSet):
            set_id = dialect.options_set if s.options else dialect.template_set
            body = b"".join(dialect.encode_template(t) for t in s.templates)
            out.append(encode_set(set_id, body))
        else:
            out.append(encode_set(s.template.template_id, encode_rows(s),
                                  s.template.layout.min_record))
    return b"".join(out)


def count_records(sets: Sequence[TemplateSet | DataBlock]) -> int:
    return sum(len(s.templates) if isinstance(s, TemplateSet) else len(s) for s in sets)


def decode_rows(template: Template, data: bytes, start: int, stop: int) -> np.ndarray:
    """The records of a data set body data[start:stop]; a tail shorter than any record is
    padding (RFC 7011 3.3.1), so encoders pad only below that length."""
    layout = template.layout
    if layout.fixed:
        return np.frombuffer(data, layout.dtype, (stop - start) // layout.dtype.itemsize, start)
    records, pos = [], start
    while stop - pos >= layout.min_record:
        record, pos = _varlen_record(template, data, pos, stop)
        records.append(record)
    rows = np.empty(len(records), layout.dtype)
    rows[:] = records
    return rows


def _varlen_record(template: Template, data: bytes, pos: int, stop: int) -> tuple[tuple, int]:
    values = []
    for spec, (fmt, _) in zip(template.fields, template.layout.dtype.fields.values()):
        length = spec.length
        if length == VARLEN:
            length, pos = _varlen_prefix(data, pos, stop)
        if stop - pos < length:
            raise NeedMoreData("data record runs past its set")
        raw = bytes(data[pos:pos + length])
        pos += length
        values.append(raw if fmt.kind in "OVS" else int.from_bytes(raw, "big"))
    return tuple(values), pos


def _varlen_prefix(data: bytes, pos: int, stop: int) -> tuple[int, int]:
    if pos >= stop:
        raise NeedMoreData("variable-length field without its length")
    if data[pos] < 255:
        return data[pos], pos + 1
    if stop - pos < 3:
        raise NeedMoreData("variable-length field without its length")
    return int.from_bytes(data[pos + 1:pos + 3], "big"), pos + 3


def encode_rows(block: DataBlock) -> bytes:
    """The wire bytes of a block's records (the inverse of decode_rows)."""
    if block.template.layout.fixed:
        return block.rows.astype(block.template.layout.dtype, copy=False).tobytes()
    return b"".join(_encode_varlen(block.template, row) for row in block.rows)


def _encode_varlen(template: Template, row: np.void) -> bytes:
    out = []
    for i, spec in enumerate(template.fields):
        value = row[i]
        if spec.length != VARLEN:
            out.append(np.asarray(value, template.layout.dtype[i]).tobytes())
            continue
        raw = bytes(value or b"")
        if len(raw) >= 0xFFFF:
            raise ValueError("variable-length value over 65534 bytes")
        out.append(bytes([len(raw)]) if len(raw) < 255 else b"\xff" + len(raw).to_bytes(2, "big"))
        out.append(raw)
    return b"".join(out)


def iter_sets(data: bytes, offset: int, end: int):
    """(set id, body start, body stop) for each set; a tail under 4 bytes is padding."""
    while end - offset >= 4:
        set_id, length = struct.unpack_from("!HH", data, offset)
        if length < 4 or offset + length > end:
            raise DecodeError(f"set {set_id} claims {length} bytes, {end - offset} left")
        yield set_id, offset + 4, offset + length
        offset += length


def encode_set(set_id: int, body: bytes, pad_below: int = 4) -> bytes:
    """A set header and body, zero-padded to 32 bits when the padding cannot pass for a record."""
    pad = -(len(body) + 4) % 4
    pad = pad if pad < pad_below else 0
    return struct.pack("!HH", set_id, len(body) + 4 + pad) + body + b"\0" * pad


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
    walk = SetWalk(cache, key, ExportClock(header.unix_secs, header.sys_uptime), DIALECT)
    found = decode_sets(data, _HEADER.struct.size, len(data), walk)
    return Datagram(SOURCE, exporter, header.source_id, header, found.sets,
                    cache.exporter_options(key), lost, found.pending)


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
