"""Share counts from flow counters, and hashrate only where the difficulty is known.

docs/measurement.md §2. A flow record gives per direction bytes and packets, never the
difficulty. From those we estimate how many shares a session submitted (§2.2), and turn that
into a hashrate only when the hashes per share of the pool endpoint are known: a fixed-difficulty
port whose difficulty a clear-text session on the same endpoint showed (`learn_hashes_per_share`).
Under vardiff the share rate is ≈ 1/targetTime whatever the hashrate, so nothing is invented:
the hashrate stays None with method 'none'.

Engine integration (engine/derive.py, for every `flow` or `tls` session `s`):

    learned = learn_hashes_per_share(payload)        # once per rebuild, payload = merged payload rows
    dialects = learn_dialects(payload)               # once per rebuild
    hint = dialect_hint(dialects.get((s["server_ip"], s["server_port"])), s["algorithm"])
    window = s["ts_end"] - s["ts_start"]
    est = estimate_shares(hint, s["packets_up"], s["packets_down"], s["bytes_up"],
                          s["bytes_down"], window, tls=s["tls"])
    s.update(flow_hashrate(est, learned.get((s["server_ip"], s["server_port"])), window))
    s["evidence"] = json.dumps(json.loads(s["evidence"]) + list(est.evidence))

`flow_hashrate` returns the session's hashrate columns (hashrate_hs, hashrate_low_hs,
hashrate_high_hs, hashrate_method). `shares` stays None on flow sessions: it counts shares seen.
`payload` are the rows `merge_pieces` returns; a stratum-v1 row priced at m = 1 whose algorithm
only pool intel knows (scrypt) needs hashes / m and hashes_sq / m² first, as `_finish_payload`
does. A miner's `combine_estimates` must then say 'flow-estimated' when any summed session is.

Shares (`estimate_shares`); sizes are TCP payload bytes, per dialect ranges (table below):
1. Payload bytes per direction: P = bytes − h·packets with h = 40 B (IPv4 + TCP without options;
   our flow records count IP bytes, no Ethernet). TCP timestamps (h = 52) or IPv6 (60) need
   `header_bytes`: a wrong h shifts P by 12 B per packet, so it is stated, not guessed.
2. Bytes (§2.2): N = (P_up − s_login − n_ka·s_ka) / s_submit, each size a range (worker names,
   id digits, pool variants: ±10–20 %), evaluated at the range ends.
3. Packets. The miner pure-ACKs every pool message and each request gets one reply. If the
   pool piggybacks its ACK on the reply (the measured capture, §2.1), p_up − p_dn = 1 + up data
   packets; a pool that ACKs some requests separately lowers that, so it bounds N from BELOW
   (and TCP keepalive probes cancel out). Counting p_up as handshake + up data packets + one ACK
   per down message (pushed jobs J from the down bytes) holds however the pool ACKs; keepalive
   probes only add to it, so it bounds N from ABOVE — by at most one probe per 60 s of silence.
   When the pool ACKs every message (the simulator) the upper count is exact; when it
   piggybacks and sends no probe, both are.
4. Nuisances are hypotheses: connection start (handshake + login) inside the window or not;
   periodic keepalives/hashrate reports (eth_submitHashrate every 60 s when the miner reports,
   XMRig `keepalived` 60 s after its last send) on or off. A hypothesis whose bytes leave no room
   for its login and keepalives is dropped; one whose packet bracket misses its byte range too.
5. Rule: a hypothesis's shares lie in its byte range ∩ packet bracket; its value is the
   inverse-width²-weighted mean of the bytes and the upper packet count when those overlap (it
   holds for any ACK behaviour), else of the bytes and the lower one, else the bytes, clipped into
   the range. The interval is the union over all consistent hypotheses (a miner's report policy
   is often not identifiable: reports and submits can be the same size); the value comes from
   the dialect's default keepalive policy when consistent, then from the hypothesis whose two
   estimates agree best. Method 'bytes+packets'.
6. Dialect: a dialect learned from clear text on the endpoint is trusted (bytes alone, method
   'bytes', if no hypothesis fits the packets). From an algorithm, its usual dialects are tried,
   then all (unknown: widest); if the packets fit none, shares are not identifiable (None,
   method 'none'). HTTP getwork polling is never identifiable: a share hides among ~10 polls,
   each a request-reply pair of similar size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from minewatch.estimate.combine import effort_shares
from minewatch.estimate.hashrate import poisson_interval

HEADER_BYTES = 40  # IPv4 20 + TCP 20, no options
MSS = 1448
KEEPALIVE_PERIOD_S = 60.0  # ethminer hashRateInterval; XMRig Pool::kKeepAliveTimeout
SAME_DIFFICULTY = 0.01  # sessions of a fixed-difficulty port agree within 1 %


@dataclass(frozen=True, slots=True)
class Span:
    """A quantity known to lie in [lo, hi], typically `mid`; arithmetic keeps the bounds."""

    lo: float
    mid: float
    hi: float

    @staticmethod
    def of(x: float | Span) -> Span:
        return x if isinstance(x, Span) else Span(x, x, x)

    def __add__(self, o: float | Span) -> Span:
        o = Span.of(o)
        return Span(self.lo + o.lo, self.mid + o.mid, self.hi + o.hi)

    __radd__ = __add__

    def __sub__(self, o: float | Span) -> Span:
        o = Span.of(o)
        return Span(self.lo - o.hi, self.mid - o.mid, self.hi - o.lo)

    def __rsub__(self, o: float) -> Span:
        return Span.of(o) - self

    def __mul__(self, o: float | Span) -> Span:
        o = Span.of(o)
        ends = [a * b for a in (self.lo, self.hi) for b in (o.lo, o.hi)]
        return Span(min(ends), self.mid * o.mid, max(ends))

    __rmul__ = __mul__

    def __truediv__(self, o: float | Span) -> Span:
        """Division by a positive span."""
        o = Span.of(o)
        ends = [a / b for a in (self.lo, self.hi) for b in (o.lo, o.hi)]
        return Span(min(ends), self.mid / o.mid, max(ends))

    def clip(self, lo: float, hi: float) -> Span:
        return Span(min(max(self.lo, lo), hi), min(max(self.mid, lo), hi), min(max(self.hi, lo), hi))


@dataclass(frozen=True, slots=True)
class DialectSizes:
    """Typical TCP payload sizes of one dialect's messages [B], each a range."""

    name: str
    submit: Span
    reply: Span  # the pool's answer to a submit or keepalive
    push: Span  # a pushed job (mean, counting the rarer difficulty pushes)
    login_up: Span  # all login requests (subscribe + authorize, submitLogin + getWork, login)
    login_down: Span  # their replies and the pushes sent with them
    login_msgs: tuple[int, int]  # login messages up, down
    keepalive: Span = Span(0, 0, 0)
    keepalive_policy: str = "none"  # 'report': every 60 s if enabled; 'idle': 60 s after last send
    reports_default: bool = False
    source: str = ""

    def segments(self) -> int:
        """TCP segments per submit (Equihash solutions span two)."""
        return max(1, math.ceil(self.submit.mid / MSS))


