"""A coin that could not be mined when the traffic was seen is not the coin: Ethash work with
an Ethereum-style wallet is Ether's before the Merge (2022-09-15) and Ethereum Classic's
after it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from minewatch.sim.packets import Conn, tcp_session

WALLET = "0x" + "5a" * 20
BEFORE, AFTER = 1651363200.0, 1700000000.0  # 2022-05-01, 2023-11-14


def ethproxy(client: str, t0: float, rng) -> list:
    """ethminer's ETHProxy: login, a job, two accepted shares."""
    work = ["0x" + "ab" * 32, "0x" + "cd" * 32, "0x" + "00000000ffff" + "0" * 52]
    lines = [{"id": 1, "method": "eth_submitLogin", "params": [WALLET], "worker": "rig1"},
             {"id": 1, "result": True, "error": None},
             {"id": 2, "method": "eth_getWork", "params": []},
             {"id": 2, "result": work, "error": None}]
    for k in range(2):
        lines += [{"id": 10 + k, "method": "eth_submitWork",
                   "params": ["0x" + "0%d" % k * 8, work[0], "0x" + "ef" * 32]},
                  {"id": 10 + k, "result": True, "error": None}]
    msgs = [(t0 + k, "method" in m, json.dumps(m).encode() + b"\n") for k, m in enumerate(lines)]
    return tcp_session(Conn(client, 40000, "203.0.113.9", 8008), msgs, rng, True, close_at=None)


@pytest.fixture(scope="module")
def sessions(analyzed) -> dict:
    rng = np.random.default_rng(4)
    pkts = ethproxy("10.0.0.5", BEFORE, rng) + ethproxy("10.0.0.6", AFTER, rng)
    return {r["client_ip"]: r for r in analyzed(pkts, "merge")}


def test_ether_before_the_merge_ethereum_classic_after(sessions):
    before, after = sessions["10.0.0.5"], sessions["10.0.0.6"]
    assert (before["coin"], before["algorithm"], before["shares"]) == ("ETH", "ethash", 2)
    assert (after["coin"], after["algorithm"], after["shares"]) == ("ETC", "etchash", 2)
    assert any("since the Merge" in f for f in json.loads(after["evidence"]))
    # an 0x address is Ether's and EthereumPoW's alike (both Ethash): the first is taken, and
    # after the Merge Ethereum Classic for its hash power; the payload says they are pools'
    assert [(s["coin_confidence"], s["confidence"]) for s in (before, after)] == [(0.7, 0.99)] * 2
    assert after["hashrate_hs"] * after["window_s"] == pytest.approx(
        before["hashrate_hs"] * before["window_s"])  # the same work, whatever the coin


def xmrig_submits(client: str, t0: float, rng) -> list:
    """A capture of XMRig's side alone, from after its login: submits and keepalives, nothing
    that names an algorithm, a coin or the pool."""
    lines = [{"id": 2 + k, "jsonrpc": "2.0", "method": "submit",
              "params": {"id": "sid", "job_id": "q7PL", "nonce": "d003004%d" % k,
                         "result": "e1" * 32}} for k in range(3)]
    lines.append({"id": 9, "jsonrpc": "2.0", "method": "keepalived", "params": {"id": "sid"}})
    msgs = [(t0 + 30 * k, True, json.dumps(m).encode() + b"\n") for k, m in enumerate(lines)]
    return tcp_session(Conn(client, 40000, "203.0.113.9", 14444), msgs, rng, True, close_at=None)


def test_a_cryptonote_session_nothing_names_is_moneros_of_its_time(analyzed):
    """The XMRig protocol's main coin is Monero: RandomX since 2019-11-30, CryptoNight before,
    and the evidence says it is assumed."""
    rng = np.random.default_rng(5)
    pkts = xmrig_submits("10.0.0.7", 1546300800.0, rng) + xmrig_submits("10.0.0.8", AFTER, rng)
    rows = {r["client_ip"]: r for r in analyzed(pkts, "xmrig")}
    old, new = rows["10.0.0.7"], rows["10.0.0.8"]
    assert (old["dialect"], old["coin"], old["algorithm"]) == ("cryptonote", "XMR", "cryptonight")
    assert (new["dialect"], new["coin"], new["algorithm"]) == ("cryptonote", "XMR", "randomx")
    assert any("assumed" in f for f in json.loads(new["evidence"]))
    assert old["coin_confidence"] == new["coin_confidence"] == 0.5


def test_a_coin_named_otherwise_keeps_its_own_algorithm():
    """Only Monero is assumed: a session whose pool's name says TRTL is left unknown."""
    from minewatch.engine.derive import _cryptonote_default

    named = {"dialect": "cryptonote", "coin": "TRTL", "algorithm": "", "ts_start": AFTER}
    bare = dict(named, coin="")
    _cryptonote_default(named)
    _cryptonote_default(bare)
    assert (named["coin"], named["algorithm"]) == ("TRTL", "")
    assert (bare["coin"], bare["algorithm"]) == ("XMR", "randomx")
    assert "coin_confidence" not in named and bare["coin_confidence"] == 0.5


def test_a_pool_named_for_one_of_the_wallets_coins_picks_it():
    """A 1... address is Bitcoin's and Bitcoin Cash's: taken for Bitcoin's (the first by hash
    power), then for Bitcoin Cash's where the pool's name says bch, more surely either way."""
    from minewatch.engine.derive import _pool_names_the_coin

    wallet = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    for host, coin in (("bch.pool.example", "BCH"), ("btc.pool.example", "BTC")):
        s = {"wallet": wallet, "coin": "BTC", "coin_confidence": 0.7, "pool_host": host}
        _pool_names_the_coin(s, None)
        assert (s["coin"], s["coin_confidence"]) == (coin, 0.9)
