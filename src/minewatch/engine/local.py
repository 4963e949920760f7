"""The local engine: each input decoded in one streaming pass, stored, then derived tables rebuilt.

An input is identified by the sha256 of its bytes. One already in the ingest_log is skipped,
so feeding a file twice (or re-running after a crash: an input's rows and its log row commit
together) changes nothing.
"""

from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa

from minewatch import jit, schema
from minewatch.decode import ipfix, pcap
from minewatch.detect.intel import PoolIntel
from minewatch.engine.derive import rebuild
from minewatch.enrich.geo import GeoDB
from minewatch.errors import DecodeError, InputError
from minewatch.ingest import dnslog, nfcapd, packed, process, warm, zeeklogs
from minewatch.ingest.exports import ExportDecoder
from minewatch.ingest.capture import read_capture
from minewatch.limits import release_memory

HEAD = 4096
CHUNK = 1 << 20


@dataclass(slots=True)
class InputResult:
    path: str
    format: str = ""
    status: str = "ok"  # ok, partial, failed, duplicate
    records: int = 0
    skipped: int = 0
    message: str = ""

    def line(self) -> str:
        if self.status == "duplicate":
            return f"{self.path}: already ingested (same sha256), nothing changed"
        if self.status == "failed":
            return f"{self.path}: cannot read: {self.message}"
        text = f"{self.path}: {self.format}, {self.records:,} records"
        if self.skipped:
            text += f", {self.skipped:,} skipped"
        return text + (f" ({self.message})" if self.message else "")


@dataclass(slots=True)
class AnalysisResult:
    inputs: list[InputResult] = field(default_factory=list)
    miners: int = 0
    sessions: int = 0

    @property
    def unreadable(self) -> bool:
        return any(r.status == "failed" for r in self.inputs)

    def lines(self) -> list[str]:
        return [r.line() for r in self.inputs] + [
            f"{self.miners:,} miner IPs, {self.sessions:,} pool sessions in the database"]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def sniff(head: bytes) -> str | None:
    """The format of an input from its first bytes."""
    kind = pcap.sniff(head)
    if kind:
        return kind
    if ipfix.sniff(head):
        return "ipfix"
    if nfcapd.sniff(head):
        return "nfcapd"
    if dnslog.sniff_dnslog(head):
        return "dnslog"
    return zeeklogs.sniff(head)


def analyze(paths: list[str], db: Path, registry: Path | None, progress) -> AnalysisResult:
    """Ingest every input, then rebuild the derived tables once.

    Memory is released after every input (limits.release_memory), and its full garbage
    collection walked every object of the process: about 200,000 after a first capture
    (modules, compiled kernels, the store), 0.09 s each time, longer than a 5 MB capture takes
    to read. The inputs are read with the quiet collector held (ingest.process.COLLECTOR),
    and what outlives each input is frozen with the rest, so each release walks only what the
    next input made: 40 rotated captures of 5 MB went from 7.9 s to 4.2 s (one file of
    the same 200 MB: 2.7 s)."""
    from minewatch.store.duck import Store

    result = AnalysisResult()
    with Store(db) as store:
        with process.COLLECTOR:
            for path in paths:
                result.inputs.append(ingest_one(path, store, progress))
                release_memory()
                process.COLLECTOR.settle()
        if len(paths) > 1:
            release_memory()  # (cycles among what earlier inputs had kept, thawed now)
        progress.start("deriving sessions and miners", None)
        rebuild_derived(store, registry)
        progress.done()
        result.miners = store.scalar("SELECT count(*) FROM miners")
        result.sessions = store.scalar("SELECT count(*) FROM sessions")
    return result


def rebuild_derived(store, registry: Path | None) -> None:
    """Recompute the derived tables with the register and pool intelligence in force."""
    rebuild(store, PoolIntel.from_store(store), GeoDB.load(), _register(store, registry))


