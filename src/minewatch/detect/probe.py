"""Opt-in active verification of a suspected pool: speak a miner's first words and listen.

As NEMEA's miner_detector and CryptoCatch do, `Prober.probe("host:port")` connects (TLS when
asked, certificate checks off since only the protocol matters, SNI naming the host), sends one
dialect's minimal handshake with dummy credentials, reads the answers with the project's
decoders and returns a `ProbeResult`: verdict "pool", "not-a-pool" or "unreachable", the dialect
that answered and what the pool said. A process-wide token bucket spaces probes so that a list
of endpoints cannot be hammered. Only aim it at endpoints already suspected (docs/probe.md).
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, Callable

from minewatch import __version__
from minewatch.decode import cryptonote, ethstratum, stratum_v1
from minewatch.decode.jsonrpc import LineFramer, RpcMessage, parse_message
from minewatch.decode.stratum_v1 import Reply
from minewatch.errors import DecodeError, UsageError

DIALECTS = ("stratum-v1", "ethproxy", "cryptonote")  # the order `auto` tries them in
AGENT = f"minewatch-probe/{__version__}"
DUMMY_WORKER = "minewatch-probe"
DUMMY_ETH_WALLET = "0x" + "0" * 40
DUMMY_XMR_WALLET = "4" + ("Minewatchprobe" * 7)[:94]  # Monero-shaped (95 base58 chars), no checksum
MAX_MESSAGES = 64  # per connection: a handshake needs a handful
_UNKNOWN_METHOD = re.compile(
    r"unknown|not found|unsupported|invalid method|no such|not implemented", re.IGNORECASE)


# --- configuration and rate limit ----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ProbeConfig:
    """How to probe. `timeout_s` bounds one endpoint's whole probe: connect, TLS, every dialect."""

    dialect: str = "auto"  # or one of DIALECTS
    timeout_s: float = 5.0
    tls: bool = False
    rate_per_min: float = 20.0  # probes per minute in this process (0.1 to 6000)
    burst: int = 1  # probes allowed back to back before the rate applies
    settle_s: float = 0.5  # after the last reply, how long to wait for a pushed job
    max_bytes: int = 64 * 1024  # read per connection at most

    def __post_init__(self) -> None:
        if self.dialect != "auto" and self.dialect not in DIALECTS:
            raise UsageError(f"unknown dialect {self.dialect!r} (auto, {', '.join(DIALECTS)})")
        if not 0 < self.timeout_s <= 600:
            raise UsageError("timeout must be over 0 and at most 600 s")
        if not 0.1 <= self.rate_per_min <= 6000 or self.burst < 1:
            raise UsageError("rate limit must be 0.1 to 6000 per minute, burst at least 1")


@dataclass(slots=True)
class TokenBucket:
    """Holds up to `capacity` tokens, refilled at rate_per_min; `take` waits for one.

    A taker may leave the bucket negative: later takers queue behind it, so the rate holds
    across threads too."""

    rate_per_min: float
    capacity: float = 1.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _tokens: float | None = None
    _stamp: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> float:
        """Take one token, sleeping until it is due; returns the seconds slept."""
        with self._lock:
            now = self.clock()
            tokens = self.capacity if self._tokens is None else self._tokens
            tokens = min(self.capacity, tokens + (now - self._stamp) * self.rate_per_min / 60)
            self._tokens, self._stamp = tokens - 1, now
            wait = max(0.0, -self._tokens * 60 / self.rate_per_min)
        if wait:
            self.sleep(wait)
        return wait


_PROCESS_BUCKET: list[TokenBucket] = []
_PROCESS_LOCK = threading.Lock()


def process_bucket(rate_per_min: float, burst: int = 1) -> TokenBucket:
    """The one bucket every Prober of this process draws from (at the latest rate asked)."""
    with _PROCESS_LOCK:
        if not _PROCESS_BUCKET:
            _PROCESS_BUCKET.append(TokenBucket(rate_per_min, burst))
        bucket = _PROCESS_BUCKET[0]
        bucket.rate_per_min, bucket.capacity = rate_per_min, burst
        return bucket


