"""Scans before mining: packets for the probed slice and flow records for the rest agree."""

import numpy as np

from minewatch.flows.meter import FlowMeter, MeterConfig
from minewatch.sim.miners import Miner
from minewatch.sim.scans import (SCAN_PORTS, TARGETS, draw_scanners, miner_scan, plan_scan,
                                 probes, scan_flows, scan_packets)
from minewatch.sim.world import Host


def test_metered_packets_match_the_drawn_flow_records():
    rng = np.random.default_rng(4)
    plans = [plan_scan("10.20.30.40", 1000.0, rng), plan_scan("10.20.99.1", 1500.0, rng, admin=True)]
    pr = probes(plans, rng)
    meter = FlowMeter(MeterConfig(idle_timeout=60.0, active_timeout=300.0))
    for pkt in scan_packets(pr, rng):
        meter.add(pkt)
    key = ("src_ip", "src_port", "dst_ip", "dst_port", "packets", "bytes", "tcp_flags")
    metered = sorted(tuple(r[k] for k in key) for r in meter.flush())
    drawn = sorted(zip(*(scan_flows(pr)[k].to_pylist() for k in key)))
    assert metered == drawn
    for sp in plans:
        mine = pr["src"] == sp.src
        assert len(set(pr["dst"][mine])) == sp.targets
        assert TARGETS[0] <= sp.targets <= TARGETS[1]
        assert set(pr["dport"][mine].tolist()) == set(sp.ports) <= set(SCAN_PORTS)
        assert sp.t_start <= pr["ts"][mine].min() and pr["ts"][mine].max() <= sp.t_end


def test_scan_ends_1_to_30_minutes_before_mining():
    rng = np.random.default_rng(9)
    for _ in range(200):
        sp, t_connect = miner_scan("10.0.0.1", 0.0, rng)
        assert 60 <= t_connect - sp.t_end and t_connect - sp.t_start <= 1800


def test_about_half_the_compromised_miners_scan_and_few_others():
    hosts = [Host(f"10.0.{i // 250}.{i % 250 + 1}", 0, "南京市", "电信", "enterprise")
             for i in range(4000)]
    miners = [Miner(h, None, 1.0, "", 0, "", "", "", "", i % 2 == 0, 1, False)
              for i, h in enumerate(hosts[:1000])]
    others = draw_scanners(miners, hosts, seed=3)
    comp = [m.scans for m in miners if m.compromised]
    deli = [m.scans for m in miners if not m.compromised]
    assert 0.4 <= np.mean(comp) <= 0.6 and 0.02 <= np.mean(deli) <= 0.06
    assert 0.02 <= len(others) / 3000 <= 0.04
    assert not set(others) & {m.host.ip for m in miners}
