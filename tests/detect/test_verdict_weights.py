"""Verdict signals one by one: unseen facts stay silent, each weight is documented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minewatch.detect.verdict import WEIGHTS, MinerFacts, judge, verdict_for

DOCS = Path(__file__).resolve().parents[2] / "docs" / "attribution.md"


def facts(**kw) -> MinerFacts:
    base = dict(owner_type="idc", algorithm="randomx", hashrate_hs=3000.0, pools=("",),
                workers=("",), agents=("",), tls=False, wallet_owner_count=0)
    base.update(kw)
    return MinerFacts(**base)


def signals(f: MinerFacts) -> dict[str, str]:
    lines = json.loads(judge(f).evidence)
    return {line.split()[1].rstrip(":"): line for line in lines}


def test_unseen_worker_names_are_not_default_ones():
    # a flow-only miner: the comma-joined columns were empty
    assert "default_worker" not in signals(facts())
    assert "default_worker" in signals(facts(workers=("x",)))


def test_gpu_mining_reads_as_bought_hardware_everywhere():
    home = judge(facts(owner_type="residential", algorithm="ethash", hashrate_hs=None))
    assert home.verdict == "deliberate" and "gpu_rig" in home.evidence
    school = judge(facts(owner_type="education", algorithm="ethash", hashrate_hs=None))
    assert school.verdict == "deliberate" and "gpu_insider" in school.evidence
    assert "gpu_rig" not in school.evidence


def test_asic_coin_in_a_company_without_hashrate_is_deliberate():
    assert judge(facts(owner_type="enterprise", algorithm="sha256d", hashrate_hs=None)).verdict == "deliberate"


def test_xmrig_donation_traffic():
    stock = signals(facts(pools=("pool.supportxmr.com:3333", "donate.v2.xmrig.com:3333"),
                          agents=("XMRig/6.16.4 (Linux x86_64) libuv/1.42.0 gcc/9.3.0",)))
    assert "donate_seen" in stock
    assert "hidden_transport" not in signals(facts(pools=("donate.ssl.xmrig.com:443",)))
    agent = ("XMRig/6.16.4 (Linux x86_64) libuv/1.42.0 gcc/9.3.0",)
    assert "donate_missing" not in signals(facts(agents=agent, observed_s=3600))
    patched = signals(facts(agents=agent, observed_s=6 * 3600))
    assert "6.0 h" in patched["donate_missing"]


def test_nothing_known_still_says_so():
    v = judge(facts(owner_type="unknown", algorithm=""))
    assert v.verdict == "unknown" and v.score == 0.5
    assert json.loads(v.evidence) == ["+0.00 no_signal: nothing in the traffic points either way"]


@pytest.mark.parametrize("score, verdict", [(0.61, "compromised"), (0.6, "unknown"),
                                            (0.4, "unknown"), (0.39, "deliberate")])
def test_thresholds(score, verdict):
    assert verdict_for(score) == verdict


def test_evidence_lines_carry_the_weights_that_make_the_score():
    v = judge(facts(owner_type="government", wallet_owner_count=4, workers=("7",),
                    pools=("pool.minexmr.com:443",)))
    weights = [float(line.split()[0]) for line in json.loads(v.evidence)]
    assert v.score == pytest.approx(min(1.0, 0.5 + sum(weights)))


def test_every_signal_and_weight_is_documented():
    text = DOCS.read_text(encoding="utf-8").replace("−", "-")
    for name, weight in WEIGHTS.items():
        assert f"| `{name}` | {weight:+.2f} |" in text, name
