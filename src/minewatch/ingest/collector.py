"""Live telemetry intake: a UDP flow collector and a watcher of a directory of rotated files.

`FlowCollector` receives NetFlow v5, v9 and IPFIX on one UDP socket. The receiving thread only
queues datagrams (bounded queue; overflow is counted as `dropped`); one writer thread decodes them
and stores them in batches, each batch one `Store.ingest` transaction with its own ingest_log row,
so a datagram is stored exactly once or not at all. Template state (templates, options templates,
sampling, sequence numbers, data sets waiting for their template) lives in one `TemplateCache`
per protocol version, keyed by exporter address and observation domain, and outlives batches.
On `stop()` the socket closes, everything queued is decoded and stored, and the derived tables
are rebuilt once.

`DirectoryWatch` ingests the files that appear in a directory (pcap rotation, IPFIX files, nfcapd
files, DNS and Zeek logs) once each, when a file's size has not changed between two polls.
"""

from __future__ import annotations

import hashlib
import os
import queue
import socket
import stat
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa

from minewatch import schema
from minewatch.decode.netflow_v9 import TemplateCache
from minewatch.errors import InputError
from minewatch.ingest.exports import ExportDecoder

VERSIONS = (5, 9, 10)  # NetFlow v5, NetFlow v9, IPFIX
MAX_DATAGRAM = 65535
_TICK = 0.2  # s: how soon each thread notices stop()


def parse_listen(text: str) -> tuple[str, int]:
    """(host, port) of 'HOST:PORT', '[v6]:PORT' or ':PORT' (all IPv4 addresses)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"{text!r} is not HOST:PORT")
    return host.strip("[]") or "0.0.0.0", int(port)


def rebuild_derived(store, registry: Path | None) -> None:
    """Recompute the derived tables, as `minewatch analyze` does after its inputs."""
    from minewatch.engine.local import rebuild_derived as rebuild_all

    rebuild_all(store, registry)


# --- the UDP collector ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CollectorConfig:
    db: Path = Path("minewatch.duckdb")
    host: str = "0.0.0.0"
    port: int = 2055  # 0: an ephemeral port (see FlowCollector.address)
    registry: Path | None = None  # owner register CSV used by the rebuild on stop
    batch_seconds: float = 5.0  # a batch is stored this long after its first datagram ...
    batch_datagrams: int = 20_000  # ... or when it holds this many, whichever comes first
    queue_datagrams: int = 100_000  # datagrams received but not yet decoded; beyond: dropped
    receive_buffer: int = 8 << 20  # SO_RCVBUF asked of the kernel, bytes
    store_retries: int = 3  # attempts to store a batch before its datagrams count as dropped
    rebuild_on_stop: bool = True
    rebuild_seconds: float = 300.0  # derived tables (reports) are refreshed this often while running


@dataclass(slots=True)
class CollectorCounters:
    """What the collector did so far. The receiving thread writes only datagrams and dropped."""

    datagrams: int = 0  # received on the socket
    records: int = 0  # flow records stored
    decode_errors: int = 0  # datagrams that are not NetFlow v5/v9 or IPFIX, or do not decode
    template_misses: int = 0  # data sets that arrived before their template (held pending)
    lost: int = 0  # sequence-number gaps: v9 export packets, v5 and IPFIX data records
    dropped: int = 0  # datagrams never stored: queue full, or their batch could not be written
    batches: int = 0  # batches stored (one transaction and ingest_log row each)
    store_errors: int = 0  # failed attempts to store a batch (it is retried)

    def line(self) -> str:
        return " ".join(f"{k}={v}" for k, v in asdict(self).items())


@dataclass(slots=True)
class _Batch:
    """Datagrams of one batch: decoded on arrival, hashed for the batch's input id."""

    decoders: dict[int, ExportDecoder]
    digest: object = field(default_factory=hashlib.sha256)
    datagrams: int = 0
    size: int = 0
    errors: int = 0
    opened: float = field(default_factory=time.monotonic)

    def add(self, payload: bytes, exporter: tuple) -> None:
        if not self.datagrams:
            self.opened = time.monotonic()
        self.datagrams += 1
        self.size += len(payload)
        self.digest.update(f"{exporter[0]}|{exporter[1]}|{len(payload)}|".encode() + payload)
        decoder = self.decoders.get(int.from_bytes(payload[:2], "big")) if len(payload) >= 2 else None
        if decoder is None:
            self.errors += 1
            return
        try:
            decoder.add_payload(payload, exporter[0])
        except Exception:  # noqa: BLE001 - a hostile datagram must never stop the collector
            self.errors += 1

    def tables(self) -> tuple[dict[str, pa.Table], int]:
        """The batch's flows table and its undecodable datagrams."""
        parts = [d.table() for d in self.decoders.values()]
        skipped = self.errors + sum(d.skipped for d in self.decoders.values())
        flows = pa.concat_tables([p.cast(schema.arrow_schema("flows")) for p in parts])
        return {"flows": flows}, skipped


