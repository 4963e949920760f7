"""Flow telemetry shared by NetFlow v5, v9 and IPFIX: information elements, templates, data blocks.

NetFlow v9 field types coincide with IPFIX information element ids below 128 (RFC 3954, RFC 7012),
and the v9 types we meet above 127 (NAT, flowId, millisecond timestamps) were given the same
numbers, so one element table serves both. The fixed NetFlow v5 record is a template of these
elements too: all three formats decode to `DataBlock`s, whose records are a numpy structured
array laid out exactly as on the wire (decode is one `np.frombuffer`, encode one `tobytes`),
and one vectorised function (`flow_table`) maps blocks to `flows` rows.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from minewatch import schema
from minewatch.errors import DecodeError

VARLEN = 65535  # IPFIX field length meaning "variable length, prefixed on the wire"
PAD = "pad"


@dataclass(frozen=True, slots=True)
class InfoElement:
    element_id: int
    name: str
    kind: str  # 'u' unsigned, 'ipv4', 'ipv6', 'str' (UTF-8), 'bytes', or 'pad' (never reported)
    length: int  # IANA length; 'u' elements may use reduced-size encoding (RFC 7011 6.2)


_ELEMENT_ROWS = (
    (1, "octetDeltaCount", "u", 8), (2, "packetDeltaCount", "u", 8),
    (3, "deltaFlowCount", "u", 8), (4, "protocolIdentifier", "u", 1),
    (5, "ipClassOfService", "u", 1), (6, "tcpControlBits", "u", 2),
    (7, "sourceTransportPort", "u", 2), (8, "sourceIPv4Address", "ipv4", 4),
    (9, "sourceIPv4PrefixLength", "u", 1), (10, "ingressInterface", "u", 4),
    (11, "destinationTransportPort", "u", 2), (12, "destinationIPv4Address", "ipv4", 4),
    (13, "destinationIPv4PrefixLength", "u", 1), (14, "egressInterface", "u", 4),
    (15, "ipNextHopIPv4Address", "ipv4", 4), (16, "bgpSourceAsNumber", "u", 4),
    (17, "bgpDestinationAsNumber", "u", 4), (18, "bgpNextHopIPv4Address", "ipv4", 4),
    (21, "flowEndSysUpTime", "u", 4), (22, "flowStartSysUpTime", "u", 4),
    (23, "postOctetDeltaCount", "u", 8), (24, "postPacketDeltaCount", "u", 8),
    (27, "sourceIPv6Address", "ipv6", 16), (28, "destinationIPv6Address", "ipv6", 16),
    (29, "sourceIPv6PrefixLength", "u", 1), (30, "destinationIPv6PrefixLength", "u", 1),
    (31, "flowLabelIPv6", "u", 4), (32, "icmpTypeCodeIPv4", "u", 2),
    (34, "samplingInterval", "u", 4), (35, "samplingAlgorithm", "u", 1),
    (36, "flowActiveTimeout", "u", 2), (37, "flowIdleTimeout", "u", 2),
    (48, "samplerId", "u", 1), (49, "samplerMode", "u", 1),
    (50, "samplerRandomInterval", "u", 4), (56, "sourceMacAddress", "bytes", 6),
    (58, "vlanId", "u", 2), (60, "ipVersion", "u", 1), (61, "flowDirection", "u", 1),
    (62, "ipNextHopIPv6Address", "ipv6", 16), (80, "destinationMacAddress", "bytes", 6),
    (82, "interfaceName", "str", VARLEN), (85, "octetTotalCount", "u", 8),
    (86, "packetTotalCount", "u", 8), (89, "forwardingStatus", "u", 4),
    (96, "applicationName", "str", VARLEN), (136, "flowEndReason", "u", 1),
    (139, "icmpTypeCodeIPv6", "u", 2), (143, "meteringProcessId", "u", 4),
    (144, "exportingProcessId", "u", 4), (148, "flowId", "u", 8),
    (149, "observationDomainId", "u", 4), (150, "flowStartSeconds", "u", 4),
    (151, "flowEndSeconds", "u", 4), (152, "flowStartMilliseconds", "u", 8),
    (153, "flowEndMilliseconds", "u", 8), (158, "flowStartDeltaMicroseconds", "u", 4),
    (159, "flowEndDeltaMicroseconds", "u", 4), (160, "systemInitTimeMilliseconds", "u", 8),
    (176, "icmpTypeIPv4", "u", 1), (177, "icmpCodeIPv4", "u", 1), (210, "paddingOctets", PAD, 1),
    (225, "postNATSourceIPv4Address", "ipv4", 4), (226, "postNATDestinationIPv4Address", "ipv4", 4),
    (227, "postNAPTSourceTransportPort", "u", 2), (228, "postNAPTDestinationTransportPort", "u", 2),
    (302, "selectorId", "u", 8), (305, "samplingPacketInterval", "u", 4),
    (306, "samplingPacketSpace", "u", 4),
)
ELEMENTS: dict[int, InfoElement] = {r[0]: InfoElement(*r) for r in _ELEMENT_ROWS}
BY_NAME: dict[str, InfoElement] = {e.name: e for e in ELEMENTS.values()}
# NetFlow v9 options scopes are their own number space (RFC 3954 6.1), clashing with ids 1-5.
V9_SCOPES = {1: "scopeSystem", 2: "scopeInterface", 3: "scopeLineCard", 4: "scopeCache",
             5: "scopeTemplate"}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a template: which element and how many bytes it takes on the wire."""

    element_id: int
    length: int  # bytes; VARLEN = IPFIX variable length
    enterprise: int = 0  # IPFIX private enterprise number; 0 = IANA element
    v9_scope: bool = False  # NetFlow v9 options scope: element_id is a scope type

    def element(self) -> InfoElement | None:
        """The element this field carries, or None for enterprise elements (skipped)."""
        if self.enterprise:
            return None
        if self.v9_scope:
            name = V9_SCOPES.get(self.element_id, f"scope{self.element_id}")
            return InfoElement(self.element_id, name, "u" if self.length <= 8 else "bytes", 4)
        known = ELEMENTS.get(self.element_id)
        return known or InfoElement(self.element_id, f"ie{self.element_id}", "bytes", self.length)


