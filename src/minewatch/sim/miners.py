"""Who mines in the simulated province: profiles, hashrates, pools, wallets, owners.

Each profile is one kind of miner seen in the wild (an ASIC farm on Bitcoin Stratum, a GPU rig
on ETHProxy, XMRig on a hijacked server...). Which owner types run which profile, and how likely
the mining is a compromise rather than the owner's own, follows measurement.md §6.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources

import numpy as np

from minewatch.detect.coins import make_address
from minewatch.sim.world import Host


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    coin: str
    algorithm: str
    dialect: str
    hashrate: tuple[float, float]  # log-uniform range, H/s (Sol/s for equihash)
    pools: tuple[str, ...]  # host:port from the built-in pool list
    agents: tuple[str, ...]
    owner_weight: dict[str, float]
    compromised_p: dict[str, float]
    tls: bool = False
    login_is_wallet: bool = True


INSTITUTION = ("government", "education", "hospital", "enterprise")

PROFILES = (
    Profile("btc-asic", "BTC", "sha256d", "stratum-v1", (13e12, 600e12),
            ("btc.f2pool.com:3333", "stratum.antpool.com:3333", "btc.viabtc.com:3333",
             "ss.antpool.com:3333"),
            ("bmminer/2.0.0", "cgminer/4.11.1", "cgminer/4.10.0"),
            {"idc": 6, "enterprise": 1.5, "residential": 2.5, "internet_cafe": 0.3,
             "education": 0.3, "government": 0.05, "hospital": 0.05},
            {k: 0.02 for k in INSTITUTION}, login_is_wallet=False),
    Profile("ltc-asic", "LTC", "scrypt", "stratum-v1", (0.5e9, 9.5e9),
            ("ltc.f2pool.com:8888", "stratum-ltc.antpool.com:8888", "ltc.viabtc.com:3333"),
            ("cgminer/4.9.0", "bmminer/1.0.0"),
            {"idc": 2, "enterprise": 0.8, "residential": 1.2, "internet_cafe": 0.2},
            {k: 0.02 for k in INSTITUTION}, login_is_wallet=False),
    Profile("zec-equihash", "ZEC", "equihash", "stratum-v1", (2e3, 420e3),
            ("zec.f2pool.com:3357", "stratum-zec.antpool.com:8899"),
            ("EWBF/0.3.4", "bminer/16.4.11", "cgminer/4.11.1"),
            {"idc": 1, "enterprise": 0.4, "residential": 0.8, "internet_cafe": 0.3},
            {k: 0.05 for k in INSTITUTION}),
    Profile("eth-es1", "ETH", "ethash", "ethereumstratum-1.0", (25e6, 900e6),
            ("daggerhashimoto.hk.nicehash.com:3353", "eth.f2pool.com:6688"),
            ("NBMiner/39.5", "lolMiner/1.42", "TeamRedMiner/0.8.7"),
            {"residential": 4, "internet_cafe": 3, "education": 1.2, "enterprise": 1,
             "idc": 1.5, "government": 0.2, "hospital": 0.1},
            {"education": 0.25, "government": 0.4, "enterprise": 0.2, "hospital": 0.5}),
    Profile("eth-proxy", "ETH", "ethash", "ethproxy", (25e6, 900e6),
            ("eth.sparkpool.com:3333", "asia1.ethermine.org:4444", "eth-asia1.nanopool.org:9999",
             "eth.uupool.cn:8008"),
            ("ethminer/0.18.0", "PhoenixMiner/5.5c", "Claymore/15.0"),
            {"residential": 4, "internet_cafe": 3, "education": 1.2, "enterprise": 1,
             "idc": 1.5, "government": 0.2, "hospital": 0.1},
            {"education": 0.25, "government": 0.4, "enterprise": 0.2, "hospital": 0.5}),
    Profile("eth-http", "ETH", "ethash", "ethproxy-http", (25e6, 400e6),
            ("eth-cn.dwarfpool.com:8008", "eth-hk.dwarfpool.com:8008"),
            ("ethminer/0.18.0",),
            {"residential": 2, "internet_cafe": 1, "education": 0.8, "enterprise": 0.5},
            {"education": 0.25, "government": 0.4, "enterprise": 0.2, "hospital": 0.5}),
    Profile("xmr-cpu", "XMR", "randomx", "cryptonote", (400, 25e3),
            ("pool.supportxmr.com:3333", "pool.minexmr.com:4444", "xmr-asia1.nanopool.org:14444",
             "mine.c3pool.com:13333", "gulf.moneroocean.stream:10128", "xmr.f2pool.com:13531"),
            ("XMRig/6.16.4 (Linux x86_64) libuv/1.42.0 gcc/9.3.0",
             "XMRig/6.15.2 (Windows NT 10.0; Win64; x64) libuv/1.41.0 msvc/2019",
             "XMRig/5.11.1 (Linux x86_64) libuv/1.34.0 gcc/9.2.0"),
            {"government": 3, "education": 4, "hospital": 2, "enterprise": 4, "idc": 4,
             "internet_cafe": 0.5, "residential": 2},
            {"government": 0.95, "education": 0.85, "hospital": 0.95, "enterprise": 0.85,
             "idc": 0.7, "internet_cafe": 0.4, "residential": 0.3}),
    Profile("xmr-tls", "XMR", "randomx", "cryptonote", (400, 25e3),
            ("pool.supportxmr.com:443", "pool.hashvault.pro:443", "gulf.moneroocean.stream:443"),
            ("XMRig/6.16.4 (Linux x86_64) libuv/1.42.0 gcc/9.3.0",),
            {"government": 2, "education": 2, "hospital": 1, "enterprise": 3, "idc": 3,
             "residential": 0.5},
            {"government": 0.95, "education": 0.9, "hospital": 0.95, "enterprise": 0.9,
             "idc": 0.8, "internet_cafe": 0.5, "residential": 0.4}, tls=True),
    Profile("btc-proxy", "BTC", "sha256d", "stratum-v1", (200e12, 3e15),
            ("btc.f2pool.com:3333", "stratum.antpool.com:3333"),
            ("stratum-mining-proxy/0.3", "btccom-agent/1.2"),
            {"idc": 3, "enterprise": 1}, {k: 0.02 for k in INSTITUTION}, login_is_wallet=False),
)


@dataclass(slots=True)
class Miner:
    host: Host
    profile: Profile
    hashrate: float
    pool_host: str
    pool_port: int
    pool_ip: str
    wallet: str
    worker: str
    agent: str
    compromised: bool
    workers_behind: int  # > 1 for a mining proxy
    starts_before: bool  # session began before the capture (no login seen)
    in_slice: bool = False
    scans: bool = False  # probes scan ports before mining (sim/scans.py)
    scan_targets: int = 0  # distinct addresses it probed inside the capture (0: none seen)
    donates: bool = False  # stock XMRig: mines its donation minute in every 100 (sim/donate.py)
    donate_phase: float = 0.0  # s into the 100-min cycle of its first donation
    donate_window: tuple[float, float] | None = None  # [start, end) of the donation around the capture
    donate_seed: int = 0  # seeds its pool packets when the donation minute took shares from them


def load_pools() -> dict[str, dict]:
    """The built-in pool list, keyed by host."""
    text = resources.files("minewatch.data").joinpath("pools.csv").read_text("utf-8")
    return {row["host"]: row for row in csv.DictReader(text.splitlines())}


def _loguniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _pick_profile(rng: np.random.Generator, owner_type: str) -> Profile:
    w = np.asarray([p.owner_weight.get(owner_type, 0.0) for p in PROFILES])
    return PROFILES[int(rng.choice(len(PROFILES), p=w / w.sum()))]


def _worker_name(rng: np.random.Generator, host: Host, compromised: bool) -> str:
    if compromised:
        return str(rng.choice(["x", "worker1", "default", f"{rng.integers(1000, 9999)}"]))
    prefix = {"idc": "rack", "residential": "home", "internet_cafe": "pc"}.get(host.owner_type, "rig")
    return f"{prefix}{rng.integers(1, 60):02d}"


def draw_miners(hosts: list[Host], n: int, rng: np.random.Generator,
                pool_ips: dict[str, str], shared_wallets: dict[str, list[str]]) -> list[Miner]:
    """`n` miners among `hosts`, weighted towards the owner types each profile favours."""
    weight = np.asarray([_type_weight(h.owner_type) for h in hosts])
    picks = rng.choice(len(hosts), size=n, replace=False, p=weight / weight.sum())
    return [_make_miner(hosts[i], rng, pool_ips, shared_wallets) for i in picks]


def _type_weight(owner_type: str) -> float:
    return sum(p.owner_weight.get(owner_type, 0.0) for p in PROFILES)


def _make_miner(host: Host, rng: np.random.Generator, pool_ips: dict[str, str],
                shared_wallets: dict[str, list[str]]) -> Miner:
    prof = _pick_profile(rng, host.owner_type)
    compromised = bool(rng.random() < prof.compromised_p.get(host.owner_type, 0.02))
    pool_host, port = str(rng.choice(prof.pools)).rsplit(":", 1)
    # Botnets share one wallet across many victims (measurement.md §6, signal 2).
    if compromised and prof.coin == "XMR" and rng.random() < 0.6:
        wallets = shared_wallets.setdefault(prof.coin, [make_address("XMR", rng) for _ in range(3)])
        wallet = str(rng.choice(wallets))
    elif prof.login_is_wallet:
        wallet = make_address(prof.coin, rng)
    else:
        wallet = f"{host.owner_type[:3]}{rng.integers(100, 99999)}"  # pool account name
    workers = int(rng.integers(5, 40)) if prof.name == "btc-proxy" else 1
    return Miner(host, prof, _loguniform(rng, *prof.hashrate), pool_host, int(port),
                 pool_ips[pool_host], wallet, _worker_name(rng, host, compromised),
                 str(rng.choice(prof.agents)), compromised, workers,
                 starts_before=bool(rng.random() < 0.15))
