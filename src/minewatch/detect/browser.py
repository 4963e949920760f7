"""Browser mining (cryptojacking) in traffic: web sites and services that make visitors mine.

Two sources of evidence, both reported as `web_entities` rows (one per visitor, host, URL and
kind, merged over connections by `merge_entities`):

* `BrowserScan`, per plaintext HTTP connection, reads the first CAP bytes of each direction:
  requests to a listed browser-miner host or for a miner script (coinhive.min.js,
  cryptonight.wasm, ...), the Referer of such a request (the page that loads it), page and
  script bodies holding miner API calls (`new CoinHive.Anonymous(`) or miner URLs, and the
  browser miners' protocols inside a WebSocket after an upgrade (Coinhive's auth / job /
  submit, webminerpool's handshake / job / solved, or a pool's JSON-RPC relayed as it is).
* `browser_entities_from_names` matches DNS answers and TLS SNI names against the listed hosts.

The indicators are data/browser_miners.csv (kind host | path | marker, service, source): a
small list written from the public NoCoin (hoshsadiq, keraf), MinerBlock (xd4rker) and SoK
cryptojacking lists. Generic names the lists also block (miner.js, processor.js) are left
out: they match ordinary scripts.
"""

from __future__ import annotations

import csv
import json
import re
import zlib
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from minewatch import schema
from minewatch.decode import http
from minewatch.detect.needles import NeedleSet
from minewatch.errors import DecodeError

CAP = 64 * 1024  # bytes of each direction of a connection that are scanned
MAX_INFLATED = 4 * CAP
MAX_EVIDENCE = 16
COLUMNS = schema.column_names("web_entities")
# Browser miners' own WebSocket protocols: each message kind and a key it must carry (None: any)
# - Coinhive's and its clones' {"type": ..., "params": {...}};
WS_MINING_TYPES = {"auth": "site_key", "job": "blob", "submit": "nonce", "hash_accepted": None}
# - webminerpool's flat {"identifier": ...} (notgiven688/webminerpool SDK: handshake, job,
#   solved; MoneroOcean's web miner speaks it), the handshake naming the pool and wallet;
WS_MINING_IDENTIFIERS = {"handshake": "login", "job": "blob", "solved": "nonce",
                         "hashsolved": None}
# - a pool's own JSON-RPC relayed as it is (a WebSocket-to-Stratum proxy): CryptoNote's login,
#   job and submit, Stratum's subscribe, notify and submit.
WS_MINING_METHODS = {"login": "login", "job": "blob", "submit": "nonce",
                     "mining.subscribe": None, "mining.authorize": None, "mining.notify": None,
                     "mining.submit": None}
# Greetings any app's JSON may hold (a chat's "login"): work (a job, a share) must follow
WS_GREETINGS = frozenset({"login", "handshake", "mining.subscribe", "mining.authorize"})
_URL = re.compile(rb"(?i)\b(https?|wss?)://([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)(?::\d{1,5})?"
                  rb"([^\s\"'<>()\\]*)")


@dataclass(frozen=True, slots=True)
class Indicator:
    kind: str  # host, path or marker
    value: str
    service: str
    source: str

    def text(self) -> str:
        return f"{self.service}; source: {self.source}"