@dataclass(slots=True)
class _Pending:
    """A decoded batch waiting to be stored."""

    tables: dict[str, pa.Table]
    log_row: dict
    datagrams: int
    attempts: int = 0


class FlowCollector:
    """NetFlow v5/v9 and IPFIX over UDP into the store; see the module docstring."""

    def __init__(self, config: CollectorConfig = CollectorConfig()):
        self.config = config
        self.counters = CollectorCounters()
        self.error = ""  # the last storage or rebuild failure, for the operator
        self.address: tuple[str, int] | None = None
        self.caches = {v: TemplateCache() for v in VERSIONS}
        self._queue: queue.Queue = queue.Queue(config.queue_datagrams)
        self._stopping = threading.Event()
        self._received_all = threading.Event()  # the receiver has queued its last datagram
        self._drop_lock = threading.Lock()  # `dropped` is the one counter both threads write
        self._sock: socket.socket | None = None
        self._store = None
        self._threads: list[threading.Thread] = []
        self._unstored: list[_Pending] = []
        self._rebuilt_at = time.monotonic()

    @property
    def url(self) -> str:
        host, port = self.address or (self.config.host, self.config.port)
        return f"udp://[{host}]:{port}" if ":" in host else f"udp://{host}:{port}"

    @property
    def stream_id(self) -> str:
        """flows.input_id of collected records: the stream, not the batch, because the derived
        step keeps one origin (source, exporter, input) per 5-tuple and a long flow's records
        fall into many batches."""
        return f"collector:{self.url}"

    def start(self) -> None:
        """Bind the socket and open the store (errors raise here), then start both threads."""
        from minewatch.store.duck import Store

        if self._sock is not None:
            raise RuntimeError("a collector starts once")
        self._sock = _bind(self.config)
        self.address = self._sock.getsockname()[:2]
        try:
            self._store = Store(self.config.db)
        except InputError:
            self._sock.close()
            raise
        self._threads = [threading.Thread(target=self._receive, name="collector-receive", daemon=True),
                         threading.Thread(target=self._write, name="collector-write", daemon=True)]
        for t in self._threads:
            t.start()

    def stop(self) -> CollectorCounters:
        """Stop receiving, store everything received, rebuild the derived tables; idempotent."""
        self._stopping.set()
        for t in self._threads:
            t.join()
        self._threads = []
        return self.counters

    # -- receiving thread: socket to queue, nothing else
    def _receive(self) -> None:
        sock = self._sock
        try:
            while not self._stopping.is_set():
                try:
                    payload, peer = sock.recvfrom(MAX_DATAGRAM)
                except socket.timeout:
                    continue
                except OSError:
                    break
                self.counters.datagrams += 1
                try:
                    self._queue.put_nowait((payload, peer))
                except queue.Full:
                    self._drop(1)
        finally:
            sock.close()
            self._received_all.set()

    def _drop(self, datagrams: int) -> None:
        with self._drop_lock:
            self.counters.dropped += datagrams

    # -- writer thread: the only user of the decoders and the store
    def _write(self) -> None:
        batch = self._new_batch()
        try:
            while not self._drained(item := self._next(batch)):
                if item is not None:
                    batch.add(*item)
                if self._due(batch):
                    self._close(batch)
                    batch = self._new_batch()
                    self._refresh()
            self._close(batch)
            self._store_unstored(final=True)
            self._finish()
        finally:
            self._store.close()

    def _next(self, batch: _Batch):
        """The next queued datagram, or None when none came within the batch's time or a tick."""
        wait = _TICK
        if batch.datagrams:
            wait = min(wait, self.config.batch_seconds - (time.monotonic() - batch.opened))
        try:
            return self._queue.get(timeout=max(wait, 0.001))
        except queue.Empty:
            return None

    def _drained(self, item) -> bool:
        """Nothing came, and nothing will: the receiver has stopped and the queue is empty."""
        return item is None and self._received_all.is_set() and self._queue.empty()

    def _due(self, batch: _Batch) -> bool:
        return bool(batch.datagrams) and (
            batch.datagrams >= self.config.batch_datagrams
            or time.monotonic() - batch.opened >= self.config.batch_seconds)

    def _new_batch(self) -> _Batch:
        return _Batch({v: ExportDecoder(self.stream_id, cache=c) for v, c in self.caches.items()})

    def _close(self, batch: _Batch) -> None:
        """Decode the rest of the batch, queue it for storing, store what is waiting."""
        if batch.datagrams:
            self._unstored.append(self._pending(batch))
        self._sync_cache_counters()
        self._store_unstored(final=False)

    def _pending(self, batch: _Batch) -> _Pending:
        try:
            tables, skipped = batch.tables()
        except Exception as exc:  # noqa: BLE001 - see _Batch.add; the batch is counted, not fatal
            tables, skipped = {"flows": schema.empty_table("flows")}, batch.datagrams
            self.error = f"undecodable batch: {exc}"
        self.counters.decode_errors += skipped
        input_id = "collector:" + batch.digest.hexdigest()
        records = tables["flows"].num_rows
        message = f"{skipped:,} datagrams undecodable" if skipped else ""
        log_row = {"input_id": input_id, "path": self.url, "format": "collector",
                   "status": "partial" if skipped else "ok", "size_bytes": batch.size,
                   "records": records, "skipped": skipped, "message": message}
        return _Pending(tables, log_row, batch.datagrams)

    def _sync_cache_counters(self) -> None:
        caches = self.caches.values()
        self.counters.template_misses = sum(c.counters["pending"] for c in caches)
        self.counters.lost = sum(c.counters["lost"] for c in caches)

    def _store_unstored(self, final: bool) -> None:
        """Store waiting batches in arrival order; a failure keeps them for the next try."""
        while self._unstored:
            batch = self._unstored[0]
            if self._store_one(batch):
                self._unstored.pop(0)
                continue
            if batch.attempts < self.config.store_retries and not final:
                return
            self._drop(batch.datagrams)
            self._unstored.pop(0)

    def _store_one(self, batch: _Pending) -> bool:
        import duckdb

        batch.attempts += 1
        try:
            if not self._store.has_input(batch.log_row["input_id"]):  # the very same datagrams
                self._store.ingest(batch.tables, {**batch.log_row, "ingested_at": time.time()})
                self.counters.records += batch.log_row["records"]
                self.counters.batches += 1
            return True
        except (duckdb.Error, OSError) as exc:
            self.counters.store_errors += 1
            self.error = f"cannot store a batch: {str(exc).splitlines()[0]}"
            return False

    def _refresh(self) -> None:
        """Rebuild the derived tables now and then, so reports follow a long-running collector."""
        if time.monotonic() - self._rebuilt_at >= self.config.rebuild_seconds:
            self._rebuilt_at = time.monotonic()
            self._finish()

    def _finish(self) -> None:
        import duckdb

        if not self.config.rebuild_on_stop:
            return
        try:
            rebuild_derived(self._store, self.config.registry)
        except (duckdb.Error, OSError, InputError) as exc:
            self.counters.store_errors += 1
            self.error = f"cannot rebuild the derived tables: {str(exc).splitlines()[0]}"