def _around(mid: float, lo: float, hi: float) -> Span:
    return Span(lo, mid, hi)


DIALECTS: dict[str, DialectSizes] = {d.name: d for d in (
    DialectSizes("ethproxy", submit=_around(250, 215, 290), reply=_around(40, 38, 44),
                 push=_around(244, 235, 262), login_up=_around(200, 150, 280),
                 login_down=_around(284, 270, 320), login_msgs=(2, 2),
                 keepalive=_around(210, 185, 240), keepalive_policy="report", reports_default=True,
                 source="measured (dwarf_s.pcapng, §2.1): submit 261, reply 40, job 244, login 202 B; "
                        "ethminer compact submit ≈221 B [computed]; eth_submitHashrate ≈200 B"),
    DialectSizes("ethereumstratum-1.0", submit=_around(115, 85, 150), reply=_around(37, 34, 42),
                 push=_around(200, 170, 215), login_up=_around(190, 120, 260),
                 login_down=_around(220, 150, 320), login_msgs=(2, 3),
                 keepalive=_around(210, 185, 240), keepalive_policy="report",
                 source="§2.2/§5: submit ≈96 B (≈125 B with wallet.worker), notify ≈206 B"),
    DialectSizes("stratum-v1", submit=_around(118, 90, 160), reply=_around(37, 34, 42),
                 push=_around(1150, 750, 1500), login_up=_around(140, 100, 260),
                 login_down=_around(220, 150, 350), login_msgs=(2, 3),
                 source="§2.2/§5: submit ≈118-120 B, notify ≈1.3 kB (8-12 merkle branches)"),
    DialectSizes("zip301", submit=_around(2850, 2750, 2950), reply=_around(37, 34, 42),
                 push=_around(290, 250, 330), login_up=_around(190, 120, 300),
                 login_down=_around(180, 80, 300), login_msgs=(2, 3),
                 source="§2.2/§5: submit ≈2.8 kB (1344-byte solution as hex)"),
    DialectSizes("cryptonote", submit=_around(245, 215, 290), reply=_around(70, 60, 80),
                 push=_around(380, 330, 440), login_up=_around(280, 220, 420),
                 login_down=_around(460, 380, 560), login_msgs=(1, 1),
                 keepalive=_around(100, 85, 130), keepalive_policy="idle",
                 source="§5: XMRig submit ≈264 B, job ≈392 B, reply ≈72 B; keepalived ≈100 B"),
)}