@dataclass(frozen=True, slots=True)
class Column:
    name: str  # element name (a repeated element gets '#2', '#3' ...)
    slot: str  # field of the structured dtype
    kind: str
    length: int


@dataclass(frozen=True, slots=True)
class Layout:
    dtype: np.dtype  # one record as on the wire; 'O' slots hold variable-length values
    columns: tuple[Column, ...]  # reported elements (enterprise and padding fields left out)
    fixed: bool  # no variable-length field: a data set decodes with one np.frombuffer
    min_record: int  # bytes of the shortest record (variable-length fields empty)


def _slot_format(kind: str, length: int) -> str:
    if length == VARLEN:
        return "O"
    if length == 0:
        raise DecodeError("zero-length template field")
    if kind == "u" and length <= 8:
        return f">u{length}" if length in (1, 2, 4, 8) else f"V{length}"
    if (kind, length) == ("ipv4", 4):
        return ">u4"
    if kind == "str":
        return f"S{length}"
    if kind in ("bytes", PAD) or (kind, length) == ("ipv6", 16):
        return f"V{length}"
    raise DecodeError(f"a {kind} element cannot be {length} bytes long")


@functools.lru_cache(maxsize=4096)  # exporters resend the same templates every few seconds
def _layout(fields: tuple[FieldSpec, ...]) -> Layout:
    formats, columns, seen = [], [], {}
    for i, spec in enumerate(fields):
        element = spec.element()
        kind = element.kind if element else "bytes"
        formats.append((f"f{i}", _slot_format(kind, spec.length)))
        if element is None or kind == PAD:
            continue
        seen[element.name] = seen.get(element.name, 0) + 1
        name = element.name if seen[element.name] == 1 else f"{element.name}#{seen[element.name]}"
        columns.append(Column(name, f"f{i}", kind, spec.length))
    varlen = sum(s.length == VARLEN for s in fields)
    shortest = sum(s.length for s in fields if s.length != VARLEN) + varlen
    return Layout(np.dtype(formats), tuple(columns), not varlen, shortest)


