"""Compromised or deliberate: a score from the signals of measurement.md §6, with evidence.

No single signal decides. Each signal moves a score that starts at 0.5 (no opinion); the
verdict is `compromised` above 0.6, `deliberate` below 0.4, `unknown` between. Every signal
that fired is listed, so the analyst can defend (or overrule) the notice.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

INSTITUTIONAL = {"government", "education", "hospital", "enterprise"}
CPU_ALGORITHMS = {"randomx", "cryptonight", "ghostrider"}
GPU_ALGORITHMS = {"ethash", "etchash", "kawpow"}
# Hashrate from one IP that only bought hardware reaches (ASICs, GPU rigs), H/s.
ASIC_SCALE = {"sha256d": 10e12, "scrypt": 0.4e9, "equihash": 5e3, "ethash": 1.5e9}
# Pools named in cryptojacking reports (measurement.md §6, signal 7).
BOTNET_POOLS = ("minexmr.com", "supportxmr.com", "c3pool", "nanopool.org", "moneroocean.stream",
                "hashvault.pro", "minergate.com")
FARM_WORKER = re.compile(r"^(rig|rack|farm|miner|s9|s19|l3|l7|e9|gpu|home|pc)[-_]?\d+$", re.I)
BLAND_WORKER = {"x", "", "default", "worker", "worker1", "1", "test"}


@dataclass(frozen=True, slots=True)
class MinerFacts:
    owner_type: str
    algorithm: str
    hashrate_hs: float | None
    pools: tuple[str, ...]  # host:port
    workers: tuple[str, ...]
    agents: tuple[str, ...]
    tls: bool
    wallet_owner_count: int  # distinct owner organisations mining to the same wallet


@dataclass(frozen=True, slots=True)
class Verdict:
    verdict: str
    score: float
    evidence: str  # JSON list


def judge(f: MinerFacts) -> Verdict:
    """Score the signals; see module docstring for the thresholds."""
    signals = [s for s in (check(f) for check in SIGNALS) if s is not None]
    score = min(max(0.5 + sum(w for w, _ in signals), 0.0), 1.0)
    verdict = "compromised" if score > 0.6 else "deliberate" if score < 0.4 else "unknown"
    evidence = [f"{'+' if w > 0 else ''}{w:.2f} {text}" for w, text in signals]
    return Verdict(verdict, round(score, 3), json.dumps(evidence, ensure_ascii=False))


def _owner(f: MinerFacts):
    if f.owner_type in INSTITUTIONAL:
        return 0.15, f"owner is an institution ({f.owner_type}): mining is not its business"
    if f.owner_type in ("residential", "internet_cafe"):
        return -0.1, f"owner type {f.owner_type}: private mining is common here"
    return None


def _cpu_coin(f: MinerFacts):
    if f.algorithm in CPU_ALGORITHMS and f.owner_type not in ("residential", "internet_cafe"):
        return 0.25, f"CPU algorithm {f.algorithm} on a {f.owner_type or 'unknown'} host (typical of cryptojacking)"
    return None


def _gpu_on_institution(f: MinerFacts):
    if f.algorithm in GPU_ALGORITHMS and f.owner_type in INSTITUTIONAL:
        return -0.3, f"GPU mining ({f.algorithm}) needs bought hardware: likely an insider"
    return None


def _asic_scale(f: MinerFacts):
    limit = ASIC_SCALE.get(f.algorithm)
    if limit and f.hashrate_hs and f.hashrate_hs >= limit:
        return -0.45, f"{f.hashrate_hs:.3g} H/s of {f.algorithm}: ASIC/rig scale, hardware was bought"
    if f.algorithm in ("sha256d", "scrypt", "equihash"):
        return -0.3, f"{f.algorithm} is mined on ASICs, which are bought, not hijacked"
    return None


def _shared_wallet(f: MinerFacts):
    if f.wallet_owner_count >= 3:
        return 0.3, f"the same wallet mines from {f.wallet_owner_count} unrelated owners (botnet pattern)"
    return None


def _botnet_pool(f: MinerFacts):
    hits = [p for p in f.pools if any(b in p for b in BOTNET_POOLS)]
    if hits and f.algorithm in CPU_ALGORITHMS:
        return 0.05, f"pool {hits[0]} appears in cryptojacking reports"
    return None


def _disguised_port(f: MinerFacts):
    ports = [p for p in f.pools if p.rsplit(":", 1)[-1] in ("80", "443")]
    if ports or f.tls:
        return 0.1, f"mining hidden in TLS or on a web port ({(ports or ['tls'])[0]})"
    return None


def _workers(f: MinerFacts):
    if any(FARM_WORKER.match(w) for w in f.workers):
        return -0.15, f"worker names look like a farm's inventory ({', '.join(f.workers[:3])})"
    if f.workers and all(w.lower() in BLAND_WORKER or w.isdigit() for w in f.workers):
        return 0.05, "default or numeric worker name"
    return None


SIGNALS = (_owner, _cpu_coin, _gpu_on_institution, _asic_scale, _shared_wallet, _botnet_pool,
           _disguised_port, _workers)