# Pool algorithm -> the dialects its pools speak (measurement.md §1.2, §2.2); the packets choose.
ALGORITHM_DIALECTS = {
    "ethash": ("ethproxy", "ethereumstratum-1.0"), "etchash": ("ethproxy", "ethereumstratum-1.0"),
    "randomx": ("cryptonote",), "cryptonight": ("cryptonote",), "sha256d": ("stratum-v1",),
    "scrypt": ("stratum-v1",), "equihash": ("zip301",),
}
NOT_IDENTIFIABLE = {"ethproxy-http", "getwork-http", "getblocktemplate-http"}

# TLS: every record adds 22 B (TLS 1.3 AEAD) to 29 B (TLS 1.2 AES-GCM); the handshake adds a
# ClientHello and Finished up and the certificate chain down.
TLS_RECORD = Span(22, 25, 29)
TLS_HANDSHAKE_UP = Span(250, 450, 800)
TLS_HANDSHAKE_DOWN = Span(2000, 4000, 7000)


@dataclass(frozen=True, slots=True)
class SharesEstimate:
    """Shares a session submitted, estimated from flow counters: value within [low, high].

    method: 'bytes+packets', 'bytes', or 'none' (not identifiable: value, low, high None).
    """

    value: float | None
    low: float | None
    high: float | None
    method: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FlowCounters:
    """One session's counters, miner to pool (up) and back (down), over `duration_s`."""

    packets_up: int
    packets_down: int
    bytes_up: int
    bytes_down: int
    duration_s: float
    header_bytes: int = HEADER_BYTES

    @property
    def payload_up(self) -> float:
        return max(self.bytes_up - self.header_bytes * self.packets_up, 0)

    @property
    def payload_down(self) -> float:
        return max(self.bytes_down - self.header_bytes * self.packets_down, 0)


@dataclass(frozen=True, slots=True)
class Hypothesis:
    dialect: DialectSizes
    start: bool  # handshake and login inside the window
    keepalives: Span  # keepalive or hashrate-report requests in the window
    label: str
    default: bool  # the dialect's default keepalive policy


