"""One TCP connection's pool conversation: dialect, shares, hashes, wallet, agent.

`StratumSession.feed(direction, ts, data)` takes reassembled payload in any chunking; each
direction is sniffed once (JSON lines, HTTP, TLS, binary), framed, and decoded by its dialect.

Hash accounting follows measurement.md §1.3: a difficulty/target message sets the price (hashes
per share) of jobs notified AFTER it; each job keeps its price; a submit is priced by its job
(ETHProxy: by the job whose header it carries, else the most recent boundary; getwork and
getblocktemplate: the most recent target); a share counts when its reply, matched by JSON-RPC
id, accepts it. Prices are kept raw (difficulty or target) and converted at `summary()`, so a
Scrypt multiplier learnt late (from the wallet) still applies. A share whose job has no known
price (capture started mid-session) takes the latest job's price, else the announced one, else
it stays unpriced (counters["shares_unpriced"]).

A stream is mining only after a mining-specific message (mining.*, eth_submitLogin/getWork/
submitWork, XMRig login/job/submit, miner getwork/getblocktemplate); a coin-daemon RPC client
(see `decode.getwork.classify`) is not. Malformed input is counted in `counters`, never raised.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from minewatch import schema
from minewatch.decode import cryptonote, ethstratum, getwork, stratum_v1
from minewatch.decode.http import HttpFramer, HttpMessage, is_http_start, split_target
from minewatch.decode.tls import looks_like_tls, parse_client_hello
from minewatch.decode.jsonrpc import LineFramer, RpcMessage, id_text, parse_message
from minewatch.detect.bounded import MAX_EVIDENCE, MAX_TRACKED, JobWindow, add_fact, remember
from minewatch.detect.chains import Chain, block_chain, job_chain
from minewatch.detect.coins import (COIN_ALGORITHMS, EQUIHASH_ALGORITHMS, OWN_ETHEREUMSTRATUM,
                                    XMR_RANDOMX_VERSION, agent_algorithm, coin_confidence,
                                    host_coins, identify_address, password_worker,
                                    pick_algorithm, pick_coin, split_login)
from minewatch.detect.tunnel import ProxyTunnel
from minewatch.errors import DecodeError, NeedMoreData
from minewatch.estimate.hashrate import (hps_from_cryptonote_target, hps_from_difficulty,
                                         hps_from_target256, share_multiplier)

PROXY_STARTS = (b"C", b"\x04", b"\x05")  # CONNECT, SOCKS4, SOCKS5 (no dialect begins so)
SNIFF_BYTES = 8  # enough to tell "OPTIONS " / "HTTP/1." / a TLS header from JSON
MAX_PASSWORD = 256  # characters of a pool password kept (a config string at most)
MAX_TUNNEL_HELLO = 16384  # bytes of a ClientHello inside a proxy tunnel waited for
GIVE_UP_LINES = 64  # undecodable lines, with nothing decoded yet, before a stream is ignored
OPAQUE_MAGIC = (b"\xf9\xbe\xb4\xd9", b"\x0b\x11\x09\x07", b"\xfa\xbf\xb5\xda", b"\xfb\xc0\xb6\xdb",
                b"\xc0\xc0\xc0\xc0", b"SSH-")  # Bitcoin/Litecoin/Dogecoin P2P, SSH
HTTP_RPC = "bitcoin-http"  # provisional until getwork.classify decides
BITCOIN_HTTP = (HTTP_RPC, "daemon-rpc", "getwork-http", "getblocktemplate-http")
RPC_METHODS = getwork.MINING_METHODS | getwork.NODE_ONLY_METHODS
ETH_DIALECTS = ("ethereumstratum-1.0", "ethproxy", "ethproxy-http")
DECODERS = {"stratum-v1": stratum_v1.decode, "ethereumstratum-1.0": ethstratum.decode,
            "ethproxy": ethstratum.decode, "ethproxy-http": ethstratum.decode,
            "cryptonote": cryptonote.decode}
EVENT_COLUMNS = schema.column_names("stratum_events")
STALE_WORDS = ("stale", "job not found", "duplicate", "expired")
Price = tuple[str, Any]  # ("diff", D) | ("t256", big-endian hex) | ("cn", little-endian hex)
# dialects whose steady state (jobs, difficulties, shares, replies) detect.steady can read,
# with the job shape their notify must already have shown
STEADY_SHAPES = {"stratum-v1": None, "ethereumstratum-1.0": "ethash", "ethproxy": "ethash",
                 "ethproxy-http": "ethash", "cryptonote": None}
STEADY_HTTP_IDS = 16  # HTTP requests awaiting a response that detect.steady can pair
HASHRATE_FACT = "eth_submitHashrate (self-reported)"
_HEX_RATE = re.compile(r"(0x)?[0-9a-fA-F]{1,64}")  # a mining.hashrate rate
STEADY_CARRY = 4096  # bytes of an unfinished line detect.steady can go on with


def _rejection(rec) -> str:
    """Why a pool refused a share: stale (a job that had just ended, a duplicate: the work was
    done), invalid (low difficulty, bad nonce: no evidence of work) or unexplained (ETHProxy's
    bare `"result": false`, which ethminer and the pools use for stale shares; counted as work,
    as measurement.md §2.1 counts the dwarfpool capture's four shares)."""
    text = (rec.error_message or str(rec.error or "")).lower()
    if any(w in text for w in STALE_WORDS):
        return "stale"
    return "invalid" if text.strip() else "unexplained"


def hashes_per_share(price: Price | None, multiplier: float = 1) -> float | None:
    """Hashes (Sol for Equihash) one share at `price` stands for; None when unknowable."""
    if price is None:
        return None
    kind, value = price
    convert = {"t256": hps_from_target256, "cn": hps_from_cryptonote_target}.get(kind)
    try:
        return hps_from_difficulty(value, multiplier) if kind == "diff" else convert(value)
    except (DecodeError, ValueError, ZeroDivisionError, OverflowError):
        return None


@dataclass(slots=True)
class _Stream:
    """One direction: sniffed once, then framed as JSON lines or HTTP, or ignored (TLS, binary)."""

    mode: str = ""
    head: bytearray = field(default_factory=bytearray)
    lines: LineFramer = field(default_factory=LineFramer)
    http: HttpFramer = field(default_factory=HttpFramer)
    decoded: int = 0
    junk: int = 0

    def feed(self, data: bytes) -> tuple[str, list]:
        if not self.mode:
            self.head += data
            if len(self.head) < SNIFF_BYTES and b"\n" not in self.head:
                return "", []
            data, self.head = bytes(self.head), bytearray()
            self.mode = ("tls" if looks_like_tls(data) else "http" if is_http_start(data)
                         else "opaque" if data.startswith(OPAQUE_MAGIC) else "json")
        if self.mode == "json":
            return "json", self.lines.feed(data)
        if self.mode == "http":
            return "http", self.http.feed(data)
        return self.mode, []  # tls (the ClientHello is the ingest's: tls_hellos) or opaque

    def gap(self) -> None:
        """Bytes were lost before the next ones: each framer resynchronises its own way."""
        if not self.mode:
            self.head.clear()  # (sniffed afresh from the next bytes)
        elif self.mode == "json":
            self.lines.gap()
        elif self.mode == "http":
            self.http.gap()


@dataclass(slots=True)
class SteadyBook:
    """A session's bookkeeping while compiled code reads its steady state (`detect.steady`):
    what it starts from (`StratumSession.hand_over`) and what it gives back (`take_back`)."""

    next_price: Price | None
    last_price: Price | None
    priced: bool  # a difficulty is already a fact: later ones are counted, not told
    worker_set: bool  # the session has a worker name (a rig name beside the params keeps it)
    rate_told: bool  # a self-reported hashrate is already a fact
    shape: str  # the job shape that is already a fact ("" for none)
    algo: str  # the algo named by the latest job or share that named one ("" for none)
    jobs: list[tuple[int, str, Price | None]]  # JobWindow.window: (number, job id, price)
    pending: list[tuple[str, tuple]]  # the miner's requests awaiting a reply: (id text, entry)
    jobs_count: int = 0  # job announcements so far (JobWindow.count)
    shares: int = 0
    accepted: int = 0
    rejected: int = 0  # without a reason (a false or null result)
    unmatched: int = 0  # replies to nothing remembered
    stale: int = 0  # rejected with an error that names a stale share
    invalid: int = 0  # rejected with another error message
    paid: dict = field(default_factory=dict)  # price -> shares that stand for work
    repriced: tuple[int, Price | None] = (0, None)  # difficulty changes, the last one
    ts: tuple[float, float] | None = None  # first and last chunk read
    reported: float | None = None  # the last self-reported hashrate, H/s
    lines: dict = field(default_factory=dict)  # direction -> lines read
    carry: dict = field(default_factory=dict)  # direction -> the start of a line or message
    # HTTP: the last request head and Server header read, the ids of requests awaiting a
    # response (oldest first)
    http: tuple | None = None
    dialect: str = ""  # how compiled code reads it (steady_book.DIALECTS)
    bytes: dict = field(default_factory=dict)  # direction -> encrypted bytes (Sv2Session)


class StratumSession:
    """Pool conversation of one connection; `client`/`server` are (ip, port) or None.
    `algorithm_hint` (e.g. from pool intel) overrides what the payload suggests."""

    def __init__(self, client: tuple[str, int] | None = None,
                 server: tuple[str, int] | None = None, input_id: str | None = None,
                 algorithm_hint: str = "") -> None:
        self.client, self.server, self.input_id = client, server, input_id
        self.algorithm_hint = algorithm_hint
        self.events, self.counters = [], Counter()  # stratum_events rows; named drop counts
        self.dialect: str | None = None
        self.wallet = self.worker = self.agent = self.pool_host = self.password = None
        self.shares = self.accepted = self.rejected = 0
        self.reported_hashrate_hs: float | None = None
        self.ts_start = self.ts_end = None  # s since epoch
        self.tls = self._mining = False
        self._streams = {"up": _Stream(), "down": _Stream()}
        self._tunnel: ProxyTunnel | None = None  # a proxy preamble before the dialect
        self._proxy_told = False
        self._hello: bytearray | None = bytearray()  # a ClientHello inside the tunnel, so far
        self.tunnel_hello: tuple[str, str] | None = None  # (proxy kind, its SNI), once read
        self._pending: OrderedDict[tuple[str, str | None], tuple] = OrderedDict()
        self._http_ids: deque = deque(maxlen=MAX_TRACKED)
        self._jobs = JobWindow()
        self._next_price = self._last_price = None  # Price for jobs to come / the latest job
        self._paid: Counter = Counter()  # price -> shares that stand for work (accepted, stale)
        self._coins: tuple[str, ...] = ()
        self._algo = {"job": "", "shape": "", "login": "", "era": "", "solution": ""}
        self._chain: Chain | None = None  # what the first Bitcoin-family job's block says
        self._rpc = getwork.HttpRpcContext(server_port=server[1] if server else 0)
        self._last_head: tuple | None = None  # what _http_request last read (a poll repeats it)
        self._evidence: list[str] = []
        # (difficulty changes after the first, the last one's fact), once a price is a fact
        self._repriced: tuple[int, str] | None = None

    # --- input ------------------------------------------------------------------------------

    def feed(self, direction: str, ts: float, data: bytes) -> None:
        """Take the next bytes of one direction ('up' = miner to pool). Never raises on data."""
        if direction not in self._streams:
            self.counters["bad_direction"] += 1
            return
        if self.ts_start is None and direction == "up" and data[:1] in PROXY_STARTS:
            self._tunnel = ProxyTunnel()  # SOCKS or CONNECT first: the dialect comes after it
        self.ts_start = ts if self.ts_start is None else min(self.ts_start, ts)
        self.ts_end = ts if self.ts_end is None else max(self.ts_end, ts)
        try:
            if self._tunnel is None or self._proxy_told:
                self._read(direction, ts, data)
                return
            pieces = self._tunnel.feed(direction, data)
            self._through_proxy()
            for way, piece in pieces:
                self._read(way, ts, piece)
        except Exception as exc:  # a bug must not stop the capture; the tests assert none
            self.counters["internal_errors"] += 1
            self.counters[f"internal:{type(exc).__name__}"] += 1

    def gap(self, direction: str) -> None:
        """The capture lost bytes of one direction here (the reassembler gave up on a hole):
        the message they cut is dropped and reading resumes at the next one. Over HTTP a
        lost answer would pair every later answer with the wrong request, so the requests
        still awaiting one are forgotten."""
        stream = self._streams.get(direction)
        if stream is None or (self._tunnel is not None and not self._tunnel.settled):
            return
        self.counters["gaps"] += 1
        stream.gap()
        if stream.mode == "http" and direction == "down":
            self._http_ids.clear()

    def _read(self, direction: str, ts: float, data: bytes) -> None:
        stream = self._streams[direction]
        mode, items = stream.feed(data)
        self.tls = self.tls or mode == "tls"
        if direction == "up" and self._hello is not None and self._tunnel is not None \
                and self._tunnel.request is not None:
            self._tunnelled_hello(data)
        for item in items:
            self._item(direction, ts, mode, item, stream)

    def _through_proxy(self) -> None:
        """Once: what the proxy preamble says (the pool's host and port, the proxy's answer)."""
        tunnel = self._tunnel
        if not tunnel.settled:
            return
        self._proxy_told, req = True, tunnel.request
        if req is None:
            return  # no proxy after all
        refused = " (refused)" if tunnel.granted is False else ""
        self._fact(f"through a {req.kind} proxy to {req.host}:{req.port}{refused}")
        if not _is_address(req.host):
            self.pool_host = self.pool_host or req.host

    def _tunnelled_hello(self, data: bytes) -> None:
        """The server name of a TLS client inside the tunnel (stratum+ssl through a proxy): the
        connection's server is the proxy, so this name is its only pool evidence."""
        self._hello += data
        try:
            hello = parse_client_hello(bytes(self._hello))
        except NeedMoreData:
            if len(self._hello) < MAX_TUNNEL_HELLO:
                return
            hello = None
        except DecodeError:
            hello = None
        self._hello = None
        if hello is not None and hello.sni:
            self.tunnel_hello = (self._tunnel.request.kind, hello.sni.lower())
            self._fact(f"TLS inside the tunnel, server name {hello.sni.lower()}")

    def take_events(self) -> list[dict]:
        """The event rows so far, handed over once (for long sessions)."""
        out, self.events = self.events, []
        return out

    def _item(self, direction: str, ts: float, mode: str, item, stream: _Stream) -> None:
        if mode == "http":
            self._http_message(direction, ts, item)
        elif stream.mode == "json":
            self._line(direction, ts, item, stream)

    def _line(self, direction: str, ts: float, line: bytes, stream: _Stream) -> None:
        try:
            msg = parse_message(line)
        except DecodeError:
            self.counters["garbage_lines"] += 1
            stream.junk += 1
            if not stream.decoded and stream.junk >= GIVE_UP_LINES:
                stream.mode = "opaque"  # never JSON: stop paying for parse attempts
            return
        stream.decoded += 1
        self._message(direction, ts, msg, over_http=False)

    def _http_message(self, direction: str, ts: float, hm: HttpMessage) -> None:
        if hm.is_request:
            self._http_request(hm)
        elif (hm.status or 0) < 200:  # "100 Continue" answers no request on its own
            return
        elif (server := hm.header("Server")) != self._rpc.server_header:
            self._rpc = dataclasses.replace(self._rpc, server_header=server)
        body = hm.body.strip()
        try:
            msg = parse_message(body) if body.startswith(b"{") else None
        except DecodeError:
            msg = None
        if hm.is_request:
            self._http_ids.append(None if msg is None else msg.id)
        elif msg is not None:  # HTTP/1.1 answers in request order: that pairs them, not ids
            msg = msg.with_id(self._http_ids.popleft() if self._http_ids else None)
        elif self._http_ids:
            self._http_ids.popleft()
        if msg is None:
            self.counters["http_non_rpc"] += 1
            return
        self._message(direction, ts, msg, over_http=True)

    def _http_request(self, hm: HttpMessage) -> None:
        """What a request's head says: pool host, agent, login, mining extensions. A poller
        sends the same head every few seconds, and reading it again changes nothing."""
        head = (hm.host, hm.user_agent, hm.header("X-Mining-Extensions"),
                hm.header("Authorization"), hm.target)
        if head == self._last_head:
            return
        self._last_head = head
        authority, path = split_target(hm.target)
        if authority is not None and not self._proxy_told:  # sent to a forward proxy
            self._proxy_told = True
            self._fact(f"through an http proxy to {authority}")
            port = _host_port(authority)[1]
            if port is not None:  # the server's port is the URL's, not the proxy's
                self._rpc = dataclasses.replace(self._rpc, server_port=port)
        host = _host_port(authority or hm.host or "")[0]
        if host and not _is_address(host):
            self.pool_host = self.pool_host or host
        if hm.user_agent:
            self.agent = self.agent or hm.user_agent
            if hm.user_agent != self._rpc.user_agent:
                self._rpc = dataclasses.replace(self._rpc, user_agent=hm.user_agent)
        if hm.header("X-Mining-Extensions") is not None:
            self._rpc = dataclasses.replace(self._rpc, mining_extensions=True)
            self._fact(f"X-Mining-Extensions: {hm.header('X-Mining-Extensions')}")
        auth = hm.basic_auth
        if auth is not None:
            self._rpc = dataclasses.replace(self._rpc, basic_auth=True)
            if auth[0]:
                self._login(auth[0], None, "HTTP Basic auth", auth[1])
        parts = path.strip("/").split("/")
        if parts[0] and identify_address(parts[0])[0]:  # ethminer: http://pool/wallet/worker
            self._login(parts[0], parts[1] if len(parts) > 1 and parts[1] else None, "URL path")

    # --- messages -----------------------------------------------------------------------------

    def _message(self, direction: str, ts: float, msg: RpcMessage, over_http: bool) -> None:
        self._update_dialect(msg, over_http)
        if self.dialect is None:
            self.counters["unattributed"] += 1
            return
        decode = DECODERS.get(self.dialect, getwork.decode)
        try:
            record = decode(msg)
        except DecodeError:
            self.counters["decode_errors"] += 1
            return
        handler = HANDLERS.get(type(record), StratumSession._on_request)
        fields = handler(self, direction, record) or {}
        self._emit(direction, ts, msg, fields)

    def _update_dialect(self, msg: RpcMessage, over_http: bool) -> None:
        guess, method = _guess(msg, over_http), getwork.rpc_method(msg)
        if over_http and method in RPC_METHODS and method not in self._rpc.methods:
            self._rpc = dataclasses.replace(self._rpc, methods=self._rpc.methods | {method})
        if guess == HTTP_RPC or (over_http and self.dialect in BITCOIN_HTTP):
            guess = getwork.classify(self._rpc) or guess  # a later header may change the answer
        if guess == "ethproxy-http" and self.wallet is None \
                and self._rpc.server_port in ethstratum.NODE_RPC_PORTS:
            guess = "daemon-rpc"  # getWork from an Ethereum node, not from a pool
        if guess and (self.dialect is None or (self.dialect, guess) in _UPGRADES):
            self.dialect = guess

    def _endpoints(self) -> dict:
        client, server = self.client or (None, None), self.server or (None, None)
        return {"client_ip": client[0], "client_port": client[1], "server_ip": server[0],
                "server_port": server[1], "input_id": self.input_id}

    def _emit(self, direction: str, ts: float, msg: RpcMessage, fields: dict) -> None:
        row = dict.fromkeys(EVENT_COLUMNS)
        row.update(self._endpoints())
        row.update(fields)
        row.update(ts=ts, dialect=self.dialect, direction=direction, msg_id=id_text(msg.id),
                   method=msg.method or ("error" if msg.error is not None else "result"))
        self.events.append(row)

    def _fact(self, text: str) -> None:
        add_fact(self._evidence, text)

    def _track(self, table: OrderedDict, key, value) -> None:
        remember(table, key, value)

    def _expect(self, direction: str, msg_id, *entry) -> None:
        """Remember a request so that its reply (the other direction, same id) can be read."""
        if msg_id is not None:  # a notification gets no reply
            self._track(self._pending, (direction, id_text(msg_id)), entry)

    # --- handlers: each returns the event fields it knows --------------------------------------

    def _on_request(self, direction: str, rec) -> dict:
        self._mining = True
        self._expect(direction, rec.id, getattr(rec, "METHOD", "?"))
        return {}

    def _on_unknown(self, direction: str, rec: stratum_v1.Unknown) -> dict:
        if rec.method.startswith("mining."):
            self._mining = True
        self._expect(direction, rec.id, rec.method)
        if isinstance(rec.params, dict):
            return self._es2(rec.method, rec.params)
        if rec.method == "mining.hashrate" and direction == "up":
            self._es2_hashrate(rec.params)
        return {}

    def _es2_hashrate(self, params) -> None:
        """EthereumStratum/2.0.0's mining.hashrate [rate, worker token]: the rate in hex (32
        bytes in its spec, compact and unprefixed as ethminer sends it), kept as the
        self-report. Other dialects' mining.hashrate carry numbers in units of their own."""
        rate = params[0] if isinstance(params, list) and params else None
        if self.dialect == "ethereumstratum-1.0" and isinstance(rate, str) \
                and _HEX_RATE.fullmatch(rate):
            self.reported_hashrate_hs = float(int(rate, 16))
            self._fact("mining.hashrate (self-reported)")

    def _es2(self, method: str, params: dict) -> dict:
        """EthereumStratum/2.0.0 (ethminer's "stratum3"), whose requests carry objects:
        mining.hello names the miner, the pool host and the protocol; mining.set the target
        of the jobs to come (the subscribe has no params, so ES1's difficulty 1 is no default)."""
        if method == "mining.hello":
            agent, host, proto = (_text(params.get(k)) for k in ("agent", "host", "proto"))
            self.agent, self.pool_host = self.agent or agent, self.pool_host or host
            self._fact(f"mining.hello from {agent or '?'}" + (f" ({proto})" if proto else ""))
            return {"agent": agent}
        target = _text(params.get("target"))
        if method == "mining.set" and target and hashes_per_share(("t256", target)):
            return self._set_price(("t256", target), _price_fact(("t256", target)))
        return {}

    def _on_subscribe(self, direction: str, rec: stratum_v1.Subscribe) -> dict:
        self._on_request(direction, rec)
        self._next_price = self._next_price or ("diff", 1.0)  # ES1 spec; cgminer's default too
        self.agent = rec.agent or self.agent
        protocol = f" ({rec.protocol})" if rec.protocol else ""
        self._fact(f"mining.subscribe from {rec.agent or '?'}{protocol}")
        self.pool_host = self.pool_host or rec.host
        return {"agent": rec.agent}

    def _login(self, login: str, worker: str | None, how: str,
               password: str | None = None) -> dict:
        wallet, split_worker = split_login(login)
        split_worker = split_worker or password_worker(password)
        self.wallet, self.worker = wallet, worker or split_worker or self.worker
        if password is not None:  # "x", or pool options: "d=1024", "c=BTC,mc=RVN", an e-mail
            self.password = password[:MAX_PASSWORD]
        coins, fmt = identify_address(wallet)
        self._coins = coins or self._coins
        if fmt:
            self._fact(f"wallet {wallet[:12]}... ({'/'.join(coins) or 'no coin'}, {fmt}) via {how}")
        else:
            self._fact(f"login {wallet[:24]} via {how}")
        return {"wallet": self.wallet, "worker": self.worker}

    def _on_login(self, direction: str, rec, login: str, worker: str | None) -> dict:
        return self._on_request(direction, rec) | self._login(login, worker, rec.METHOD,
                                                              rec.password)

    def _on_xmr_login(self, direction: str, rec: cryptonote.Login) -> dict:
        fields = self._login(rec.login, rec.worker, "login", rec.password)
        self._expect(direction, rec.id, rec.METHOD)
        if rec.algos or self._coins:  # (a login with an agent alone is any app's: the job the
            self._mining = True       # pool answers with makes a miner of it, as ever)
        self.agent = rec.agent or self.agent
        if rec.agent:
            self._fact(f"login agent {rec.agent}")
        if rec.algos:
            self._algo["login"] = self._algo["login"] or rec.algos[0]
            self._fact(f"algo list {','.join(rec.algos[:4])}")
        return fields | {"agent": rec.agent, "algorithm_hint": rec.algos[0] if rec.algos else None}

    def _set_price(self, price: Price, fact: str) -> dict:
        """A difficulty or target for the jobs to come. Only the first is a fact of its own: a
        vardiff pool sends one every few minutes, and they would crowd out the rest."""
        self._mining = True
        if self._repriced is None:
            self._fact(fact)
            self._repriced = (0, "")
        elif price != self._next_price:
            self._repriced = (self._repriced[0] + 1, fact)
        self._next_price = price
        return {"difficulty": self._hps(price)}

    def _job(self, job_id: str | None, price: Price | None, shape: str, algo: str = "") -> dict:
        self._mining = True
        if job_id is not None:  # (a job without an id cannot be named by a share)
            self._jobs.announce(job_id, price)
        self._last_price = price or self._last_price
        self._algo |= {k: v for k, v in (("shape", shape), ("job", algo)) if v}
        if shape:
            self._fact(f"job shape {shape}")
        # kawpowminer announces EthereumStratum/1.0.0 (ethminer's habit); Ravencoin's pools
        # answer in their Stratum v1 (set_target, 7-field jobs): the dialect is the one spoken
        if shape == "kawpow" and self.dialect == "ethereumstratum-1.0":
            self.dialect = "stratum-v1"
        return {"job_id": job_id, "difficulty": self._hps(price),
                "algorithm_hint": algo or shape or None}

    def _on_notify(self, direction: str, rec: stratum_v1.Notify) -> dict:
        """A Bitcoin-family job; the first one's block names the chain (`detect.chains`)."""
        if self._chain is None:
            self._set_chain(job_chain(rec.coinb1, rec.nbits, rec.ntime))
        return self._job(rec.job_id, self._next_price, "")

    def _on_template(self, direction: str, rec: getwork.BlockTemplate) -> dict:
        """A getblocktemplate reply: its height, bits and time name the chain as a Stratum
        job's block does (the node's clock, else the capture's)."""
        if self._chain is None and (rec.height is not None or rec.bits):
            self._set_chain(block_chain(rec.height, rec.bits, rec.curtime or self.ts_end or 0,
                                        "template height"))
        return self._on_work(direction, rec, rec.previousblockhash, rec.target)

    def _set_chain(self, chain: Chain) -> None:
        self._chain = chain
        if chain.fact:
            self._fact(chain.fact)

    def _on_work(self, direction: str, rec, job_id: str | None, target: str | None,
                 shape: str = "") -> dict:
        """A job delivered as a reply (ETHProxy, getwork, getblocktemplate) or pushed."""
        self._pending.pop(("up" if direction == "down" else "down", id_text(rec.id)), None)
        return self._job(job_id, ("t256", target) if target else None, shape)

    def _on_xmr_job(self, direction: str, rec) -> dict:
        if isinstance(rec, cryptonote.LoginResult):
            self._pending.pop(("up", id_text(rec.id)), None)
        job = rec.job
        if job is None:
            return {}
        self._algo["era"] = self._algo["era"] or _cryptonote_era(job, self._coins)
        return self._job(job.job_id, ("cn", job.target), "", job.algo)

    def _share(self, direction: str, msg_id, job_id: str | None, login: str | None = None,
               algo: str | None = None) -> dict:
        """A submit; `login` is Stratum's first submit param (the authorize login)."""
        self._mining = True
        self._algo["job"] = algo or self._algo["job"]
        price = self._jobs.get(job_id) if job_id is not None else None
        price = price or self._last_price or self._next_price
        self.shares += 1
        self._expect(direction, msg_id, "share", price)
        if login and not self.wallet:  # capture began after mining.authorize
            self._login(login, None, "mining.submit")
        return {"job_id": job_id, "difficulty": self._hps(price),
                "worker": split_login(login)[1] if login else None}

    def _equihash(self, params: tuple[int, int] | None, how: str) -> None:
        """The Equihash (n, k) the pool runs, as a ZIP 301 share's solution size or a Zhash
        job names it: the algorithm (Zcash's 200,9, Bitcoin Gold's 144,5, Flux's 125,4)."""
        if params is not None and not self._algo["solution"]:
            self._algo["solution"] = EQUIHASH_ALGORITHMS[params]
            self._fact(f"Equihash {params[0]},{params[1]} {how}")

    def _rig(self, worker: str | None) -> dict:
        """ETHProxy's "worker" key names the rig, not the login."""
        self.worker = self.worker or worker
        return {"worker": worker}

    def _on_hashrate(self, direction: str, rec: ethstratum.SubmitHashrate) -> dict:
        self._on_request(direction, rec)
        if rec.hashrate_hs is not None:
            self.reported_hashrate_hs = rec.hashrate_hs
            self._fact(HASHRATE_FACT)
        return self._rig(rec.worker)

    def _on_reply(self, direction: str, rec: stratum_v1.Reply) -> dict:
        other = "up" if direction == "down" else "down"
        entry = self._pending.pop((other, id_text(rec.id)), None)
        if entry is None:
            self.counters["unmatched_replies"] += 1
            return {}
        if entry[0] == stratum_v1.GetVersion.METHOD and isinstance(rec.result, str):
            self.agent = self.agent or rec.result
            return {"agent": rec.result}
        if entry[0] != "share":
            return {}
        return self._settle(rec, entry[1])

    def _settle(self, rec: stratum_v1.Reply, price: Price | None) -> dict:
        ok = self._accepted(rec)
        if ok:
            self.accepted += 1
            self._paid[price] += 1
        else:
            self.rejected += 1
            why = _rejection(rec)
            self.counters[f"rejected_{why}"] += 1
            if why != "invalid":  # stale shares were hashed all the same (measurement.md §1.3)
                self._paid[price] += 1
        return {"accepted": ok, "difficulty": self._hps(price)}

    def _accepted(self, rec: stratum_v1.Reply) -> bool:
        if self.dialect == "cryptonote":
            return cryptonote.accepted(rec)
        if self.dialect == "getblocktemplate-http":  # BIP 22: null means accepted
            return not rec.error and rec.result is None
        return not rec.error and rec.result is True

    # --- the steady state in compiled code -----------------------------------------------------

    def steady_ready(self) -> bool:
        """Whether detect.steady can read this session's next messages as this object would:
        a dialect it knows, mining, a wallet where a submit could still name it, the job shape
        already a fact, and both directions framed as that dialect frames them. (ETHProxy's
        submits name no login: a session seen only from its shares on is read there too.)"""
        if self.dialect not in STEADY_SHAPES or not self._mining or self.tls or self.worker == "" \
                or (self._tunnel is not None and not self._tunnel.settled):
            return False
        if not self.wallet and self.dialect in ("stratum-v1", "ethereumstratum-1.0"):
            return False  # its next submit names the login (a capture begun mid-session)
        shape = STEADY_SHAPES[self.dialect]
        if shape and not (self._algo["shape"] == shape and (
                f"job shape {shape}" in self._evidence or len(self._evidence) >= MAX_EVIDENCE)):
            return False
        if self._algo["shape"] == "equihash" and not self._algo["solution"]:
            return False  # its next submit's solution names the parameter set (and the coin)
        if self.dialect == "stratum-v1" and not self._algo["shape"] and self._chain is None:
            return False  # its next job's block names the chain (and the algorithm)
        if self.dialect == "ethproxy-http":
            return len(self._http_ids) <= STEADY_HTTP_IDS and all(
                s.mode == "http" and s.http.between and s.http.pending <= STEADY_CARRY
                for s in self._streams.values())
        return all(s.mode == "json" and not s.lines.dropping and s.lines.pending <= STEADY_CARRY
                   for s in self._streams.values())

    def awaiting(self) -> tuple:
        """The ids of the HTTP requests still awaiting their response, oldest first."""
        return tuple(self._http_ids)

    def hand_over(self, fits, limit: int) -> tuple[SteadyBook, bool]:
        """The book to read on from, and whether it is complete. The newest `limit` of the
        miner's pending requests whose id `fits` go with it (the others stay here, and the
        book is incomplete)."""
        moved = [(k, v) for k, v in self._pending.items() if k[0] == "up" and fits(k[1])]
        moved = moved[-limit:] if limit else []
        for k, _ in moved:
            del self._pending[k]
        complete = not any(k[0] == "up" for k in self._pending)
        full = len(self._evidence) >= MAX_EVIDENCE
        told = HASHRATE_FACT in self._evidence or full
        shape = self._algo["shape"]
        shape = shape if shape and (f"job shape {shape}" in self._evidence or full) else ""
        book = SteadyBook(self._next_price, self._last_price, self._repriced is not None,
                          bool(self.worker), told, shape, self._algo["job"],
                          self._jobs.window(), [(k[1], v) for k, v in moved], self._jobs.count)
        http = self.dialect == "ethproxy-http"
        book.carry = {d: (s.http if http else s.lines).hand_over()
                      for d, s in self._streams.items()}
        book.dialect = self.dialect
        if http:
            book.http = (self._last_head, self._rpc.server_header, list(self._http_ids))
            self._http_ids.clear()
        return book, complete

    def take_back(self, book: SteadyBook) -> None:
        """Resume from what compiled code read (`hand_over`'s book, filled in)."""
        self.shares, self.accepted = self.shares + book.shares, self.accepted + book.accepted
        self.rejected += book.rejected + book.stale + book.invalid
        for name, n in (("rejected_unexplained", book.rejected), ("rejected_stale", book.stale),
                        ("rejected_invalid", book.invalid), ("unmatched_replies", book.unmatched)):
            if n:
                self.counters[name] += n
        for price, n in book.paid.items():
            self._paid[price] += n
        self._jobs.resume(book.jobs_count, book.jobs)
        for msg_id, entry in book.pending:
            self._track(self._pending, ("up", msg_id), entry)
        self._next_price, self._last_price = book.next_price, book.last_price
        if book.reported is not None:
            self.reported_hashrate_hs = book.reported
        changes, last = book.repriced
        if changes:
            self._repriced = ((self._repriced or (0, ""))[0] + changes, _price_fact(last))
        if book.ts is not None:
            self.ts_start = min(self.ts_start, book.ts[0])
            self.ts_end = max(self.ts_end, book.ts[1])
        for direction, stream in self._streams.items():
            stream.decoded += book.lines.get(direction, 0)
            framer = stream.http if book.http is not None else stream.lines
            framer.hold(book.carry.get(direction, b""))
        if book.http is not None:
            self._http_ids.extend(book.http[2])

    # --- results ------------------------------------------------------------------------------

    @property
    def gave_up(self) -> bool:
        """Reading on is wasted work: the peer is a coin daemon's RPC (no dialect follows
        daemon-rpc), or TLS inside a proxy tunnel has told its server name."""
        return self.dialect == "daemon-rpc" or self.tunnel_hello is not None

    def label(self) -> dict | None:
        """What a connection given up on as no miner's is, as a labelled_connections row's
        fields: a coin daemon's RPC client; None for anything else."""
        if self.dialect != "daemon-rpc":
            return None
        methods = ", ".join(sorted(self._rpc.methods))
        facts = [f"RPC methods {methods}" if methods else "Ethereum node's getWork"]
        facts += [f"Server: {self._rpc.server_header}"] if self._rpc.server_header else []
        return {"label": "daemon-rpc", "methods": methods or None,
                "agent": self.agent or self._rpc.user_agent,
                "evidence": json.dumps(facts + self._evidence, ensure_ascii=False)}

    def is_mining(self) -> bool:
        """True once a mining-specific message was seen (and the peer is no coin daemon)."""
        return self._mining and self.dialect not in (None, "daemon-rpc", HTTP_RPC)

    def algorithm(self) -> str:
        """Algorithm family, by trust: caller's hint, job/submit algo fields, the Ethereum
        dialects' (etchash on an etc pool), an Equihash solution's parameters, the chain a
        Bitcoin-family job builds on, job shape, the miner's algo list, an agent of one
        algorithm (ASIC firmware: a NiceHash login is a BTC address whatever it mines), wallet
        coin. A wallet of a coin whose pools speak EthereumStratum themselves (Kaspa, Ergo)
        outranks the dialect's and an ethash job shape: their sessions look like Ethereum's. So
        does a job shape of its own (Kaspa's): the dialect says ethash only for Ethereum-like
        jobs."""
        own = bool(self._coins) and self._coins[0] in OWN_ETHEREUMSTRATUM  # a Kaspa wallet...
        shape = "" if own and self._algo["shape"] == "ethash" else self._algo["shape"]
        eth = "" if own or shape not in ("", "ethash") else self._eth_algorithm()
        if shape == "equihash":  # (any parameter set's job: the likeliest coin's, until a share)
            shape = next((a for a in map(COIN_ALGORITHMS.get, self._candidates()[:1])
                          if a and a.startswith("equihash")), shape)
        chain = self._chain.algorithm if self._chain else ""
        names = (self.algorithm_hint, self._algo["job"], eth, self._algo["solution"], chain,
                 shape, self._algo["era"], self._algo["login"], agent_algorithm(self.agent))
        return pick_algorithm(names, self._candidates())

    def _candidates(self) -> tuple[str, ...]:
        """The coins the wallet may be of, those the pool's host name names first (a 1...
        address at bch.pool is Bitcoin Cash's), else the host name's (an account login, as at
        ltc.f2pool.com, says no coin of its own)."""
        hosted = host_coins(self.pool_host)
        named = tuple(c for c in hosted if c in self._coins)
        return named + tuple(c for c in self._coins if c not in named) if self._coins else hosted

    def _chain_coins(self) -> tuple[str, ...]:
        """The coins of the chain the jobs build on, where it names one algorithm: the coin
        mined where the wallet's is paid for another's (NiceHash pays in BTC for scrypt)."""
        chain = self._chain or Chain()
        return tuple(c for c in chain.coins if chain.algorithm and c not in self._candidates())

    def _eth_algorithm(self) -> str:
        etc = "ETC" in host_coins(self.pool_host)  # etc.2miners.com, etc-eu1.nanopool.org
        return ("etchash" if etc else "ethash") if self.dialect in ETH_DIALECTS else ""

    def _multiplier(self) -> float:
        """Scrypt & co. scale Stratum difficulty (NOMP's table, measurement.md §1.2)."""
        return share_multiplier(self.algorithm()) if self.dialect == "stratum-v1" else 1

    def _hps(self, price: Price | None) -> float | None:
        return hashes_per_share(price, self._multiplier())

    def hashes(self) -> tuple[float | None, float | None]:
        """(Σ hashes, Σ hashes²) over the shares that stand for work (accepted, stale and
        unexplained rejections); None when none of them could be priced."""
        mult = self._multiplier()
        priced = [(hashes_per_share(p, mult), n) for p, n in self._paid.items()]
        known = [(h, n) for h, n in priced if h is not None]
        self.counters["shares_unpriced"] = sum(n for h, n in priced if h is None)
        if priced and not known:
            return None, None
        return float(sum(h * n for h, n in known)), float(sum(h * h * n for h, n in known))

    def summary(self) -> dict:
        """The session as `sessions` columns (hashrate columns are the estimator's)."""
        algorithm = self.algorithm()
        hashes, hashes_sq = self.hashes()
        changes, last = self._repriced or (0, "")
        agent = agent_algorithm(self.agent)
        facts = self._evidence + [f"agent {self.agent} mines {agent} only"] * bool(agent) + [
            f"{changes} later difficulty changes, the last {last}"] * (changes > 0) + [
            f"{self.shares} shares: {self.accepted} accepted, {self.rejected} rejected"] * (
            self.shares > 0)
        names = (self.algorithm_hint, self._algo["job"], self._algo["login"])
        coin = pick_coin(algorithm, self._candidates() + self._chain_coins(), names)
        return self._endpoints() | {
            "dialect": self.dialect or ("tls" if self.tls else None),
            "coin": coin, "algorithm": algorithm,
            "coin_confidence": coin_confidence(coin, algorithm, {
                "wallet": self._coins, "pool": host_coins(self.pool_host),
                "chain": self._chain.coins if self._chain else (), "names": names}),
            "pool_host": self.pool_host, "wallet": self.wallet, "worker": self.worker,
            "password": self.password, "agent": self.agent, "tls": self.tls, "shares": self.shares,
            "shares_accepted": self.accepted, "shares_rejected": self.rejected,
            "shares_effort": sum(self._paid.values()),
            "hashes": hashes, "hashes_sq": hashes_sq, "ts_start": self.ts_start,
            "ts_end": self.ts_end, "reported_hashrate_hs": self.reported_hashrate_hs,
            "detection": "payload" if self.is_mining() else None,
            "evidence": json.dumps(facts, ensure_ascii=False),
        }


def _host_port(authority: str) -> tuple[str, int | None]:
    """(host, port or None) of "host", "host:port", "[v6]" or "[v6]:port"."""
    if authority.startswith("["):
        host, _, rest = authority[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif authority.count(":") == 1:
        host, _, port = authority.partition(":")
    else:
        host, port = authority, ""
    return host, int(port) if port.isdigit() and len(port) <= 5 else None


@lru_cache(maxsize=1024)
def _is_address(host: str) -> bool:
    try:
        return bool(ipaddress.ip_address(host))
    except ValueError:
        return False


def _guess(msg: RpcMessage, over_http: bool) -> str | None:
    """The dialect one message implies on its own, or None."""
    if over_http and getwork.recognise(msg):
        return HTTP_RPC
    return (ethstratum.recognise(msg, over_http) or stratum_v1.recognise(msg)
            or cryptonote.recognise(msg))


# (current, new) dialect changes a later message may justify
_UPGRADES = {("stratum-v1", "ethereumstratum-1.0"), (HTTP_RPC, "daemon-rpc"),
             (HTTP_RPC, "getwork-http"), (HTTP_RPC, "getblocktemplate-http"),
             ("getwork-http", "daemon-rpc"), ("getblocktemplate-http", "daemon-rpc"),
             ("getblocktemplate-http", "getwork-http")}

def _text(value) -> str | None:
    """A non-empty string field of a request object, at most 128 characters; else None."""
    return value[:128] if isinstance(value, str) and value.strip() else None


def _cryptonote_era(job: cryptonote.Job, coins: tuple[str, ...]) -> str:
    """What a CryptoNote job without an `algo` field says of its algorithm: a seed hash is
    RandomX's; a Monero block (its blob's first byte is the major version) from before the
    RandomX fork was hashed with CryptoNight (xmr-stak's sessions of 2017-2019)."""
    if job.algo:
        return ""
    if job.seed_hash:
        return "randomx"
    try:
        major = int(job.blob[:2], 16)
    except ValueError:
        return ""
    return "cryptonight" if coins[:1] == ("XMR",) and major < XMR_RANDOMX_VERSION else ""


def _price_fact(price: Price) -> str:
    """The fact a difficulty or target message states (as its handler writes it)."""
    kind, value = price
    if kind == "t256":
        return f"set_target {value.removeprefix('0x')[:16]}..."
    return f"set_difficulty {value:g}"


_S = StratumSession
HANDLERS = {
    stratum_v1.Subscribe: _S._on_subscribe,
    stratum_v1.Authorize: lambda s, d, r: s._on_login(d, r, r.username, None),
    # (the login's worker first: Claymore's "worker" key is "eth1.0" unless told otherwise)
    ethstratum.SubmitLogin: lambda s, d, r: s._rig(r.worker) | s._on_login(d, r, r.login, None),
    cryptonote.Login: _S._on_xmr_login,
    # (any app may name a method "getjob": the job in its answer makes the miner)
    cryptonote.GetJob: lambda s, d, r: s._expect(d, r.id, r.METHOD) or {},
    stratum_v1.SetDifficulty: lambda s, d, r: s._set_price(
        ("diff", float(r.difficulty)), _price_fact(("diff", r.difficulty))),
    stratum_v1.SetTarget: lambda s, d, r: s._set_price(("t256", r.target),
                                                       _price_fact(("t256", r.target))),
    stratum_v1.Notify: _S._on_notify,
    stratum_v1.Zip301Notify: lambda s, d, r: s._equihash(
        stratum_v1.zhash_params(r.extra), "jobs") or s._job(r.job_id, s._next_price, "equihash"),
    stratum_v1.KawpowNotify: lambda s, d, r: s._job(
        r.job_id, ("t256", r.target), "kawpow" if r.height is not None else ""),
    ethstratum.EsNotify: lambda s, d, r: s._job(r.job_id, s._next_price, "ethash"),
    ethstratum.KaspaNotify: lambda s, d, r: s._job(r.job_id, s._next_price, "kheavyhash"),
    ethstratum.WorkPackage: lambda s, d, r: s._on_work(d, r, r.header, r.boundary, "ethash"),
    getwork.GetworkWork: lambda s, d, r: s._on_work(d, r, None, r.target_be),
    getwork.BlockTemplate: _S._on_template,
    cryptonote.LoginResult: _S._on_xmr_job,
    cryptonote.JobNotify: _S._on_xmr_job,
    cryptonote.JobReply: _S._on_xmr_job,
    ethstratum.SubmitHashrate: _S._on_hashrate,
    stratum_v1.Reply: _S._on_reply,
    stratum_v1.Unknown: _S._on_unknown,
    ethstratum.SubmitWork: lambda s, d, r: s._share(d, r.id, r.header) | s._rig(r.worker),
    cryptonote.Submit: lambda s, d, r: s._share(d, r.id, r.job_id, algo=r.algo),
    getwork.Getwork: lambda s, d, r: s._share(d, r.id, None) if r.data else s._on_request(d, r),
    getwork.SubmitBlock: lambda s, d, r: s._share(d, r.id, None),
    stratum_v1.Zip301Submit: lambda s, d, r: s._equihash(
        stratum_v1.equihash_params(r.solution), "solutions") or s._share(
        d, r.id, r.job_id, r.worker),
    **{t: lambda s, d, r: s._share(d, r.id, r.job_id, r.worker)
       for t in (stratum_v1.Submit, stratum_v1.KawpowSubmit, ethstratum.EsSubmit)},
}
