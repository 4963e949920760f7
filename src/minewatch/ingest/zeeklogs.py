"""Zeek conn.log and ssl.log, as the ASCII writer's TSV (with its #header lines) or as JSON lines.

conn.log gives `flows` rows, one per direction that carried packets (orig -> resp, resp -> orig).
`flows.bytes` is IP-layer bytes, so a direction's bytes are Zeek's `orig_ip_bytes` /
`resp_ip_bytes` (IP total lengths, headers included) when the log has them; otherwise its payload
bytes (`orig_bytes` / `resp_bytes`) plus 40 B per packet (an IPv4 and a TCP header without
options: a low estimate for IPv6 or TCP options, a high one for UDP). Zeek logs a connection once,
when it ends, so a long pool session is one record spanning its whole life.

ssl.log gives `tls_hellos` rows, one per line that names a server (`server_name`, the SNI).

Lines that do not parse are counted and skipped; a valid line may yield no rows (a conn.log
direction without packets, an ssl.log line without SNI).
"""

from __future__ import annotations

import codecs
import ipaddress
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import IO, Any, Callable, Iterator, Mapping

import pyarrow as pa

from minewatch import schema

CONN, SSL = "zeek-conn", "zeek-ssl"
FORMATS = (CONN, SSL)
HEADER_BYTES_PER_PACKET = 40  # IPv4 (20) + TCP (20), added to payload bytes when IP bytes are absent
UNSET, EMPTY = "-", "(empty)"
PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "icmp6": 58}
# conn.log `history`: upper case is the originator, lower case the responder.
HISTORY_FLAGS = {"s": 0x02, "h": 0x12, "a": 0x10, "d": 0x18, "f": 0x01, "r": 0x04}
_ESCAPE = re.compile(r"\\x([0-9a-fA-F]{2})")
# What a first line or #fields header must hold to be each log (JSON omits unset fields, so
# only fields Zeek always writes count).
_MARKS = {CONN: ("conn_state", "orig_pkts"), SSL: ("established", "resumed", "server_name")}


# --- format ---------------------------------------------------------------------------------------

def sniff(head: bytes) -> str | None:
    """'zeek-conn', 'zeek-ssl' or None for the first bytes of a file."""
    text = head.decode("utf-8", "replace").lstrip("\ufeff")
    if text.startswith("#separator"):
        return _sniff_tsv(text)
    first = text.lstrip().split("\n", 1)[0]
    if not first.startswith("{") or ('"id.orig_h"' not in first and '"id"' not in first):
        return None
    return next((fmt for fmt, marks in _MARKS.items()
                 if any(f'"{m}"' in first for m in marks)), None)


def _sniff_tsv(text: str) -> str | None:
    header = TsvHeader()
    for line in text.splitlines():
        if line.startswith("#"):
            header.read(line)
    if header.path in ("conn", "ssl"):
        return CONN if header.path == "conn" else SSL
    return next((fmt for fmt, marks in _MARKS.items()
                 if "id.orig_h" in header.fields and any(m in header.fields for m in marks)), None)


# --- lines ----------------------------------------------------------------------------------------

class TsvHeader:
    """What the #header lines said so far: separator, unset/empty markers, path and fields."""

    def __init__(self) -> None:
        self.separator, self.unset, self.empty = "\t", UNSET, EMPTY
        self.path, self.fields = "", ()

    def read(self, line: str) -> None:
        if line.startswith("#separator"):
            self.separator = codecs.decode(line.split(" ", 1)[-1].strip(), "unicode_escape")
            return
        key, _, value = line.partition(self.separator)
        if key == "#fields":
            self.fields = tuple(line.split(self.separator)[1:])
        elif key == "#path":
            self.path = value.strip()
        elif key == "#unset_field":
            self.unset = value
        elif key == "#empty_field":
            self.empty = value

    def record(self, line: str) -> dict[str, str]:
        """A data line as its JSON equivalent: unset fields absent, values unescaped text."""
        values = line.split(self.separator)
        if len(values) != len(self.fields):
            raise ValueError(f"{len(values)} values for {len(self.fields)} fields")
        return {name: _unescape(value) for name, value in zip(self.fields, values)
                if value != self.unset}


def iter_records(fileobj: IO) -> Iterator[Mapping[str, Any] | None]:
    """Each data line as a flat dict (JSON keys, TSV field names), or None where it does not parse."""
    header = TsvHeader()
    for raw in fileobj:
        line = (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw).rstrip("\r\n")
        if not line.strip():
            continue
        if line.startswith("#"):
            header.read(line)
            continue
        try:
            yield _flat(json.loads(line)) if line.startswith("{") else header.record(line)
        except (ValueError, TypeError, AttributeError):
            yield None


