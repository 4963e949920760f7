"""Flow metering: Segments in, unidirectional flow records (the `flows` table) out.

Like NetFlow, each direction of a connection is its own record keyed by
(src, sport, dst, dport, proto). A record ends when its key has been idle for `idle_timeout`
s, or at the first packet after it has lasted `active_timeout` s (so a long session is reported
in slices); both in capture time. Bytes are IP total lengths (header included), as the table
says.

A TCP packet that repeats one of the last two of its direction (same sequence and
acknowledgement numbers, flags, length, IPv4 identification and TCP checksum) within
DUPLICATE_S is not counted at all: it is the second copy a mirror port sends when it mirrors
both ports a packet crosses (or a switch's ingress and egress), not a second packet on the wire.
A retransmission differs in its identification (IPv4) or its timestamp option (and checksum),
and comes after a retransmission timeout of 200 ms or more.

For the behavioural model each record also keeps the sums that give its packet-size and gap
spread: squared IP lengths, squared gaps between consecutive packets (a packet older than the
record's last adds no gap), the longest gap, the packets with PSH set, and the packets whose
payload opens a TLS record (content type 20-23, version 3.x: a pool behind TLS can only be judged
by its shape, a plaintext one by its payload).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from minewatch.decode.packet import Segment
from minewatch.schema import arrow_schema

# A live record is a list [ts_start, ts_end, packets, bytes, tcp_flags, psh, bytes_sq, gap_sq,
# gap_max, tls, last two TCP packets]: mutating a list in place is the cheapest per-packet
# update Python offers.
_START, _END, _PACKETS, _BYTES, _FLAGS, _PSH, _BYTES_SQ, _GAP_SQ, _GAP_MAX, _TLS, _LAST = range(11)
PSH = 0x08
DUPLICATE_S = 0.05  # s within which a repeated TCP packet is a mirror's second copy


@dataclass(frozen=True, slots=True)
class MeterConfig:
    idle_timeout: float = 60.0  # s without a packet before a record ends
    active_timeout: float = 1800.0  # s after which a still-busy record is cut
    exporter: str = ""  # for pcaps: the capture file
    input_id: str = ""  # sha256 of the input file
    max_flows: int = 1_000_000  # live records; the least recently active is ended beyond this


class FlowMeter:
    """Live flow records in least-recently-active order, so expiry only looks at the front."""

    def __init__(self, config: MeterConfig = MeterConfig()):
        self.config = config
        self._idle, self._active = config.idle_timeout, config.active_timeout
        self._flows: dict[tuple, list] = {}
        self._ended: list[tuple[tuple, list]] = []  # cut by active timeout, idle or max_flows

    def __len__(self) -> int:
        return len(self._flows)

    def add(self, seg: Segment) -> bool:
        """Count one packet; False for a mirror's second copy of one (not counted)."""
        key = (seg.src, seg.sport, seg.dst, seg.dport, seg.proto)
        ts = seg.ts
        if seg.proto == 6:
            rec = self._flows.get(key)
            if rec is not None and _repeats(rec[_LAST], seg):
                return False
        rec = self._flows.pop(key, None)
        if rec is None:
            rec = self._start(ts)
        elif ts - rec[_END] > self._idle or ts - rec[_START] >= self._active:
            self._ended.append((key, rec))
            rec = _new(ts)
        elif ts > rec[_END]:
            gap = ts - rec[_END]
            rec[_GAP_SQ] += gap * gap
            if gap > rec[_GAP_MAX]:
                rec[_GAP_MAX] = gap
            rec[_END] = ts
        rec[_PACKETS] += 1
        rec[_BYTES] += seg.ip_len
        rec[_BYTES_SQ] += seg.ip_len * seg.ip_len
        rec[_FLAGS] |= seg.flags
        if seg.flags & PSH:
            rec[_PSH] += 1
        if opens_tls_record(seg.payload):
            rec[_TLS] += 1
        if seg.proto == 6:
            rec[_LAST] = (rec[_LAST][1], (ts, _fingerprint(seg)))
        self._flows[key] = rec  # (re)inserted last: the dict stays in activity order
        return True

    def expired(self, now: float) -> list[dict]:
        """Rows of the records that have ended by capture time now."""
        limit, flows = now - self._idle, self._flows
        while flows:
            key = next(iter(flows))
            if flows[key][_END] >= limit:
                break
            self._ended.append((key, flows.pop(key)))
        return self._rows()

    def flush(self) -> list[dict]:
        """Rows of every record, live or ended (end of input)."""
        self._ended += self._flows.items()
        self._flows = {}
        return self._rows()

    def _start(self, ts: float) -> list:
        if len(self._flows) >= self.config.max_flows:
            oldest = next(iter(self._flows))
            self._ended.append((oldest, self._flows.pop(oldest)))
        return _new(ts)

    def _rows(self) -> list[dict]:
        ended, self._ended = self._ended, []
        exporter, input_id = self.config.exporter, self.config.input_id
        return [_row(key, rec, exporter, input_id) for key, rec in ended]


def opens_tls_record(p: bytes) -> bool:
    """A TLS record header: content type 20-23, major version 3, minor 0-4 (SSL 3.0 to 1.3's
    legacy 3.3; decode.framescan.opens_tls_record is the compiled twin)."""
    return len(p) >= 5 and 20 <= p[0] <= 23 and p[1] == 3 and p[2] <= 4


def _fingerprint(seg: Segment) -> tuple[int, int]:
    """A TCP packet's identity as two 64-bit numbers (conntable's _fingerprint, compiled)."""
    return (seg.seq << 32 | seg.ack,
            seg.mark << 32 | (seg.ip_len & 0xFFFFFF) << 8 | seg.flags)


def _repeats(last: tuple, seg: Segment) -> bool:
    """Whether seg is a copy of one of the last two TCP packets of its direction."""
    mine = _fingerprint(seg)
    return any(abs(seg.ts - ts) <= DUPLICATE_S and found == mine for ts, found in last)


_NEVER = ((float("-inf"), (-1, -1)),) * 2  # no packet yet


def _new(ts: float) -> list:
    return [ts, ts, 0, 0, 0, 0, 0, 0.0, 0.0, 0, _NEVER]


def _row(key: tuple, rec: list, exporter: str, input_id: str) -> dict:
    src, sport, dst, dport, proto = key
    return {
        "ts_start": rec[_START], "ts_end": rec[_END], "src_ip": src, "src_port": sport,
        "dst_ip": dst, "dst_port": dport, "proto": proto, "packets": rec[_PACKETS],
        "bytes": rec[_BYTES], "tcp_flags": rec[_FLAGS], "psh_packets": rec[_PSH],
        "bytes_sq": rec[_BYTES_SQ], "gap_sq": rec[_GAP_SQ], "gap_max": rec[_GAP_MAX], "tls_packets": rec[_TLS], "sampling_rate": 1,
        "exporter": exporter, "source": "pcap", "input_id": input_id,
    }


_SCHEMA = arrow_schema("flows")


def to_batch(rows: list[dict]) -> pa.RecordBatch:
    """Flow rows as a RecordBatch of the flows schema."""
    return pa.RecordBatch.from_pylist(rows, schema=_SCHEMA)