class BrowserIntel:
    """The indicators, ready to match host names, request targets and bodies."""

    def __init__(self, indicators: list[Indicator]) -> None:
        self.hosts = {i.value.lower(): i for i in indicators if i.kind == "host"}
        self.paths = [i for i in indicators if i.kind == "path"]
        self.markers = {i.value: i for i in indicators if i.kind == "marker"}
        self._path_re = _alternation([i.value for i in self.paths], re.I)
        self._marker_bytes = [(v.encode("latin-1"), i) for v, i in self.markers.items()]
        self._path_bytes = [(i.value.lower().encode("latin-1"), i) for i in self.paths]
        self._lowered = NeedleSet([t.lower() for t, _ in self._marker_bytes]
                                  + [t for t, _ in self._path_bytes])

    def host(self, name: str | None) -> Indicator | None:
        """The listed host `name` is, or is a subdomain of."""
        name = (name or "").lower().rstrip(".")
        while name:
            if name in self.hosts:
                return self.hosts[name]
            name = name.partition(".")[2]
        return None

    def path(self, target: str | None) -> Indicator | None:
        found = self._path_re.search((target or "").encode("latin-1", "replace"))
        return self._by_path(found.group(0)) if found else None

    def _by_path(self, text: bytes) -> Indicator:
        low = text.decode("latin-1").lower()
        return next(i for i in self.paths if i.value.lower() == low)

    def body_hits(self, body: bytes) -> list[Indicator]:
        """Markers (case as written) and miner script names (any case) a page or script body
        holds, each once. One compiled pass over the lower-cased body finds the candidates;
        a marker found there is then tested in its own case."""
        found = self._lowered.present(body.lower())
        n = len(self._marker_bytes)
        hits = [i for (text, i), hit in zip(self._marker_bytes, found) if hit and text in body]
        hits += [i for (_, i), hit in zip(self._path_bytes, found[n:]) if hit]
        return sorted(set(hits), key=lambda i: (i.kind, i.value))


def _alternation(values: list[str], flags: int) -> re.Pattern:
    if not values:
        return re.compile(rb"(?!)")
    ordered = sorted(values, key=len, reverse=True)
    return re.compile(b"|".join(re.escape(v.encode()) for v in ordered), flags)


@lru_cache(maxsize=1)
def builtin_intel() -> BrowserIntel:
    text = resources.files("minewatch.data").joinpath("browser_miners.csv").read_text("utf-8")
    return BrowserIntel([Indicator(r["kind"], r["value"], r["service"], r["source"])
                         for r in csv.DictReader(text.splitlines())])


# --- entity rows --------------------------------------------------------------------------------

def entity(ts: float, client_ip: str | None, host: str, url: str | None, kind: str,
           facts: list[str], input_id: str | None) -> dict:
    """One web_entities row (evidence kept as a list until `merge_entities`)."""
    return {"ts_first": ts, "ts_last": ts, "client_ip": client_ip, "host": host, "url": url,
            "kind": kind, "evidence": list(facts), "input_id": input_id}


def merge_entities(rows: list[dict]) -> list[dict]:
    """Rows of one visitor, host, URL, kind and input merged: first/last time, facts joined in
    the order of their rows' times (evidence becomes a JSON list), whatever order the rows come
    in (connections end in an order of their own). Sorted by time, for stable output."""
    merged: dict[tuple, dict] = {}
    facts_of = [r["evidence"] if isinstance(r["evidence"], list)
                else json.loads(r["evidence"] or "[]") for r in rows]
    for r, facts in sorted(zip(rows, facts_of),
                           key=lambda x: (x[0]["ts_first"], x[0]["ts_last"], x[1])):
        key = (r["client_ip"], r["host"], r["url"], r["kind"], r["input_id"])
        m = merged.setdefault(key, dict(r, evidence=[]))
        m["ts_first"], m["ts_last"] = min(m["ts_first"], r["ts_first"]), max(m["ts_last"], r["ts_last"])
        m["evidence"] += [f for f in facts if f not in m["evidence"]][:MAX_EVIDENCE - len(m["evidence"])]
    out = [dict(m, evidence=json.dumps(m["evidence"], ensure_ascii=False)) for m in merged.values()]
    return sorted(out, key=lambda r: (r["ts_first"], r["client_ip"] or "", r["host"], r["kind"],
                                      r["url"] or ""))


def browser_entities_from_names(dns_rows: list[dict], sni_rows: list[dict],
                                intel: BrowserIntel | None = None) -> list[dict]:
    """web_entities rows for DNS answers (dns_map rows) and TLS SNI names (tls_hellos rows)
    that name a listed browser-miner host. Pure: rows in, rows out."""
    intel = intel or builtin_intel()
    out = []
    for r in dns_rows:
        hit = intel.host(r.get("query"))
        if hit is not None:
            fact = f"DNS {r['query']} -> {r.get('answer')} ({hit.text()})"
            out.append(entity(r.get("ts") or 0.0, r.get("client_ip"), r["query"].lower(), None,
                              "dns", [fact], r.get("input_id")))
    for r in sni_rows:
        hit = intel.host(r.get("sni"))
        if hit is not None:
            fact = f"TLS SNI {r['sni']} to {r.get('server_ip')}:{r.get('server_port')} ({hit.text()})"
            out.append(entity(r.get("ts") or 0.0, r.get("client_ip"), r["sni"].lower(), None,
                              "sni", [fact], r.get("input_id")))
    return merge_entities(out)


