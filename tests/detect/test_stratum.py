"""The per-connection session tracker: dialects, share bookkeeping, traps, robustness."""

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch import schema
from minewatch.decode import http
from minewatch.decode.tls import encode_client_hello
from minewatch.detect.coins import make_address
from minewatch.detect.stratum import StratumSession

K = 2**48 / 65535  # hashes per difficulty-1 share (truediffone)
BTC = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
LTC = "LVg2kJoFNg45Nbpy53h7Fe1wKyeXVRhMH9"
ETH = "0x512ee0989a7ec0382365f824f9b620de312fd212"
XMR = ("44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVG"
       "QBEP3A")
BOUNDARY = "0x0000000225c17d04dad2965cc5a02a23e254c0c3f75d9178046aeb27ce1ca574"
UP, DOWN = "up", "down"


def line(obj) -> bytes:
    return json.dumps(obj).encode() + b"\n"


def notify(job, clean=True):
    return {"id": None, "method": "mining.notify",
            "params": [job, "00" * 32, "01000000", "ffffffff", ["aa" * 32], "20000000", "1703a30c",
                       "5b646476", clean]}


def submit(msg_id, job, login=BTC + ".rig1"):
    return {"id": msg_id, "method": "mining.submit",
            "params": [login, job, "00000001", "5b646476", "1fe30b00"]}


def ok(msg_id, result=True, error=None):
    return {"id": msg_id, "result": result, "error": error}


def call(msg_id, method, params, **extra):
    return {"id": msg_id, "method": method, "params": params, **extra}


def hx(byte: str, n: int = 32, prefix: str = "0x") -> str:
    return prefix + byte * n


def btc_session(diff=8192, login=BTC + ".rig1", agent="cgminer/4.11.1"):
    return [(UP, {"id": 1, "method": "mining.subscribe", "params": [agent]}),
            (DOWN, ok(1, [[["mining.notify", "ae6812eb"]], "08000002", 4])),
            (UP, {"id": 2, "method": "mining.authorize", "params": [login, "x"]}),
            (DOWN, ok(2)),
            (DOWN, {"id": None, "method": "mining.set_difficulty", "params": [diff]}),
            (DOWN, notify("j1")),
            (UP, submit(10, "j1", login)), (DOWN, ok(10)),
            (UP, submit(11, "j1", login)), (DOWN, ok(11)),
            (UP, submit(12, "j1", login)), (DOWN, ok(12))]


def run(conversation, session=None) -> StratumSession:
    session = session or StratumSession(("10.0.0.5", 50000), ("203.0.113.7", 3333), "input-1")
    for i, (direction, msg) in enumerate(conversation):
        session.feed(direction, 1000.0 + i, msg if isinstance(msg, bytes) else line(msg))
    assert session.counters["internal_errors"] == 0, session.counters
    return session


def test_set_difficulty_then_three_accepted_shares():
    s = run(btc_session())
    summary = s.summary()
    assert s.is_mining()
    assert summary["hashes"] == pytest.approx(3 * 8192 * 2**48 / 65535, rel=1e-12)
    assert summary["hashes_sq"] == pytest.approx(3 * (8192 * K) ** 2, rel=1e-12)
    assert (summary["shares"], summary["shares_accepted"], summary["shares_rejected"]) == (3, 3, 0)
    assert (summary["dialect"], summary["coin"], summary["algorithm"]) == ("stratum-v1", "BTC",
                                                                          "sha256d")
    assert (summary["wallet"], summary["worker"]) == (BTC, "rig1")
    assert summary["agent"] == "cgminer/4.11.1"
    assert (summary["ts_start"], summary["ts_end"]) == (1000.0, 1011.0)
    facts = json.loads(summary["evidence"])
    assert "mining.subscribe from cgminer/4.11.1" in facts and "set_difficulty 8192" in facts
    assert any(f.startswith("wallet 1A1zP1eP5QGe") and "BTC" in f for f in facts)


def test_difficulty_change_applies_only_to_later_jobs():
    s = run([(DOWN, {"id": None, "method": "mining.set_difficulty", "params": [1024]}),
             (DOWN, notify("j1")),
             (DOWN, {"id": None, "method": "mining.set_difficulty", "params": [4096]}),
             (UP, submit(20, "j1")), (DOWN, ok(20)),  # still j1: difficulty 1024
             (DOWN, notify("j2")),
             (UP, submit(21, "j2")), (DOWN, ok(21)),  # 4096
             (UP, submit(22, "j1")), (DOWN, ok(22, None, [21, "Job not found (=stale)", None])),
             (UP, submit(23, "j1")), (DOWN, ok(23))])  # an old job keeps its difficulty
    # the stale share was hashed all the same: it is effort (measurement.md §1.3 rule 2)
    assert s.summary()["hashes"] == pytest.approx((1024 + 4096 + 1024 + 1024) * K)
    assert (s.shares, s.accepted, s.rejected, s.summary()["shares_effort"]) == (4, 3, 1, 4)
    assert s.counters["rejected_stale"] == 1
    accepted = [e for e in s.events if e["accepted"] is not None]
    assert [e["difficulty"] / K for e in accepted] == pytest.approx([1024, 4096, 1024, 1024])


def test_invalid_rejections_are_not_effort_and_bare_false_is():
    s = run([(DOWN, {"id": None, "method": "mining.set_difficulty", "params": [1024]}),
             (DOWN, notify("j1")),
             (UP, submit(20, "j1")), (DOWN, ok(20, None, [23, "Low difficulty share", None])),
             (UP, submit(21, "j1")), (DOWN, ok(21, False))])
    assert s.summary()["hashes"] == pytest.approx(1024 * K)
    assert (s.accepted, s.rejected, s.summary()["shares_effort"]) == (0, 2, 1)
    assert (s.counters["rejected_invalid"], s.counters["rejected_unexplained"]) == (1, 1)


def test_capture_starting_mid_session_is_still_a_miner():
    s = run([(DOWN, ok(40)), (DOWN, notify("j7")), (UP, submit(41, "j7")), (DOWN, ok(41))])
    summary = s.summary()
    assert s.is_mining() and summary["dialect"] == "stratum-v1"
    assert summary["shares_accepted"] == 1 and summary["hashes"] is None  # difficulty unseen
    assert summary["wallet"] == BTC and s.counters["unmatched_replies"] == 0
    assert s.counters["shares_unpriced"] == 1


def test_replies_pair_by_id_of_any_type_and_per_direction():
    s = run([(UP, {"id": "sub", "method": "mining.subscribe", "params": ["bfgminer/5.2.0", "1"]}),
             (DOWN, {"method": "mining.set_difficulty", "params": [4096], "id": 1}),  # pool's id 1
             (DOWN, notify("j1")),
             (UP, submit(1, "j1", "broatcast")),  # miner's id 1 as well
             (DOWN, ok(1, False, [23, "Low difficulty share", None])),
             (UP, submit([5], "j1", "broatcast")), (DOWN, ok([5]))])
    assert (s.accepted, s.rejected) == (1, 1) and s.counters["rejected_invalid"] == 1
    assert s.summary()["hashes"] == pytest.approx(4096 * K)
    assert s.wallet == "broatcast" and s.summary()["coin"] == ""


def test_client_get_version_reply_names_the_agent():
    s = run([(DOWN, notify("j1")), (DOWN, {"id": 77, "method": "client.get_version", "params": []}),
             (UP, ok(77, "sgminer/5.1.0"))])
    assert s.agent == "sgminer/5.1.0"


def test_litecoin_wallet_means_scrypt_multiplier():
    s = run(btc_session(diff=32, login=LTC + ".w"))
    summary = s.summary()
    assert (summary["coin"], summary["algorithm"]) == ("LTC", "scrypt")
    assert summary["hashes"] == pytest.approx(3 * 32 * K / 2**16)


