"""A pool no list knows is still named, when the capture holds the DNS answer its miner
resolved the address from: the session's pool host is that name, and a coin the name says
fills in what the payload did not (an account login names no coin)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from minewatch.decode.dns import encode_query, encode_response
from minewatch.sim.packets import Conn, tcp_session, udp_exchange

POOL = "203.0.113.9"
ANTMINER = b"Antminer S19j Pro/Tue Jun 13 21:45:46 CST 2023"  # (SHA-256d hardware)
K = 2**48 / 65535
LEGACY = b"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa.rig1"  # (a 1... address: BTC's and BCH's format)


def stratum(client: str, t0: float, rng, agent: bytes = b"cgminer/4.11.1",
            login: bytes = b"acct.rig1") -> list:
    """An account login (no wallet, no coin) unless told, difficulty 64, three accepted
    shares."""
    lines = [b'{"id":1,"method":"mining.subscribe","params":["%s"]}' % agent,
             b'{"id":1,"result":[[],"08000002",4],"error":null}',
             b'{"id":2,"method":"mining.authorize","params":["%s","x"]}' % login,
             b'{"id":2,"result":true,"error":null}',
             b'{"id":null,"method":"mining.set_difficulty","params":[64]}',
             b'{"id":null,"method":"mining.notify","params":["j1","' + b"0" * 64
             + b'","01","02",[],"20000000","1a2b3c4d","5b646476",true]}']
    msgs = [(t0 + k, k % 2 == 0 if k < 4 else False, m + b"\n") for k, m in enumerate(lines)]
    for k in range(3):
        msgs += [(t0 + 10 + 10 * k, True, b'{"id":%d,"method":"mining.submit","params":'
                  b'["%s","j1","00000001","5b646476","abcd"]}\n' % (10 + k, login)),
                 (t0 + 10.1 + 10 * k, False, b'{"id":%d,"result":true,"error":null}\n' % (10 + k))]
    return tcp_session(Conn(client, 40000, POOL, 3333), msgs, rng, True, close_at=None)


def lookup(client: str, name: str, ts: float) -> list:
    return udp_exchange(Conn(client, 5353, "192.0.2.53", 53), ts, encode_query(name, 7),
                        encode_response(name, [POOL], 300, 7))


@pytest.fixture(scope="module")
def sessions(analyzed) -> dict:
    rng = np.random.default_rng(3)
    pkts = lookup("10.0.0.5", "ltc.newpool.example", 99.0) + stratum("10.0.0.5", 100.0, rng)
    pkts += lookup("10.0.0.6", "mine.otherpool.example", 99.5) + stratum("10.0.0.6", 101.0, rng)
    pkts += stratum("10.0.0.7", 102.0, rng)  # resolved elsewhere: two names for the address
    pkts += lookup("10.0.0.8", "bch.newpool.example", 102.5) + stratum("10.0.0.8", 103.0, rng,
                                                                        ANTMINER)
    pkts += stratum("10.0.0.9", 104.0, rng, ANTMINER)
    pkts += lookup("10.0.0.10", "bch.newpool.example", 104.5) + stratum("10.0.0.10", 105.0, rng,
                                                                          login=LEGACY)
    pkts += stratum("10.0.0.11", 106.0, rng, login=LEGACY)
    return {r["client_ip"]: r for r in analyzed(pkts, "dns")}


def test_the_clients_own_answer_names_the_pool_and_its_coin(sessions):
    s = sessions["10.0.0.5"]
    assert (s["pool_host"], s["coin"], s["algorithm"]) == ("ltc.newpool.example", "LTC", "scrypt")
    # the hashes of its three shares of difficulty 64 under scrypt's multiplier (2**16)
    assert s["hashes"] == pytest.approx(3 * 64 * K / 2**16)
    assert s["hashrate_hs"] * s["window_s"] == pytest.approx(s["hashes"])
    assert "server 203.0.113.9 named ltc.newpool.example by the client's DNS answer" in \
        json.loads(s["evidence"])


def test_a_name_that_says_no_coin_leaves_the_coin_unknown(sessions):
    s = sessions["10.0.0.6"]
    assert (s["pool_host"], s["coin"], s["algorithm"]) == ("mine.otherpool.example", "", "")
    assert s["hashrate_hs"] * s["window_s"] == pytest.approx(3 * 64 * K)  # as SHA-256d's


def test_an_address_two_names_resolve_to_stays_unnamed_for_a_third_client(sessions):
    assert sessions["10.0.0.7"]["pool_host"] is None


def test_an_algorithm_names_its_main_coin_only_where_no_pool_names_another(sessions):
    """Two Antminers (SHA-256d) on account logins: the one whose pool's name says BCH mines BCH;
    the other's pool is unnamed, and SHA-256d's hash power is nearly all Bitcoin's."""
    named, unnamed = sessions["10.0.0.8"], sessions["10.0.0.9"]
    assert (named["pool_host"], named["coin"], named["algorithm"]) == (
        "bch.newpool.example", "BCH", "sha256d")
    assert (unnamed["pool_host"], unnamed["coin"], unnamed["algorithm"]) == (None, "BTC", "sha256d")
    assert "coin BTC: sha256d's main coin, as nothing names another" in \
        json.loads(unnamed["evidence"])
    assert not any(f.startswith("coin ") for f in json.loads(named["evidence"]))


def test_a_wallet_of_two_coins_formats_is_of_the_one_its_pools_name_says(sessions):
    named, unnamed = sessions["10.0.0.10"], sessions["10.0.0.11"]
    assert (named["pool_host"], named["coin"]) == ("bch.newpool.example", "BCH")
    assert "coin BCH: the pool's name says it, of the wallet's coins" in \
        json.loads(named["evidence"])
    assert (unnamed["pool_host"], unnamed["coin"]) == (None, "BTC")