def parse_endpoint(text: str) -> tuple[str, int, bool]:
    """(host, port, tls asked by the scheme) of HOST:PORT, [v6]:PORT or stratum+tcp/ssl:// URLs."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    if scheme not in ("", "stratum+tcp", "stratum+ssl", "stratum+tls", "tcp", "ssl", "tls"):
        raise UsageError(f"{text}: unknown scheme {scheme!r}")
    host, _, port = rest.rstrip("/").rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"{text}: expected HOST:PORT")
    return host, int(port), scheme.endswith(("ssl", "tls"))


# --- one dialect's handshake ---------------------------------------------------------------------

@dataclass(slots=True)
class Attempt:
    """What one dialect's handshake drew from the endpoint."""

    dialect: str
    said: dict = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)
    replied: set = field(default_factory=set)  # request ids answered
    refused: bool = False  # the last reply was an error
    banner: str | None = None  # the first line, when it was not JSON-RPC
    closed: bool = False
    ms: float = 0.0

    @property
    def outcome(self) -> str:
        if self.evidence:
            return "pool"
        if self.banner is not None:
            return "not json-rpc"
        if self.replied or self.said:
            return "no pool answer"
        return "closed" if self.closed else "no answer"


@dataclass(frozen=True, slots=True)
class Handshake:
    """Requests sent in turn (each once the one before is answered without error), the decoder
    of the answers and what each request is called in the evidence."""

    requests: tuple[bytes, ...]
    names: tuple[str, ...]
    decode: Callable[[RpcMessage], Any]


HANDSHAKES = {
    "stratum-v1": Handshake(
        (stratum_v1.encode(stratum_v1.Subscribe(1, AGENT)),
         stratum_v1.encode(stratum_v1.Authorize(2, DUMMY_WORKER, "x"))),
        ("subscribe", "authorize"), ethstratum.decode),  # EthereumStratum shapes too
    "ethproxy": Handshake(
        (ethstratum.encode(ethstratum.SubmitLogin(1, DUMMY_ETH_WALLET, "x", DUMMY_WORKER)),
         ethstratum.encode(ethstratum.GetWork(2, DUMMY_WORKER))),
        ("login", "getwork"), ethstratum.decode),
    "cryptonote": Handshake(
        (cryptonote.encode(cryptonote.Login(1, DUMMY_XMR_WALLET, "x", AGENT)),),
        ("login",), cryptonote.decode),
}

_JOBS = {  # record type -> (job shape, fields reported)
    stratum_v1.Notify: ("bitcoin", ("job_id", "version", "nbits", "ntime", "clean")),
    stratum_v1.Zip301Notify: ("zip301", ("job_id", "version", "bits", "clean")),
    stratum_v1.KawpowNotify: ("kawpow", ("job_id", "target", "height", "clean")),
    ethstratum.EsNotify: ("ethereumstratum", ("job_id", "seed_hash", "clean")),
    ethstratum.WorkPackage: ("ethash", ("header", "seed", "boundary", "height")),
    cryptonote.Job: ("cryptonote", ("job_id", "target", "algo", "height", "seed_hash")),
}


def job_shape(record: Any) -> dict | None:
    """The job a record carries, as a small dict (shape and the fields that size the work)."""
    if isinstance(record, (cryptonote.LoginResult, cryptonote.JobNotify, cryptonote.JobReply)):
        record = record.job
    spec = _JOBS.get(type(record))
    if spec is None:
        return None
    shape, names = spec
    out = {"shape": shape, **{n: getattr(record, n) for n in names}}
    if isinstance(record, cryptonote.Job):
        out["blob_bytes"] = len(record.blob) // 2
    return out


def note_record(record: Any, a: Attempt, hs: Handshake) -> None:
    """Keep what the pool said in `a.said`, and the pool-only parts of it in `a.evidence`."""
    if isinstance(record, Reply):
        _note_reply(record, a, hs)
    elif (job := job_shape(record)) is not None:
        a.said["job"] = job
        a.evidence.append("job")
        if isinstance(record, cryptonote.LoginResult):
            _note_login_result(record, a)
    elif isinstance(record, (stratum_v1.SetDifficulty, stratum_v1.SetTarget)):
        key = "difficulty" if isinstance(record, stratum_v1.SetDifficulty) else "target"
        a.said[key] = getattr(record, key)
        a.evidence.append(record.METHOD)
    elif isinstance(record, (stratum_v1.ShowMessage, stratum_v1.Reconnect)):
        a.said.setdefault("messages", []).append(stratum_v1.positional(record))