@dataclass(frozen=True, slots=True)
class Candidate:
    hypothesis: Hypothesis
    shares: Span
    packets: str | None  # the ACK behaviour that agreed with the bytes, if any
    tension: float  # distance between the byte and packet estimates, in range widths


def dialect_hint(dialect: str | None, algorithm: str | None) -> str:
    """What to pass to `estimate_shares`: the dialect clear text showed on the same endpoint
    (ZIP 301 for Stratum on an Equihash pool), else the pool's algorithm, else 'unknown'."""
    alg = (algorithm or "").lower()
    if dialect == "stratum-v1" and alg == "equihash":
        return "zip301"
    if dialect in DIALECTS or dialect in NOT_IDENTIFIABLE:
        return dialect
    return alg or "unknown"


def _dialect_tries(hint: str) -> list[list[DialectSizes]]:
    """Size tables to try in turn: a learned dialect alone; an algorithm's dialects, then all."""
    key = (hint or "").lower()
    if key in DIALECTS:
        return [[DIALECTS[key]]]
    names = ALGORITHM_DIALECTS.get(key)
    every = list(DIALECTS.values())
    return [[DIALECTS[n] for n in names], every] if names else [every]


def _over_tls(d: DialectSizes) -> DialectSizes:
    up, down = d.login_msgs
    return replace(d, submit=d.submit + TLS_RECORD, reply=d.reply + TLS_RECORD,
                   push=d.push + TLS_RECORD, keepalive=d.keepalive + TLS_RECORD,
                   login_up=d.login_up + TLS_HANDSHAKE_UP + up * TLS_RECORD,
                   login_down=d.login_down + TLS_HANDSHAKE_DOWN + down * TLS_RECORD,
                   login_msgs=(up + 2, down + 1), name=d.name + "+tls")


def estimate_shares(dialect_hint: str, packets_up: int, packets_down: int, bytes_up: int,
                    bytes_down: int, duration_s: float, *, tls: bool = False,
                    header_bytes: int = HEADER_BYTES) -> SharesEstimate:
    """Shares submitted in a session seen only as flow counters (IP bytes, packets, seconds).

    `dialect_hint`: a dialect (ethproxy, ethereumstratum-1.0, stratum-v1, zip301, cryptonote),
    a pool algorithm (ethash, randomx, sha256d, scrypt, equihash), or anything else = unknown.
    """
    if (dialect_hint or "").lower() in NOT_IDENTIFIABLE:
        return SharesEstimate(None, None, None, "none", (
            f"{dialect_hint}: a share hides among the getwork polls (request-reply pairs of "
            "similar size); shares are not identifiable from flow counters",))
    f = FlowCounters(packets_up, packets_down, bytes_up, bytes_down, max(duration_s, 0.0), header_bytes)
    if packets_up <= 0:
        return SharesEstimate(0.0, 0.0, 0.0, "bytes+packets", ("no packet from the miner: no share",))
    for dialects in _dialect_tries(dialect_hint):
        dialects = [_over_tls(d) if tls else d for d in dialects]
        cands = [c for d in dialects for h in _hypotheses(d, f) if (c := _candidate(h, f))]
        if any(c.packets for c in cands):
            return _choose(cands, f, dialects)
    if (dialect_hint or "").lower() in DIALECTS:  # the dialect is known: trust the byte sizes
        if cands:
            return _choose(cands, f, dialects)
        return SharesEstimate(0.0, 0.0, 0.0, "bytes", _evidence(f, dialects, None, "bytes") +
                              ("the bytes leave no room for a share",))
    return SharesEstimate(None, None, None, "none", _evidence(f, dialects, None, "none") + (
        "packet counts fit no modelled dialect with these bytes: shares not identifiable",))


