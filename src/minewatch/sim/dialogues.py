"""What a miner and its pool say to each other, message by message, in each dialect.

A dialogue is a list of (ts, up, payload): `up` is miner to pool. Shares arrive as a Poisson
process whose rate is the true hashrate divided by the hashes per share of the job being
worked on, so the share counts carry exactly the statistics a real session has.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field

import numpy as np

from minewatch.estimate.hashrate import (
    cryptonote_target_from_difficulty,
    hps_from_cryptonote_target,
    hps_from_difficulty,
    hps_from_target256,
)
from minewatch.sim.miners import Miner

RTT = 0.045  # s, miner to pool and back
SCRYPT_MULTIPLIER = 2**16  # NOMP convention (measurement.md §1.2)
Msg = tuple[float, bool, bytes]


@dataclass(slots=True)
class Dialogue:
    msgs: list[Msg] = field(default_factory=list)
    shares: int = 0
    accepted: int = 0

    def up(self, ts: float, obj: dict) -> None:
        self.msgs.append((ts, True, _line(obj)))

    def down(self, ts: float, obj: dict) -> None:
        self.msgs.append((ts, False, _line(obj)))


def _line(obj: dict) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


def _hex(rng: np.random.Generator, nbytes: int) -> str:
    return rng.bytes(nbytes).hex()


def _nice(x: float) -> float:
    """Pools hand out round difficulties: two significant digits."""
    if x <= 0:
        return 1.0
    mag = 10 ** np.floor(np.log10(x) - 1)
    return float(max(np.round(x / mag) * mag, 1e-9))


def _poisson_times(rng: np.random.Generator, t0: float, t1: float, rate: float) -> np.ndarray:
    if t1 <= t0:
        return np.empty(0)
    n = rng.poisson(max(rate, 0.0) * (t1 - t0))
    return np.sort(rng.uniform(t0, t1, size=n))


class Vardiff:
    """Pool-side variable difficulty as node-stratum-pool does it: every `retarget_s` seconds,
    if the mean time between shares left the target by more than 30 %, scale the difficulty
    so shares come every `share_time` seconds again. The shares it counts are the ones the
    simulated miner will submit, drawn here ahead of time with the same Poisson law."""

    def __init__(self, share_time: float, hps: float, t: float, retarget_s: float = 90.0):
        self.share_time, self.hps, self.since, self.retarget_s = share_time, hps, t, retarget_s

    def retarget(self, t: float, jobs: list, t_end: float, hashrate: float,
                 rng: np.random.Generator) -> bool:
        if t - self.since < self.retarget_s:
            return False
        expected = hashrate * (t - self.since) / self.hps
        n = max(int(rng.poisson(expected)), 1)
        mean = (t - self.since) / n
        self.since = t
        if 0.7 * self.share_time <= mean <= 1.3 * self.share_time:
            return False
        self.hps *= min(max(self.share_time / mean, 0.25), 4.0)
        return True


def _target_hex(hps: float) -> str:
    return f"{int(2**256 / hps):064x}"


def build(m: Miner, t_connect: float, t0: float, t1: float,
          rng: np.random.Generator) -> Dialogue:
    """The dialogue of miner `m` connecting at `t_connect`; only [t0, t1) is kept."""
    dialect = m.profile.dialect
    if dialect == "stratum-v1":
        d = _stratum_v1(m, t_connect, t1, rng)
    elif dialect == "ethereumstratum-1.0":
        d = _ethstratum(m, t_connect, t1, rng)
    elif dialect == "ethproxy":
        d = _ethproxy(m, t_connect, t1, rng)
    elif dialect == "ethproxy-http":
        d = _ethproxy_http(m, t_connect, t1, rng)
    else:
        d = _cryptonote(m, t_connect, t1, rng)
    d.msgs = sorted((x for x in d.msgs if t0 <= x[0] < t1), key=lambda x: x[0])
    return d


def _jobs(t_start: float, t_end: float, rng: np.random.Generator, mean: float) -> list[float]:
    """Job push times: roughly every `mean` seconds (new blocks, rebroadcasts)."""
    times, t = [], t_start
    while t < t_end:
        times.append(t)
        t += float(rng.uniform(0.5, 1.5) * mean)
    return times


def _work_shares(d: Dialogue, rng: np.random.Generator, m: Miner, jobs: list[tuple[float, str, float]],
                 t_end: float, submit, reply) -> None:
    """Shares for each job window; `submit(ts, job_id, n)` and `reply(ts, n, ok)` make messages."""
    n = 100
    for i, (tj, job_id, hps) in enumerate(jobs):
        t_next = jobs[i + 1][0] if i + 1 < len(jobs) else t_end
        for ts in _poisson_times(rng, tj + RTT, t_next, m.hashrate / hps):
            n += 1
            ok = rng.random() > 0.002  # rare stale shares
            d.shares += 1
            d.accepted += ok
            submit(float(ts), job_id, n)
            reply(float(ts) + RTT, n, ok)


# --- Bitcoin-family Stratum v1 (SHA-256d, Scrypt, Equihash per ZIP 301) -------------------------

def _v1_hps(m: Miner, diff: float) -> float:
    mult = SCRYPT_MULTIPLIER if m.profile.algorithm == "scrypt" else 1
    return hps_from_difficulty(diff, multiplier=mult)


def _stratum_v1(m: Miner, tc: float, t_end: float, rng: np.random.Generator) -> Dialogue:
    d = Dialogue()
    zec = m.profile.algorithm == "equihash"
    login = f"{m.wallet}.{m.worker}"
    d.up(tc, {"id": 1, "method": "mining.subscribe", "params": [m.agent] if not zec
              else [m.agent, None, m.pool_host, m.pool_port]})
    d.down(tc + RTT, {"id": 1, "result": [[["mining.set_difficulty", _hex(rng, 4)],
                                           ["mining.notify", _hex(rng, 4)]], _hex(rng, 4), 4],
                      "error": None} if not zec else
           {"id": 1, "result": [None, _hex(rng, 4)], "error": None})
    d.up(tc + RTT + 0.01, {"id": 2, "method": "mining.authorize", "params": [login, "x"]})
    d.down(tc + 2 * RTT, {"id": 2, "result": True, "error": None})
    share_time = float(rng.uniform(10, 20))
    vardiff = Vardiff(share_time, _v1_hps(m, 1.0) * _nice(m.hashrate * share_time / _v1_hps(m, 1.0) / 8),
                      tc + 2 * RTT)
    hps = _set_v1_difficulty(d, m, tc + 2 * RTT, vardiff.hps, zec)
    jobs: list[tuple[float, str, float]] = []
    for k, tj in enumerate(_jobs(tc + 2 * RTT + 0.01, t_end, rng, 30.0)):
        if vardiff.retarget(tj, jobs, t_end, m.hashrate, rng):
            hps = _set_v1_difficulty(d, m, tj, vardiff.hps, zec)
        job_id = f"{k:x}"
        d.down(tj + 0.001, _v1_notify(rng, job_id, zec, clean=(k == 0 or rng.random() < 0.2)))
        jobs.append((tj, job_id, hps))

    def submit(ts, job_id, n):
        params = ([login, job_id, _hex(rng, 4), f"{int(ts):08x}", _hex(rng, 4)] if not zec else
                  [login, job_id, f"{int(ts):08x}", _hex(rng, 28), "fd4005" + _hex(rng, 1344)])
        d.up(ts, {"params": params, "id": n, "method": "mining.submit"})

    def reply(ts, n, ok):
        d.down(ts, {"id": n, "result": True, "error": None} if ok else
               {"id": n, "result": None, "error": [21, "Job not found (=stale)", None]})

    _work_shares(d, rng, m, jobs, t_end, submit, reply)
    return d


def _set_v1_difficulty(d: Dialogue, m: Miner, ts: float, want_hps: float, zec: bool) -> float:
    """Send the pool's difficulty (or ZIP 301 target) for `want_hps`; return the exact HPS."""
    if zec:
        target = _target_hex(want_hps)
        d.down(ts, {"id": None, "method": "mining.set_target", "params": [target]})
        return hps_from_target256(target)
    diff = _nice(want_hps / _v1_hps(m, 1.0))
    d.down(ts, {"id": None, "method": "mining.set_difficulty", "params": [diff]})
    return _v1_hps(m, diff)