def _register(store, path: Path | None):
    """The owner register: the one given (which then becomes the stored one), else the stored
    one, else None. Bad rows are reported by line and skipped."""
    from minewatch.enrich.registry import OwnerRegister

    if path is None:
        stored = store.query("SELECT * FROM owner_register")
        return OwnerRegister.from_table(stored) if stored.num_rows else None
    register, errors = OwnerRegister.from_file(path)
    for e in errors[:5]:
        print(f"{path}: line {e.line}: {e.message}", file=sys.stderr)
    if len(errors) > 5:
        print(f"{path}: {len(errors) - 5} more bad rows skipped", file=sys.stderr)
    store.replace("owner_register", register.to_table())
    return register


def ingest_one(path: str, store, progress) -> InputResult:
    res = InputResult(path)
    try:
        if path == "-":
            data = sys.stdin.buffer.read()  # stdin cannot be read twice: hash what we keep
            return _ingest_bytes(res, data, store, progress)
        p = Path(path)
        if not p.is_file():
            raise InputError("no such file")
        if p.stat().st_size == 0:
            raise InputError("empty file")
        with p.open("rb") as f:
            packing = packed.kind(f.read(8))
            f.seek(0)
            if packing is not None:
                return _ingest_packed(res, packed.Unpacked(f, packing), p.stat().st_size, store,
                                      progress)
            _ingest_stream(res, f, p.stat().st_size, sha256_file(p), store, progress)
    except InputError as exc:
        res.status, res.message = "failed", str(exc)
    except OSError as exc:
        res.status, res.message = "failed", exc.strerror or str(exc)
    return res


def _ingest_bytes(res: InputResult, data: bytes, store, progress) -> InputResult:
    import io

    if not data:
        raise InputError("empty input")
    packing = packed.kind(data[:8])
    if packing is not None:
        return _ingest_packed(res, packed.Unpacked(io.BytesIO(data), packing), len(data), store,
                              progress)
    _ingest_stream(res, io.BytesIO(data), len(data), hashlib.sha256(data).hexdigest(), store,
                   progress)
    return res


def _ingest_packed(res: InputResult, f: packed.Unpacked, size: int, store,
                   progress) -> InputResult:
    """A compressed input: identified by what it holds, read as it is unpacked."""
    input_id, size_unpacked = packed.sha256(f)
    if not size_unpacked:  # (never ingested: an empty input is an error)
        raise InputError(f.error or f"empty {f.packing} stream")
    f.seek(0)
    try:
        _ingest_stream(res, f, size, input_id, store, progress)
    except InputError as exc:  # nothing readable: the damage may be why
        raise InputError(_clauses(str(exc), f.error)) from None
    return res


def _clauses(*parts: str | None) -> str:
    """The non-empty parts of an input's message, in one line."""
    return "; ".join(p for p in parts if p)


def _ingest_stream(res: InputResult, f: BinaryIO, size: int, input_id: str, store, progress) -> None:
    """One input read into the store, unless the store holds it already (status duplicate)."""
    if store.has_input(input_id):
        res.status = "duplicate"
        return
    head = f.read(HEAD)
    f.seek(0)
    fmt = sniff(head)
    if fmt is None:
        raise InputError("not a pcap, pcapng, IPFIX file, nfcapd file, DNS log or Zeek "
                         "conn/ssl log (unrecognised content)")
    res.format = fmt
    packing = getattr(f, "packing", None)  # (progress counts unpacked bytes: no total then)
    if fmt in ("pcap", "pcapng") and jit.cold():  # (a minute of silence otherwise)
        progress.start("compiling the packet kernels (first run after an install, ~1 min)", None)
        warm.compile_apart()
        progress.done()
    progress.start(f"reading {Path(res.path).name}", None if packing else size)
    with store.ingesting() as job:  # captures stream their rows in; the rest come at the end
        if fmt in ("pcap", "pcapng"):
            tables = _read_pcap(res, f, input_id, progress, job.put)
        elif fmt == "ipfix":
            tables = _read_ipfix(res, f, input_id, progress)
        elif fmt == "nfcapd":
            tables = _read_nfcapd(res, f, input_id, progress)
        elif fmt in zeeklogs.FORMATS:
            tables = _read_zeek(res, f, input_id)
        else:
            tables = _read_dnslog(res, f, input_id)
        progress.done()
        if packing is not None:
            res.format = f"{res.format} ({packing})"
            if f.error:
                res.message = _clauses(res.message, f.error)
        res.status = "partial" if res.message else "ok"
        for name, table in tables.items():
            job.put(name, table)
        job.commit({"input_id": input_id, "path": res.path, "format": res.format,
                    "status": res.status, "size_bytes": size, "records": res.records,
                    "skipped": res.skipped, "message": res.message, "ingested_at": time.time()})


