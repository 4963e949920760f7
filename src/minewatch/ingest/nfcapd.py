"""nfcapd files (the binary flow files nfdump's `nfcapd` collector rotates, nfcapd.YYYYMMDDhhmm),
read through Debian's `nfdump` command (`make nfdump` installs it).

nfdump's own file layout (blocks, optional LZO/LZ4/BZ2 compression, extension maps in 1.6,
V3 records in 1.7) is left to nfdump: minewatch only recognises the file by its header, a
little-endian magic 0xA50C at offset 0 followed by the layout version (1: nfdump 1.6, 2: 1.7),
and runs

    nfdump -r FILE -q -N -o json        (environment TZ=UTC)

streaming its stdout. The JSON output is the one nfdump 1.7 documents as the machine format (csv
and pipe are "legacy, will get removed"); in 1.7.1 csv prints start and end times to the second
only, and the `%ter` tag of `-o fmt:` prints wrong milliseconds, while json prints both times to
the millisecond (nfdump stores milliseconds) as local time, hence TZ=UTC. Each object is one
flow record, keys named, written over several lines (`{`, one `"key" : value,` per line, `}`).

nfdump's records are unidirectional as NetFlow's are; each gives one `flows` row. A record that
also counts the reverse direction (`out_packets` / `out_bytes`, as NSEL or bidirectional IPFIX
have) gives a second row for it, addresses and ports swapped.

Sampling: nfcapd multiplies packet and byte counts by the sampling rate it knows for an exporter
(announced by the exporter, or nfcapd's `-s` default) and marks the record `"sampled" : 1`, so
counts arrive with sampling applied. `nfdump -E FILE` (run first) lists each exporter (address,
v9 source id / IPFIX observation domain) with its samplers; `sampling_rate` of a sampled record
is its exporter's rate (interval + space), 1 otherwise. `exporter` is `ADDRESS/ID`, as the
NetFlow v9 and IPFIX decoders write it.

Errors: nfdump exits 0 after most read errors and says what went wrong on stderr. Records read
before an error are kept (the input is then `partial`, the message nfdump's first error line);
an error before any record is an InputError. Objects that do not parse, or lack addresses, are
counted as skipped.
"""

from __future__ import annotations

import calendar
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyarrow as pa

from minewatch import schema
from minewatch.errors import InputError

SOURCE = "nfcapd"
MAGIC = 0xA50C
LAYOUTS = (1, 2)  # nfdump 1.6 (LAYOUT_VERSION_1), nfdump 1.7 (LAYOUT_VERSION_2)
IDLE_TIMEOUT = 120.0  # s without a line from nfdump before it is stopped
EXPORTERS_TIMEOUT = 600.0  # s for `nfdump -E`, which reads the whole file
BATCH = 100_000  # rows per Arrow batch
MISSING = "nfdump is not installed: run `make nfdump` (Debian package nfdump) to read nfcapd files"
_FLAGS = "CEUAPRSF"  # nfdump's TCP flag string, most significant bit first; '.' = unset
_EXPORTER = re.compile(r"SysID:\s*(\d+),\s*IP:\s*(\S+),.*?\bID:\s*(\d+)")
_SAMPLER = re.compile(r"packet interval:\s*(\d+),\s*packet space:\s*(\d+)")
_OLD_SAMPLER = re.compile(r"\binterval:\s*(\d+)")


def sniff(head: bytes) -> bool:
    """An nfdump file: magic 0xA50C (little-endian) and layout version 1 or 2."""
    return (len(head) >= 4 and int.from_bytes(head[:2], "little") == MAGIC
            and int.from_bytes(head[2:4], "little") in LAYOUTS)


def nfdump_path() -> str:
    path = shutil.which("nfdump")
    if path is None:
        raise InputError(MISSING)
    return path


@dataclass(slots=True)
class Exporter:
    address: str
    ident: int  # v9 source id, IPFIX observation domain, v5 engine
    rate: int = 1  # sampling rate nfcapd applied (1 = none known)

    @property
    def name(self) -> str:
        return f"{self.address}/{self.ident}"


@dataclass(slots=True)
class NfcapdRead:
    """What reading one file gave: rows in `flows` order, counts and nfdump's complaint."""

    flows: pa.Table
    records: int = 0  # nfdump records that gave rows
    skipped: int = 0  # objects that did not parse or lacked addresses
    error: str = ""  # nfdump's first error line, empty when it read the file cleanly
    exporters: dict[int, Exporter] = field(default_factory=dict)