# --- one HTTP connection ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Request:
    ts: float
    host: str
    target: str
    upgrade: bool  # Upgrade: websocket
    referer: str | None

    @property
    def url(self) -> str:
        scheme = "ws" if self.upgrade else "http"
        return self.target if "://" in self.target else f"{scheme}://{self.host}{self.target}"


class BrowserScan:
    """Browser-miner evidence in one plaintext HTTP connection; only the first CAP bytes of
    each direction are kept, so a connection costs at most 2 x CAP bytes of memory."""

    def __init__(self, intel: BrowserIntel | None = None) -> None:
        self.intel = intel or builtin_intel()
        self.counters: Counter = Counter()
        self._seen = {"up": 0, "down": 0}
        self._up, self._down = bytearray(), bytearray()
        self._skip = 0  # request body bytes still to drop
        self._requests: list[_Request] = []
        self._ws_up: bytearray | None = None  # client WebSocket frames after an upgrade
        self._rows: list[dict] = []

    def feed(self, direction: str, ts: float, data: bytes) -> None:
        room = CAP - self._seen.get(direction, CAP)
        if room <= 0:
            return
        data = data[:room]
        self._seen[direction] += len(data)
        try:
            if direction == "down":
                self._down += data
            elif self._ws_up is not None:
                self._ws_up += data
            else:
                self._up += data
                self._read_requests(ts)
        except Exception as exc:  # a bug must not stop the capture
            self.counters[f"internal:{type(exc).__name__}"] += 1

    def entities(self, client_ip: str | None, input_id: str | None) -> list[dict]:
        """The connection's web_entities rows, merged (call once, at its end: responses are
        read here)."""
        try:
            self._read_responses()
        except Exception as exc:
            self.counters[f"internal:{type(exc).__name__}"] += 1
        rows = merge_entities([dict(r, client_ip=client_ip, input_id=input_id) for r in self._rows])
        self._rows, self._up, self._down, self._ws_up = [], bytearray(), bytearray(), None
        return rows

    def _add(self, ts: float, host: str, url: str | None, kind: str, fact: str) -> None:
        self._rows.append(entity(ts, None, host, url, kind, [fact], None))

    # --- requests (as they arrive) ----------------------------------------------------------

    def _read_requests(self, ts: float) -> None:
        while True:
            if self._skip:
                dropped = min(self._skip, len(self._up))
                del self._up[:dropped]
                self._skip -= dropped
            end = self._up.find(b"\r\n\r\n")
            if end < 0:
                return
            try:
                head = http.parse_head(bytes(self._up[:end]))
            except DecodeError:
                head = None
            if head is None or not head.is_request:
                self.counters["not_http"] += 1
                self._seen["up"], self._up = CAP, bytearray()
                return
            del self._up[:end + 4]
            length = head.header("Content-Length") or "0"
            self._skip = int(length) if length.strip().isdigit() else 0
            self._request(_make_request(ts, head))
            if self._requests[-1].upgrade:
                self._ws_up, self._up = bytearray(self._up), bytearray()
                return

    def _request(self, req: _Request) -> None:
        self._requests.append(req)
        kind = "websocket" if req.upgrade else "script"
        host_hit, path_hit = self.intel.host(req.host), self.intel.path(req.target)
        if host_hit is not None:
            what = "WebSocket upgrade" if req.upgrade else "request"
            self._add(req.ts, req.host, req.url, kind, f"{what} to {req.host} ({host_hit.text()})")
        elif path_hit is not None:
            self._add(req.ts, req.host, req.url, kind,
                      f"request for {path_hit.value} ({path_hit.text()})")
        else:
            return
        page = _split_url(req.referer)
        if page is not None:
            self._add(req.ts, page[0], req.referer, "page", f"page loads {req.url} (Referer)")

    # --- responses (at the end) -------------------------------------------------------------

    def _read_responses(self) -> None:
        pending = iter(self._requests)
        for head, body in _responses(self._down):
            req = next(pending, None)
            if req is None:
                return
            if head.status == 101:
                self._websocket(req, body)
                return
            self._body(req, head, _content(head, body, self.counters))

    def _body(self, req: _Request, head: http.HttpMessage, body: bytes) -> None:
        hits = self.intel.body_hits(body)
        refs = [(u, h, hit) for u, h in _urls(body) if (hit := self.intel.host(h)) is not None]
        if not hits and not refs:
            return
        kind = "script" if _is_script(req.target, head) else "page"
        for hit in hits:
            self._add(req.ts, req.host, req.url, kind,
                      f"{kind} holds {hit.value!r} ({hit.text()})")
        for url, host, hit in refs:
            self._add(req.ts, req.host, req.url, kind, f"{kind} loads {url}")
            ref_kind = "websocket" if url.startswith("ws") else "script"
            self._add(req.ts, host, url, ref_kind, f"referenced by {req.url} ({hit.text()})")

    def _websocket(self, req: _Request, down: bytes) -> None:
        seen = Counter()
        for payload in _ws_texts(bytes(self._ws_up or b"")) + _ws_texts(down):
            kind = _mining_message(payload)
            if kind:
                seen[kind] += 1
        if set(seen) - WS_GREETINGS:
            facts = ", ".join(f"{k} x{n}" for k, n in sorted(seen.items()))
            self._add(req.ts, req.host, req.url, "websocket",
                      f"WebSocket carries a browser-miner protocol: {facts}")