def test_algorithm_hint_from_the_caller_wins():
    s = run(btc_session(diff=32, login="account.w"),
            StratumSession(algorithm_hint="scrypt"))
    assert s.summary()["algorithm"] == "scrypt"
    assert s.summary()["hashes"] == pytest.approx(3 * 32 * K / 2**16)


def test_zip301_equihash_with_set_target():
    target = "0007ffff" + "0" * 56
    wallet = "t1MMXG5LAGpPEu3e8wa6mz2UV6UzzoDB2rP"
    s = run([(UP, {"id": 1, "method": "mining.subscribe",
                   "params": ["EWBF/0.3.4", None, "zec.f2pool.com", 3357]}),
             (DOWN, ok(1, [None, "a1b2c3d4"])),
             (UP, {"id": 2, "method": "mining.authorize", "params": [wallet + ".rig", "x"]}),
             (DOWN, {"id": None, "method": "mining.set_target", "params": [target]}),
             (DOWN, {"id": None, "method": "mining.notify", "params": [
                 "1f", "04000000", "aa" * 32, "bb" * 32, "00" * 32, "5f5e1000", "1d0fffff", True]}),
             (UP, call(3, "mining.submit", [wallet + ".rig", "1f", "5f5e1000", "00" * 28,
                                            "fd4005" + "ab" * 1344])),
             (DOWN, ok(3))])
    summary = s.summary()
    assert (summary["coin"], summary["algorithm"], summary["pool_host"]) == (
        "ZEC", "equihash", "zec.f2pool.com")
    assert summary["hashes"] == pytest.approx(2**256 / int(target, 16))


def _zip301(wallet: str, host: str, solution: str | None, extra: tuple = ()) -> list:
    return [(UP, {"id": 1, "method": "mining.subscribe",
                  "params": ["lolMiner 1.88", None, host, 3333]}),
            (UP, {"id": 2, "method": "mining.authorize", "params": [wallet + ".rig", "x"]}),
            (DOWN, {"id": None, "method": "mining.set_target", "params": ["0007ffff" + "0" * 56]}),
            (DOWN, {"id": None, "method": "mining.notify", "params": [
                "1f", "04000000", "aa" * 32, "bb" * 32, "00" * 32, "5f5e1000", "1d0fffff", True,
                *extra]})] + ([(UP, call(3, "mining.submit", [
                    wallet + ".rig", "1f", "5f5e1000", "00" * 28, solution]))] if solution else [])


BTG = "GQ48ajaQqJ4rceX2RfFtmtqK9BaDXyXjYt"  # (a Bitcoin Gold P2PKH: version 38)


@pytest.mark.parametrize("wallet,host,solution,extra,expected", [
    # Flux kept Zcash's t1 addresses: its 52-byte ZelHash solutions tell them apart
    ("t1MMXG5LAGpPEu3e8wa6mz2UV6UzzoDB2rP", "pool.example", "34" + "ab" * 52, (),
     ("FLUX", "equihash125_4")),
    ("t1MMXG5LAGpPEu3e8wa6mz2UV6UzzoDB2rP", "pool.example", "fd4005" + "ab" * 1344, (),
     ("ZEC", "equihash")),
    ("t1MMXG5LAGpPEu3e8wa6mz2UV6UzzoDB2rP", "pool.example", None, (), ("ZEC", "equihash")),
    ("t1MMXG5LAGpPEu3e8wa6mz2UV6UzzoDB2rP", "flux.pool.example", None, (),
     ("FLUX", "equihash125_4")),
    # a Bitcoin Gold wallet names Zhash before any share; a Zhash job names it to an account
    (BTG, "pool.example", None, (), ("BTG", "equihash144_5")),
    ("account", "pool.example", None, ("144_5", "BgoldPoW"), ("", "equihash144_5")),
    ("account", "pool.example", "64" + "ab" * 100, (), ("", "equihash144_5")),
])
def test_the_equihash_parameter_set_names_the_coin(wallet, host, solution, extra, expected):
    s = run(_zip301(wallet, host, solution, extra))
    summary = s.summary()
    assert (summary["coin"], summary["algorithm"]) == expected, summary["evidence"]


def test_the_pool_host_picks_among_the_coins_a_wallet_may_be_of():
    """A legacy 1... address is Bitcoin's and Bitcoin Cash's: a BCH pool says which."""
    s = run(btc_session(diff=32, login=BTC + ".w"))
    assert s.summary()["coin"] == "BTC"
    at_bch = [(UP, {"id": 1, "method": "mining.subscribe",
                    "params": ["cgminer/4.11.1", None, "bch.pool.example", 3333]})]
    s = run(at_bch + btc_session(diff=32, login=BTC + ".w")[1:])
    assert s.summary()["coin"] == "BCH"


def test_equihash_set_difficulty_uses_ccminers_scale():
    """Stratum diff 32 is target 0007fff8.. (ccminer equi-stratum.cpp): 8192.125 Sol a share,
    the same as measurement.md §7 vector 11 gets from that target."""
    s = run([(UP, {"id": 1, "method": "mining.subscribe", "params": ["EWBF/0.3.4", None]}),
             (DOWN, {"id": None, "method": "mining.set_difficulty", "params": [32]}),
             (DOWN, {"id": None, "method": "mining.notify", "params": [
                 "1f", "04000000", "aa" * 32, "bb" * 32, "00" * 32, "5f5e1000", "1d0fffff", True]}),
             (UP, call(3, "mining.submit", ["t1MMXG5LAGpPEu3e8wa6mz2UV6UzzoDB2rP.rig", "1f",
                                            "5f5e1000", "00" * 28, "fd4005" + "ab" * 1344])),
             (DOWN, ok(3))])
    assert s.summary()["algorithm"] == "equihash"
    assert s.summary()["hashes"] == pytest.approx(2**256 / int("0007fff8" + "0" * 56, 16))
    assert s.summary()["hashes"] == pytest.approx(8192.125, abs=1e-3)


def test_kawpow_job_carries_its_target():
    target = "00000000ffff" + "0" * 52
    s = run([(UP, {"id": 1, "method": "mining.subscribe", "params": ["GMiner/2.09", None]}),
             (DOWN, {"id": None, "method": "mining.notify",
                     "params": ["6f", "ab" * 32, "cd" * 32, target, True, 1800000, "1b00f0ff"]}),
             (UP, call(5, "mining.submit",
                       ["R.w", "6f", "0x00112233aabbccdd", hx("ab"), hx("ef")])),
             (DOWN, ok(5))])
    assert (s.summary()["algorithm"], s.summary()["coin"]) == ("kawpow", "RVN")
    assert s.summary()["hashes"] == pytest.approx(2**256 / int(target, 16))


def test_kawpowminer_announcing_ethereumstratum_speaks_ravencoin_stratum_v1():
    """kawpowminer, an ethminer fork, subscribes with "EthereumStratum/1.0.0"; a Ravencoin pool
    answers in its Stratum v1 (set_target, 7-field jobs, 5-field shares): the dialect is the
    one spoken."""
    target = "00000000ffff" + "0" * 52
    s = run([(UP, {"id": 1, "method": "mining.subscribe",
                   "params": ["kawpowminer/1.2.4", "EthereumStratum/1.0.0"]}),
             (DOWN, ok(1, [None, "5d1a"])),
             (UP, call(2, "mining.authorize", ["RKVqZCY5w8R4WqyJ5F7G3CFvqGxxm3knxF.rig0", "x"])),
             (DOWN, ok(2)),
             (DOWN, {"id": None, "method": "mining.set_target", "params": [target]}),
             (DOWN, {"id": None, "method": "mining.notify",
                     "params": ["2a31", "ab" * 32, "cd" * 32, target, True, 3100000, "1b01a2c3"]}),
             (UP, call(3, "mining.submit",
                       ["RKVqZCY5w8R4WqyJ5F7G3CFvqGxxm3knxF.rig0", "2a31", "0x5d1a00000a1b2c3d",
                        hx("ab"), hx("1c")])),
             (DOWN, ok(3))])
    summary = s.summary()
    assert (summary["dialect"], summary["algorithm"], summary["coin"], summary["worker"]) == (
        "stratum-v1", "kawpow", "RVN", "rig0")
    assert summary["shares_accepted"] == 1
    assert summary["hashes"] == pytest.approx(2**256 / int(target, 16))


