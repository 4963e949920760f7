"""XMRig's donation minutes: a stock build mines `donate-level` minutes in every 100 for its author.

Public source: xmrig/xmrig src/donate.h (kDefaultDonateLevel = 1, kMinimumDonateLevel = 1: a
stock build cannot go below 1 %) and src/net/strategies/DonateStrategy.cpp: the first donation
starts after a random delay within the first cycle, then `donate-level` minutes in every 100;
it connects to donate.v2.xmrig.com:3333, or donate.ssl.xmrig.com:443 when the user's pool is
TLS, logs in with a generated id (keccak-256 of the user's pool login, as hex) and password
"x", mines there, disconnects and goes back to the user's pool. The user's pool connection stays
open meanwhile; its jobs are not worked on, so it gets no shares during the donation minute.

Malware builds are patched to donate 0 %, so hijacked hosts never donate
(measurement.md §6, signal 4). `DONATE_P` of the deliberate XMRig miners run a stock build.

Decisions and phases come from a stream of their own (`draw_donors`), the traffic from another
(`donation_traffic`), so the rest of the province is drawn exactly as without donations.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from minewatch.sim.miners import Miner
from minewatch.sim.packets import Conn, tcp_session

DONATE_P = 0.9  # deliberate XMRig miners that run a stock build (donate-level 1)
CYCLE_S = 100 * 60.0
DONATE_LEVEL = 1  # minutes per cycle
DONATE_S = DONATE_LEVEL * 60.0
PLAIN = ("donate.v2.xmrig.com", 3333)
TLS = ("donate.ssl.xmrig.com", 443)


def stock_xmrig(m: Miner) -> bool:
    return m.agent.lower().startswith("xmrig/")


def draw_donors(miners: list[Miner], seed: int) -> None:
    """Mark the miners that donate (`Miner.donates`) and the phase of their cycle. Three draws per
    miner whatever it is, from a stream of its own."""
    rng = np.random.default_rng([seed, 9])
    for m in miners:
        stock, phase = rng.random() < DONATE_P, float(rng.uniform(0.0, CYCLE_S))
        own = int(rng.integers(0, 2**63))
        m.donates = bool(stock and not m.compromised and stock_xmrig(m))
        m.donate_phase = phase if m.donates else 0.0
        m.donate_seed = own
        m.donate_window = None


def donation_window(m: Miner, t_connect: float, t0: float) -> tuple[float, float]:
    """The donation minute nearest the capture start. A miner that started inside the capture
    donates first after a random delay within its first cycle; one that has run for a while is
    at a random phase of its cycle, so a window opening in [t0 - DONATE_S, t0 + CYCLE_S -
    DONATE_S) overlaps the capture's first 100 minutes."""
    start = (t0 - DONATE_S + m.donate_phase) if m.starts_before else t_connect + m.donate_phase
    return start, start + DONATE_S


def donate_endpoint(m: Miner) -> tuple[str, int]:
    return TLS if m.profile.tls else PLAIN


def user_id(login: str) -> str:
    """XMRig's donation login: keccak-256 of the user's pool login, as 64 hex digits."""
    from Crypto.Hash import keccak

    return keccak.new(digest_bits=256, data=login.encode()).hexdigest()


def in_capture(window: tuple[float, float] | None, t0: float, t1: float) -> bool:
    return window is not None and window[0] < t1 and window[1] > t0


def donation_traffic(m: Miner, p, rng: np.random.Generator):
    """The donation connection of `m` (its window set by `province.miner_packets`) within the
    capture: (conn, packets in [t0, t1), DNS log row, DNS packets), or None when it falls outside."""
    from minewatch.sim import background as bg
    from minewatch.sim.dialogues import build as build_dialogue
    from minewatch.sim.province import dns_lookup

    if not m.donates or not in_capture(m.donate_window, p.t0, p.t1):
        return None
    start, end = m.donate_window
    host, port = donate_endpoint(m)
    dm = dataclasses.replace(m, wallet=user_id(m.wallet), worker="x", pool_host=host,
                             pool_port=port, pool_ip=p.pool_ips[host], donates=False,
                             donate_window=None)
    msgs = build_dialogue(dm, start, p.t0, min(end, p.t1), rng).msgs
    t_hello = start - 0.2
    if m.profile.tls:
        msgs = [x for x in bg.tls_records(msgs, host, rng, t_hello) if x[0] >= p.t0]
    first = t_hello if m.profile.tls else start
    row, dpk = dns_lookup(m.host.ip, host, dm.pool_ip, first - 0.1 - 0.3, p, rng)
    conn = Conn(m.host.ip, int(rng.integers(32768, 61000)), dm.pool_ip, port)
    handshake = first - 0.1 >= p.t0  # the SYN is in the capture
    close_at = end + 0.01 if end + 0.1 < p.t1 else None  # XMRig disconnects when the minute is up
    pkts = tcp_session(conn, msgs, rng, handshake=handshake, close_at=close_at)
    pkts = [x for x in pkts if p.t0 <= x.ts < p.t1]
    return conn, pkts, row, dpk


def paused(m: Miner, ts: float) -> bool:
    """Whether the user's pool gets no share at `ts`: XMRig is mining its donation minute."""
    w = m.donate_window
    return m.donates and w is not None and w[0] <= ts < w[1]


def without_paused_shares(m: Miner, msgs: list) -> list:
    """The user's pool dialogue less the shares found during the donation minute (and the
    pool's answers to them): XMRig hashes the donation pool's job then. Jobs and keepalives
    on the user's connection go on."""
    if not m.donates or m.donate_window is None:
        return msgs
    import json

    dropped, out = set(), []
    for ts, up, payload in msgs:
        if up and paused(m, ts) and b'"method":"submit"' in payload:
            dropped.add(json.loads(payload)["id"])
            continue
        if not up and dropped and b'"method"' not in payload and json.loads(payload).get("id") in dropped:
            continue
        out.append((ts, up, payload))
    return out

