"""Pool intelligence: which host names are mining pools, and which addresses they resolve to.

The built-in list (data/pools.csv) is written from public facts, each row naming its source.
So is data/pool_domains.csv: the domains of operators who run a pool under each of many names
(xmr-us-east1.nanopool.org, eu1-zcash.flypool.org, randomxmonero.auto.nicehash.com). A name
under one is a pool on a high port other than a web port only: the same domains hold the
operators' web sites, dashboards and APIs (xmr.nanopool.org is one), so neither a server name
nor a listed port makes port 443 count there. The exception is a connection whose own server
name names a mining algorithm (kawpow.auto.nicehash.com, NiceHash's TLS port being 443): no
operator names a web site after one.
Addresses are never hard-coded: pools move, so an address counts as a pool endpoint only when
the traffic itself says so, by a DNS answer for a pool name or a TLS SNI naming one.

Imported lists (`minewatch intel import`, the `intel_indicators` table) add to this: their
domains match like built-in hosts (coin and algorithm often unknown), and their addresses are
endpoints directly ('ip-intel'), trusted only for the ports they list, or, for a bare address,
for high non-web ports without SNI (a listed address may since have become a shared host).
"""

from __future__ import annotations

import csv
import ipaddress
from dataclasses import dataclass
from importlib import resources

import pyarrow as pa

from minewatch import schema
from minewatch.detect.coins import COIN_ALGORITHMS, host_algorithms, host_coins

WEB_PORTS = frozenset({80, 443, 8080, 8443})
MAX_NETWORK = 256  # addresses: an imported network at most this large becomes endpoints
ADDRESS_KINDS = ("ip", "ip_port", "cidr")  # indicator kinds that are endpoints directly


@dataclass(frozen=True, slots=True)
class Pool:
    host: str
    ports: frozenset[int]
    coin: str
    algorithm: str
    tls: bool
    source: str
    origin: str = "builtin"  # or "intel": from imported indicators (port 0 there = any port)
    domain: bool = False  # an operator's domain (data/pool_domains.csv): names under it


@dataclass(frozen=True, slots=True)
class Endpoint:
    """An address seen to belong to a pool, and how we know."""
    pool: Pool
    via: str  # dns-intel or sni
    evidence: str

    @property
    def host(self) -> str:
        return self.pool.host

    @property
    def coin(self) -> str:
        return self.pool.coin

    @property
    def algorithm(self) -> str:
        return self.pool.algorithm

    @property
    def tls(self) -> bool:
        return self.pool.tls

    def serves(self, port: int, sni: str | bool | None) -> bool:
        """Whether a connection to `port` of this address is pool traffic; `sni`: the server
        name its own hello sent (or whether it sent one).

        A listed port always is; so is any connection whose SNI names the pool. Another high
        port counts too (pools open many), but a web port without SNI does not: a pool
        operator's web site may share the address. Under an operator's domain only a high
        non-web port counts, unless the connection's own server name is this pool's and names
        an algorithm (kawpow.auto.nicehash.com:443: no web site is named so). An address known
        only from an imported list counts on its listed ports, or when listed bare (port 0), on
        a high non-web port without SNI: old lists hold addresses that now serve other
        sites."""
        sni_seen = bool(sni)
        if self.pool.domain:
            named = isinstance(sni, str) and sni.lower().rstrip(".") == self.pool.host
            return (port >= 1024 and port not in WEB_PORTS) or (
                named and bool(host_algorithms(self.pool.host)))
        if self.via == "ip-intel":
            high = port >= 1024 and port not in WEB_PORTS and not sni_seen
            return port in self.pool.ports or (0 in self.pool.ports and high)
        return port in self.pool.ports or sni_seen or (port >= 1024 and port not in WEB_PORTS)