def _hypotheses(d: DialectSizes, f: FlowCounters) -> list[Hypothesis]:
    out = []
    for start in (True, False):
        for label, n, default in _keepalive_options(d, f, start):
            out.append(Hypothesis(d, start, n, label, default))
    return out


def _keepalive_options(d: DialectSizes, f: FlowCounters, start: bool) -> list[tuple]:
    none = Span(0, 0, 0)
    if d.keepalive_policy == "none":
        return [("no keepalives", none, True)]
    m = math.floor(f.duration_s / KEEPALIVE_PERIOD_S)
    if d.keepalive_policy == "report":
        on = Span(max(m - 1, 0), m, m + 1)
        return [("hashrate reports every 60 s", on, d.reports_default),
                ("no hashrate reports", none, not d.reports_default)]
    n = _idle_keepalives(d, f, start)
    spread = 2 * math.sqrt(n) + 1  # the count of idle gaps is itself random
    return [("keepalives after 60 s idle", Span(max(n - spread, 0), n, min(n + spread, m + 1)), True),
            ("no keepalives", none, False)]


def _idle_keepalives(d: DialectSizes, f: FlowCounters, start: bool) -> float:
    """Expected XMRig keepalives: after each share, one per full 60 s without the next one.

    For Poisson shares at rate λ, E[⌊gap/60⌋] = q/(1−q) with q = exp(−60λ); over N+1 gaps.
    N itself comes from the bytes, so iterate to the fixed point (a few steps suffice).
    """
    cap, n = f.duration_s / KEEPALIVE_PERIOD_S, 0.0
    payload = f.payload_up - (d.login_up.mid if start else 0.0)
    for _ in range(8):
        shares = max((payload - n * d.keepalive.mid) / d.submit.mid, 0.0)
        q = math.exp(-KEEPALIVE_PERIOD_S * shares / f.duration_s) if f.duration_s > 0 else 0.0
        n = 0.5 * n + 0.5 * (cap if q >= 1 else min((shares + 1) * q / (1 - q), cap))
    return n


def _by_bytes(h: Hypothesis, f: FlowCounters) -> Span:
    """§2.2: N = (P_up − s_login − n·s_ka) / s_submit."""
    d = h.dialect
    login = d.login_up if h.start else 0.0
    return (f.payload_up - login - h.keepalives * d.keepalive) / d.submit


def _tolerance(f: FlowCounters) -> Span:
    """Packets no model counts: retransmissions, a FIN exchange, a coalesced ACK."""
    t = 2.0 + 0.005 * (f.packets_up + f.packets_down)
    return Span(-t, 0.0, t)


def _by_piggyback(h: Hypothesis, f: FlowCounters) -> Span:
    """Pool ACKs ride on its replies: p_up − p_dn = handshake (1) + up data packets."""
    d = h.dialect
    fixed = (1 + d.login_msgs[0]) if h.start else 0
    return (f.packets_up - f.packets_down - fixed - h.keepalives + _tolerance(f)) / d.segments()


def _by_every_ack(h: Hypothesis, f: FlowCounters) -> Span:
    """Both ends ACK every message: p_up − 2 (SYN, ACK) = up data packets + one ACK per down
    message (login replies, one reply per request, J pushes), J from the down bytes."""
    d = h.dialect
    n = h.keepalives
    fixed = (2 + d.login_msgs[0] + d.login_msgs[1]) if h.start else 0
    pushes_bytes = f.payload_down - (d.login_down if h.start else 0.0) - n * d.reply
    num = f.packets_up - fixed - 2 * n - pushes_bytes / d.push + _tolerance(f)
    return num / _every_ack_divisor(d)


def _every_ack_divisor(d: DialectSizes) -> Span:
    """Up packets per share in the every-ACK count, net of the reply's share of push bytes."""
    return d.segments() + 1 - d.reply / d.push