@dataclass(frozen=True, slots=True)
class Template:
    """A (data or options) template. No fields = an IPFIX template withdrawal."""

    template_id: int
    fields: tuple[FieldSpec, ...]
    scope_count: int = 0  # > 0: options template whose first scope_count fields are its scope
    layout: Layout = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "layout", _layout(self.fields))


@dataclass(frozen=True, slots=True)
class TemplateSet:
    templates: tuple[Template, ...]
    options: bool = False  # an options template set (v9 set 1, IPFIX set 3)


class ExportClock(NamedTuple):  # a tuple: built once per datagram, cheaply
    """The exporter's clock when it sent a datagram: epoch seconds and, for v5/v9, sysUpTime."""

    export_time: float  # s since epoch
    uptime_ms: int | None = None  # exporter uptime at export, ms (NetFlow v5/v9 headers)


@dataclass(frozen=True, slots=True, eq=False)
class DataBlock:
    """The records of one data set, one element of `rows` per record, in wire layout."""

    template: Template
    rows: np.ndarray
    clock: ExportClock | None = None  # of the datagram that carried the set (None when encoding)

    def __len__(self) -> int:
        return len(self.rows)

    def __eq__(self, other: object) -> bool:  # ndarrays do not compare to one bool
        if not isinstance(other, DataBlock):
            return NotImplemented
        return self.template == other.template and self.records() == other.records()

    @classmethod
    def from_records(cls, template: Template, records: Sequence[Mapping[str, Any]]) -> DataBlock:
        names = [c.name for c in template.layout.columns]
        columns = {n: [r[n] for r in records] for n in names if all(n in r for r in records)}
        return cls(template, pack_rows(template, columns, len(records)))

    def records(self) -> list[dict[str, Any]]:
        """Records as dicts of element name -> int, address text, str or bytes."""
        cols = self.template.layout.columns
        values = [record_values(self.rows, c) for c in cols]
        names = [c.name for c in cols]
        return [dict(zip(names, v)) for v in zip(*values)] if cols else [{} for _ in self.rows]


# --- columns: wire rows <-> values ---------------------------------------------------------------

def numeric(rows: np.ndarray, col: Column) -> np.ndarray:
    """An unsigned or IPv4 column as native uint64 (reduced-size fields widened)."""
    raw = rows[col.slot]
    if raw.dtype.kind == "u":
        return raw.astype(np.uint64)
    if raw.dtype.kind == "O":
        return np.array([int.from_bytes(v or b"", "big") for v in raw], dtype=np.uint64)
    n = col.length
    wide = np.zeros((len(raw), 8), np.uint8)
    wide[:, 8 - n:] = np.frombuffer(raw.tobytes(), np.uint8).reshape(-1, n)
    return wide.view(">u8").ravel().astype(np.uint64)


def record_values(rows: np.ndarray, col: Column) -> list[Any]:
    if col.kind == "u":
        return numeric(rows, col).tolist()
    raw = rows[col.slot].tolist()
    if col.kind == "ipv4":
        return [str(ipaddress.IPv4Address(v)) for v in raw]
    if col.kind == "ipv6":
        return [str(ipaddress.IPv6Address(v)) for v in raw]
    if col.kind == "str":  # fixed 'S' slots already drop the NUL padding
        return [v.rstrip(b"\0").decode("utf-8", "replace") for v in raw]
    return raw


def _unsigned(values: Any, length: int) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind not in "ui":
        arr = np.array([int(v) for v in values], dtype=object)
    if len(arr) and (arr.min() < 0 or int(arr.max()) >= 1 << (8 * min(length, 8))):
        raise ValueError(f"value does not fit an unsigned {length}-byte field")
    return arr.astype(np.uint64)