def test_ethereumstratum_nicehash_spec_dialogue():
    s = run([(UP, {"id": 1, "method": "mining.subscribe",
                   "params": ["EthereumMiner/1.0.0", "EthereumStratum/1.0.0"]}),
             (DOWN, ok(1, [["mining.notify", "ae6812eb", "EthereumStratum/1.0.0"], "a2eea0"])),
             (UP, {"id": 2, "method": "mining.authorize", "params": [ETH + ".rig", "password"]}),
             (DOWN, ok(2)),
             (DOWN, {"id": None, "method": "mining.set_difficulty", "params": [2.0]}),
             (DOWN, call(None, "mining.notify",
                         ["bf0488aa", hx("ab", prefix=""), hx("fc", prefix=""), True])),
             (DOWN, call(None, "mining.set_difficulty", [4.0])),  # for the next job
             (UP, call(3, "mining.submit", [ETH + ".rig", "bf0488aa", "cfae7df760"])),
             (DOWN, ok(3))])
    summary = s.summary()
    assert (summary["dialect"], summary["coin"], summary["algorithm"]) == (
        "ethereumstratum-1.0", "ETH", "ethash")
    assert summary["hashes"] == pytest.approx(2.0 * K)
    facts = json.loads(summary["evidence"])
    assert "mining.subscribe from EthereumMiner/1.0.0 (EthereumStratum/1.0.0)" in facts


def test_ethereumstratum_2_hello_names_the_miner_and_mining_set_prices_the_jobs():
    """ethminer's EthereumStratum/2.0.0 ("stratum3"), as its spec's example dialogue goes: the
    subscribe has no params, so the hashrate comes from mining.set's target (short hex is
    left-padded), not from a difficulty-1 default."""
    target = "0112e0be826d694b2e62d01511f12a6061fbaec8bc02357593e70e52ba"  # 58 hex digits
    s = run([(UP, call(1, "mining.hello", {"agent": "ethminer-0.19.0", "host": "eu1.pool.example",
                                           "port": "4444", "proto": "EthereumStratum/2.0.0"})),
             (DOWN, ok(1, {"proto": "EthereumStratum/2.0.0", "encoding": "plain", "resume": 1,
                           "timeout": 30, "maxerrors": 5, "node": "Geth/v1.9.9"})),
             (UP, call(2, "mining.subscribe", [])), (DOWN, ok(2, "s-12345")),
             (UP, call(3, "mining.authorize", [ETH + ".rig1", "x"])), (DOWN, ok(3, "0001")),
             (DOWN, call(None, "mining.set", {"epoch": "dc", "target": target, "algo": "ethash",
                                              "extranonce": "af4c"})),
             (DOWN, call(None, "mining.notify", ["bf0488aa", "b3a4f", hx("64", prefix=""), "0"])),
             (UP, call(40, "mining.submit", ["bf0488aa", "6ce3b79bd43eb7", "00"])), (DOWN, ok(40)),
             # its self-report: compact hex, unprefixed (EthStratumClient::submitHashrate)
             (UP, call(41, "mining.hashrate", ["500000", "0001"])), (DOWN, ok(41))])
    summary = s.summary()
    assert (summary["agent"], summary["pool_host"], summary["wallet"]) == (
        "ethminer-0.19.0", "eu1.pool.example", ETH)
    assert summary["hashes"] == pytest.approx(4e9)  # 2**256 / target: 4 GH a share, exactly
    assert summary["reported_hashrate_hs"] == 0x500000  # 5.24 MH/s
    facts = json.loads(summary["evidence"])
    assert "mining.hello from ethminer-0.19.0 (EthereumStratum/2.0.0)" in facts
    assert "mining.hashrate (self-reported)" in facts


def test_a_stratum_v1_hashrate_report_in_its_own_units_is_not_read():
    """mining.hashrate outside EthereumStratum carries a number in units of its sender's
    choosing: no self-report is made of it."""
    s = run(btc_session() + [(UP, call(50, "mining.hashrate", ["500000", "rig1"])),
                             (UP, call(51, "mining.hashrate", [12.5, "rig1"]))])
    assert s.summary()["dialect"] == "stratum-v1" and s.summary()["reported_hashrate_hs"] is None


def test_ethproxy_prices_by_the_job_header_and_reports_hashrate():
    header, old, seed = hx("db"), hx("cb"), hx("0e")
    s = run([(UP, call(1, "eth_submitLogin", [ETH], worker="rig-1")),
             (DOWN, {"id": 1, "jsonrpc": "2.0", "result": True}),
             (UP, call(2, "eth_getWork", [])),
             (DOWN, {"id": 2, "jsonrpc": "2.0", "result": [old, seed, BOUNDARY]}),
             (DOWN, {"id": 0, "jsonrpc": "2.0",
                     "result": [header, seed, hx("ff", 28, "0x00000000")]}),
             (UP, call(3, "eth_submitWork", ["0x00017b1001c34562", old, hx("f8")], worker="rig-1")),
             (DOWN, {"id": 3, "jsonrpc": "2.0", "result": True}),
             (UP, call(4, "eth_submitWork", ["0x01", hx("77"), hx("f8")])),  # unknown header
             (DOWN, {"id": 4, "jsonrpc": "2.0", "result": False}),
             (UP, call(9, "eth_submitHashrate", ["0x%064x" % 11_700_000, "0x01"]))])
    summary = s.summary()
    assert (summary["dialect"], summary["coin"], summary["wallet"], summary["worker"]) == (
        "ethproxy", "ETH", ETH, "rig-1")
    # share 3 by its job's boundary (2e9); share 4's header is unknown, so the newest boundary
    # (2^32) prices it, and its bare `false` counts as effort like a stale share
    assert summary["hashes"] == pytest.approx(2**256 / int(BOUNDARY, 16) + 2**32)
    assert 2**256 / int(BOUNDARY, 16) == pytest.approx(2e9, rel=1e-3)
    assert summary["reported_hashrate_hs"] == 11_700_000
    assert (summary["shares"], summary["shares_rejected"]) == (2, 1)


def test_ethproxy_over_http_pairs_responses_by_order():
    headers = (("Host", "eth.pool.example:8888"), ("User-Agent", "ethminer/0.18.0"))

    def post(obj):
        return http.encode(http.request("POST", f"/{ETH}/rig7", headers, line(obj)))

    def answer(obj):
        json_type = (("Content-Type", "application/json"),)
        return http.encode(http.response(200, "OK", json_type, line(obj)))

    s = run([(UP, post(call(1, "eth_getWork", []))),
             (DOWN, answer({"id": 1, "jsonrpc": "2.0", "result": [hx("aa"), hx("bb"), BOUNDARY]})),
             (UP, post(call(7, "eth_submitWork", ["0x01", hx("aa"), hx("cc")]))),
             (DOWN, answer({"id": 1, "jsonrpc": "2.0", "result": True}))])  # id not echoed
    summary = s.summary()
    assert (summary["dialect"], summary["pool_host"], summary["wallet"], summary["worker"]) == (
        "ethproxy-http", "eth.pool.example", ETH, "rig7")
    assert summary["shares_accepted"] == 1 and summary["agent"] == "ethminer/0.18.0"