def _bind(config: CollectorConfig) -> socket.socket:
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        _receive_buffer(sock, config.receive_buffer)
        sock.bind((config.host, config.port))
    except OSError:
        sock.close()
        raise
    sock.settimeout(_TICK)
    return sock


def _receive_buffer(sock: socket.socket, size: int) -> None:
    """A large kernel buffer absorbs bursts; past net.core.rmem_max only with CAP_NET_ADMIN."""
    force = getattr(socket, "SO_RCVBUFFORCE", None)
    try:
        if force is not None:
            sock.setsockopt(socket.SOL_SOCKET, force, size)
            return
    except OSError:
        pass
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)


# --- the directory watcher ------------------------------------------------------------------------

def _in_progress(name: str) -> bool:
    """Hidden files, and the file nfcapd is still writing (nfcapd.current.PID, renamed to
    nfcapd.YYYYMMDDhhmm when it rotates; its size can hold still for minutes between blocks)."""
    return name.startswith(".") or name.startswith("nfcapd.current")


@dataclass(frozen=True, slots=True)
class WatchConfig:
    directory: Path = Path(".")
    db: Path = Path("minewatch.duckdb")
    registry: Path | None = None
    interval: float = 5.0  # s between polls; a file is read once its size held for one interval


@dataclass(slots=True)
class WatchCounters:
    polls: int = 0
    ingested: int = 0  # files stored (ok or partial)
    duplicates: int = 0  # files whose bytes were stored before (same sha256)
    failed: int = 0  # files that could not be read (tried again if they change)
    changed_after_ingest: int = 0  # files that grew or changed after they were stored: not re-read
    rebuilds: int = 0

    def line(self) -> str:
        return " ".join(f"{k}={v}" for k, v in asdict(self).items())


