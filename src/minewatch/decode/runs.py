"""Runs of same-shape export datagrams, decoded a batch at a time.

Between template refreshes an exporter sends the same datagram over and over: one header, one
data set of a known fixed-length template, the same number of records. Once a datagram of such a
shape has been decoded in full (`netflow_v9.parse_datagram`, `ipfix.parse_datagram`), later
datagrams of the same exporter, domain, length and set header are only checked (the template
and the exporter's options are still the ones the shape was learnt under; the sequence number)
and kept. A run's datagrams are then read together: their bytes joined and viewed through one
structured dtype (header, set header, records), so the per-datagram Python work of the full
decoder is done once per batch. Anything else (templates, options, several sets, padding that
does not fit, an unknown template) still takes the full decoder, which stays the reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from minewatch.decode.flowfields import DataBlock, Datagram, Template, run_table
from minewatch.decode.templates import TemplateCache


@dataclass(frozen=True, slots=True)
class Wire:
    """Where a version's header keeps what a run needs."""

    version: bytes  # the first two bytes
    header: np.dtype  # big-endian header fields
    per_record_sequence: bool  # IPFIX counts records, v9 datagrams

    @property
    def size(self) -> int:
        return self.header.itemsize

    def sequence(self, payload: bytes) -> int:
        at = self.header.fields["sequence"][1]
        return int.from_bytes(payload[at:at + 4], "big")


V9 = Wire(b"\x00\x09", np.dtype([
    ("version", ">u2"), ("count", ">u2"), ("uptime", ">u4"), ("secs", ">u4"), ("sequence", ">u4"),
    ("domain", ">u4")]), False)
IPFIX = Wire(b"\x00\x0a", np.dtype([
    ("version", ">u2"), ("length", ">u2"), ("secs", ">u4"), ("sequence", ">u4"),
    ("domain", ">u4")]), True)
WIRES = {w.version: w for w in (V9, IPFIX)}


@dataclass(slots=True)
class Shape:
    """A datagram shape learnt from one fully decoded datagram, and the datagrams kept since."""

    wire: Wire
    template: Template
    proto: Datagram  # the datagram it was learnt from: exporter, domain, options in force
    records: int  # per datagram
    payloads: list[bytes] = field(default_factory=list)


class Runs:
    """Shapes by (exporter, length, first four header bytes, domain and set header)."""

    def __init__(self) -> None:
        self._shapes: dict[tuple, Shape] = {}
        self._retired: list[Shape] = []  # replaced shapes with datagrams still to decode
        self.kept = 0  # datagrams waiting in runs
        self.taken = 0  # datagrams ever kept (the rest went to the full decoder)

    def learn(self, payload: bytes, dgram: Datagram, cache: TemplateCache) -> None:
        """Remember the shape of a datagram the full decoder read, if it is a plain one."""
        wire = WIRES.get(payload[:2])
        if wire is None or dgram.pending or len(dgram.sets) != 1:
            return
        block = dgram.sets[0]
        set_length = int.from_bytes(payload[wire.size + 2:wire.size + 4], "big")
        if (not isinstance(block, DataBlock) or set_length != len(payload) - wire.size
                or not _plain(block, set_length)):
            return
        key = (dgram.exporter, dgram.domain)
        if cache.templates.get((*key, block.template.template_id)) is not block.template:
            return
        shape_key = _shape_key(payload, dgram.exporter, wire)
        old = self._shapes.get(shape_key)
        same = old is not None and old.template is block.template
        if same and old.proto.options == dgram.options:
            return
        if old is not None and old.payloads:
            self._retired.append(old)  # kept under the old template or options
        self._shapes[shape_key] = Shape(wire, block.template, dgram, len(block.rows))

    def take(self, payload: bytes, exporter: str, cache: TemplateCache) -> bool:
        """Keep a datagram of a known shape (its sequence checked now, in arrival order);
        False when the full decoder must read it."""
        wire = WIRES.get(payload[:2])
        if wire is None or len(payload) < wire.size + 4:
            return False
        shape = self._shapes.get(_shape_key(payload, exporter, wire))
        if shape is None:
            return False
        key = (exporter, shape.proto.domain)
        if (cache.templates.get((*key, shape.template.template_id)) is not shape.template
                or cache.exporter_options(key) != shape.proto.options):  # refreshes are new objects
            return False
        advance = shape.records if wire.per_record_sequence else 1
        cache.sequence_gap(key, wire.sequence(payload), advance)
        shape.payloads.append(payload)
        self.kept += 1
        self.taken += 1
        return True

    def tables(self, input_id: str) -> list[pa.Table]:
        """The flows of every datagram kept, and the runs emptied."""
        shapes = [*self._retired, *self._shapes.values()]
        out = [_run_table(s, input_id) for s in shapes if s.payloads]
        for s in shapes:
            s.payloads = []
        self._retired, self.kept = [], 0
        return out


def _plain(block: DataBlock, set_length: int) -> bool:
    """Flow records of a fixed-length template filling the set (a tail shorter than one
    record is padding, as the full decoder reads it)."""
    t = block.template
    layout = t.layout
    return (not t.scope_count and layout.fixed and len(block.rows) > 0
            and (set_length - 4) // layout.dtype.itemsize == len(block.rows))


def _shape_key(payload: bytes, exporter: str, wire: Wire) -> tuple:
    """v9: version, count; source id, set id and length. IPFIX: version, length; domain, set
    id and length. With the payload's length and the exporter."""
    return exporter, len(payload), payload[:4], payload[wire.size - 4:wire.size + 4]


def _run_table(s: Shape, input_id: str) -> pa.Table:
    layout = s.template.layout
    size = len(s.payloads[0])
    dtype = np.dtype({"names": ["head", "records"],
                      "formats": [s.wire.header, (layout.dtype, (s.records,))],
                      "offsets": [0, s.wire.size + 4], "itemsize": size})  # padding past records
    joined = np.frombuffer(b"".join(s.payloads), dtype)
    rows = np.ascontiguousarray(joined["records"]).reshape(-1)
    head = joined["head"]
    export = head["secs"].astype(np.float64)
    uptime = head["uptime"].astype(np.float64) if "uptime" in head.dtype.names else None
    return run_table(s.template, rows, s.records, s.proto, export, uptime, input_id)
