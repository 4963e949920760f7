"""Compromised or deliberate: a score from the signals of measurement.md §6, with evidence.

No single signal decides. Each signal that fires adds its weight (`WEIGHTS`, positive towards
"compromised") to a score that starts at 0.5 (no opinion); the verdict is `compromised` above
0.6, `deliberate` below 0.4, `unknown` between. Every signal that fired is listed as
``"+0.25 cpu_algorithm: why"``, so the analyst can defend (or overrule) the notice.

The facts come from the wire only (owner, algorithm, hashrate, pools, logins, agents, TLS);
a signal that needs a fact the capture did not show (worker names on a flow-only miner, the
observation time) stays silent rather than guessing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

INSTITUTIONAL = {"government", "education", "hospital", "enterprise"}
HOME = {"residential", "internet_cafe"}
CPU_ALGORITHMS = {"randomx", "cryptonight", "ghostrider"}
GPU_ALGORITHMS = {"ethash", "etchash", "kawpow"}
ASIC_ALGORITHMS = {"sha256d", "scrypt", "equihash"}
# Hashrate from one IP that only bought hardware reaches (ASICs, GPU rigs), H/s.
ASIC_SCALE = {"sha256d": 10e12, "scrypt": 0.4e9, "equihash": 5e3, "ethash": 1.5e9}
# Pools named in cryptojacking reports (measurement.md §6, signal 7).
BOTNET_POOLS = ("minexmr.com", "supportxmr.com", "c3pool", "nanopool.org", "moneroocean.stream",
                "hashvault.pro", "minergate.com")
# XMRig's DonateStrategy endpoints (§6, signal 4).
DONATE_HOSTS = ("donate.v2.xmrig.com", "donate.ssl.xmrig.com")
# Stock XMRig donates `donate-level` (>= 1) minutes in every 100: two cycles make absence telling.
DONATE_CYCLE_S = 100 * 60
FARM_WORKER = re.compile(r"^(rig|rack|farm|miner|s9|s19|l3|l7|e9|gpu|home|pc)[-_]?\d+$", re.I)
BLAND_WORKER = {"x", "default", "worker", "worker1", "1", "test"}
SHARED_WALLET_OWNERS = 3
# Exploit/scan ports of the worms behind cryptojacking (§6.3): SSH, SMB, MSSQL, RDP, Redis,
# WebLogic, HTTP-alt, Docker API. engine/derive.py counts unanswered probes to them.
SCAN_PORTS = (22, 445, 1433, 3389, 6379, 7001, 8080, 2375)
SCAN_WINDOW_S = 3600.0  # probes counted in the hour before the first mining session
# Distinct addresses probed that make a scan: a worm or nmap sweep reaches 30-300+ in minutes,
# while a host's own failed logins or a dead service rarely hit 20 different addresses on these
# ports within an hour.
SCAN_TARGETS = 20

# Signal name -> weight; positive pushes towards compromised. docs/attribution.md lists them.
WEIGHTS = {
    "institution_owner": 0.15,    # §6 intro: mining is not an institution's business
    "home_owner": -0.10,          # private mining on home lines and café PCs is common
    "cpu_algorithm": 0.25,        # §6.1: RandomX/CryptoNight on servers and desktops
    "gpu_rig": -0.15,             # §6 deliberate: GPU rigs are bought, not hijacked
    "gpu_insider": -0.30,         # §6 deliberate: GPU mining on an institution, insider
    "asic_algorithm": -0.30,      # §6 deliberate: ASIC coins need bought hardware
    "asic_hashrate": -0.45,       # §6 deliberate: TH/s-class hashrate from one IP
    "shared_wallet": 0.30,        # §6.2: one wallet across many owners
    "botnet_pool": 0.05,          # §6.7: pools named in cryptojacking reports
    "hidden_transport": 0.10,     # §6.4: TLS or web ports to the pool (evasion)
    "inventory_worker": -0.15,    # §6 deliberate: worker names of a farm's inventory
    "default_worker": 0.05,       # §6.2: botnet configs leave 'x' or a number
    "donate_seen": -0.15,         # §6.4 / deliberate: stock XMRig still donates
    "donate_missing": 0.10,       # §6.4: XMRig that never donates is a patched build
    "scan_before_mining": 0.25,   # §6.3: mining right after scan/exploit-type traffic
}
COMPROMISED_ABOVE = 0.6
DELIBERATE_BELOW = 0.4


@dataclass(frozen=True, slots=True)
class MinerFacts:
    """What the wire tells about one miner IP; empty strings in the tuples mean 'not seen'."""

    owner_type: str
    algorithm: str
    hashrate_hs: float | None
    pools: tuple[str, ...]  # host:port
    workers: tuple[str, ...]
    agents: tuple[str, ...]
    tls: bool
    wallet_owner_count: int  # distinct owner organisations mining to the same wallet
    observed_s: float = 0.0  # how long the capture watched this IP, s (0 = not known)
    # Scan probes (SYN-only or <= 2-packet TCP flows to SCAN_PORTS) sent in the SCAN_WINDOW_S
    # before the first mining session: distinct addresses, the ports by addresses, and how long
    # before mining the first probe went out, s.
    scan_targets: int = 0
    scan_ports: tuple[int, ...] = ()
    scan_lead_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Verdict:
    verdict: str
    score: float
    evidence: str  # JSON list of "+w.ww signal: why" lines


def judge(f: MinerFacts) -> Verdict:
    """Score the signals; see the module docstring for the thresholds."""
    f = _without_blanks(f)
    signals = [s for s in (check(f) for check in SIGNALS) if s is not None]
    # rounded before the thresholds: the weights are decimals, and 0.5 - 0.1 - 0.15 + 0.05 + 0.3
    # in binary floating point is 0.6000000000000001, which would read "above 0.6"
    score = round(min(max(0.5 + sum(WEIGHTS[name] for name, _ in signals), 0.0), 1.0), 6)
    evidence = [f"{WEIGHTS[name]:+.2f} {name}: {why}" for name, why in signals]
    if not signals:
        evidence = ["+0.00 no_signal: nothing in the traffic points either way"]
    return Verdict(verdict_for(score), round(score, 3), json.dumps(evidence, ensure_ascii=False))


def verdict_for(score: float) -> str:
    """compromised above 0.6, deliberate below 0.4, unknown in between."""
    if score > COMPROMISED_ABOVE:
        return "compromised"
    return "deliberate" if score < DELIBERATE_BELOW else "unknown"


def _without_blanks(f: MinerFacts) -> MinerFacts:
    """Drop the '' entries a comma-joined empty column leaves: an unseen worker is not bland."""
    def keep(values):
        return tuple(v for v in values if v)
    return MinerFacts(f.owner_type, f.algorithm, f.hashrate_hs, keep(f.pools), keep(f.workers),
                      keep(f.agents), f.tls, f.wallet_owner_count, f.observed_s, f.scan_targets,
                      f.scan_ports, f.scan_lead_s)


def _owner(f: MinerFacts):
    if f.owner_type in INSTITUTIONAL:
        return "institution_owner", f"owner is an institution ({f.owner_type}): mining is not its business"
    if f.owner_type in HOME:
        return "home_owner", f"owner type {f.owner_type}: private mining is common here"
    return None


def _cpu_coin(f: MinerFacts):
    if f.algorithm in CPU_ALGORITHMS and f.owner_type not in HOME:
        owner = f.owner_type or "unknown"
        return "cpu_algorithm", (f"CPU algorithm {f.algorithm} off home lines (owner type {owner}): "
                                 "~90% of mining malware mines Monero on servers and desktops")
    return None


def _gpu(f: MinerFacts):
    if f.algorithm not in GPU_ALGORITHMS:
        return None
    if f.owner_type in INSTITUTIONAL:
        return "gpu_insider", f"GPU mining ({f.algorithm}) on an institution's line: likely an insider"
    return "gpu_rig", f"GPU algorithm {f.algorithm}: GPU rigs are bought, not hijacked"


def _asic(f: MinerFacts):
    limit = ASIC_SCALE.get(f.algorithm)
    if limit and f.hashrate_hs and f.hashrate_hs >= limit:
        return "asic_hashrate", f"{f.hashrate_hs:.3g} H/s of {f.algorithm}: ASIC/rig scale, hardware was bought"
    if f.algorithm in ASIC_ALGORITHMS:
        return "asic_algorithm", f"{f.algorithm} is mined on ASICs, which are bought, not hijacked"
    return None


def _shared_wallet(f: MinerFacts):
    if f.wallet_owner_count >= SHARED_WALLET_OWNERS:
        return "shared_wallet", f"the same wallet mines from {f.wallet_owner_count} unrelated owners (botnet pattern)"
    return None


def _botnet_pool(f: MinerFacts):
    hits = [p for p in f.pools if any(b in p for b in BOTNET_POOLS)]
    if hits and f.algorithm in CPU_ALGORITHMS:
        return "botnet_pool", f"pool {hits[0]} appears in cryptojacking reports"
    return None


def _hidden_transport(f: MinerFacts):
    ports = [p for p in f.pools if p.rsplit(":", 1)[-1] in ("80", "443") and not _donate(p)]
    if ports or f.tls:
        return "hidden_transport", f"mining hidden in TLS or on a web port ({(ports or ['tls'])[0]})"
    return None


def _workers(f: MinerFacts):
    if any(FARM_WORKER.match(w) for w in f.workers):
        return "inventory_worker", f"worker names look like a farm's inventory ({', '.join(f.workers[:3])})"
    if f.workers and all(w.lower() in BLAND_WORKER or w.isdigit() for w in f.workers):
        return "default_worker", f"default or numeric worker name ({', '.join(f.workers[:3])})"
    return None


def _donate(pool: str) -> bool:
    return pool.rsplit(":", 1)[0].lower() in DONATE_HOSTS


def _donation(f: MinerFacts):
    if any(_donate(p) for p in f.pools):
        return "donate_seen", "stock XMRig: it still mines its donation minutes to donate.*.xmrig.com"
    xmrig = any(a.lower().startswith("xmrig/") for a in f.agents)
    if xmrig and f.observed_s >= 2 * DONATE_CYCLE_S:
        hours = f.observed_s / 3600
        return "donate_missing", f"XMRig never donated in {hours:.1f} h: a patched build, typical of malware"
    return None


def _scan(f: MinerFacts):
    if f.scan_targets < SCAN_TARGETS:
        return None
    ports = "/".join(str(p) for p in f.scan_ports[:4]) or "scan ports"
    minutes = max(1, int(-(-f.scan_lead_s // 60)))
    return "scan_before_mining", (f"scanned {f.scan_targets} addresses on {ports} in the {minutes} min "
                                  "before mining: infection by, or spreading of, a worm")


SIGNALS = (_owner, _cpu_coin, _gpu, _asic, _shared_wallet, _botnet_pool, _hidden_transport,
           _workers, _donation, _scan)