def exporters(path: Path, nfdump: str | None = None) -> dict[int, Exporter]:
    """`nfdump -E`: exporters by nfdump sysid, with the sampling rate of their samplers."""
    cmd = [nfdump or nfdump_path(), "-E", str(path)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                             timeout=EXPORTERS_TIMEOUT, env=_env()).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return parse_exporters(out)


def parse_exporters(text: str) -> dict[int, Exporter]:
    found: dict[int, Exporter] = {}
    current = None
    for line in text.splitlines():
        if m := _EXPORTER.search(line):
            current = found[int(m[1])] = Exporter(m[2], int(m[3]))
        elif current is not None and "Sampler" in line:
            if m := _SAMPLER.search(line):
                rate = int(m[1]) + int(m[2])
            elif m := _OLD_SAMPLER.search(line):
                rate = int(m[1])
            else:
                continue
            current.rate = max(current.rate if current.rate > 1 else 0, rate, 1)
    return found


def read(path: Path, input_id: str, on_records: Callable[[int], None] | None = None) -> NfcapdRead:
    """Every flow record of an nfcapd file as `flows` rows (see the module docstring)."""
    nfdump = nfdump_path()
    known = exporters(path, nfdump)
    builder = _Rows(input_id, known)
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen([nfdump, "-r", str(path), "-q", "-N", "-o", "json"],
                                    stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL,
                                    env=_env())
        except OSError as exc:
            raise InputError(f"cannot run nfdump: {exc.strerror or exc}") from None
        watchdog = _Watchdog(proc)
        try:
            for obj in _objects(io.TextIOWrapper(proc.stdout, encoding="utf-8", errors="replace"),
                                watchdog, builder):
                builder.add(obj)
                if on_records and builder.records % 10_000 == 0:
                    on_records(builder.records)
        finally:
            watchdog.stop()
            proc.stdout.close()
            rc = proc.wait()
        err.seek(0)
        error = _first_error(err.read(64 << 10).decode("utf-8", "replace"))
    if watchdog.fired:
        error = f"nfdump stopped: no output for {IDLE_TIMEOUT:.0f} s"
    elif rc and not error:
        error = f"nfdump exited with status {rc}"
    result = NfcapdRead(builder.table(), builder.records, builder.skipped, error, known)
    if error and not result.records:
        raise InputError(f"nfdump: {error}")
    return result


def _env() -> dict[str, str]:
    return {**os.environ, "TZ": "UTC", "LC_ALL": "C"}


def _first_error(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith("GetNextFile() error")] or lines
    return lines[0][:300] if lines else ""


class _Watchdog:
    """Kills nfdump when no line came for IDLE_TIMEOUT seconds."""

    def __init__(self, proc: subprocess.Popen):
        self.proc, self.seen, self.fired = proc, time.monotonic(), False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nfdump-watchdog", daemon=True)
        self._thread.start()

    def touch(self) -> None:
        self.seen = time.monotonic()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            if time.monotonic() - self.seen > IDLE_TIMEOUT and self.proc.poll() is None:
                self.fired = True
                self.proc.kill()
                return

    def stop(self) -> None:
        self._stop.set()
        if self.proc.poll() is None and not self.fired:
            self.proc.kill()  # reached only when reading stopped early (an exception)
        self._thread.join()


def _objects(lines, watchdog: _Watchdog, builder: "_Rows"):
    """The JSON objects of nfdump's output, one at a time. nfdump 1.7 writes each flat object
    over lines from `{` to `}` or `},`; a whole object on one line is accepted too. Text between
    objects (brackets, commas, notes such as 'No matching flows') is passed over."""
    buf: list[str] = []
    for line in lines:
        watchdog.touch()
        text = line.strip()
        if not buf:
            if not text.startswith("{"):
                continue
        buf.append(text)
        if text.rstrip(",").endswith("}"):
            block = "".join(buf).rstrip(",")
            buf = []
            try:
                obj = json.loads(block)
            except ValueError:
                builder.skipped += 1
                continue
            if isinstance(obj, dict):
                yield obj
            else:
                builder.skipped += 1
        elif len(buf) > 10_000:  # not nfdump's shape: give up on this object
            builder.skipped += 1
            buf = []
    if buf:  # output ended inside an object (nfdump stopped)
        builder.skipped += 1