def _wire_values(col: Column, values: Any, fmt: np.dtype) -> Any:
    kind, n = col.kind, col.length
    if kind == "u":
        ints = _unsigned(values, n)
        if fmt.kind == "O":
            return [int(v).to_bytes(8, "big") for v in ints]
        if fmt.kind == "V":
            return np.frombuffer(ints.astype(">u8").view(np.uint8).reshape(-1, 8)[:, 8 - n:]
                                 .tobytes(), fmt)
        return ints
    if kind == "ipv4":
        arr = np.asarray(values)
        return arr if arr.dtype.kind in "ui" else [int(ipaddress.IPv4Address(v)) for v in values]
    if kind == "ipv6":
        return [ipaddress.IPv6Address(v).packed for v in values]
    raw = [v.encode() if isinstance(v, str) else bytes(v) for v in values]
    if fmt.kind != "O" and any(len(v) > n or (kind == "bytes" and len(v) != n) for v in raw):
        raise ValueError(f"{col.name}: value longer than the {n}-byte field")
    return raw


def pack_rows(template: Template, columns: Mapping[str, Any], count: int) -> np.ndarray:
    """Wire rows from columns of values (element name -> sequence); absent columns are zero."""
    rows = np.zeros(count, template.layout.dtype)
    for col in template.layout.columns:
        if col.name in columns:
            rows[col.slot] = _wire_values(col, columns[col.name], rows.dtype[col.slot])
    return rows


# --- datagrams ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ExporterOptions:
    """What an exporter announced in options data records: packet sampling and boot time."""

    sampling: tuple[tuple[int, int], ...] = ()  # (sampler id, 1-in-N); id 0 = exporter-wide
    system_init_ms: int | None = None  # systemInitTimeMilliseconds (IPFIX sysUpTime origin)

    def default_rate(self) -> int:
        """The exporter-wide rate, else the only sampler's, else 1 (unsampled)."""
        rates = dict(self.sampling)
        if 0 in rates:
            return rates[0]
        return next(iter(rates.values())) if len(rates) == 1 else 1


class Datagram(NamedTuple):  # a tuple: built once per datagram, cheaply
    """One decoded export datagram (an IPFIX message) and what decoding it revealed."""

    source: str  # 'netflow-v5', 'netflow-v9' or 'ipfix'
    exporter: str  # exporter address, as the caller named it
    domain: int  # v9 source id, IPFIX observation domain, v5 engine type << 8 | engine id
    header: Any  # V5Header, V9Header or IpfixHeader
    sets: tuple[TemplateSet | DataBlock, ...]  # wire order; replayed pending blocks follow
    options: ExporterOptions = ExporterOptions()  # exporter options known after this datagram
    lost: int = 0  # sequence gap before it: export packets (v9) or data records (v5, IPFIX)
    pending: int = 0  # data sets held back because their template is not known yet

    @property
    def exporter_text(self) -> str:
        return f"{self.exporter}/{self.domain}"

    def flow_blocks(self) -> list[DataBlock]:
        return [s for s in self.sets if isinstance(s, DataBlock) and not s.template.scope_count]

    @property
    def records(self) -> list[dict[str, Any]]:
        """Flow (not options) records of the datagram as dicts of element name -> value."""
        return [r for block in self.flow_blocks() for r in block.records()]


# --- flows rows -----------------------------------------------------------------------------------

_START = ("flowStartMilliseconds", "flowStartSeconds", "flowStartDeltaMicroseconds",
          "flowStartSysUpTime")
_END = ("flowEndMilliseconds", "flowEndSeconds", "flowEndDeltaMicroseconds", "flowEndSysUpTime")
_PACKETS = ("packetDeltaCount", "packetTotalCount", "postPacketDeltaCount")
_OCTETS = ("octetDeltaCount", "octetTotalCount", "postOctetDeltaCount")
_CONTEXT = ("export", "uptime", "init", "rate", "exporter", "source")
_NO_CLOCK = ExportClock(float("nan"))