@pytest.mark.parametrize("target, host", [
    (f"http://eth.pool.example:8888/{ETH}/rig7", "eth.pool.example"),
    (f"http://u:pw@[2001:db8::7]:8888/{ETH}/rig7", None),  # an address is no pool host
])
def test_ethproxy_over_http_through_a_forward_proxy(target, host):
    """libcurl behind http_proxy (ethminer's getwork client, cgminer) sends the proxy the
    absolute form: the URL, not the path, carries the wallet and the pool."""
    def post(obj):
        return http.encode(http.request("POST", target, (("Host", "x.example"),), line(obj)))

    work = {"id": 1, "jsonrpc": "2.0", "result": [hx("aa"), hx("bb"), BOUNDARY]}
    s = run([(UP, post(call(1, "eth_getWork", []))),
             (DOWN, http.encode(http.response(200, "OK", (), line(work))))])
    summary = s.summary()
    assert (summary["dialect"], summary["pool_host"], summary["wallet"], summary["worker"]) == (
        "ethproxy-http", host, ETH, "rig7")
    assert f"through an http proxy to {target.split('/')[2].split('@')[-1]}" in \
        summary["evidence"]


def test_solo_mining_to_a_node_through_a_forward_proxy_is_daemon_rpc():
    """getwork.classify's rule 3 (Basic auth to a coin daemon's port) on the URL's port, not
    the proxy's."""
    req = http.request("POST", "http://10.1.2.3:8332/", (
        ("User-Agent", "cgminer/4.12"), http.basic_auth_header("rpcuser", "pw")),
        line(call(1, "getblocktemplate", [{"rules": ["segwit"]}])))
    s = run([(UP, http.encode(req))], StratumSession(("10.0.0.5", 50000), ("10.9.9.9", 3128)))
    assert s.dialect == "daemon-rpc" and not s.is_mining()


def test_cryptonote_xmrig_session():
    def cn_diff(target):  # XMRig Job::setTarget and Job::toDiff
        raw = bytes.fromhex(target)
        t64 = int.from_bytes(raw, "little")
        if len(raw) == 4:
            t64 = 0xFFFFFFFFFFFFFFFF // (0xFFFFFFFF // t64)
        return 0xFFFFFFFFFFFFFFFF // t64

    job = {"blob": "0707" + "00" * 70, "job_id": "q7PL", "target": "b88d0600", "algo": "rx/0",
           "height": 2300000, "seed_hash": "ab" * 32}
    job2 = dict(job, job_id="4BiG", target="e4a63d0000000000")
    s = run([(UP, {"id": 1, "jsonrpc": "2.0", "method": "login", "params": {
                 "login": XMR, "pass": "kitchen-pc", "agent": "XMRig/6.21.0 (Linux x86_64)",
                 "algo": ["rx/0", "cn/r"]}}),
             (DOWN, {"id": 1, "jsonrpc": "2.0", "error": None, "result": {
                 "id": "sid", "job": job, "extensions": ["algo", "keepalive"], "status": "OK"}}),
             (UP, call(2, "submit", {"id": "sid", "job_id": "q7PL", "nonce": "d0030040",
                                     "result": "e1" * 32})),
             (DOWN, {"jsonrpc": "2.0", "method": "job", "params": job2}),
             (DOWN, {"id": 2, "jsonrpc": "2.0", "error": None, "result": {"status": "OK"}}),
             (UP, call(3, "submit", {"id": "sid", "job_id": "4BiG", "nonce": "00000001",
                                     "result": "e1" * 32})),
             (DOWN, {"id": 3, "jsonrpc": "2.0", "error": None, "result": {"status": "OK"}}),
             (UP, {"id": 4, "method": "keepalived", "params": {"id": "sid"}}),
             (DOWN, {"id": 4, "error": None, "result": {"status": "KEEPALIVED"}})])
    summary = s.summary()
    assert (summary["dialect"], summary["coin"], summary["algorithm"]) == ("cryptonote", "XMR",
                                                                          "randomx")
    assert (summary["wallet"], summary["worker"]) == (XMR, "kitchen-pc")
    assert cn_diff("b88d0600") == 10000  # measurement.md §1.2: nodejs-pool diff 10000
    assert summary["hashes"] == pytest.approx(cn_diff("b88d0600") + cn_diff("e4a63d0000000000"))
    assert (summary["shares"], summary["shares_accepted"]) == (2, 2)


def _getwork_post(body: dict, agent="bfgminer/5.2.0") -> bytes:
    headers = (("Host", "us1.bitminter.com:3333"), http.basic_auth_header("broatcast", "123"),
               ("X-Mining-Extensions", "longpoll midstate rollntime submitold"),
               ("User-Agent", agent))
    return http.encode(http.request("POST", "/", headers, line(body)))


def _json_response(body: dict, server="") -> bytes:
    headers = (("Server", server),) if server else ()
    return http.encode(http.response(200, "OK", headers, line(body)))


def test_getwork_over_http():
    target = "ff" * 28 + "00000000"  # little-endian difficulty-1 target
    s = run([(UP, _getwork_post({"method": "getwork", "params": [], "id": 0})),
             (DOWN, _json_response(ok(0, {"data": "00" * 128, "target": target}, None))),
             (UP, _getwork_post({"method": "getwork", "params": ["00" * 128], "id": 1})),
             (DOWN, _json_response({"id": 1, "error": None, "result": True}))])
    summary = s.summary()
    assert s.is_mining() and summary["dialect"] == "getwork-http"
    assert (summary["pool_host"], summary["wallet"], summary["agent"]) == (
        "us1.bitminter.com", "broatcast", "bfgminer/5.2.0")
    assert summary["hashes"] == pytest.approx(2**256 / int("00000000" + "ff" * 28, 16))


def _long_poll(headers: tuple, body: dict) -> list:
    """A GET and its answer: how getwork pools pushed new work (X-Long-Polling: /LP)."""
    return [(UP, http.encode(http.request("GET", "/LP", headers, b""))),
            (DOWN, _json_response(body))]


def test_a_getwork_long_poll_is_a_pool_session():
    """cgminer's long-poll connection: a GET the pool answers with work when a block is
    found. The answer names no method, but a work unit's shape (128 bytes of data, a 256-bit
    target) is getwork's alone."""
    target = "ff" * 28 + "00000000"
    headers = (("Host", "mining.bitcoin.cz:8332"), http.basic_auth_header("slush.w1", "x"),
               ("User-Agent", "cgminer 2.3.1"),
               ("X-Mining-Extensions", "longpoll midstate rollntime submitold"))
    s = run(_long_poll(headers, ok(0, {"data": "00" * 128, "target": target,
                                          "midstate": "ab" * 32, "hash1": "00" * 64}, None)))
    summary = s.summary()
    assert s.is_mining() and summary["dialect"] == "getwork-http"
    assert (summary["pool_host"], summary["wallet"], summary["worker"]) == (
        "mining.bitcoin.cz", "slush", "w1")
    assert [e["method"] for e in s.events] == ["result"] and s.events[0]["difficulty"] == 2**32
    # an API's GET answered with data and target fields of other shapes is no work
    for result in ({"data": "00" * 127, "target": target}, {"data": "00" * 128, "target": 7},
                   {"data": [1, 2], "target": target}):
        assert not run(_long_poll(headers[:3], ok(0, result, None))).is_mining()


