"""NetFlow v5 export packets: a 24-byte header and up to 30 fixed 48-byte flow records.

The record is declared once as a template of IPFIX elements, so v5 decodes to the same
`DataBlock` as v9 and IPFIX (one np.frombuffer per packet) and maps to `flows` rows by the same
function. The header's sampling field (2-bit mode, 14-bit interval) becomes the exporter's
sampling option; `lost` counts flow records, as the v5 sequence number does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pyarrow as pa

from minewatch.decode.flowfields import (
    DataBlock,
    Datagram,
    ExportClock,
    ExportConfig,
    ExporterOptions,
    FieldSpec,
    Template,
    flow_rows,
    flow_table,
    pack_rows,
)
from minewatch.decode.netflow_v9 import TemplateCache, export_seconds, flow_elements, uptime_ms
from minewatch.decode.templates import WireHeader
from minewatch.errors import DecodeError, NeedMoreData

SOURCE = "netflow-v5"
_HEADER = WireHeader.of(("version", "H"), ("count", "H"), ("sys_uptime", "I"),
                        ("unix_secs", "I"), ("unix_nsecs", "I"), ("flow_sequence", "I"),
                        ("engine_type", "B"), ("engine_id", "B"), ("sampling_interval", "H"))
HEADER_SIZE = _HEADER.struct.size
# srcaddr dstaddr nexthop input output dPkts dOctets first last srcport dstport pad1 tcp_flags
# prot tos src_as dst_as src_mask dst_mask pad2
RECORD = Template(0, tuple(FieldSpec(i, n) for i, n in (
    (8, 4), (12, 4), (15, 4), (10, 2), (14, 2), (2, 4), (1, 4), (22, 4), (21, 4), (7, 2),
    (11, 2), (210, 1), (6, 1), (4, 1), (5, 1), (16, 2), (17, 2), (9, 1), (13, 1), (210, 2))))
RECORD_SIZE = RECORD.layout.dtype.itemsize
MAX_RECORDS = 30
_SAMPLING_MODE_SHIFT = 14


@dataclass(frozen=True, slots=True)
class V5Header:
    sys_uptime: int  # ms since the exporter booted
    unix_secs: int  # export time, s since epoch ...
    unix_nsecs: int  # ... and ns
    flow_sequence: int  # flows exported before this packet
    engine_type: int
    engine_id: int
    sampling_interval: int  # 2-bit mode << 14 | 14-bit 1-in-N interval

    @property
    def sampling_rate(self) -> int:
        return self.sampling_interval & ((1 << _SAMPLING_MODE_SHIFT) - 1) or 1


def parse_datagram(data: bytes, exporter: str, cache: TemplateCache) -> Datagram:
    """Decode one v5 export packet; the cache only tracks its sequence numbers."""
    version, count, *fields = _HEADER.unpack(data)
    if version != 5:
        raise DecodeError(f"not NetFlow v5 (version {version})")
    if len(data) < HEADER_SIZE + count * RECORD_SIZE:
        raise NeedMoreData(f"{count} records need {HEADER_SIZE + count * RECORD_SIZE} bytes")
    header = V5Header(*fields)
    domain = header.engine_type << 8 | header.engine_id
    lost = cache.sequence_gap((exporter, domain), header.flow_sequence, count)
    clock = ExportClock(header.unix_secs + header.unix_nsecs / 1e9, header.sys_uptime)
    rows = np.frombuffer(data, RECORD.layout.dtype, count, HEADER_SIZE)
    options = ExporterOptions(((0, header.sampling_rate),))
    return Datagram(SOURCE, exporter, domain, header, (DataBlock(RECORD, rows, clock),),
                    options, lost)


def encode_datagram(header: V5Header, sets: Sequence[DataBlock]) -> bytes:
    """The export packet of header and (one or no) block of RECORD records."""
    if any(s.template != RECORD for s in sets):
        raise ValueError("NetFlow v5 carries only its fixed record")
    count = sum(len(s) for s in sets)
    head = _HEADER.struct.pack(5, count, header.sys_uptime, header.unix_secs, header.unix_nsecs,
                               header.flow_sequence, header.engine_type, header.engine_id,
                               header.sampling_interval)
    return head + b"".join(s.rows.astype(RECORD.layout.dtype, copy=False).tobytes() for s in sets)


def sniff(head: bytes) -> bool:
    """Does this UDP payload look like a NetFlow v5 export packet?"""
    if len(head) < HEADER_SIZE or head[:2] != b"\x00\x05":
        return False
    count = int.from_bytes(head[2:4], "big")
    return 0 < count <= MAX_RECORDS and len(head) == HEADER_SIZE + count * RECORD_SIZE


def to_flow_rows(datagram: Datagram, input_id: str = "") -> list[dict]:
    return flow_rows(datagram, input_id)


def to_flow_table(datagrams: Sequence[Datagram], input_id: str = "") -> pa.Table:
    return flow_table(datagrams, input_id)


def encode_v5_datagrams(flows: pa.Table, config: ExportConfig) -> list[bytes]:
    """Export packets carrying the `flows` rows (IPv4, one sampling rate), packed with numpy.

    config.domain is engine_type << 8 | engine_id; at most 30 records a packet."""
    elements, start, end = flow_elements(flows)
    rates = np.unique(elements["samplingInterval"])
    if len(rates) > 1 or (len(rates) and rates[0] >= 1 << _SAMPLING_MODE_SHIFT):
        raise ValueError("NetFlow v5 carries one sampling rate below 16384 per exporter")
    rate = int(rates[0]) if len(rates) else 1
    if len(start) and start.min() < config.boot_time:
        raise ValueError("a flow starts before the exporter booted")
    elements["flowStartSysUpTime"] = uptime_ms(start, config.boot_time)
    elements["flowEndSysUpTime"] = uptime_ms(end, config.boot_time)
    elements["tcpControlBits"] &= 0xFF  # one byte in v5: NS does not fit
    rows = pack_rows(RECORD, elements, len(start))
    k, sequence, out = min(config.records_per_datagram, MAX_RECORDS), config.sequence, []
    for lo, export in zip(range(0, len(rows), k), export_seconds(end, k).tolist()):
        header = V5Header(round((export - config.boot_time) * 1000) % (1 << 32), export, 0,
                          sequence, config.domain >> 8 & 255, config.domain & 255,
                          (1 << _SAMPLING_MODE_SHIFT if rate > 1 else 0) | rate)
        out.append(encode_datagram(header, [DataBlock(RECORD, rows[lo:lo + k])]))
        sequence = (sequence + len(rows[lo:lo + k])) % (1 << 32)
    return out

