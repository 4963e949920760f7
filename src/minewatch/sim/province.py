"""`minewatch simulate`: a province with miners, ordinary traffic, telemetry and ground truth.

One source of truth feeds every output: packets of the probed slice are written to
packets.pcap AND metered into the exporter's flow records; hosts outside the slice have flow
records only. truth.json is computed from the same miners and flow records.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from minewatch.enrich.geo import GeoDB
from minewatch.sim import background as bg
from minewatch.sim.dialogues import build as build_dialogue
from minewatch.sim.donate import donation_window, draw_donors, without_paused_shares
from minewatch.sim.miners import Miner, draw_miners, load_pools
from minewatch.sim.packets import Conn, SimPacket, tcp_session, udp_exchange
from minewatch.sim.scans import draw_scanners
from minewatch.sim.world import PROVINCE, World, build_world

PERIOD_START = 1620806400.0  # 2021-05-12T08:00:00Z (16:00 Beijing time), the year of the sweep


@dataclass(frozen=True, slots=True)
class Scale:
    hosts: int
    miners: int
    slice_fraction: float  # share of hosts the packet probe sees
    period_s: float = 3600.0


SCALES = {
    "small": Scale(hosts=2500, miners=150, slice_fraction=0.4),
    "medium": Scale(hosts=25000, miners=1500, slice_fraction=0.4),
    "province": Scale(hosts=200_000, miners=4600, slice_fraction=0.03),
}


@dataclass(slots=True)
class Plan:
    """Everything drawn before any packet is made."""
    world: World
    miners: list[Miner]
    slice_hosts: set[str]
    pool_ips: dict[str, str]
    web_ips: dict[str, str]
    resolvers: list[str]
    t0: float
    t1: float
    scanners: list[str] = field(default_factory=list)  # non-miner hosts that scan (sim/scans.py)


def _external_ips(geo: GeoDB, n: int, rng: np.random.Generator) -> list[str]:
    """Addresses outside the province (pools, web servers), from real segments."""
    seg = geo.segments()
    prov = np.asarray(seg["province"].to_pylist(), dtype=object)
    country = np.asarray(seg["country"].to_pylist(), dtype=object)
    starts = seg["start"].to_numpy()
    ends = seg["end"].to_numpy()
    ok = np.flatnonzero((prov != PROVINCE) & (country != "0") & (country != "") &
                        (ends - starts >= 255))
    picks = rng.choice(ok, size=n, replace=False)
    return [str(ipaddress.IPv4Address(int(starts[i]) + int(rng.integers(1, 255)))) for i in picks]


def plan(scale: Scale, seed: int, geo: GeoDB) -> Plan:
    rng = np.random.default_rng(seed)
    world = build_world(scale.hosts, rng, geo)
    pools = load_pools()
    ext = _external_ips(geo, len(pools) + len(bg.WEB_NAMES), rng)
    pool_ips = dict(zip(pools, ext[:len(pools)]))
    web_ips = dict(zip(bg.WEB_NAMES, ext[len(pools):]))
    miners = draw_miners(world.hosts, scale.miners, rng, pool_ips, {})
    slice_hosts = _probe_slice(world, scale.slice_fraction, rng)
    for m in miners:
        m.in_slice = m.host.ip in slice_hosts
    scanners = draw_scanners(miners, world.hosts, seed)
    draw_donors(miners, seed)
    return Plan(world, miners, slice_hosts, pool_ips, web_ips, ["218.2.2.2", "221.6.4.66"],
                PERIOD_START, PERIOD_START + scale.period_s, scanners)


def _probe_slice(world: World, fraction: float, rng: np.random.Generator) -> set[str]:
    """A probe sees whole organisations (their uplink) and a share of broadband users."""
    seen_org = rng.random(len(world.orgs)) < fraction
    return {h.ip for h in world.hosts
            if (rng.random() < fraction if h.owner_type == "residential" else seen_org[h.org])}


def miner_packets(m: Miner, p: Plan, rng: np.random.Generator,
                  t_connect: float | None = None) -> tuple[Conn, list[SimPacket]]:
    """The miner's pool connection (at `t_connect` when given) and its packets inside [t0, t1)."""
    if t_connect is None:
        t_connect = (p.t0 - float(rng.uniform(300, 7200)) if m.starts_before
                     else p.t0 + float(rng.uniform(1, 240)))
    if m.donates:  # stock XMRig: its donation minute, timed from this session (sim/donate.py)
        m.donate_window = donation_window(m, t_connect, p.t0)
    d = build_dialogue(m, t_connect, p.t0, p.t1, rng)

    def wire(msgs, rng):
        if m.profile.tls:
            msgs = bg.tls_records(msgs, m.pool_host, rng, t_connect - 0.2)
            msgs = [x for x in msgs if x[0] >= p.t0]
        return msgs

    msgs = wire(d.msgs, rng)
    conn = Conn(m.host.ip, int(rng.integers(32768, 61000)), m.pool_ip, m.pool_port)
    pkts = tcp_session(conn, msgs, rng, handshake=not m.starts_before, close_at=None)
    kept = without_paused_shares(m, d.msgs)
    if len(kept) < len(d.msgs):
        # The donation minute took shares from this pool. The packets are made again from what
        # is left on the miner's own stream; `rng` has drawn what it draws without donations.
        own = np.random.default_rng(m.donate_seed)
        pkts = tcp_session(conn, wire(kept, own), own, handshake=not m.starts_before, close_at=None)
    return conn, pkts


def dns_lookup(client: str, name: str, answer: str, ts: float, p: Plan,
               rng: np.random.Generator) -> tuple[dict, list[SimPacket]]:
    """A DNS A query: the resolver's log row, and packets when it falls in the capture."""
    from minewatch.decode.dns import encode_query, encode_response

    resolver = p.resolvers[int(rng.integers(0, len(p.resolvers)))]
    txid, ttl = int(rng.integers(0, 65536)), int(rng.choice([60, 300, 600]))
    row = {"ts": ts, "client_ip": client, "client_port": int(rng.integers(1024, 65535)),
           "server_ip": resolver, "query": name, "answers": [answer], "ttls": [ttl], "trans_id": txid}
    pkts: list[SimPacket] = []
    if p.t0 <= ts < p.t1 and client in p.slice_hosts:
        conn = Conn(client, row["client_port"], resolver, 53)
        pkts = udp_exchange(conn, ts, encode_query(name, txid),
                            encode_response(name, [answer], ttl, txid))
    return row, pkts


ProgressFn = Callable[[str, int], None]