def tcp_flags(value) -> int:
    """nfdump's TCP flags: '...AP.SF' (1.7 json), or a number, or '0x1b'."""
    if isinstance(value, int):
        return value & 0xFFFF
    text = str(value).strip()
    if not text:
        return 0
    if text.lower().startswith("0x"):
        return int(text, 16)
    if text.isdigit():
        return int(text)
    flags = 0
    for i, ch in enumerate(text[-8:].rjust(8, ".")):
        if ch not in ". ":
            flags |= 1 << (7 - i)
    return flags


def epoch(text) -> float:
    """nfdump's 'YYYY-MM-DDTHH:MM:SS.mmm' (UTC, as TZ=UTC makes it), or epoch ms as a number."""
    if isinstance(text, (int, float)):
        return text / 1000.0
    whole, _, frac = str(text).replace(" ", "T").partition(".")
    ms = frac[:3].ljust(3, "0")
    return _whole_seconds(whole) + (int(ms) / 1000.0 if ms.isdigit() else 0.0)


_DAY_CACHE: dict[str, int] = {}


def _whole_seconds(whole: str) -> int:
    """Seconds since the epoch of 'YYYY-MM-DDTHH:MM:SS' (UTC), the date part cached."""
    day, _, clock = whole.partition("T")
    base = _DAY_CACHE.get(day)
    if base is None:
        base = calendar.timegm(time.strptime(day, "%Y-%m-%d"))
        if len(_DAY_CACHE) > 4096:
            _DAY_CACHE.clear()
        _DAY_CACHE[day] = base
    h, m, s = clock.split(":")
    return base + int(h) * 3600 + int(m) * 60 + int(s)


_FIELDS = ("ts_start", "ts_end", "src_ip", "src_port", "dst_ip", "dst_port", "proto", "packets",
           "bytes", "tcp_flags", "sampling_rate", "exporter")
_COLUMNS = (*_FIELDS, "source", "input_id")  # what nfdump knows; the packet statistics stay null


class _Rows:
    """Column lists of `flows`, turned into Arrow batches every BATCH rows."""

    def __init__(self, input_id: str, known: dict[int, Exporter]):
        self.input_id, self.known = input_id, known
        self.records = self.skipped = 0
        self.cols: dict[str, list] = {c: [] for c in _COLUMNS}
        self.tables: list[pa.Table] = []

    def add(self, r: dict) -> None:
        try:
            src = r.get("src4_addr") or r.get("src6_addr")
            dst = r.get("dst4_addr") or r.get("dst6_addr")
            if not src or not dst:
                raise ValueError("no addresses")
            start = epoch(r.get("first", r.get("t_first")))
            end = epoch(r.get("last", r.get("t_last", r.get("first"))))
            proto = int(r.get("proto", 0))
            sport, dport = int(r.get("src_port", 0)), int(r.get("dst_port", 0))
            flags = tcp_flags(r.get("tcp_flags", 0))
            ipkt, ibyt = int(r.get("in_packets", 0)), int(r.get("in_bytes", 0))
            opkt, obyt = int(r.get("out_packets", 0)), int(r.get("out_bytes", 0))
            exp = self.known.get(int(r.get("export_sysid", -1)))
            router = r.get("ip4_router") or r.get("ip6_router") or ""
            exporter = exp.name if exp else router
            rate = exp.rate if exp and int(r.get("sampled", 0)) else 1
        except (ValueError, TypeError, OverflowError):
            self.skipped += 1
            return
        self.records += 1
        self._row(start, end, src, sport, dst, dport, proto, ipkt, ibyt, flags, rate, exporter)
        if opkt or obyt:
            self._row(start, end, dst, dport, src, sport, proto, opkt, obyt, flags, rate, exporter)

    def _row(self, *values) -> None:
        c = self.cols
        for name, v in zip(_FIELDS, values):
            c[name].append(v)
        c["source"].append(SOURCE)
        c["input_id"].append(self.input_id)
        if len(c["ts_start"]) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if self.cols["ts_start"]:
            self.tables.append(schema.table_of("flows", self.cols))
            self.cols = {c: [] for c in _COLUMNS}

    def table(self) -> pa.Table:
        self._flush()
        if not self.tables:
            return schema.empty_table("flows")
        return pa.concat_tables(self.tables)