@dataclass(frozen=True, slots=True)
class _Group:
    """Blocks of one template, concatenated, with their datagrams' context per member."""

    members: list[tuple[DataBlock, Datagram]]
    counts: np.ndarray
    values: dict[str, Column]
    rows: np.ndarray
    context: dict[str, tuple]  # _CONTEXT, gathered in one pass: export time (s), uptime at
    # export and system init time (ms, None when unknown), default rate, exporter text, source

    @classmethod
    def of(cls, members: list[tuple[DataBlock, Datagram]]) -> _Group:
        found, options, where, text = [], None, None, ""
        for block, dg in members:
            if dg.options is not options:  # a batch's datagrams share a few options objects
                options, rate = dg.options, dg.options.default_rate()
            if (dg.exporter, dg.domain) != where:
                where, text = (dg.exporter, dg.domain), dg.exporter_text
            clock = block.clock or _NO_CLOCK
            found.append((len(block.rows), clock.export_time, clock.uptime_ms,
                          options.system_init_ms, rate, text, dg.source))
        counts, *context = zip(*found)
        layout = members[0][0].template.layout
        return cls(members, np.array(counts, np.int64), {c.name: c for c in layout.columns},
                   _concatenate([b.rows for b, _ in members], layout), dict(zip(_CONTEXT, context)))

    def get(self, *names: str) -> np.ndarray | None:
        """The first present unsigned/IPv4 element of names, as uint64."""
        col = next((self.values[n] for n in names if n in self.values), None)
        return None if col is None or col.kind not in ("u", "ipv4") else numeric(self.rows, col)

    def ints(self, *names: str) -> np.ndarray:
        found = self.get(*names)
        return np.zeros(len(self.rows), np.int64) if found is None else found.astype(np.int64)

    def per_record(self, values: Sequence[Any], dtype: Any = np.float64) -> np.ndarray:
        return np.repeat(np.asarray(values, dtype), self.counts)  # float: None becomes NaN


def flow_table(datagrams: Sequence[Datagram], input_id: str = "") -> pa.Table:
    """`flows` rows of the flow records of datagrams, grouped by template (order kept within)."""
    groups: dict[int, list[tuple[DataBlock, Datagram]]] = {}
    for dg in datagrams:
        for s in dg.sets:  # dg.flow_blocks(), inlined: this loop runs per datagram
            if isinstance(s, DataBlock) and not s.template.scope_count:
                groups.setdefault(id(s.template), []).append((s, dg))
    tables = [_group_table(_Group.of(members), input_id) for members in groups.values()]
    return pa.concat_tables(tables) if tables else schema.empty_table("flows")


def run_table(template: Template, rows: np.ndarray, per_datagram: int, proto: Datagram,
              export: np.ndarray, uptime: np.ndarray | None, input_id: str = "") -> pa.Table:
    """`flows` rows of k datagrams that share everything but their clocks (decode.runs): the
    same exporter, domain, options and template, per_datagram records each."""
    k = len(export)
    options = proto.options
    context = {"export": export, "uptime": uptime if uptime is not None else np.full(k, np.nan),
               "init": [options.system_init_ms] * k, "rate": [options.default_rate()] * k,
               "exporter": [proto.exporter_text] * k, "source": [proto.source] * k}
    g = _Group([(None, proto)] * k, np.full(k, per_datagram, np.int64),
               {c.name: c for c in template.layout.columns}, rows, context)
    return _group_table(g, input_id)


def flow_rows(datagram: Datagram, input_id: str = "") -> list[dict[str, Any]]:
    """The datagram's flow records as `flows` rows (dicts)."""
    return flow_table([datagram], input_id).to_pylist()


def _group_table(g: _Group, input_id: str) -> pa.Table:
    rate, export = _rates(g), g.per_record(g.context["export"])
    cols = {
        "ts_start": _times(g, _START, export), "ts_end": _times(g, _END, export),
        "src_ip": _address(g, "sourceIPv4Address", "sourceIPv6Address"),
        "src_port": g.ints("sourceTransportPort"),
        "dst_ip": _address(g, "destinationIPv4Address", "destinationIPv6Address"),
        "dst_port": g.ints("destinationTransportPort"), "proto": g.ints("protocolIdentifier"),
        "packets": g.ints(*_PACKETS) * rate, "bytes": g.ints(*_OCTETS) * rate,
        "tcp_flags": g.ints("tcpControlBits"), "sampling_rate": rate,
        "exporter": _texts(g, g.context["exporter"]), "source": _texts(g, g.context["source"]),
        "input_id": pa.repeat(pa.scalar(input_id, pa.string()), len(g.rows)),
    }
    return schema.table_of("flows", cols)