def _v1_notify(rng: np.random.Generator, job_id: str, zec: bool, clean: bool) -> dict:
    if zec:
        params = [job_id, "04000000", _hex(rng, 32), _hex(rng, 32), "0" * 64,
                  f"{rng.integers(1.6e9, 1.7e9):08x}", "1d0fffff", clean]
    else:
        branches = [_hex(rng, 32) for _ in range(int(rng.integers(8, 13)))]
        params = [job_id, _hex(rng, 32), _hex(rng, 45) + "ffffffff", _hex(rng, 60), branches,
                  "20000000", "170e92aa", f"{rng.integers(1.6e9, 1.7e9):08x}", clean]
    return {"id": None, "method": "mining.notify", "params": params}


# --- EthereumStratum/1.0.0 (NiceHash) ------------------------------------------------------------

def _ethstratum(m: Miner, tc: float, t_end: float, rng: np.random.Generator) -> Dialogue:
    d = Dialogue()
    d.up(tc, {"id": 1, "method": "mining.subscribe", "params": [m.agent, "EthereumStratum/1.0.0"]})
    d.down(tc + RTT, {"id": 1, "result": [["mining.notify", _hex(rng, 16), "EthereumStratum/1.0.0"],
                                          _hex(rng, 2)], "error": None})
    d.up(tc + RTT + 0.01, {"id": 2, "method": "mining.authorize", "params": [f"{m.wallet}.{m.worker}", "x"]})
    d.down(tc + 2 * RTT, {"id": 2, "result": True, "error": None})
    share_time = float(rng.uniform(8, 15))
    vardiff = Vardiff(share_time, m.hashrate * share_time * float(rng.uniform(0.5, 2)), tc + 2 * RTT)
    hps = _set_es1_difficulty(d, tc + 2 * RTT + 0.001, vardiff.hps)
    seed = _hex(rng, 32)
    jobs = []
    for k, tj in enumerate(_jobs(tc + 2 * RTT + 0.002, t_end, rng, 13.0)):
        if vardiff.retarget(tj, jobs, t_end, m.hashrate, rng):
            hps = _set_es1_difficulty(d, tj, vardiff.hps)
        job_id = f"{k:08x}"
        d.down(tj, {"id": None, "method": "mining.notify", "params": [job_id, seed, _hex(rng, 32), True]})
        jobs.append((tj, job_id, hps))

    def submit(ts, job_id, n):
        d.up(ts, {"id": n, "method": "mining.submit",
                  "params": [f"{m.wallet}.{m.worker}", job_id, _hex(rng, 6)]})

    def reply(ts, n, ok):
        d.down(ts, {"id": n, "result": bool(ok), "error": None if ok else [21, "Stale share", None]})

    _work_shares(d, rng, m, jobs, t_end, submit, reply)
    return d