def _candidate(h: Hypothesis, f: FlowCounters) -> Candidate | None:
    """Shares under one hypothesis. The two packet models bracket N whatever the pool's ACK
    behaviour: piggybacking fewer replies only lowers p_up − p_dn (N ≥ piggyback estimate), TCP
    keepalive probes only add packets (N ≤ every-ACK estimate). The range is that bracket within
    the byte range; the value follows the every-ACK model when it agrees with the bytes (it holds
    for any piggybacking), else the piggyback one, else the bytes."""
    cap = max(f.packets_up - (2 if h.start else 0), 0) / h.dialect.segments()
    by_bytes = _by_bytes(h, f)
    if by_bytes.hi < -0.5:  # the bytes leave no room for this many keepalives and the login
        return None
    floor, ceiling = _by_piggyback(h, f), _by_every_ack(h, f)
    probes = math.floor(f.duration_s / KEEPALIVE_PERIOD_S) / _every_ack_divisor(h.dialect).lo
    lo = max(by_bytes.lo, floor.lo, ceiling.lo - probes, 0.0)
    hi = min(by_bytes.hi, ceiling.hi, cap)
    if lo > hi:
        return Candidate(h, by_bytes.clip(0.0, cap), None, math.inf)
    for name, est in (("every message ACKed", ceiling), ("pool piggybacks ACKs", floor)):
        joined = _join(by_bytes, est)
        if joined is not None:
            return Candidate(h, Span(lo, min(max(joined[0], lo), hi), hi), name, joined[1])
    tension = min(_join(by_bytes, est, overlap=False)[1] for est in (floor, ceiling))
    mid = min(max(by_bytes.mid, lo), hi)
    return Candidate(h, Span(lo, mid, hi), "pool piggybacks some ACKs", tension)


def _join(a: Span, b: Span, overlap: bool = True) -> tuple[float, float] | None:
    """Two estimates of one count: their inverse-width² mean, and how far apart their centres
    are in summed widths; None when `overlap` is asked for and their ranges do not overlap."""
    if overlap and max(a.lo, b.lo) > min(a.hi, b.hi):
        return None
    wa, wb = max(a.hi - a.lo, 1e-9), max(b.hi - b.lo, 1e-9)
    mid = (a.mid / wa**2 + b.mid / wb**2) / (1 / wa**2 + 1 / wb**2)
    return mid, abs(a.mid - b.mid) / (wa + wb)


def _choose(cands: list[Candidate], f: FlowCounters, dialects: list[DialectSizes]) -> SharesEstimate:
    agreed = [c for c in cands if c.packets]
    pool = agreed or cands
    method = "bytes+packets" if agreed else "bytes"
    bests = [b for d in dialects if (b := _best_of(pool, d.name))]
    best = min(bests, key=lambda c: c.tension)
    low, high = min(c.shares.lo for c in pool), max(c.shares.hi for c in pool)
    return SharesEstimate(best.shares.mid, low, high, method, _evidence(f, dialects, best, method))


def _best_of(pool: list[Candidate], dialect: str) -> Candidate | None:
    """A dialect's value: its default keepalive policy when consistent, then best agreement."""
    mine = [c for c in pool if c.hypothesis.dialect.name == dialect]
    mine = [c for c in mine if c.hypothesis.default] or mine
    return min(mine, key=lambda c: (c.tension, not c.hypothesis.start), default=None)


def _evidence(f: FlowCounters, dialects: list[DialectSizes], best: Candidate | None,
              method: str) -> tuple[str, ...]:
    facts = [f"flow counters: {f.packets_up}/{f.packets_down} packets and {f.bytes_up}/{f.bytes_down} "
             f"IP bytes up/down over {f.duration_s:.0f} s; payload = bytes − {f.header_bytes} B/packet "
             f"(IPv4 + TCP without options): {f.payload_up:.0f}/{f.payload_down:.0f} B",
             "message sizes of " + ", ".join(d.name for d in dialects) +
             (f" ({dialects[0].source})" if len(dialects) == 1 else " (dialect unknown: all tried)")]
    if best is not None:
        h = best.hypothesis
        facts.append(f"shares from {method} ({best.packets or 'byte sizes only'}); "
                     f"assumed: {'login seen' if h.start else 'session began before the window'}, "
                     f"{h.label}")
    return tuple(facts)


