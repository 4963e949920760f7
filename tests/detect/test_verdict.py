"""Compromised vs deliberate: each signal of measurement.md §6 moves the verdict, with evidence."""

import json

from minewatch.detect.verdict import MinerFacts, judge


def facts(**kw) -> MinerFacts:
    base = dict(owner_type="enterprise", algorithm="randomx", hashrate_hs=3000.0,
                pools=("pool.supportxmr.com:3333",), workers=("x",), agents=("XMRig/6.16.4",),
                tls=False, wallet_owner_count=1)
    base.update(kw)
    return MinerFacts(**base)


def test_xmrig_on_a_government_server_sharing_a_botnet_wallet_is_compromised():
    v = judge(facts(owner_type="government", wallet_owner_count=5))
    assert v.verdict == "compromised"
    evidence = json.loads(v.evidence)
    assert any("5 unrelated owners" in e for e in evidence)
    assert any("CPU algorithm randomx" in e for e in evidence)


def test_asic_farm_in_idc_is_deliberate():
    v = judge(facts(owner_type="idc", algorithm="sha256d", hashrate_hs=110e12,
                    pools=("btc.f2pool.com:3333",), workers=("rack07",)))
    assert v.verdict == "deliberate"
    assert any("ASIC" in e for e in json.loads(v.evidence))


def test_gpu_rig_at_a_university_reads_as_an_insider():
    v = judge(facts(owner_type="education", algorithm="ethash", hashrate_hs=400e6,
                    pools=("eth.f2pool.com:6688",), workers=("rig03",)))
    assert v.verdict == "deliberate"


def test_score_is_bounded_and_every_signal_is_listed():
    v = judge(facts(owner_type="hospital", tls=True, wallet_owner_count=9,
                    pools=("pool.minexmr.com:443",)))
    assert 0.0 <= v.score <= 1.0
    assert len(json.loads(v.evidence)) >= 4
