"""Scanning before mining: the worm or scanner that reached (or now runs on) a hijacked host.

measurement.md §6, signal 3: mining starts right after exploitation-type traffic. A share of the
compromised miners (`COMPROMISED_SCAN_P`) probe 30-300 addresses on SSH/SMB/MSSQL/RDP/Redis/
WebLogic/HTTP-alt/Docker ports in the 1-30 minutes before their first pool connection; a few
deliberate miners and ordinary hosts scan too (an admin running nmap), so the signal is not a
label. A probe is a bare SYN: most targets never answer (sometimes the SYN is retried), some
send RST|ACK (closed port), a few SYN|ACK, which a SYN scanner answers with RST.

One draw of probe arrays feeds both outputs: packets for hosts in the probe's slice (written to
packets.pcap and metered), flow records straight from the arrays for all other hosts.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from minewatch.decode.packet import ACK, RST, SYN
from minewatch.sim.packets import SimPacket

SCAN_PORTS = (22, 445, 1433, 3389, 6379, 7001, 8080, 2375)
SCAN_PORT_W = (0.20, 0.25, 0.10, 0.15, 0.10, 0.05, 0.10, 0.05)
COMPROMISED_SCAN_P = 0.5  # compromised miners whose infection shows as a scan
DELIBERATE_SCAN_P = 0.04  # deliberate miners that scan anyway (their owner is an admin)
ORG_SCAN_P = 0.03  # non-miner hosts of organisations running a scan (nmap) in the period
HOME_SCAN_P = 0.01  # the same on home lines
TARGETS = (30, 300)  # distinct addresses per scan
LEAD_S = (60.0, 1800.0)  # end of the scan to the first pool connection
RTT = 0.045
# Outcome of one probe: no answer, no answer and a retried SYN, RST|ACK back, SYN|ACK back.
OUTCOME_P = (0.55, 0.20, 0.22, 0.03)


@dataclass(frozen=True, slots=True)
class ScanPlan:
    src: str
    t_start: float
    t_end: float
    targets: int
    ports: tuple[int, ...]


def draw_scanners(miners, hosts, seed: int) -> list[str]:
    """Mark the miners that scan (`Miner.scans`); return the non-miner hosts that scan.
    A stream of its own, so the rest of the province is drawn as before."""
    rng = np.random.default_rng([seed, 7])
    for m in miners:
        m.scans = bool(rng.random() < (COMPROMISED_SCAN_P if m.compromised else DELIBERATE_SCAN_P))
    mining = {m.host.ip for m in miners}
    p = np.asarray([HOME_SCAN_P if h.owner_type == "residential" else ORG_SCAN_P for h in hosts])
    hit = rng.random(len(hosts)) < p
    return [h.ip for h, s in zip(hosts, hit) if s and h.ip not in mining]


def plan_scan(src: str, t_start: float, rng: np.random.Generator, admin: bool = False) -> ScanPlan:
    """A scan starting at `t_start`: a worm tries one to three exploits, an admin one or two ports."""
    lo, hi = TARGETS
    n = int(np.exp(rng.uniform(np.log(lo), np.log(hi + 1))))
    k = int(rng.integers(1, 3 if admin else 4))
    w = np.asarray(SCAN_PORT_W)
    ports = tuple(int(x) for x in rng.choice(SCAN_PORTS, size=k, replace=False, p=w / w.sum()))
    return ScanPlan(src, t_start, t_start + float(rng.uniform(10, 300)), n, ports)


def miner_scan(src: str, t_start: float, rng: np.random.Generator) -> tuple[ScanPlan, float]:
    """A scanning miner's scan from `t_start`, and its first pool connection 1-30 min after the
    first probe and at least a minute after the last."""
    sp = plan_scan(src, t_start, rng)
    span = sp.t_end - sp.t_start
    return sp, sp.t_end + float(rng.uniform(LEAD_S[0], LEAD_S[1] - span))


def _targets(src: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` distinct addresses (uint32): half in the source's /16 (lateral), half anywhere."""
    base = int(ipaddress.IPv4Address(src)) & 0xFFFF0000
    m = 2 * n + 16
    lateral = base | rng.integers(1, 0xFFFF, size=m)
    first = rng.choice(np.setdiff1d(np.arange(1, 224), [10, 100, 127, 169, 172, 192]), size=m)
    anywhere = (first << 24) | rng.integers(0, 1 << 24, size=m)
    picks = np.where(rng.random(m) < 0.5, lateral, anywhere).astype(np.int64)
    _, first_seen = np.unique(picks, return_index=True)
    picks = picks[np.sort(first_seen)]
    return picks[picks != int(ipaddress.IPv4Address(src))][:n]