def learn_hashes_per_share(payload_sessions: list[dict], min_sessions: int = 2) -> dict[tuple, float]:
    """Hashes per share of each pool endpoint (server_ip, server_port) that uses ONE difficulty.

    From clear-text sessions (rows with server_ip, server_port, hashes, shares_effort,
    shares_unpriced, optionally hashes_sq and client_ip): an endpoint is learned only when at
    least `min_sessions` sessions (from distinct miners where client_ip is given) priced shares,
    every one of them at a single difficulty (hashes_sq says so), all within 1 % of each other:
    a fixed-difficulty port (open-ethereum-pool `difficulty`). Vardiff endpoints differ and are
    left out, as is an endpoint seen once (one session cannot tell fixed from vardiff).
    """
    seen: dict[tuple, list[tuple]] = {}
    for s in payload_sessions:
        hps = _session_hps(s)
        key = (s.get("server_ip"), s.get("server_port"))
        seen.setdefault(key, []).append((hps, s.get("client_ip")))
    learned = {}
    for key, rows in seen.items():
        values = [hps for hps, _ in rows]
        if None in values or len(values) < min_sessions:
            continue
        if len({c for _, c in rows}) < min_sessions and all(c is not None for _, c in rows):
            continue
        if max(values) <= min(values) * (1 + SAME_DIFFICULTY):
            learned[key] = sum(values) / len(values)
    return learned


def _session_hps(s: dict) -> float | None:
    """Hashes per share of a session with one difficulty; None when it had none or several
    (or nothing priced: a session without shares does not show that its port is fixed)."""
    priced = effort_shares(s) - (s.get("shares_unpriced") or 0)
    hashes = s.get("hashes") or 0.0
    if priced <= 0 or hashes <= 0:
        return None
    sq = s.get("hashes_sq")
    if sq and hashes * hashes / sq < priced * (1 - 1e-6):  # n_eff < N: the difficulty changed
        return None
    return hashes / priced


def learn_dialects(payload_sessions: list[dict]) -> dict[tuple, str]:
    """The dialect each pool endpoint (server_ip, server_port) spoke, where all its clear-text
    sessions agree."""
    seen: dict[tuple, set] = {}
    for s in payload_sessions:
        seen.setdefault((s.get("server_ip"), s.get("server_port")), set()).add(s.get("dialect"))
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1 and None not in v}


def flow_hashrate(shares: SharesEstimate, hps: float | None, window_s: float) -> dict:
    """Hashrate columns of a flow session [H/s; Sol/s for Equihash].

    Ĥ = N̂ · hps / window when the endpoint's hashes per share are known, method
    'flow-estimated'; else all None and 'none' (vardiff: not identifiable, never invented).
    95 % interval: Garwood's Poisson interval evaluated at the ends of the share-count range,
    [G_lo(N_low), G_hi(N_high)] · hps / window. If the true count N lies in [N_low, N_high] (the
    estimator's bounds over size jitter and keepalive policy), this contains Garwood(N), so the
    Poisson 95 % coverage holds; the estimator's error only widens it, never narrows it.
    """
    if hps is None or shares.value is None or not window_s > 0 or not hps > 0:
        return {"hashrate_hs": None, "hashrate_low_hs": None, "hashrate_high_hs": None,
                "hashrate_method": "none"}
    scale = hps / window_s
    return {"hashrate_hs": shares.value * scale,
            "hashrate_low_hs": poisson_interval(shares.low)[0] * scale,
            "hashrate_high_hs": poisson_interval(shares.high)[1] * scale,
            "hashrate_method": "flow-estimated"}