def test_getblocktemplate_to_a_pool():
    s = run([(UP, _getwork_post({"id": 0, "method": "getblocktemplate",
                                 "params": [{"capabilities": ["coinbasetxn", "workid"]}]})),
             (DOWN, _json_response(ok(0, {"previousblockhash": "00" * 32, "height": 5,
                                         "target": "00000000ffff" + "0" * 52}))),
             (UP, _getwork_post({"id": 1, "method": "submitblock", "params": ["02" * 80]})),
             (DOWN, _json_response({"id": 1, "error": None, "result": None}))])
    assert s.is_mining() and s.summary()["dialect"] == "getblocktemplate-http"
    assert s.summary()["hashes"] == pytest.approx(K)


def test_a_block_template_names_its_chain():
    """A template's height at the node's time names the chain, as a Stratum job's block does:
    Litecoin's 1,680,000th block (its second halving) came on 2019-08-05."""
    s = run([(UP, _getwork_post({"id": 0, "method": "getblocktemplate", "params": [{}]})),
             (DOWN, _json_response(ok(0, {"previousblockhash": "00" * 32, "height": 1_680_000,
                                         "curtime": 1565000000,
                                         "target": "00000000ffff" + "0" * 52}))),
             (UP, _getwork_post({"id": 1, "method": "submitblock", "params": ["02" * 80]})),
             (DOWN, _json_response({"id": 1, "error": None, "result": None}))])
    summary = s.summary()
    assert (summary["coin"], summary["algorithm"]) == ("LTC", "scrypt")
    assert "template height 1,680,000 on 2019-08-05: the chain of LTC (scrypt)" in \
        summary["evidence"]
    assert summary["hashes"] == pytest.approx(K)  # a target prices alike on every chain


RPC_AUTH = (http.basic_auth_header("user", "password"),)
SUBSCRIBE = b'{"id":1,"method":"mining.subscribe"}\n'
NOT_MINING = {
    "http browsing": [
        (UP, b"GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8\r\n\r\n"),
        (DOWN, http.encode(http.response(200, "OK", (("Content-Type", "text/html"),),
                                         b'<html>{"id":1}</html>')))],
    "tls": [(UP, encode_client_hello("pool.supportxmr.com")),
            (DOWN, b"\x16\x03\x03\x00\x40" + bytes(64)),
            (UP, b"\x17\x03\x03\x00\x20" + SUBSCRIBE + bytes(4))],
    "ssh": [(UP, b"SSH-2.0-OpenSSH_8.9\r\n" + bytes(range(256)) * 4),
            (DOWN, b"SSH-2.0-OpenSSH_8.2\r\n" + SUBSCRIBE)],
    "bitcoin p2p": [(UP, bytes.fromhex("f9beb4d976657273696f6e0000000000") + b"\n" + SUBSCRIBE)],
    "generic json-rpc": [(UP, line(call(1, "eth_blockNumber", [], jsonrpc="2.0"))),
                         (DOWN, line({"jsonrpc": "2.0", "id": 1, "result": "0x10d4f"})),
                         (UP, line(call(2, "login", ["bob", "pw"]))),
                         (UP, line(call(3, "login", {"login": "bob", "pass": "pw"})))],
    "daemon rpc (node-only method)": [
        (UP, http.encode(http.request("POST", "/", RPC_AUTH,
                                      line(call(1, "validateaddress", [LTC]))))),
        (UP, http.encode(http.request("POST", "/", RPC_AUTH,
                                      line(call(2, "getblocktemplate", [{}])))))],
    "daemon rpc (server header)": [
        (UP, _getwork_post(call(1, "getblocktemplate", [{}]), agent="cgminer/4")),
        (DOWN, _json_response(ok(1, {"previousblockhash": "00"}, None),
                              server="bitcoin-json-rpc/v0.9.0"))],
    "garbage": [(UP, b"\x00\x01garbage\n" * 100), (DOWN, b"{not json}\n[1,2]\n")],
    # Electrum's wallet protocol: JSON-RPC lines over TCP, once itself called "Stratum".
    "electrum": [(UP, line(call(0, "server.version", ["electrum/4.4.6", "1.4"], jsonrpc="2.0"))),
                 (DOWN, line({"jsonrpc": "2.0", "id": 0, "result": ["ElectrumX 1.16.0", "1.4"]})),
                 (UP, line(call(1, "blockchain.headers.subscribe", [], jsonrpc="2.0"))),
                 (DOWN, line(call(None, "blockchain.headers.subscribe",
                                  [{"hex": "00", "height": 800001}], jsonrpc="2.0"))),
                 (UP, line(call(2, "blockchain.scripthash.subscribe", ["ab"], jsonrpc="2.0")))],
    # Monero's levin P2P (signature 0x0101010101012101), MQTT CONNECT and PINGREQs.
    "monero p2p": [(UP, bytes.fromhex("0121010101010101") + bytes(25) + SUBSCRIBE),
                   (DOWN, bytes.fromhex("0121010101010101") + bytes(25))],
    "mqtt": [(UP, bytes([0x10, 0x12, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 6]) + b"client"),
             (DOWN, bytes([0x20, 2, 0, 0])), (UP, bytes([0xC0, 0]) * 20)],
    # An app's own JSON-RPC login, with the app as its agent: CryptoNote's method name and
    # keys, but no algo list, no wallet and no job in the answer.
    "json-rpc app login": [
        (UP, line({"id": 1, "jsonrpc": "2.0", "method": "login", "params": {
            "login": "alice", "pass": "secret", "agent": "ChatClient/1.2 (Windows)"}})),
        (DOWN, line({"id": 1, "jsonrpc": "2.0", "error": None,
                     "result": {"id": "9f8e7d", "status": "OK"}})),
        (UP, line({"id": 2, "jsonrpc": "2.0", "method": "getjob", "params": {"id": "9f8e7d"}})),
        (DOWN, line({"id": 2, "jsonrpc": "2.0", "error": None, "result": {"queue": []}}))],
    # monerod's own RPC: a wallet asking its node for a block template is no pool session.
    "monerod rpc": [
        (UP, http.encode(http.request("POST", "/json_rpc", (("Host", "127.0.0.1:18081"),),
                                      line(call("0", "get_block_template",
                                                {"wallet_address": XMR, "reserve_size": 60},
                                                jsonrpc="2.0"))))),
        (DOWN, _json_response({"id": "0", "jsonrpc": "2.0",
                               "result": {"blocktemplate_blob": "0e0e", "difficulty": 3e11,
                                          "status": "OK"}}))],
}


@pytest.mark.parametrize("name", sorted(NOT_MINING))
def test_traps_are_not_mining(name):
    s = run(NOT_MINING[name])
    assert not s.is_mining(), s.summary()
    assert s.summary()["detection"] is None and s.summary()["shares"] == 0


def test_an_account_login_answered_with_a_job_is_a_miner():
    """The trap above, answered as a pool answers an old miner's account login."""
    job = {"blob": "0e0e" + "ab" * 74, "job_id": "j1", "target": "b88d0600"}
    login, getjob = NOT_MINING["json-rpc app login"][0], NOT_MINING["json-rpc app login"][2]
    for conversation in ([login, (DOWN, line({"id": 1, "jsonrpc": "2.0", "error": None,
                                              "result": {"id": "9f8e7d", "status": "OK",
                                                         "job": job}}))],
                         [getjob, (DOWN, line({"id": 2, "jsonrpc": "2.0", "error": None,
                                               "result": job}))]):
        s = run(conversation)
        assert s.is_mining() and s.summary()["dialect"] == "cryptonote"


def test_daemon_rpc_and_tls_are_labelled():
    assert run(NOT_MINING["daemon rpc (node-only method)"]).summary()["dialect"] == "daemon-rpc"
    monerod = run(NOT_MINING["monerod rpc"])
    assert (monerod.summary()["dialect"], monerod.gave_up) == ("daemon-rpc", True)
    assert monerod.label()["methods"] == "get_block_template"
    tls_session = run(NOT_MINING["tls"]).summary()
    assert tls_session["dialect"] == "tls" and tls_session["tls"] is True