def probes(plans: list[ScanPlan], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Every probe of `plans` as arrays: src, dst, sport, dport, ts, outcome (index of OUTCOME_P)."""
    cols: dict[str, list] = {k: [] for k in ("src", "dst", "sport", "dport", "ts")}
    for sp in plans:
        dst = _targets(sp.src, sp.targets, rng)
        dport = np.asarray(sp.ports)
        dst, dport = np.repeat(dst, len(dport)), np.tile(dport, len(dst))
        cols["src"].append(np.full(len(dst), sp.src, dtype=object))
        cols["dst"].append(dst)
        cols["dport"].append(dport)
        cols["ts"].append(np.sort(rng.uniform(sp.t_start, sp.t_end, size=len(dst))))
        cols["sport"].append(rng.integers(32768, 61000, size=len(dst)))
    if not plans:
        empty = {k: np.zeros(0, np.int64) for k in ("sport", "dport", "outcome")}
        return empty | {"src": np.zeros(0, object), "dst": np.zeros(0, object), "ts": np.zeros(0)}
    out = {k: np.concatenate(v) for k, v in cols.items()}
    out["dst"] = np.asarray([str(ipaddress.IPv4Address(int(x))) for x in out["dst"]], dtype=object)
    out["outcome"] = rng.choice(len(OUTCOME_P), size=len(out["ts"]), p=OUTCOME_P)
    return out


def scan_packets(pr: dict[str, np.ndarray], rng: np.random.Generator) -> list[SimPacket]:
    """The probes as packets at the border, sorted by time."""
    out = []
    for src, dst, sport, dport, ts, oc in zip(pr["src"], pr["dst"], pr["sport"].tolist(),
                                              pr["dport"].tolist(), pr["ts"].tolist(),
                                              pr["outcome"].tolist()):
        seq = int(rng.integers(0, 2**32))
        out.append(SimPacket(ts, src, dst, sport, dport, 6, SYN, seq, 0, b""))
        if oc == 1:
            out.append(SimPacket(ts + 1.0, src, dst, sport, dport, 6, SYN, seq, 0, b""))
        elif oc == 2:
            out.append(SimPacket(ts + RTT, dst, src, dport, sport, 6, RST | ACK, 0,
                                 (seq + 1) % 2**32, b""))
        elif oc == 3:
            theirs = int(rng.integers(0, 2**32))
            out.append(SimPacket(ts + RTT, dst, src, dport, sport, 6, SYN | ACK, theirs,
                                 (seq + 1) % 2**32, b""))
            out.append(SimPacket(ts + RTT + 0.0005, src, dst, sport, dport, 6, RST,
                                 (seq + 1) % 2**32, 0, b""))
    out.sort(key=lambda p: p.ts)
    return out


def scan_flows(pr: dict[str, np.ndarray]) -> pa.Table:
    """The probes as the exporters' flow records (what metering `scan_packets` would give)."""
    from minewatch.sim.telemetry import _table

    oc, ts = pr["outcome"], pr["ts"]
    retry, synack = oc == 1, oc == 3
    packets = np.where(retry | synack, 2, 1).astype(np.int64)
    end = np.where(retry, ts + 1.0, np.where(synack, ts + RTT + 0.0005, ts))
    flags = np.where(synack, SYN | RST, SYN).astype(np.int64)
    up = _table(ts, end, pr["src"], pr["sport"], pr["dst"], pr["dport"],
                np.full(len(ts), 6, np.int64), packets, packets * 40, flags)
    back = oc >= 2
    n = int(back.sum())
    down = _table(ts[back] + RTT, ts[back] + RTT, pr["dst"][back], pr["dport"][back],
                  pr["src"][back], pr["sport"][back], np.full(n, 6, np.int64),
                  np.ones(n, np.int64), np.full(n, 40, np.int64),
                  np.where(oc[back] == 3, SYN | ACK, RST | ACK).astype(np.int64))
    return pa.concat_tables([up, down])