@dataclass(frozen=True, slots=True)
class _Seen:
    inode: int
    size: int
    mtime_ns: int


class DirectoryWatch:
    """Ingests each file of a directory once, after its size is stable between two polls.

    A file is identified by path and inode: a file replaced under the same name is new. A stored
    file that changes afterwards is counted, not read again (its first part is already stored);
    a file that failed is tried again when it changes."""

    def __init__(self, config: WatchConfig = WatchConfig(), progress=None):
        self.config = config
        self.counters = WatchCounters()
        self.results: list = []  # InputResult of every file read, in order
        self._progress = progress
        self._last: dict[Path, _Seen] = {}  # what the previous poll saw
        self._done: dict[Path, tuple[_Seen, str]] = {}  # what was read, and its status
        self._store = None

    def start(self) -> None:
        from minewatch.store.duck import Store

        if not self.config.directory.is_dir():
            raise InputError(f"{self.config.directory}: no such directory")
        self._store = Store(self.config.db)

    def stop(self) -> WatchCounters:
        if self._store is not None:
            self._store.close()
            self._store = None
        return self.counters

    def poll(self) -> list:
        """One round: read the files stable since the last poll; rebuild if any was stored.
        Returns the InputResults of this round."""
        from minewatch.engine.local import ingest_one

        self.counters.polls += 1
        now = self._observe()
        ready = [p for p, seen in sorted(now.items()) if self._last.get(p) == seen and self._due(p, seen)]
        self._last = now
        results = [self._read(p, now[p], ingest_one) for p in ready]
        if any(r.status in ("ok", "partial") for r in results):
            rebuild_derived(self._store, self.config.registry)
            self.counters.rebuilds += 1
        self.results += results
        return results

    def run(self, stopping: threading.Event, once: bool = False, on_round=None) -> None:
        """Poll every interval until `stopping` is set; once: two polls an interval apart.
        on_round(results) is called after each poll."""
        report = on_round or (lambda results: None)
        report(self.poll())
        while not stopping.wait(self.config.interval):
            report(self.poll())
            if once:
                return

    def _observe(self) -> dict[Path, _Seen]:
        """Every file under the directory, subdirectories included (nfcapd -S writes
        YYYY/MM/DD/nfcapd.*, pcap rotation may write per-day folders); hidden folders and the
        database's own files are left out."""
        seen, own = {}, self._own_files()
        for root, dirs, files in os.walk(self.config.directory):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in files:
                p = Path(root, name)
                if _in_progress(name) or p.resolve() in own:
                    continue
                try:
                    st = p.stat()
                except OSError:
                    continue  # gone between listing and stat
                if stat.S_ISREG(st.st_mode) and st.st_size > 0:
                    seen[p] = _Seen(st.st_ino, st.st_size, st.st_mtime_ns)
        return seen

    def _own_files(self) -> set[Path]:
        db = self.config.db.resolve()
        return {db, db.with_name(db.name + ".wal")}

    def _due(self, path: Path, seen: _Seen) -> bool:
        done = self._done.get(path)
        if done is None or done[0].inode != seen.inode:
            return True
        if done[0] == seen:
            return False
        if done[1] == "failed":
            return True
        self.counters.changed_after_ingest += 1
        self._done[path] = (seen, done[1])  # count each change once
        return False

    def _read(self, path: Path, seen: _Seen, ingest_one):
        from minewatch.cli.progress import NullProgress

        result = ingest_one(str(path), self._store, self._progress or NullProgress())
        key = {"ok": "ingested", "partial": "ingested", "duplicate": "duplicates"}.get(result.status, "failed")
        setattr(self.counters, key, getattr(self.counters, key) + 1)
        self._done[path] = (seen, result.status)
        return result