def _flat(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested JSON ({"id": {"orig_h": ...}}) as Zeek's own dotted keys."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, Mapping):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def read_rows(fileobj: IO, fmt: str, input_id: str = "",
              exporter: str = "zeek") -> tuple[list[dict[str, Any]], int, int]:
    """Rows of a conn.log (`flows`) or ssl.log (`tls_hellos`): (rows, lines read, bad lines)."""
    if fmt not in FORMATS:
        raise ValueError(f"not a Zeek log format: {fmt}")
    rows, lines, bad = [], 0, 0
    for record in iter_records(fileobj):
        lines += 1
        try:
            if record is None:
                raise ValueError("not a log line")
            rows += (conn_rows(record, input_id, exporter) if fmt == CONN
                     else ssl_rows(record, input_id))
        except (ValueError, TypeError, KeyError, OverflowError):
            bad += 1
    return rows, lines, bad


def read_tables(fileobj: IO, fmt: str, input_id: str = "",
                exporter: str = "zeek") -> tuple[dict[str, pa.Table], int, int]:
    """As read_rows, the rows as the table they belong to."""
    rows, lines, bad = read_rows(fileobj, fmt, input_id, exporter)
    name = "flows" if fmt == CONN else "tls_hellos"
    return {name: schema.to_table(name, rows)}, lines, bad


# --- conn.log -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Side:
    """One direction's fields in conn.log."""

    host: str
    port: str
    pkts: str
    ip_bytes: str
    payload: str
    flag_letters: Callable[[str], bool]


ORIG = _Side("id.orig_h", "id.orig_p", "orig_pkts", "orig_ip_bytes", "orig_bytes", str.isupper)
RESP = _Side("id.resp_h", "id.resp_p", "resp_pkts", "resp_ip_bytes", "resp_bytes", str.islower)


def conn_rows(record: Mapping[str, Any], input_id: str = "",
              exporter: str = "zeek") -> list[dict[str, Any]]:
    """`flows` rows of one conn.log record: orig -> resp, then resp -> orig, each if it had packets
    (or, where the log has no packet counts, bytes)."""
    start = seconds(record["ts"])
    end = start + max(_float(record.get("duration", 0.0)), 0.0)
    proto = PROTOCOLS.get(str(record.get("proto", "")).lower(), 0)
    hosts = {side: address(record[side.host]) for side in (ORIG, RESP)}
    rows = []
    for side, peer in ((ORIG, RESP), (RESP, ORIG)):
        packets = _count(record.get(side.pkts))
        nbytes = _ip_bytes(record, side, packets)
        if packets or nbytes:
            rows.append({
                "ts_start": start, "ts_end": end, "src_ip": hosts[side],
                "src_port": _port(record, side, proto), "dst_ip": hosts[peer],
                "dst_port": _port(record, peer, proto), "proto": proto, "packets": packets,
                "bytes": nbytes, "tcp_flags": _flags(record.get("history", ""), side, proto),
                "sampling_rate": 1, "exporter": exporter, "source": CONN, "input_id": input_id})
    return rows


def _ip_bytes(record: Mapping[str, Any], side: _Side, packets: int) -> int:
    if record.get(side.ip_bytes) is not None:
        return _count(record[side.ip_bytes])
    payload = _count(record.get(side.payload))
    return payload + HEADER_BYTES_PER_PACKET * packets


def _port(record: Mapping[str, Any], side: _Side, proto: int) -> int:
    # For ICMP Zeek puts the type and code in the port fields; flows keep 0 for non-TCP/UDP.
    return _count(record.get(side.port)) if proto in (6, 17) else 0


def _flags(history: Any, side: _Side, proto: int) -> int:
    """TCP flags a direction showed, from conn.log's history letters (an approximation: Zeek
    records the first occurrence of each event, not every flag)."""
    if proto != 6:
        return 0
    flags = 0
    for letter in str(history or ""):
        if side.flag_letters(letter):
            flags |= HISTORY_FLAGS.get(letter.lower(), 0)
    return flags


# --- ssl.log --------------------------------------------------------------------------------------

def ssl_rows(record: Mapping[str, Any], input_id: str = "") -> list[dict[str, Any]]:
    """The `tls_hellos` row of one ssl.log record, or none when the client sent no SNI."""
    sni = str(record.get("server_name") or "").strip().lower().rstrip(".")
    ts = seconds(record["ts"])
    client, server = address(record["id.orig_h"]), address(record["id.resp_h"])
    if not sni:
        return []
    return [{"ts": ts, "client_ip": client, "client_port": _count(record.get("id.orig_p")),
             "server_ip": server, "server_port": _count(record.get("id.resp_p")), "sni": sni,
             "input_id": input_id}]


# --- values ---------------------------------------------------------------------------------------

def seconds(ts: Any) -> float:
    """Epoch seconds from Zeek's float time or its ISO 8601 JSON form."""
    try:
        value = float(ts)
    except ValueError:
        parsed = datetime.fromisoformat(str(ts).replace("Z", "+00:00"))
        value = (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()
    if not math.isfinite(value):
        raise ValueError(f"{ts} is not a time")
    return value


def address(text: Any) -> str:
    return str(ipaddress.ip_address(str(text)))


def _count(value: Any) -> int:
    if value is None:
        return 0
    number = int(value)
    if number < 0:
        raise ValueError(f"negative count {number}")
    return number


def _float(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value} is not a duration")
    return number


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