def _concatenate(parts: list[np.ndarray], layout: Layout) -> np.ndarray:
    if len(parts) == 1:
        return parts[0]
    with contextlib.suppress(BufferError, TypeError, ValueError):  # not contiguous: concatenate
        if layout.fixed:  # joining records' bytes is ~10x faster than concatenating structs
            return np.frombuffer(b"".join(parts), layout.dtype)
    return np.concatenate(parts)


def _times(g: _Group, names: tuple[str, str, str, str], export: np.ndarray) -> np.ndarray:
    """Epoch seconds from absolute, export-relative or sysUpTime-relative elements."""
    ms, secs, delta_us, uptime = (g.get(n) for n in names)
    if ms is not None:
        return ms / 1000.0
    if secs is not None:
        return secs.astype(np.float64)
    if delta_us is not None:
        return export - delta_us / 1e6
    if uptime is None:
        return export
    at_export, init = g.per_record(g.context["uptime"]), g.per_record(g.context["init"])
    since = np.mod(np.nan_to_num(at_export) - uptime, 2.0**32)  # sysUpTime wraps at 2^32 ms
    relative = np.where(np.isnan(at_export), (init + uptime) / 1000.0, export - since / 1000.0)
    return np.where(np.isnan(relative), export, relative)


def _rates(g: _Group) -> np.ndarray:
    """1-in-N per record: its own sampling elements, else its sampler's, else the exporter's."""
    own = g.get("samplingInterval", "samplerRandomInterval")
    if own is not None:
        return np.maximum(own.astype(np.int64), 1)
    interval, space = g.get("samplingPacketInterval"), g.get("samplingPacketSpace")
    if interval is not None and space is not None:
        return np.maximum((interval + space) // np.maximum(interval, 1), 1).astype(np.int64)
    sampler = g.get("samplerId", "selectorId")
    defaults = g.context["rate"]
    if sampler is None:
        return g.per_record(defaults, np.int64)
    chunks = zip(np.split(sampler, np.cumsum(g.counts)[:-1]), g.members, defaults)
    return np.concatenate([np.array([dict(dg.options.sampling).get(int(i), d) for i in ids],
                                    np.int64) for ids, (_, dg), d in chunks])


def _address(g: _Group, v4: str, v6: str) -> pa.Array:
    if v4 in g.values and g.values[v4].kind == "ipv4":
        return ipv4_text(numeric(g.rows, g.values[v4]))
    if v6 in g.values and g.values[v6].kind == "ipv6":
        return pa.array(record_values(g.rows, g.values[v6]), pa.string())
    return pa.nulls(len(g.rows), pa.string())


def _texts(g: _Group, per_member: Sequence[str]) -> pa.Array:
    if len(set(per_member)) == 1:
        return pa.repeat(pa.scalar(per_member[0], pa.string()), len(g.rows))
    return pa.array(per_member, pa.string()).take(g.per_record(range(len(per_member)), np.int32))


@functools.cache
def _half_quads() -> pa.Array:
    return pa.array([f"{i >> 8}.{i & 255}" for i in range(1 << 16)], pa.string())


def ipv4_text(addresses: np.ndarray) -> pa.Array:
    """Dotted quads of uint32 addresses: two lookups of 'a.b' halves joined by Arrow."""
    a = addresses.astype(np.uint32)
    if len(a) < 1024:  # Arrow's per-call overhead outweighs its speed on one datagram
        return pa.array([socket.inet_ntoa(int(x).to_bytes(4, "big")) for x in a], pa.string())
    halves = _half_quads()
    return pc.binary_join_element_wise(halves.take(a >> 16), halves.take(a & 0xFFFF), ".")


# --- vectorised export (simulator) ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ExportConfig:
    """How a simulated exporter packs `flows` rows into datagrams."""

    boot_time: float = 0.0  # exporter boot, s since epoch (origin of v9 sysUpTime)
    domain: int = 0  # v9 source id / IPFIX observation domain id
    sequence: int = 0  # first sequence number
    records_per_datagram: int = 30
    template_refresh: int = 20  # datagrams between template (and sampling option) refreshes
    template_id: int = 256
    options_template_id: int = 257
    per_record_sampling: bool = False  # samplingInterval in every record (+4 bytes each: with
    # 30 records an IPFIX refresh message passes 1472 bytes), not in an options record