class PoolIntel:
    def __init__(self, pools: list[Pool], addresses: list[Pool] = ()):
        self.pools = {p.host: p for p in pools}
        self.addresses = {p.host: p for p in addresses}  # ip-intel endpoints, host = address

    @classmethod
    def builtin(cls) -> PoolIntel:
        data = resources.files("minewatch.data")
        pools = [_pool(row) for row in csv.DictReader(
            data.joinpath("pools.csv").read_text("utf-8").splitlines())]
        domains = [_domain(row) for row in csv.DictReader(
            data.joinpath("pool_domains.csv").read_text("utf-8").splitlines())]
        return cls(domains + pools)  # (a listed host keeps its own row)

    @classmethod
    def from_store(cls, store, categories: tuple[str, ...] | None = None) -> PoolIntel:
        """The built-in list plus the store's imported indicators of `categories` (default:
        pool and proxy; browser-miner lists name web sites, not pools)."""
        from minewatch.intel.store import POOL_CATEGORIES, pool_indicators

        intel = cls.builtin()
        intel.add_indicators(pool_indicators(store, categories or POOL_CATEGORIES))
        return intel

    def add_indicators(self, rows: list[dict]) -> None:
        """Add imported indicator rows; a built-in host keeps its built-in entry."""
        domains = [r for r in rows if r["kind"] == "domain"]
        for host, group in _grouped(domains, lambda r: r["value"]).items():
            self.pools.setdefault(host, _intel_pool(host, group))
        addresses = [(ip, r) for r in rows if r["kind"] in ADDRESS_KINDS for ip in _addresses(r)]
        for ip, group in _grouped(addresses, lambda pair: pair[0]).items():
            self.addresses[ip] = _intel_pool(ip, [r for _, r in group])

    def match(self, name: str) -> Pool | None:
        """The pool a host name belongs to: the name itself or a parent domain in the list.
        Under an operator's domain it is the name itself, of the coin the name or the
        domain's row names (xmr-eu1.nanopool.org: XMR)."""
        full = name = name.lower().rstrip(".")
        while name:
            if name in self.pools:
                pool = self.pools[name]
                return _under(pool, full) if pool.domain else pool
            name = name.partition(".")[2] if name.count(".") > 1 else ""
        return None

    def endpoints(self, dns_rows: list[dict], sni_rows: list[dict]) -> dict[str, Endpoint]:
        """Pool addresses from DNS answers (query, answer) and TLS hellos (server_ip, sni)."""
        out: dict[str, Endpoint] = {}
        for r in dns_rows:
            pool = self.match(r["query"] or "")
            if pool is not None:
                _put(out, r["answer"], Endpoint(pool, "dns-intel",
                                                f"DNS {r['query']} -> {r['answer']}"))
        for r in sni_rows:
            pool = self.match(r["sni"] or "")
            if pool is not None:
                _put(out, r["server_ip"], Endpoint(pool, "sni", f"TLS SNI {r['sni']}"))
        for ip, pool in self.addresses.items():
            out.setdefault(ip, Endpoint(pool, "ip-intel", f"address listed by {pool.source}"))
        return out

    def table(self) -> pa.Table:
        pools = [*self.pools.values(), *self.addresses.values()]
        rows = [{"host": ("*." if p.domain else "") + p.host, "port": port, "coin": p.coin,
                 "algorithm": p.algorithm,
                 "tls": p.tls, "source": "builtin" if p.origin == "builtin" else p.source}
                for p in pools for port in sorted(p.ports or {0})]
        return schema.to_table("pools", rows)


def serving_pool(endpoints: dict[str, Endpoint], key: tuple,
                 snis: dict[tuple, str]) -> Endpoint | None:
    """The pool endpoint a connection (client_ip, client_port, server_ip, server_port) talks to,
    by its server address and port (`Endpoint.serves`), or None. `snis`: the server name each
    connection's own hello sent."""
    pool = endpoints.get(key[2])
    return pool if pool is not None and pool.serves(key[3], snis.get(key)) else None


def _pool(row: dict) -> Pool:
    ports = frozenset(int(p) for p in row["ports"].split(";") if p.strip())
    return Pool(row["host"].lower(), ports, row["coin"], row["algorithm"],
                row["tls"].strip().lower() == "true", row["source"])


def _put(out: dict[str, Endpoint], ip: str, new: Endpoint) -> None:
    """One endpoint per address: a listed pool's over an operator domain's (a web name may
    share the address); between two alike the first DNS answer stands until a server name
    comes, and the last server name stands."""
    old = out.get(ip)
    if old is None or old.pool.domain > new.pool.domain or (
            old.pool.domain == new.pool.domain and new.via == "sni"):
        out[ip] = new


def _domain(row: dict) -> Pool:
    return Pool(row["domain"].lower(), frozenset(), row["coin"], "", False,
                f"{row['operator']}: {row['source']}", domain=True)


def named_pool(name: str, coin: str = "", source: str = "dns", domain: bool = False) -> Pool:
    """A pool known by its name only: of the coin the name's words say (else `coin`), and of
    the algorithm they say (else that coin's)."""
    coin = next(iter(host_coins(name)), coin)
    algorithm = next(iter(host_algorithms(name)), COIN_ALGORITHMS.get(coin, ""))
    return Pool(name, frozenset(), coin, algorithm, False, source, domain=domain)


def _under(domain: Pool, name: str) -> Pool:
    """The pool a name under an operator's domain stands for."""
    return named_pool(name, domain.coin, domain.source, domain=True)


def _grouped(items: list, key) -> dict[str, list]:
    out: dict[str, list] = {}
    for item in items:
        out.setdefault(key(item), []).append(item)
    return out


def _addresses(row: dict) -> list[str]:
    """The addresses of an ip, ip_port or small cidr indicator ([] for a large network)."""
    if row["kind"] != "cidr":
        return [row["value"]]
    try:
        net = ipaddress.ip_network(row["value"], strict=False)
    except ValueError:
        return []
    return [str(a) for a in net] if net.num_addresses <= MAX_NETWORK else []


def _intel_pool(host: str, rows: list[dict]) -> Pool:
    """One pool from the indicator rows of one host or address (port 0 = any port)."""
    ports = frozenset(int(r["port"] or 0) for r in rows)
    coin = next((r["coin"] for r in rows if r["coin"]), "")
    algorithm = next((r["algorithm"] for r in rows if r["algorithm"]), "")
    sources = ", ".join(sorted({r["source"] for r in rows}))
    return Pool(host, ports, coin, algorithm, any(r["tls"] for r in rows), sources[:200], "intel")