def test_rows_fit_the_schema():
    s = run(btc_session())
    assert set(s.summary()) <= set(schema.column_names("sessions"))
    assert all(set(e) == set(schema.column_names("stratum_events")) for e in s.events)
    schema.to_table("sessions", [s.summary()])
    schema.to_table("stratum_events", s.events)
    methods = [(e["direction"], e["method"]) for e in s.events]
    assert methods[:2] == [("up", "mining.subscribe"), ("down", "result")]
    assert s.events[-1]["accepted"] is True and s.events[-1]["msg_id"] == "12"
    assert len(s.take_events()) == len(methods) and s.events == []


def _fixture_dialogues():
    rng_addresses = make_address("ETH", __import__("random").Random(1))
    return [btc_session(), btc_session(diff=0.5, login=rng_addresses),
            NOT_MINING["daemon rpc (server header)"],
            [(d, m) for d, m in btc_session()[4:]]]


def _feed_split(conversation, cuts):
    s = StratumSession(("10.0.0.5", 50000), ("203.0.113.7", 3333))
    for i, (direction, msg) in enumerate(conversation):
        data = msg if isinstance(msg, bytes) else line(msg)
        points = sorted({c % (len(data) + 1) for c in cuts}) + [len(data)]
        start = 0
        for p in points:
            s.feed(direction, 1000.0 + i, data[start:p])
            start = p
    return s


@settings(max_examples=60)
@given(st.integers(0, 3), st.lists(st.integers(0, 3000), max_size=12))
def test_chunking_does_not_change_anything(which, cuts):
    conversation = _fixture_dialogues()[which]
    whole, split = _feed_split(conversation, []), _feed_split(conversation, cuts)
    assert split.summary() == whole.summary() and split.events == whole.events


def test_byte_by_byte_equals_whole():
    conversation = btc_session()
    whole = _feed_split(conversation, [])
    bytewise = _feed_split(conversation, list(range(4000)))
    assert bytewise.summary() == whole.summary() and bytewise.events == whole.events


@settings(max_examples=150)
@given(st.lists(st.tuples(st.sampled_from([UP, DOWN, "sideways"]), st.binary(max_size=200)),
                max_size=12))
def test_random_bytes_never_raise(chunks):
    s = StratumSession()
    for i, (direction, data) in enumerate(chunks):
        s.feed(direction, float(i), data)
    s.summary()
    assert s.counters["internal_errors"] == 0


keys = st.sampled_from(["login", "job", "blob", "job_id", "target", "id", "nonce", "result",
                        "algo", "agent"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=12)
methods = st.sampled_from(["mining.subscribe", "mining.authorize", "mining.notify", "mining.submit",
                           "mining.set_difficulty", "mining.set_target", "client.get_version",
                           "eth_submitLogin", "eth_submitWork", "eth_submitHashrate", "login",
                           "job", "submit", "getwork", None])


@settings(max_examples=150)
@given(st.lists(st.tuples(st.sampled_from([UP, DOWN]), methods, json_values, json_values,
                          st.sampled_from([1, 2, None, "a"])), max_size=15))
def test_random_messages_never_raise(messages):
    s = StratumSession()
    for i, (direction, method, params, result, msg_id) in enumerate(messages):
        obj = {"id": msg_id, "method": method, "params": params} if method else \
            {"id": msg_id, "result": result, "error": None}
        s.feed(direction, float(i), json.dumps(obj).encode() + b"\n")
    s.summary()
    assert s.counters["internal_errors"] == 0


@settings(max_examples=100)
@given(st.integers(0, 3),
       st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8))
def test_mutated_sessions_never_raise(which, flips):
    conversation = _fixture_dialogues()[which]
    s = StratumSession()
    for i, (direction, msg) in enumerate(conversation):
        data = bytearray(msg if isinstance(msg, bytes) else line(msg))
        for at, value in flips:
            data[at % len(data)] = value
        s.feed(direction, float(i), bytes(data))
    s.summary()
    assert s.counters["internal_errors"] == 0


def test_http_100_continue_does_not_shift_the_pairing_and_etc_host_means_etchash():
    post = http.encode(http.request("POST", "/", (("Host", "etc.pool.example:8008"),
                                                  ("Expect", "100-continue")),
                                    line(call(5, "eth_submitWork", ["0x01", hx("aa"), hx("cc")]))))
    s = run([(UP, http.encode(http.request("POST", "/", (), line(call(4, "eth_getWork", []))))),
             (DOWN, _json_response({"id": 4, "result": [hx("aa"), hx("bb"), BOUNDARY]})),
             (UP, post),
             (DOWN, b"HTTP/1.1 100 Continue\r\n\r\n" + _json_response({"id": 5, "result": True}))])
    summary = s.summary()
    assert summary["shares_accepted"] == 1 and summary["dialect"] == "ethproxy-http"
    assert (summary["algorithm"], summary["coin"]) == ("etchash", "ETC")


def test_an_ethereum_style_wallet_at_an_ethw_pool_mines_ethereumpow():
    """EthereumPoW (the Merge's proof-of-work fork) kept Ether's addresses and Ethash: the
    pool's name tells it from Ether (and derive's Merge rule, from Ethereum Classic)."""
    s = run([(UP, http.encode(http.request("POST", f"/{ETH}/rig1",
                                           (("Host", "ethw.2miners.com:2020"),),
                                           line(call(4, "eth_getWork", []))))),
             (DOWN, _json_response({"id": 4, "result": [hx("aa"), hx("bb"), BOUNDARY]}))])
    summary = s.summary()
    assert (summary["coin"], summary["algorithm"], summary["wallet"]) == ("ETHW", "ethash", ETH)


def test_a_host_that_only_contains_etc_is_not_ethereum_classic():
    """"etc" names the coin as a word of the host name (etc-eu1.nanopool.org), not inside one
    (fetch.pool.example is an Ethereum pool here: nothing else names a coin)."""
    s = run([(UP, http.encode(http.request("POST", "/", (("Host", "fetch.pool.example"),),
                                           line(call(4, "eth_getWork", []))))),
             (DOWN, _json_response({"id": 4, "result": [hx("aa"), hx("bb"), BOUNDARY]}))])
    assert s.summary()["algorithm"] == "ethash"


KASPA = "kaspa:precqv0krj3r6uyyfa36ga7s0u9jct0v4wg8ctsfde2gkrsgwgw8jgxfzfc98"
ERGO = "9fRAWhdxEsTcdb8PhGNrZfwqa65zfkuYHAMmkQLcic1gdLSV5vA"


def test_kaspa_over_ethereumstratum_is_kaspa_not_ethereum():
    """BzMiner on a Kaspa pool subscribes as EthereumStratum/1.0.0 and its jobs are Kaspa's
    (a header of four u64 and a timestamp): the wallet names the coin and algorithm."""
    s = run([(UP, call(1, "mining.subscribe", ["BzMiner/v17.0.0", "EthereumStratum/1.0.0"])),
             (DOWN, ok(1, [True, "EthereumStratum/1.0.0"])),
             (UP, call(2, "mining.authorize", [KASPA + ".rig1", "x"])),
             (DOWN, ok(2)),
             (DOWN, call(None, "mining.set_difficulty", [4.0])),
             (DOWN, call(None, "mining.notify", ["6d5", [1234567890123, 9876543210, 1111, 2222],
                                                 1690000000000])),
             (UP, call(3, "mining.submit", [KASPA + ".rig1", "6d5", "0x1234567890abcdef"])),
             (DOWN, ok(3))])
    summary = s.summary()
    assert (summary["dialect"], summary["coin"], summary["algorithm"], summary["wallet"]) == (
        "ethereumstratum-1.0", "KAS", "kheavyhash", KASPA)