def _make_request(ts: float, head: http.HttpMessage) -> _Request:
    target = head.target or "/"
    host = (head.host or "").rsplit(":", 1)[0].strip("[]").lower()
    if "://" in target:  # absolute form (a proxy request)
        host = (_split_url(target) or (host,))[0]
    upgrade = (head.header("Upgrade") or "").lower() == "websocket"
    return _Request(ts, host, target, upgrade, head.header("Referer"))


def _split_url(url: str | None) -> tuple[str, str] | None:
    """(host, path) of an absolute URL, or None."""
    found = _URL.match((url or "").encode("latin-1", "replace"))
    if not found:
        return None
    return found.group(2).decode().lower(), found.group(3).decode("latin-1") or "/"


def _urls(body: bytes) -> list[tuple[str, str]]:
    """(url, host) of the absolute http(s)/ws(s) URLs in a body, each once: what
    `_URL.finditer` finds, but tried only where a "://" is (a regex that starts with a word
    boundary is otherwise tried at every byte: 0.5 ms for a 35 kB page)."""
    seen, pos = {}, 0
    while (sep := body.find(b"://", pos)) >= 0:
        start = sep
        while start > 0 and sep - start < 5 and body[start - 1:start].isalpha():
            start -= 1  # back to where the scheme starts (at most "https")
        m = _URL.match(body, start)
        if m is None:
            pos = sep + 3
            continue
        seen.setdefault(m.group(0).decode("latin-1"), m.group(2).decode().lower())
        pos = m.end()
    return list(seen.items())


def _is_script(target: str, head: http.HttpMessage) -> bool:
    ctype = (head.header("Content-Type") or "").lower()
    path = target.split("?", 1)[0].lower()
    return "javascript" in ctype or "wasm" in ctype or path.endswith((".js", ".wasm"))


# --- HTTP responses and WebSocket frames, leniently (the scanned bytes may end anywhere) ----

def _responses(buf: bytes | bytearray):
    """(head, raw body) of each response in `buf`; after a 101 the rest is the body."""
    pos = 0
    while (end := buf.find(b"\r\n\r\n", pos)) >= 0:
        try:
            head = http.parse_head(bytes(buf[pos:end]))
        except DecodeError:
            return
        start = end + 4
        if head.is_request:
            return
        if head.status == 101:
            yield head, bytes(buf[start:])
            return
        if (head.status or 0) < 200:
            pos = start
            continue
        body, pos = _body_bytes(head, buf, start)
        yield head, body


