"""Template state and set walking shared by NetFlow v9 and IPFIX (RFC 3954, RFC 7011).

Templates are per (exporter, observation domain), so decoders keep them in a `TemplateCache`
the caller passes in, along with sequence numbers, the sampling rate exporters announce in
options records, and data sets that arrived before their template: those are held (bounded) and
decoded when the template arrives, in the datagram that brought it. The dialects differ only in
template set ids and template record layout (`Dialect`). Fixed headers, the templates of the
wire that never change, are declared here too (`WireHeader`).
"""

from __future__ import annotations

import struct
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from minewatch.decode.flowfields import (
    VARLEN,
    DataBlock,
    ExportClock,
    ExporterOptions,
    Template,
    TemplateSet,
)
from minewatch.errors import DecodeError, NeedMoreData

_SET = struct.Struct("!HH")
_U32 = 1 << 32
_REORDER_WINDOW = 1024  # sequence units (packets or records) a late datagram may trail by


@dataclass(frozen=True, slots=True)
class WireHeader:
    """A fixed header declared once as (name, struct code) rows; the struct is derived."""

    names: tuple[str, ...]
    struct: struct.Struct

    @classmethod
    def of(cls, *rows: tuple[str, str]) -> WireHeader:
        return cls(tuple(n for n, _ in rows), struct.Struct("!" + "".join(c for _, c in rows)))

    def unpack(self, data: bytes, offset: int = 0) -> tuple[int, ...]:
        if len(data) - offset < self.struct.size:
            raise NeedMoreData(f"header needs {self.struct.size} bytes, {len(data) - offset} left")
        return self.struct.unpack_from(data, offset)


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
        if expected == sequence and advance is not None:  # in order, the common case
            self.sequences[key] = (sequence + advance) % _U32
            self.counters["lost"] += 0  # as below: the counter exists once a sequence is seen
            return 0
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


def known_data_sets(data: bytes, offset: int, key: DomainKey, clock: ExportClock,
                    cache: TemplateCache) -> tuple[DataBlock, ...] | None:
    """decode_sets' result when every set is flow data of a known fixed-length template (the
    steady state between template refreshes), else None having touched nothing: the fast path."""
    blocks, end, templates = [], len(data), cache.templates
    while end - offset >= 4:
        set_id, length = _SET.unpack_from(data, offset)
        template = templates.get((*key, set_id)) if set_id >= 256 else None
        if (template is None or template.scope_count or not template.layout.fixed
                or length < 4 or offset + length > end):
            return None
        dtype = template.layout.dtype
        rows = np.frombuffer(data, dtype, (length - 4) // dtype.itemsize, offset + 4)
        blocks.append(DataBlock(template, rows, clock))
        offset += length
    return tuple(blocks)


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
