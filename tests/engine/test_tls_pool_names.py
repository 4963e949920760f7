"""TLS to a pool operator's domain on port 443: its stratum host named after an algorithm is a
pool session (NiceHash's TLS port is 443); its web site and its dashboards are not."""

from __future__ import annotations

import json

import numpy as np
import pytest

from minewatch.decode.tls import encode_client_hello
from minewatch.sim.packets import Conn, tcp_session

NAMES = {"10.0.0.5": "kawpow.auto.nicehash.com", "10.0.0.6": "www.nicehash.com",
         "10.0.0.7": "xmr.nanopool.org"}


def tls(client: str, server: str, sni: str, t0: float, rng) -> list:
    """A hello, the server's flight, and a minute of small records each way."""
    msgs = [(t0, True, encode_client_hello(sni)),
            (t0 + 0.05, False, b"\x16\x03\x03\x00\x7a" + rng.bytes(122))]
    for k in range(12):
        msgs += [(t0 + 1 + 5 * k, False, b"\x17\x03\x03\x01\x00" + rng.bytes(256)),
                 (t0 + 3 + 5 * k, True, b"\x17\x03\x03\x00\x80" + rng.bytes(128))]
    return tcp_session(Conn(client, 40000, server, 443), msgs, rng, True, close_at=t0 + 70)


@pytest.fixture(scope="module")
def sessions(analyzed) -> list[dict]:
    rng = np.random.default_rng(5)
    return analyzed([p for k, (client, sni) in enumerate(NAMES.items())
                     for p in tls(client, f"203.0.113.{k + 1}", sni, 100.0 + k, rng)], "tls")


def test_only_the_stratum_host_is_a_pool_session(sessions):
    assert [(s["client_ip"], s["pool_host"], s["algorithm"], s["detection"]) for s in sessions] \
        == [("10.0.0.5", "kawpow.auto.nicehash.com", "kawpow", "sni")]


def test_a_pool_named_after_its_algorithm_mines_its_main_coin(sessions):
    """NiceHash sells hash power by algorithm: kawpow's is nearly all Ravencoin's, as the
    payload sessions' main coin says."""
    (s,) = sessions
    assert s["coin"] == "RVN"
    assert "coin RVN: kawpow's main coin, as nothing names another" in json.loads(s["evidence"])
    assert (s["coin_confidence"], s["confidence"]) == (0.5, 0.9)  # assumed; a pool's SNI