def _body_bytes(head: http.HttpMessage, buf, start: int) -> tuple[bytes, int]:
    if (head.header("Transfer-Encoding") or "").lower().endswith("chunked"):
        return _dechunk(buf, start)
    length = (head.header("Content-Length") or "").strip()
    if head.status in (204, 304):
        return b"", start
    end = start + int(length) if length.isdigit() else len(buf)
    return bytes(buf[start:end]), end


def _dechunk(buf, pos: int) -> tuple[bytes, int]:
    """Chunked body from `pos`, as much as is there; (body, end offset)."""
    parts = []
    while (eol := buf.find(b"\r\n", pos)) >= 0:
        try:
            size = int(bytes(buf[pos:eol]).split(b";")[0].strip(), 16)
        except ValueError:
            break
        pos = eol + 2
        if size == 0:
            trailer = buf.find(b"\r\n", pos)
            return b"".join(parts), (trailer + 2 if trailer >= 0 else len(buf))
        parts.append(bytes(buf[pos:pos + size]))
        pos += size + 2
    return b"".join(parts), len(buf)


def _content(head: http.HttpMessage, body: bytes, counters: Counter) -> bytes:
    """The body with gzip/deflate undone (up to MAX_INFLATED bytes)."""
    coding = (head.header("Content-Encoding") or "").lower().strip()
    if coding in ("", "identity"):
        return body
    if coding not in ("gzip", "x-gzip", "deflate"):
        counters[f"content_encoding:{coding}"] += 1
        return b""
    for wbits in (47, -15):  # gzip or zlib header (auto), else raw deflate
        try:
            return zlib.decompressobj(wbits).decompress(body, MAX_INFLATED)
        except zlib.error:
            continue
    counters["inflate_errors"] += 1
    return b""


def _ws_texts(buf: bytes) -> list[bytes]:
    """Payloads of the complete, uncompressed text frames of a WebSocket stream (RFC 6455)."""
    out, pos = [], 0
    while pos + 2 <= len(buf):
        b0, b1 = buf[pos], buf[pos + 1]
        n, pos = b1 & 0x7F, pos + 2
        if n >= 126:
            size = 2 if n == 126 else 8
            n, pos = int.from_bytes(buf[pos:pos + size], "big"), pos + size
        key = buf[pos:pos + 4] if b1 & 0x80 else b""
        pos += len(key)
        payload, pos = buf[pos:pos + n], pos + n
        if len(payload) < n or (key and len(key) < 4):
            break
        if key:
            payload = _unmask(payload, key)
        if b0 & 0x0F == 1 and not b0 & 0x40:  # text, not permessage-deflate
            out.append(payload)
    return out


def _unmask(payload: bytes, key: bytes) -> bytes:
    n = len(payload)
    mask = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(mask, "big")).to_bytes(n, "big")


def _mining_message(payload: bytes) -> str | None:
    """The browser-miner message kind of one WebSocket text ('auth', 'job', 'handshake',
    'mining.submit', ...; see WS_MINING_TYPES) or None."""
    try:
        msg = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(msg, dict):
        return None
    kind, table, fields = msg.get("type"), WS_MINING_TYPES, msg.get("params")
    if "identifier" in msg:  # webminerpool: the fields beside the identifier
        kind, table, fields = msg["identifier"], WS_MINING_IDENTIFIERS, msg
    elif "method" in msg:  # JSON-RPC: params, or a CryptoNote login's reply's job
        kind, table = msg["method"], WS_MINING_METHODS
    if not isinstance(kind, str) or kind not in table:
        return None
    key = table[kind]
    if key is None:
        return kind if table is not WS_MINING_METHODS or isinstance(fields, list) else None
    if kind == "handshake" and "loginid" in fields:
        return kind  # (a login the server keeps: webminerpool's startMiningWithId)
    return kind if isinstance(fields, dict) and key in fields else None