def _set_es1_difficulty(d: Dialogue, ts: float, want_hps: float) -> float:
    diff = _nice(want_hps / hps_from_difficulty(1.0))
    d.down(ts, {"id": None, "method": "mining.set_difficulty", "params": [diff]})
    return hps_from_difficulty(diff)


# --- ETHProxy (eth_submitLogin / eth_getWork / eth_submitWork) ----------------------------------

def _eth_boundary(m: Miner) -> tuple[str, float]:
    """Fixed-difficulty ETHProxy ports: 2 or 4 G hashes per share, fixed per pool port
    (open-ethereum-pool's `difficulty` is a per-port setting)."""
    target = _target_hex(2e9 if zlib.crc32(f"{m.pool_host}:{m.pool_port}".encode()) % 2 else 4e9)
    return "0x" + target, hps_from_target256(target)


def _ethproxy(m: Miner, tc: float, t_end: float, rng: np.random.Generator) -> Dialogue:
    d = Dialogue()
    d.up(tc, {"id": 1, "jsonrpc": "2.0", "method": "eth_submitLogin", "params": [m.wallet, "x"],
              "worker": m.worker})
    d.down(tc + RTT, {"id": 1, "jsonrpc": "2.0", "result": True})
    d.up(tc + RTT + 0.01, {"id": 2, "jsonrpc": "2.0", "method": "eth_getWork", "params": []})
    boundary, hps = _eth_boundary(m)
    seed = "0x" + _hex(rng, 32)
    jobs = []
    for k, tj in enumerate(_jobs(tc + 2 * RTT, t_end, rng, 27.0)):
        header = "0x" + _hex(rng, 32)
        d.down(tj, {"id": 2 if k == 0 else 0, "jsonrpc": "2.0", "result": [header, seed, boundary]})
        jobs.append((tj, header, hps))
    for ts in np.arange(tc + 60, t_end, 60.0):
        d.up(float(ts), {"id": 6, "jsonrpc": "2.0", "method": "eth_submitHashrate",
                         "params": [f"0x{int(m.hashrate * rng.uniform(0.97, 1.03)):064x}",
                                    "0x" + _hex(rng, 32)], "worker": m.worker})
        d.down(float(ts) + RTT, {"id": 6, "jsonrpc": "2.0", "result": True})

    def submit(ts, header, n):
        d.up(ts, {"id": n, "jsonrpc": "2.0", "method": "eth_submitWork",
                  "params": ["0x" + _hex(rng, 8), header, "0x" + _hex(rng, 32)], "worker": m.worker})

    def reply(ts, n, ok):
        d.down(ts, {"id": n, "jsonrpc": "2.0", "result": bool(ok)})

    _work_shares(d, rng, m, jobs, t_end, submit, reply)
    return d


def _http(body: bytes, host: str, port: int, path: str, request: bool, agent: str = "") -> bytes:
    if request:
        head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: {agent}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    else:
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


