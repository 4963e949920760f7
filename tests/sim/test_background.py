"""Ordinary-traffic generators: the browser-miner visit."""

import numpy as np

from minewatch.decode.packet import FIN, SYN
from minewatch.sim.background import browser_miner_visit


def test_browser_miner_visit_shape():
    pkts = browser_miner_visit("10.1.2.3", "203.0.113.5", "site.example", 1000.0,
                               np.random.default_rng(3))
    assert [p.ts for p in pkts] == sorted(p.ts for p in pkts)
    conns = {(p.sport, p.dport) for p in pkts if p.src == "10.1.2.3"}
    assert len(conns) == 2 and {d for _, d in conns} == {80}
    assert sum(1 for p in pkts if p.flags & SYN and p.src == "10.1.2.3") == 2
    assert sum(1 for p in pkts if p.flags & FIN and p.src == "10.1.2.3") == 2
    up = b"".join(p.payload for p in pkts if p.src == "10.1.2.3")
    assert b"GET /lib/coinhive.min.js" in up and b"Upgrade: websocket" in up
    down = b"".join(p.payload for p in pkts if p.dst == "10.1.2.3")
    assert b"new CoinHive.Anonymous(" in down and b"101 Switching Protocols" in down


def test_same_seed_same_packets():
    a = browser_miner_visit("10.1.2.3", "203.0.113.5", "s.example", 5.0, np.random.default_rng(1))
    b = browser_miner_visit("10.1.2.3", "203.0.113.5", "s.example", 5.0, np.random.default_rng(1))
    assert a == b