def _note_reply(reply: Reply, a: Attempt, hs: Handshake) -> None:
    index = reply.id - 1 if isinstance(reply.id, int) and 0 < reply.id <= len(hs.names) else None
    name = hs.names[index] if index is not None else "reply"
    a.refused = reply.error is not None
    if a.refused:
        _note_error(reply, a, name)
    elif name == "subscribe":
        sub = stratum_v1.decode_subscribe_reply(reply)
        a.said["subscribe"] = {"subscriptions": list(sub.subscriptions),
                               "extranonce1": sub.extranonce1,
                               "extranonce2_size": sub.extranonce2_size}
        if sub.extranonce1 is not None or sub.subscriptions:
            a.evidence.append("subscribe result")
    elif name in ("authorize", "login"):
        a.said["authorized" if name == "authorize" else name] = reply.result
        if name == "login" and reply.result is True:
            a.evidence.append("login accepted")


def _note_error(reply: Reply, a: Attempt, name: str) -> None:
    """An error reply is kept; one that is not JSON-RPC's "no such method" shows the server
    knows the method (a pool refusing the dummy wallet says so in its own words)."""
    text = reply.error_message or json.dumps(reply.error)[:200]
    a.said.setdefault("errors", []).append(f"{name}: {text}")
    code = reply.error_code
    generic = (code is not None and -32768 <= code <= -32000) or _UNKNOWN_METHOD.search(text)
    if not generic:
        a.evidence.append(f"{name} refused")


def _note_login_result(result: cryptonote.LoginResult, a: Attempt) -> None:
    a.said["login"] = {"session": result.session_id is not None, "status": result.status,
                       "extensions": list(result.extensions)}
    a.evidence.append("login result")


# --- the wire ------------------------------------------------------------------------------------

class Unreachable(Exception):
    """No TCP connection could be opened."""


class _Conversation:
    """One connection read as JSON-RPC lines, every read bounded by a deadline."""

    def __init__(self, sock: socket.socket, max_bytes: int) -> None:
        self.sock, self.max_bytes = sock, max_bytes
        self.framer, self.lines = LineFramer(), deque()
        self.read, self.head, self.closed = 0, b"", False

    def send(self, data: bytes, until: float) -> None:
        self.sock.settimeout(max(until - time.monotonic(), 0.001))
        self.sock.sendall(data)

    def next_line(self, until: float) -> bytes | None:
        """The next line, or None at the deadline, the read limit or the end of the stream."""
        while not self.lines:
            left = until - time.monotonic()
            if left <= 0 or self.closed or self.read >= self.max_bytes:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                return None
            except OSError:
                data = b""
            self.closed = not data
            self.read += len(data)
            self.head = self.head or data[:256]
            self.lines.extend(self.framer.feed(data))
        return self.lines.popleft()


def tls_context() -> ssl.SSLContext:
    """TLS without certificate checks: a pool's certificate proves nothing we need."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def connect(host: str, port: int, tls: bool, until: float) -> socket.socket:
    """A connected (TLS-wrapped) socket; Unreachable when TCP fails, ssl.SSLError on TLS."""
    left = until - time.monotonic()
    try:
        sock = socket.create_connection((host, port), timeout=max(left, 0.001))
    except socket.gaierror as exc:
        raise Unreachable(f"cannot resolve {host}: {exc.strerror}") from None
    except TimeoutError:
        raise Unreachable(f"connect timed out after {left:.2f} s") from None
    except OSError as exc:
        raise Unreachable(exc.strerror or str(exc)) from None
    if not tls:
        return sock
    try:
        sock.settimeout(max(until - time.monotonic(), 0.001))
        return tls_context().wrap_socket(sock, server_hostname=host)  # SNI: the host
    except (OSError, ValueError):
        sock.close()
        raise


def _printable(line: bytes) -> str:
    return line[:120].decode("utf-8", "replace").strip()


def converse(conv: _Conversation, hs: Handshake, a: Attempt, settle_until: Callable[[], float],
             until: float) -> None:
    """Send the handshake in turn and note what comes back, until the deadline."""
    for number, request in enumerate(hs.requests, 1):
        conv.send(request, until)
        if not _read(conv, hs, a, lambda: number in a.replied, until) or a.refused:
            return
    if "job" not in a.said:  # a pool may push its first job just after the last reply
        _read(conv, hs, a, lambda: "job" in a.said, min(until, settle_until()))


def _read(conv: _Conversation, hs: Handshake, a: Attempt, enough: Callable[[], bool],
          until: float) -> bool:
    """Read messages until `enough()`; False at the deadline, the end, or a non-JSON-RPC line."""
    for _ in range(MAX_MESSAGES):
        if enough():
            return True
        line = conv.next_line(until)
        if line is None:
            a.closed = conv.closed
            if conv.closed and conv.head and not a.said and not a.replied:
                a.banner = _printable(conv.head)  # bytes that never made a line
            return False
        try:
            msg = parse_message(line)
            if msg.is_reply and msg.id in range(1, len(hs.requests) + 1):
                a.replied.add(msg.id)
            note_record(hs.decode(msg), a, hs)
        except DecodeError:
            if not a.said and not a.replied:
                a.banner = _printable(line)
                return False
            a.said["undecodable"] = a.said.get("undecodable", 0) + 1
    return enough()


# --- the prober ----------------------------------------------------------------------------------

@dataclass(slots=True)
class ProbeResult:
    """One endpoint's probe, as printed: one JSON object."""

    endpoint: str
    verdict: str = "not-a-pool"  # "pool", "not-a-pool" or "unreachable"
    dialect: str | None = None
    tls: bool = False
    elapsed_ms: float = 0.0
    said: dict = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)
    tried: list[dict] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__slots__}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, default=str)