@pytest.mark.parametrize("job", [
    ["6d5", [1234567890123, 9876543210, 1111, 2222], 1690000000000],  # BzMiner, Bitmain KS
    ["6d5", "9f" * 32 + "00d2f4e189010000"]])  # IceRiver: the hash and the timestamp in hex
def test_a_kaspa_job_names_kaspa_when_the_login_is_a_pool_username(job):
    """On a pool account the login is no kaspa: address; the job's shape alone says kHeavyHash,
    and every message decodes (the job was a decode error), so its price counts the share."""
    s = run([(UP, call(1, "mining.subscribe", ["IceRiverMiner-v1.1", "EthereumStratum/1.0.0"])),
             (DOWN, ok(1, [True, "EthereumStratum/1.0.0"])),
             (UP, call(2, "mining.authorize", ["pooluser.ks3m", "x"])),
             (DOWN, ok(2)),
             (DOWN, call(None, "mining.set_difficulty", [4096])),
             (DOWN, call(None, "mining.notify", job)),
             (UP, call(3, "mining.submit", ["pooluser.ks3m", "6d5", "0x1234567890abcdef"])),
             (DOWN, ok(3))])
    summary = s.summary()
    assert (summary["dialect"], summary["coin"], summary["algorithm"], summary["wallet"]) == (
        "ethereumstratum-1.0", "KAS", "kheavyhash", "pooluser")
    assert s.counters["decode_errors"] == 0 and summary["shares_accepted"] == 1
    notify = next(e for e in s.events if e["method"] == "mining.notify")
    assert notify["job_id"] == "6d5"  # Bitcoin's difficulty 1: 2^48/0xFFFF hashes, as ES1 says
    assert notify["difficulty"] == pytest.approx(4096 * 2**48 / 0xFFFF)
    assert notify["algorithm_hint"] == "kheavyhash"


def test_ergo_jobs_shaped_like_ethereum_are_still_ergo():
    s = run([(UP, call(1, "mining.subscribe", ["lolMiner/1.76", "EthereumStratum/1.0.0"])),
             (DOWN, ok(1, [["mining.notify", "ae6812eb", "EthereumStratum/1.0.0"], "a2eea0"])),
             (UP, call(2, "mining.authorize", [ERGO + ".rig", "x"])),
             (DOWN, ok(2)),
             (DOWN, call(None, "mining.notify", ["bf04", hx("ab", prefix=""),
                                                 hx("fc", prefix=""), True]))])
    assert (s.summary()["coin"], s.summary()["algorithm"]) == ("ERG", "autolykos2")


def test_nicehash_paid_in_bitcoin_stays_ethash():
    """NiceHash's daggerhashimoto logins are Bitcoin addresses: the payout coin, not the work."""
    btc = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
    s = run([(UP, call(1, "mining.subscribe", ["NBMiner/39.5", "EthereumStratum/1.0.0"])),
             (DOWN, ok(1, [["mining.notify", "ae6812eb", "EthereumStratum/1.0.0"], "a2eea0"])),
             (UP, call(2, "mining.authorize", [btc + ".rig", "x"])),
             (DOWN, ok(2))])
    assert s.summary()["algorithm"] == "ethash"


def test_a_vardiff_pool_leaves_one_fact_for_its_difficulty_changes():
    """The first difficulty is a fact; the later ones (a vardiff pool sends one every few
    minutes) are counted in one, so that they do not crowd the other facts out."""
    msgs = [(UP, call(1, "mining.subscribe", ["cgminer/4.11.1"])),
            (DOWN, ok(1, [[], "08000002", 4]))]
    for k, diff in enumerate([12000, 48000, 48000, 89000, 66000]):
        msgs.append((DOWN, call(None, "mining.set_difficulty", [diff])))
        msgs.append((DOWN, call(None, "mining.notify", [f"j{k}", "00" * 32, "01", "02", [],
                                                        "20000000", "1a2b3c4d", "5e5e5e5e",
                                                        True])))
    facts = json.loads(run(msgs).summary()["evidence"])
    assert [f for f in facts if "difficult" in f] == [
        "set_difficulty 12000", "3 later difficulty changes, the last set_difficulty 66000"]


@pytest.mark.parametrize("login, password", [
    (call(1, "mining.authorize", [BTC + ".rig1", "d=1024"]), "d=1024"),
    (call(1, "login", {"login": XMR, "pass": "c=XMR,rig7", "agent": "XMRig/6.21.0"}),
     "c=XMR,rig7"),
    (call(1, "eth_submitLogin", ["0x512ee0989a7ec0382365f824f9b620de312fd212", "hunter2"]),
     "hunter2"),
    (call(1, "mining.authorize", [BTC, "p" * 300]), "p" * 256),  # kept to 256 characters
    (call(1, "eth_submitLogin", ["0x512ee0989a7ec0382365f824f9b620de312fd212"]), None),
])
def test_the_pool_password_is_kept_as_sent(login, password):
    """Pool passwords carry options a regulator reads (a start difficulty, the payout coin)."""
    assert run([(UP, login), (DOWN, ok(1))]).summary()["password"] == password


def test_the_password_of_http_basic_auth():
    auth = base64.b64encode(b"Bigsky:123").decode()
    s = run([(UP, http.encode(http.request("POST", "/", (("Authorization", f"Basic {auth}"),),
                                           line(call(1, "getwork", [])))))])
    assert (s.wallet, s.password) == ("Bigsky", "123")


def test_claymores_placeholder_worker_yields_to_the_logins():
    """Claymore sends "worker": "eth1.0" unless told a name; the pool reads the login's."""
    login = [(UP, call(2, "eth_submitLogin", [ETH + ".rig2", "x"], worker="eth1.0")),
             (DOWN, {"id": 2, "jsonrpc": "2.0", "result": True})]
    assert run(login).summary()["worker"] == "rig2"
    bare = [(UP, call(2, "eth_submitLogin", [ETH, "x"], worker="rig7")),
            (DOWN, {"id": 2, "jsonrpc": "2.0", "result": True})]
    assert run(bare).summary()["worker"] == "rig7"


def test_the_pool_host_names_the_coin_an_account_login_does_not():
    """An account login at ltc.f2pool.com: the host says Litecoin, so scrypt's share
    multiplier prices the shares (2**16 fewer hashes a difficulty than SHA-256d)."""
    subscribe = (UP, {"id": 1, "method": "mining.subscribe",
                      "params": ["cgminer/4.11.1", None, "ltc.f2pool.com", "8888"]})
    s = run([subscribe] + btc_session(diff=64, login="acct.rig1")[1:])
    summary = s.summary()
    assert (summary["coin"], summary["algorithm"], summary["wallet"]) == ("LTC", "scrypt", "acct")
    assert summary["hashes"] == pytest.approx(3 * 64 * K / 2**16)
    plain = run(btc_session(diff=64, login="acct.rig1")).summary()  # no host: no coin
    assert (plain["coin"], plain["algorithm"]) == ("", "")
    assert plain["hashes"] == pytest.approx(3 * 64 * K)


@pytest.mark.parametrize("agent, algorithm, per_diff", [
    ("bmminer/2.0.0/Antminer S9/13500", "sha256d", K),
    ("Antminer S19j Pro/Tue Jun 13 21:45:46 CST 2023", "sha256d", K),
    ("Antminer L7/Thu Nov 10 2022", "scrypt", K / 2**16),
    ("cgminer/4.11.1", "", K),  # cgminer mines many algorithms: its agent says none
])
def test_an_asic_agent_names_the_algorithm_an_account_login_does_not(agent, algorithm, per_diff):
    """An account login at a pool no host name names: ASIC firmware mines one algorithm, which
    prices the shares, with a fact saying why (the coin is pool intelligence's to name first:
    tests/engine/test_dns_named_pools.py)."""
    s = run(btc_session(diff=64, login="acct.rig1", agent=agent)).summary()
    assert (s["algorithm"], s["coin"], s["wallet"]) == (algorithm, "", "acct")
    assert s["hashes"] == pytest.approx(3 * 64 * per_diff)
    assert any(f.startswith("agent ") and algorithm in f for f in json.loads(s["evidence"])) \
        == bool(algorithm)


