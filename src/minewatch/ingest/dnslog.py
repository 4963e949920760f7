"""Zeek dns.log, as the ASCII writer's TSV (with its #header lines) or as JSON lines.

Reading yields `dns_map` rows: one per A/AAAA answer, keyed by the name the client asked. Zeek
lists a CNAME chain's names and the addresses they lead to in one `answers` set, so an address
after a CNAME still belongs to the original query. Lines that do not parse are counted and
skipped; a line with no address answers is valid and yields no rows.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import ipaddress
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import IO, Any, Iterable, Iterator, Mapping

FIELDS = (
    ("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"),
    ("id.resp_h", "addr"), ("id.resp_p", "port"), ("proto", "enum"), ("trans_id", "count"),
    ("rtt", "interval"), ("query", "string"), ("qclass", "count"), ("qclass_name", "string"),
    ("qtype", "count"), ("qtype_name", "string"), ("rcode", "count"), ("rcode_name", "string"),
    ("AA", "bool"), ("TC", "bool"), ("RD", "bool"), ("RA", "bool"), ("Z", "count"),
    ("answers", "vector[string]"), ("TTLs", "vector[interval]"), ("rejected", "bool"),
)
FIELD_NAMES = tuple(name for name, _ in FIELDS)
UNSET, EMPTY, SET_SEPARATOR = "-", "(empty)", ","
QTYPE_NAMES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA",
               33: "SRV", 65: "HTTPS", 255: "*"}
RCODE_NAMES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
_ESCAPE = re.compile(r"\\x([0-9a-fA-F]{2})")
_NEEDS_ESCAPE = re.compile(r"[\x00-\x1f\x7f\\,]")
_SET_FIELDS = frozenset({"answers", "TTLs"})


@dataclass(frozen=True, slots=True)
class DnsLogEntry:
    """One dns.log line: a query and the answers it got."""

    ts: float  # s since epoch
    client_ip: str  # id.orig_h
    query: str
    answers: tuple[str, ...] = ()  # addresses and CNAME names, in answer order
    ttls: tuple[float, ...] = ()  # s, one per answer
    client_port: int = 0
    resolver_ip: str = "0.0.0.0"
    resolver_port: int = 53
    trans_id: int = 0
    qtype: int = 1
    rcode: int = 0
    rtt: float | None = None  # s
    uid: str = ""  # Zeek connection uid; derived from the entry when empty
    proto: str = "udp"


# --- reading -------------------------------------------------------------------------------------

def sniff_dnslog(head: bytes) -> bool:
    """Is this the start of a Zeek dns.log (TSV with its header, or JSON lines)?"""
    text = head.decode("utf-8", "replace").lstrip("\ufeff")
    if text.startswith("#separator"):
        fields = next((ln for ln in text.splitlines() if ln.startswith("#fields")), "")
        return "#path\tdns" in text or ("query" in fields and "answers" in fields)
    first = text.lstrip().split("\n", 1)[0]
    return first.startswith("{") and all(f'"{k}"' in first for k in ("id.orig_h", "query"))


def read_dnslog(fileobj: IO, input_id: str = "") -> tuple[list[dict[str, Any]], int]:
    """`dns_map` rows of a dns.log (binary or text file object) and the count of bad lines."""
    rows, skipped = [], 0
    for entry in iter_entries(fileobj):
        if entry is None:
            skipped += 1
        else:
            rows += entry_rows(entry, input_id)
    return rows, skipped


def iter_entries(fileobj: IO) -> Iterator[DnsLogEntry | None]:
    """Each data line as an entry, or None where the line does not parse."""
    header = _TsvHeader()
    for raw in fileobj:
        line = (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw).rstrip("\r\n")
        if not line.strip():
            continue
        if line.startswith("#"):
            header.read(line)
            continue
        try:
            yield _entry(json.loads(line) if line.startswith("{") else header.record(line))
        except (ValueError, TypeError, KeyError, AttributeError):
            yield None


def entry_rows(entry: DnsLogEntry, input_id: str = "") -> list[dict[str, Any]]:
    query = entry.query.lower().rstrip(".")
    rows = []
    for i, answer in enumerate(entry.answers):
        if _is_address(answer):
            ttl = int(entry.ttls[i]) if i < len(entry.ttls) else None
            rows.append({"ts": entry.ts, "client_ip": entry.client_ip, "query": query,
                         "answer": answer, "ttl": ttl, "input_id": input_id})
    return rows


class _TsvHeader:
    """What the #header lines said so far: the separator and the field order."""

    def __init__(self) -> None:
        self.separator, self.fields = "\t", FIELD_NAMES

    def read(self, line: str) -> None:
        if line.startswith("#separator"):
            self.separator = codecs.decode(line.split(" ", 1)[-1].strip(), "unicode_escape")
        elif line.startswith("#fields"):
            self.fields = tuple(line.split(self.separator)[1:])

    def record(self, line: str) -> dict[str, Any]:
        """A data line as its JSON equivalent: unset fields absent, sets as lists."""
        values = line.split(self.separator)
        if len(values) != len(self.fields):
            raise ValueError(f"{len(values)} values for {len(self.fields)} fields")
        record: dict[str, Any] = {}
        for name, value in zip(self.fields, values):
            if value == UNSET:
                continue
            record[name] = _tsv_set(value) if name in _SET_FIELDS else _unescape(value)
        return record