class Prober:
    """Probes endpoints one at a time. The constructor is inert: nothing opens until probe()."""

    def __init__(self, config: ProbeConfig | None = None, bucket: TokenBucket | None = None):
        self.config = config or ProbeConfig()
        self._bucket = bucket
        self.counters: Counter = Counter()  # probes, pool, not-a-pool, unreachable, rate_waits

    @property
    def bucket(self) -> TokenBucket:
        if self._bucket is None:
            self._bucket = process_bucket(self.config.rate_per_min, self.config.burst)
        return self._bucket

    def probe(self, endpoint: str) -> ProbeResult:
        """Probe one HOST:PORT (UsageError when it is not one), after the rate limit allows."""
        host, port, scheme_tls = parse_endpoint(endpoint)
        if self.bucket.take():
            self.counters["rate_waits"] += 1
        tls = self.config.tls or scheme_tls
        result = ProbeResult(endpoint, tls=tls)
        start = time.monotonic()
        self._run(host, port, result, start + self.config.timeout_s)
        result.elapsed_ms = round((time.monotonic() - start) * 1000, 1)
        self.counters["probes"] += 1
        self.counters[result.verdict] += 1
        return result

    def _run(self, host: str, port: int, result: ProbeResult, until: float) -> None:
        dialects = DIALECTS if self.config.dialect == "auto" else (self.config.dialect,)
        for done, dialect in enumerate(dialects):
            share = (until - time.monotonic()) / (len(dialects) - done)  # the rest, shared
            a = self._attempt(host, port, result, dialect, time.monotonic() + share)
            if a is None:  # no connection
                return
            result.tried.append({"dialect": dialect, "outcome": a.outcome, "ms": a.ms})
            if a.said or a.banner is not None:
                result.said = {**a.said, **({"banner": a.banner} if a.banner else {})}
            if a.evidence:
                result.verdict, result.dialect, result.evidence = "pool", dialect, a.evidence
                return
            if a.banner is not None or time.monotonic() >= until:
                break  # it speaks something else: no other dialect will change that
        result.error = result.error or _no_pool_reason(result)

    def _attempt(self, host: str, port: int, result: ProbeResult, dialect: str,
                 until: float) -> Attempt | None:
        a, start = Attempt(dialect), time.monotonic()
        try:
            sock = connect(host, port, result.tls, until)
        except Unreachable as exc:
            if result.tried:
                result.error = f"{dialect}: {exc}"
            else:
                result.verdict, result.error = "unreachable", str(exc)
            return None
        except (OSError, ValueError) as exc:
            result.error = f"TLS handshake failed: {exc}"
            return None
        with sock:
            try:
                converse(_Conversation(sock, self.config.max_bytes), HANDSHAKES[dialect], a,
                         lambda: time.monotonic() + self.config.settle_s, until)
            except OSError as exc:  # a send into a reset connection
                a.closed = True
                result.error = f"{dialect}: {exc.strerror or exc}"
        a.ms = round((time.monotonic() - start) * 1000, 1)
        return a


def _no_pool_reason(result: ProbeResult) -> str | None:
    if not result.tried:
        return None
    outcomes = {t["outcome"] for t in result.tried}
    if outcomes == {"no answer"}:
        return f"no answer within {sum(t['ms'] for t in result.tried) / 1000:.2f} s"
    if "not json-rpc" in outcomes:
        return "answers, but not in JSON-RPC lines"
    return "no dialect answered as a pool"