def _ethproxy_http(m: Miner, tc: float, t_end: float, rng: np.random.Generator) -> Dialogue:
    """ethminer's getwork polling over one keep-alive HTTP connection (`http://pool/wallet/worker`)."""
    d = Dialogue()
    path = f"/{m.wallet}/{m.worker}"
    boundary, hps = _eth_boundary(m)
    seed = "0x" + _hex(rng, 32)
    header = "0x" + _hex(rng, 32)
    t_job = tc
    headers = []
    for ts in np.arange(tc, t_end, float(rng.choice([2.0, 5.0]))):
        if ts >= t_job:
            header = "0x" + _hex(rng, 32)
            headers.append((float(ts), header, hps))
            t_job = ts + float(rng.uniform(6, 20))
        req = _line({"id": 1, "jsonrpc": "2.0", "method": "eth_getWork", "params": []})
        d.msgs.append((float(ts), True, _http(req, m.pool_host, m.pool_port, path, True, m.agent)))
        resp = _line({"id": 1, "jsonrpc": "2.0", "result": [header, seed, boundary]})
        d.msgs.append((float(ts) + RTT, False, _http(resp, "", 0, "", False)))

    def submit(ts, hdr, n):
        req = _line({"id": n, "jsonrpc": "2.0", "method": "eth_submitWork",
                     "params": ["0x" + _hex(rng, 8), hdr, "0x" + _hex(rng, 32)]})
        d.msgs.append((ts, True, _http(req, m.pool_host, m.pool_port, path, True, m.agent)))

    def reply(ts, n, ok):
        d.msgs.append((ts, False, _http(_line({"id": n, "jsonrpc": "2.0", "result": bool(ok)}),
                                        "", 0, "", False)))

    _work_shares(d, rng, m, headers, t_end, submit, reply)
    return d


# --- CryptoNote / XMRig ----------------------------------------------------------------------------

def _xmr_job(rng: np.random.Generator, job_id: str, target: str, height: int, seed: str) -> dict:
    return {"blob": "1010" + _hex(rng, 72), "job_id": job_id, "target": target, "algo": "rx/0",
            "height": height, "seed_hash": seed}


def _cryptonote(m: Miner, tc: float, t_end: float, rng: np.random.Generator) -> Dialogue:
    d = Dialogue()
    d.up(tc, {"id": 1, "jsonrpc": "2.0", "method": "login",
              "params": {"login": m.wallet, "pass": m.worker, "agent": m.agent,
                         "algo": ["rx/0", "cn/r", "cn/2"]}})
    diff = int(_nice(m.hashrate * 30.0))
    target = cryptonote_target_from_difficulty(diff)
    hps = float(hps_from_cryptonote_target(target))
    sid, seed, height = _hex(rng, 16), _hex(rng, 32), int(rng.integers(2_300_000, 2_400_000))
    jobs = []
    for k, tj in enumerate(_jobs(tc + RTT, t_end, rng, 90.0)):
        job = _xmr_job(rng, f"{rng.integers(1e8, 1e9)}", target, height + k, seed)
        if k == 0:
            d.down(tj, {"id": 1, "jsonrpc": "2.0", "error": None,
                        "result": {"id": sid, "job": job, "extensions": ["algo", "keepalive"],
                                   "status": "OK"}})
        else:
            d.down(tj, {"jsonrpc": "2.0", "method": "job", "params": job})
        jobs.append((tj, job["job_id"], hps))
    last_up = [tc]

    def submit(ts, job_id, n):
        _keepalives(d, sid, last_up[0], ts)
        d.up(ts, {"id": n, "jsonrpc": "2.0", "method": "submit",
                  "params": {"id": sid, "job_id": job_id, "nonce": _hex(rng, 4), "result": _hex(rng, 32),
                             "algo": "rx/0"}})
        last_up[0] = ts

    def reply(ts, n, ok):
        d.down(ts, {"id": n, "jsonrpc": "2.0", "error": None if ok else
                    {"code": -1, "message": "Block expired"}, "result": {"status": "OK"} if ok else None})

    _work_shares(d, rng, m, jobs, t_end, submit, reply)
    _keepalives(d, sid, last_up[0], t_end)
    return d


def _keepalives(d: Dialogue, sid: str, t_from: float, t_to: float) -> None:
    """XMRig sends `keepalived` 60 s after its last message when shares are rarer than that."""
    t = t_from + 60.0
    while t < t_to:
        d.up(t, {"id": 3, "jsonrpc": "2.0", "method": "keepalived", "params": {"id": sid}})
        d.down(t + RTT, {"id": 3, "jsonrpc": "2.0", "error": None, "result": {"status": "KEEPALIVED"}})
        t += 60.0