def _read_pcap(res: InputResult, f: BinaryIO, input_id: str, progress,
               sink) -> dict[str, pa.Table]:
    try:
        tables, state, frames = read_capture(f, input_id, Path(res.path).name, progress.advance,
                                             sink)
    except DecodeError as exc:
        raise InputError(f"bad capture header: {exc}") from None
    c = state.counters
    res.records = c.packets
    res.skipped = c.skipped + frames.skipped + state.dpi.exports.skipped
    if c.export_datagrams > c.packets / 2:
        res.format = f"{res.format} of flow exports"
    if frames.truncated:
        res.message = f"truncated after {c.packets:,} packets; the rest was not read"
    elif frames.error:
        res.message = frames.error
    elif c.first_error:
        res.message = c.first_error
    lost = c.quality()
    if lost:
        res.message = _clauses(res.message, lost)
    if c.packets == 0 and not frames.truncated:  # say why, when damage ended it at once
        raise InputError(f"capture holds no packets ({frames.error})" if frames.error
                         else "capture holds no packets")
    return tables


def _read_ipfix(res: InputResult, f: BinaryIO, input_id: str, progress) -> dict[str, pa.Table]:
    exports = ExportDecoder(input_id)
    try:
        for msg in ipfix.iter_ipfix_file(f):
            exports.add_payload(msg, "file")
            progress.advance(len(msg))
    except DecodeError as exc:
        res.message = f"stopped at a broken message: {exc}"
    flows = exports.table()
    res.records, res.skipped = flows.num_rows, exports.skipped
    if exports.skipped and not res.message:
        res.message = f"{exports.skipped:,} messages skipped"
    return {"flows": flows}


def _read_nfcapd(res: InputResult, f: BinaryIO, input_id: str, progress) -> dict[str, pa.Table]:
    """nfcapd files through `nfdump` (minewatch.ingest.nfcapd), which needs a path: a regular
    file's own, else (stdin) a temporary copy."""
    import os
    import shutil
    import tempfile

    nfcapd.nfdump_path()  # missing nfdump: say so before copying anything
    name = getattr(f, "name", None)
    if isinstance(name, str) and os.path.isfile(name):
        got = nfcapd.read(Path(name), input_id)
    else:
        with tempfile.NamedTemporaryFile(prefix="minewatch-", suffix=".nfcapd") as tmp:
            shutil.copyfileobj(f, tmp, CHUNK)
            tmp.flush()
            got = nfcapd.read(Path(tmp.name), input_id)
    progress.advance(f.seek(0, 2))
    res.records, res.skipped = got.records, got.skipped
    if got.error:
        res.message = f"nfdump stopped after {got.records:,} records: {got.error}"
    elif got.skipped:
        res.message = f"{got.skipped:,} records skipped"
    return {"flows": got.flows}


def _read_dnslog(res: InputResult, f: BinaryIO, input_id: str) -> dict[str, pa.Table]:
    rows, skipped = dnslog.read_dnslog(f)
    for r in rows:
        r["input_id"] = input_id
    res.records, res.skipped = len(rows), skipped
    if skipped:
        res.message = f"{skipped:,} lines skipped"
    return {"dns_map": schema.to_table("dns_map", rows)}


def _read_zeek(res: InputResult, f: BinaryIO, input_id: str) -> dict[str, pa.Table]:
    tables, lines, skipped = zeeklogs.read_tables(f, res.format, input_id, Path(res.path).name)
    res.records, res.skipped = lines - skipped, skipped
    if skipped:
        res.message = f"{skipped:,} lines skipped"
    return tables
