"""Real captures through pcap -> TCP reassembly -> StratumSession (../shared/data/pcaps).

What each capture holds is described in shared/data/README.md; the expected values below were
read off the reassembled payloads (and, for ETHProxy, measurement.md §2.1).
"""

from collections import Counter
from pathlib import Path

import pytest

from minewatch.detect.stratum import StratumSession
from minewatch.errors import DecodeError

pcap = pytest.importorskip("minewatch.decode.pcap")
packet = pytest.importorskip("minewatch.decode.packet")
tcp = pytest.importorskip("minewatch.flows.tcp")

PCAPS = Path(__file__).resolve().parents[3] / "shared" / "data" / "pcaps"
if not PCAPS.is_dir():
    PCAPS = Path("/work/shared/data/pcaps")
K = 2**48 / 65535


def sessions(name: str) -> list[StratumSession]:
    path = PCAPS / name
    if not path.exists():
        pytest.skip(f"{path} not available")
    table, live, done = tcp.TcpConnectionTable(), {}, []

    def handle(ev):
        if isinstance(ev, tcp.ConnClosed):
            done.extend(s for s in [live.pop(ev.key, None)] if s)
            return
        key, direction, ts, data = ev
        if key not in live:
            live[key] = StratumSession((key.client_ip, key.client_port),
                                       (key.server_ip, key.server_port), name)
        live[key].feed(direction, ts, data)

    with path.open("rb") as f:
        for raw in pcap.PcapReader(f):
            try:
                seg = packet.decode_frame(raw.linktype, raw.data, raw.ts)
            except DecodeError:
                continue
            for ev in table.add(seg) if seg else ():
                handle(ev)
    for ev in table.flush():
        handle(ev)
    assert sum(s.counters["internal_errors"] for s in done) == 0
    return done


def mining(name: str) -> list[dict]:
    return [s.summary() for s in sessions(name) if s.is_mining()]


def test_ethproxy_dwarfpool():
    (s,) = [s for s in sessions("ethproxy-dwarfpool.pcapng") if s.is_mining()]
    summary = s.summary()
    assert (summary["dialect"], summary["coin"], summary["algorithm"]) == (
        "ethproxy", "ETH", "ethash")
    assert summary["wallet"] == "0x512ee0989a7ec0382365f824f9b620de312fd212"
    assert summary["coin_confidence"] == 0.7  # an 0x address mines Ether or EthereumPoW alike
    assert (summary["shares"], summary["shares_accepted"], summary["shares_rejected"]) == (4, 1, 3)
    # the pool answers three of the four with a bare `"result": false` (tshark shows no reason):
    # they were hashed, so all four count as effort, as measurement.md §2.1 counts them
    assert summary["shares_effort"] == 4
    boundary = int("0000000225c17d04dad2965cc5a02a23e254c0c3f75d9178046aeb27ce1ca574", 16)
    assert summary["hashes"] == pytest.approx(4 * 2**256 / boundary)  # 2.0e9 hashes per share
    assert summary["ts_end"] - summary["ts_start"] == pytest.approx(680.4, abs=1.0)
    jobs = [e for e in s.events if e["method"] == "result" and e["job_id"]]
    assert len(jobs) == 25  # one eth_getWork reply and 24 pushes


def test_bitcoin_stratum_bitminter():
    found = mining("btc-stratum-bitminter.pcap")
    by_dialect = Counter(m["dialect"] for m in found)
    assert by_dialect == {"stratum-v1": 3, "getblocktemplate-http": 3, "getwork-http": 2}
    assert all(m["agent"] == "bfgminer/5.2.0" for m in found)
    full = [m for m in found if m["wallet"] == "broatcast" and m["dialect"] == "stratum-v1"]
    assert len(full) == 1 and "set_difficulty 4096" in full[0]["evidence"]
    # every job's coinbase opens with block 535,018 (push 03 ea2908), Bitcoin's on 2018-08-03
    # (block 535,018 was mined that day); the account login names no coin
    v1 = [m for m in found if m["dialect"] == "stratum-v1"]
    assert all("coinbase height 535,018 on 2018-08-03: the chain of BTC, BCH (sha256d)"
               in m["evidence"] and m["algorithm"] == "sha256d" for m in v1) and len(v1) == 3
    assert {(m["coin"], m["coin_confidence"]) for m in v1} == {("BTC", 0.7)}  # of two chains
    http_ones = [m for m in found if m["dialect"] != "stratum-v1"]
    assert {m["pool_host"] for m in http_ones} == {"us1.bitminter.com"}
    # mining.authorize ["broatcast", "123"]; the HTTP ones send Basic "Bigsky:123" (and
    # "broatcast:123"), read off the capture by hand
    assert full[0]["password"] == "123" and {m["password"] for m in http_ones} == {"123"}


def test_bitminter_tls_attempts_are_not_payload_miners():
    tls = [s for s in sessions("btc-stratum-bitminter.pcap") if s.tls]
    assert len(tls) == 5 and not any(s.is_mining() for s in tls)


def test_litecoin_pool_side_capture():
    found = mining("ltc-stratum-pool-side-mini.pcapng")
    assert len(found) == 1  # the coin-daemon RPC of the pool is no miner
    (m,) = found
    assert (m["agent"], m["wallet"], m["dialect"], m["password"]) == (
        "cgminer/3.7.2", "mn4jUMneEBjZuDPEdFuj6BmFPmehmrT2Zc", "stratum-v1", "x")
    assert (m["shares"], m["shares_accepted"]) == (4, 4)
    # A testnet wallet names no coin, but the job's target does: notify's nbits 1d7b5889 is
    # above SHA-256d's limit 1d00ffff, so no Bitcoin chain's (its coinbase height 283,723 on
    # 2014-05-28 was no main chain's then: Litecoin's was near 570,000). Scrypt: 2^16 fewer
    # hashes a share.
    assert m["algorithm"] == "scrypt" and m["coin"] == "" and m["coin_confidence"] is None
    assert "network target 1d7b5889 above SHA-256d's limit" in m["evidence"]
    assert m["hashes"] == pytest.approx(4 * 32 * K / 2**16)
    daemon = [s for s in sessions("ltc-stratum-pool-side-mini.pcapng") if s.dialect == "daemon-rpc"]
    assert len(daemon) >= 10


def test_cgminer_pool_scan_is_many_short_subscribes():
    found = mining("cgminer-pool-scan.pcapng")
    assert len(found) > 500
    assert all(m["shares"] == 0 for m in found)
    assert Counter(m["agent"] for m in found).most_common(1)[0][0] == "cgminer/3.7.2"


@pytest.mark.parametrize("name", ["not-mining-bitcoin-p2p.pcap", "not-mining-tls.pcap",
                                  "not-mining-ssh.pcap"])
def test_not_mining_captures(name):
    assert mining(name) == []