def _entry(d: Mapping[str, Any]) -> DnsLogEntry:
    """An entry from a JSON record (or a TSV line in that shape)."""
    return DnsLogEntry(
        ts=_finite(_seconds(d["ts"])), client_ip=str(ipaddress.ip_address(d["id.orig_h"])),
        query=str(d.get("query") or ""), answers=tuple(str(a) for a in d.get("answers") or ()),
        ttls=tuple(_finite(float(t)) for t in d.get("TTLs") or ()),
        client_port=int(d.get("id.orig_p", 0)),
        resolver_ip=str(d.get("id.resp_h", "0.0.0.0")), resolver_port=int(d.get("id.resp_p", 53)),
        trans_id=int(d.get("trans_id", 0)), qtype=int(d.get("qtype", 0)),
        rcode=int(d.get("rcode", 0)), rtt=None if d.get("rtt") is None else float(d["rtt"]),
        uid=str(d.get("uid", "")), proto=str(d.get("proto", "udp")))


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a time")
    return value


def _seconds(ts: Any) -> float:
    """Epoch seconds from Zeek's float time or its ISO 8601 JSON form."""
    try:
        return float(ts)
    except ValueError:
        parsed = datetime.fromisoformat(str(ts).replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()


def _tsv_set(value: str) -> list[str]:
    return [] if value == EMPTY else [_unescape(v) for v in value.split(SET_SEPARATOR)]


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# --- writing -------------------------------------------------------------------------------------

def write_dnslog(fileobj: IO, rows: Iterable[DnsLogEntry | Mapping[str, Any]]) -> int:
    """Write a TSV dns.log (to a text or binary file object); returns the data lines written.

    rows are entries; or dicts of one query with its `answers` and `ttls` lists (and optionally
    client_port, server_ip, server_port, trans_id, qtype, rcode, rtt, uid); or `dns_map` rows,
    where consecutive rows of one (ts, client_ip, query) make one line. #open and #close carry
    the first and last ts, so the output is reproducible."""
    entries = list(_entries(rows))
    stamp = [_zeek_date(entries[i].ts if entries else 0.0) for i in (0, -1)]
    lines = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)",
             "#unset_field\t-", "#path\tdns", f"#open\t{stamp[0]}",
             "#fields\t" + "\t".join(FIELD_NAMES), "#types\t" + "\t".join(t for _, t in FIELDS)]
    lines += [_tsv_line(e) for e in entries] + [f"#close\t{stamp[1]}"]
    text = "\n".join(lines) + "\n"
    fileobj.write(text if isinstance(fileobj, io.TextIOBase) else text.encode())
    return len(entries)


def _entries(rows: Iterable[DnsLogEntry | Mapping[str, Any]]) -> Iterator[DnsLogEntry]:
    pending: list[Mapping[str, Any]] = []
    for row in rows:
        whole = isinstance(row, DnsLogEntry) or "answers" in row
        if pending and (whole or _key(pending[0]) != _key(row)):
            yield from _merged(pending)
            pending = []
        if whole:
            yield row if isinstance(row, DnsLogEntry) else _entry_of(row)
        else:
            pending.append(row)
    yield from _merged(pending)


def _entry_of(row: Mapping[str, Any]) -> DnsLogEntry:
    answers = tuple(row["answers"])
    return DnsLogEntry(
        row["ts"], row["client_ip"], row["query"], answers,
        tuple(float(t) for t in row.get("ttls") or ()), int(row.get("client_port") or 0),
        row.get("server_ip") or "0.0.0.0", int(row.get("server_port") or 53),
        int(row.get("trans_id") or 0), int(row.get("qtype") or _qtype(answers)),
        int(row.get("rcode") or 0), row.get("rtt"), row.get("uid") or "")


def _key(row: Mapping[str, Any]) -> tuple:
    return row["ts"], row["client_ip"], row["query"]


def _merged(rows: list[Mapping[str, Any]]) -> list[DnsLogEntry]:
    if not rows:
        return []
    ts, client, query = _key(rows[0])
    answers = tuple(r["answer"] for r in rows)
    ttls = tuple(float(r.get("ttl") or 0) for r in rows)
    return [DnsLogEntry(ts, client, query, answers, ttls, qtype=_qtype(answers))]


def _qtype(answers: tuple[str, ...]) -> int:
    addresses = [a for a in answers if _is_address(a)]
    return 28 if addresses and all(":" in a for a in addresses) else 1


def _tsv_line(e: DnsLogEntry) -> str:
    values = (
        f"{e.ts:.6f}", e.uid or _uid(e), e.client_ip, str(e.client_port), e.resolver_ip,
        str(e.resolver_port), e.proto, str(e.trans_id), UNSET if e.rtt is None else f"{e.rtt:.6f}",
        _escape(e.query) or UNSET, "1", "C_INTERNET", str(e.qtype),
        QTYPE_NAMES.get(e.qtype, UNSET), str(e.rcode), RCODE_NAMES.get(e.rcode, UNSET),
        "F", "F", "T", "T", "0", SET_SEPARATOR.join(_escape(a) for a in e.answers) or UNSET,
        SET_SEPARATOR.join(f"{t:.6f}" for t in e.ttls) or UNSET, "F")
    return "\t".join(values)


def _escape(text: str) -> str:
    escaped = _NEEDS_ESCAPE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    if escaped in (UNSET, EMPTY):  # as Zeek does: a value must not read as the markers
        escaped = f"\\x{ord(escaped[0]):02x}{escaped[1:]}"
    return escaped


def _uid(e: DnsLogEntry) -> str:
    digest = hashlib.sha256(f"{e.ts}|{e.client_ip}|{e.client_port}|{e.query}".encode()).digest()
    return "C" + "".join("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[b % 62]
                         for b in digest[:17])


def _zeek_date(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d-%H-%M-%S")
