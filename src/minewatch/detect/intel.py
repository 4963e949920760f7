"""Pool intelligence: which host names are mining pools, and which addresses they resolve to.

The built-in list (data/pools.csv) is written from public facts, each row naming its source.
Addresses are never hard-coded: pools move, so an address counts as a pool endpoint only when
the traffic itself says so, by a DNS answer for a pool name or a TLS SNI naming one.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources

import pyarrow as pa

from minewatch import schema

WEB_PORTS = frozenset({80, 443, 8080, 8443})


@dataclass(frozen=True, slots=True)
class Pool:
    host: str
    ports: frozenset[int]
    coin: str
    algorithm: str
    tls: bool
    source: str


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

    def serves(self, port: int, sni_seen: bool) -> bool:
        """Whether a connection to `port` of this address is pool traffic.

        A listed port always is; so is any connection whose SNI names the pool. Another high
        port counts too (pools open many), but a web port without SNI does not: a pool
        operator's web site may share the address."""
        return port in self.pool.ports or sni_seen or (port >= 1024 and port not in WEB_PORTS)


class PoolIntel:
    def __init__(self, pools: list[Pool]):
        self.pools = {p.host: p for p in pools}

    @classmethod
    def builtin(cls) -> PoolIntel:
        text = resources.files("minewatch.data").joinpath("pools.csv").read_text("utf-8")
        return cls([_pool(row) for row in csv.DictReader(text.splitlines())])

    def match(self, name: str) -> Pool | None:
        """The pool a host name belongs to: the name itself or a parent domain in the list."""
        name = name.lower().rstrip(".")
        while name:
            if name in self.pools:
                return self.pools[name]
            name = name.partition(".")[2] if name.count(".") > 1 else ""
        return None

    def endpoints(self, dns_rows: list[dict], sni_rows: list[dict]) -> dict[str, Endpoint]:
        """Pool addresses from DNS answers (query, answer) and TLS hellos (server_ip, sni)."""
        out: dict[str, Endpoint] = {}
        for r in dns_rows:
            pool = self.match(r["query"] or "")
            if pool is not None:
                out.setdefault(r["answer"], Endpoint(pool, "dns-intel", f"DNS {r['query']} -> {r['answer']}"))
        for r in sni_rows:
            pool = self.match(r["sni"] or "")
            if pool is not None:
                out[r["server_ip"]] = Endpoint(pool, "sni", f"TLS SNI {r['sni']}")
        return out

    def table(self) -> pa.Table:
        rows = [{"host": p.host, "port": port, "coin": p.coin, "algorithm": p.algorithm,
                 "tls": p.tls, "source": "builtin"} for p in self.pools.values() for port in sorted(p.ports)]
        return schema.to_table("pools", rows)


def _pool(row: dict) -> Pool:
    ports = frozenset(int(p) for p in row["ports"].split(";") if p.strip())
    return Pool(row["host"].lower(), ports, row["coin"], row["algorithm"],
                row["tls"].strip().lower() == "true", row["source"])
