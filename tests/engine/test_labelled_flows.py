"""A connection the payload showed to be no miner's (labelled) is not made a pool session by
the flow rules: a Bitcoin node talking to the public node on a listed pool's address (solo
pools run one) stays a node, while a miner of that pool is found."""

from __future__ import annotations

import numpy as np

from minewatch.decode.dns import encode_query, encode_response
from minewatch.sim import background as bg
from minewatch.sim.packets import Conn, tcp_session, udp_exchange

POOL, NAME = "203.0.113.9", "btc.viabtc.com"  # a listed pool (data/pools.csv)


def test_a_node_at_a_pools_address_is_no_miner(analyzed):
    rng = np.random.default_rng(5)
    lookup = udp_exchange(Conn("10.0.0.5", 5353, "192.0.2.53", 53), 99.0,
                          encode_query(NAME, 7), encode_response(NAME, [POOL], 300, 7))
    tls = tcp_session(Conn("10.0.0.5", 40000, POOL, 3333),  # a miner, behind TLS: flows only
                      [(100.0 + k, k % 2 == 0, b"\x17\x03\x03\x00\x40" + rng.bytes(64))
                       for k in range(40)], rng, True, close_at=None)
    node = bg.bitcoin_p2p("10.0.0.6", POOL, 100.0, 900.0, rng)
    sessions = analyzed(lookup + tls + node, "node")
    assert [(s["client_ip"], s["server_port"], s["detection"]) for s in sessions] == [
        ("10.0.0.5", 3333, "dns-intel")]