def test_a_scrypt_asic_paid_in_bitcoin_is_priced_as_scrypt():
    """NiceHash pays every algorithm to a Bitcoin address: the wallet says BTC, the Antminer L7
    says scrypt, and the hardware is what hashes."""
    s = run(btc_session(diff=64, login=BTC + ".l7", agent="Antminer L7")).summary()
    assert s["algorithm"] == "scrypt" and s["hashes"] == pytest.approx(3 * 64 * K / 2**16)


def xmr_session(blob: str, seed_hash: str | None = None, algo: str | None = None):
    job = {"blob": blob, "job_id": "j1", "target": "b88d0600"}
    job |= {"seed_hash": seed_hash} if seed_hash else {}
    job |= {"algo": algo} if algo else {}
    return [(UP, call(1, "login", {"login": XMR, "pass": "x", "agent": "xmr-stak-cpu/1.3.0"})),
            (DOWN, {"id": 1, "jsonrpc": "2.0", "error": None,
                    "result": {"id": "479059546883218", "job": job, "status": "OK"}})]


@pytest.mark.parametrize("blob, seed, algo, expected", [
    ("0606e89883d205" + "00" * 69, None, None, "cryptonight"),  # 2017: block version 6
    ("0c0cb1d0e6ee05" + "00" * 69, None, None, "randomx"),  # version 12: RandomX's first
    ("0b0be89883d205" + "00" * 69, None, None, "cryptonight"),  # version 11: CN/R, 2019
    ("1010e89883d205" + "00" * 69, None, None, "randomx"),  # version 16, no seed: the wallet's
    ("1010e89883d205" + "00" * 69, "ab" * 32, None, "randomx"),  # a seed hash: RandomX's
    ("0606e89883d205" + "00" * 69, None, "cn/r", "cryptonight"),  # an algo field outranks all
])
def test_a_monero_job_without_an_algo_field_dates_its_algorithm(blob, seed, algo, expected):
    """Pools before 2019 sent no algo field: the block version in the blob (Monero forked to
    RandomX at version 12) or a seed hash (RandomX's) tells it; the coin stays Monero."""
    summary = run(xmr_session(blob, seed, algo)).summary()
    assert (summary["coin"], summary["algorithm"]) == ("XMR", expected)


ZEPH = ("ZEPHYR2jZrZXenfKejCcCmEkRzUYwXjgWfJF4yzdCznKQ8yQ3g3PsWUbZjzfzHbeTPMgXVmEuDKQUB9rPkgtVwyW"
        "Rh9knU4EpfJ57")  # Zephyr's governance wallet (its src/cryptonote_config.h)


def test_a_randomx_job_for_another_coins_wallet_is_that_coins():
    """Zephyr's pools send XMRig the same rx/0 jobs as Monero's: the wallet names the coin."""
    conversation = xmr_session("0f0f" + "00" * 74, "ab" * 32, "rx/0")
    conversation[0] = (UP, call(1, "login", {"login": ZEPH + ".rig2", "pass": "x",
                                             "agent": "XMRig/6.22.2 (Linux x86_64)"}))
    summary = run(conversation).summary()
    assert (summary["coin"], summary["algorithm"], summary["wallet"]) == ("ZEPH", "randomx", ZEPH)
    assert "Zephyr standard address" in summary["evidence"]


def test_randomx_work_paid_to_a_bitcoin_address_is_moneros():
    """NiceHash takes XMRig's login as a Bitcoin payout address and sends RandomX jobs (a seed
    hash, no algo field): the coin mined is RandomX's main one, Monero, not the payout's."""
    conversation = xmr_session("1010" + "00" * 74, "ab" * 32)
    conversation[0] = (UP, call(1, "login", {"login": "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy.rig",
                                             "pass": "x", "agent": "XMRig/6.21.0"}))
    summary = run(conversation).summary()
    assert (summary["coin"], summary["algorithm"]) == ("XMR", "randomx")


def test_a_rig_named_in_the_password_options_is_the_worker():
    """zpool and zergpool take the payout address as the login and options as the password,
    the rig as ID=."""
    login = [(UP, {"id": 2, "method": "mining.authorize", "params": [BTC, "c=BTC,ID=rig9"]}),
             (DOWN, ok(2))]
    assert (run(login).summary()["wallet"], run(login).summary()["worker"]) == (BTC, "rig9")
    named = [(UP, {"id": 2, "method": "mining.authorize", "params": [BTC + ".rig1", "ID=x"]}),
             (DOWN, ok(2))]
    assert run(named).summary()["worker"] == "rig1"  # the login's own comes first


def chain_notify(job: str, height: int, day_ts: int, nbits: str = "1a01ff6e") -> dict:
    """A Bitcoin-family job whose coinbase opens with block `height` (BIP 34) at `day_ts`."""
    push = height.to_bytes((height.bit_length() + 8) // 8, "little")
    coinb1 = "01000000" "01" + "00" * 32 + "ffffffff" "30" + f"{len(push):02x}" + push.hex()
    return {"id": None, "method": "mining.notify",
            "params": [job, "00" * 32, coinb1, "ffffffff", [], "20000000", nbits,
                       f"{day_ts:08x}", True]}


LTC_JOB = (2_700_000, 1717300000)  # Litecoin's height in June 2024 (Bitcoin's: 846,000)
BTC_JOB = (846_000, 1717300000)


@pytest.mark.parametrize("login, job, algorithm, coin, per_diff", [
    ("acct.rig", LTC_JOB, "scrypt", "LTC", K / 2**16),  # an account login names no coin
    ("acct.rig", BTC_JOB, "sha256d", "BTC", K),
    (BTC + ".l7", LTC_JOB, "scrypt", "LTC", K / 2**16),  # NiceHash pays scrypt in BTC
    (LTC + ".w", LTC_JOB, "scrypt", "LTC", K / 2**16),
])
def test_the_block_a_job_builds_on_names_chain_and_algorithm(login, job, algorithm, coin,
                                                             per_diff):
    conversation = [(DOWN, chain_notify("j1", *job)) if m.get("method") == "mining.notify"
                    else (d, m) for d, m in btc_session(diff=64, login=login)]
    s = run(conversation).summary()
    assert (s["algorithm"], s["coin"]) == (algorithm, coin)
    assert s["hashes"] == pytest.approx(3 * 64 * per_diff)
    assert any(f.startswith(f"coinbase height {job[0]:,} on 2024-06-02: the chain of {coin}")
               for f in json.loads(s["evidence"]))


def test_the_pools_direction_alone_names_the_chain():
    """A tap that sees one direction of an asymmetric route: the pool's jobs still tell."""
    s = run([(DOWN, {"id": None, "method": "mining.set_difficulty", "params": [32]}),
             (DOWN, chain_notify("j1", *LTC_JOB)), (DOWN, ok(4)), (DOWN, ok(5))]).summary()
    assert (s["dialect"], s["algorithm"], s["coin"]) == ("stratum-v1", "scrypt", "LTC")


def test_a_stratum_v1_session_waits_for_its_first_job_before_compiled_code():
    head = btc_session()[:5]  # subscribe, authorize, set_difficulty: no job yet
    s = run(head + [(UP, submit(10, "j0")), (DOWN, ok(10))])
    assert s.is_mining() and not s.steady_ready()  # the next job's block names the chain
    run([(DOWN, notify("j1"))], s)
    assert s.steady_ready()
