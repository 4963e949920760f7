"""Compromised vs deliberate: each signal of measurement.md §6 moves the verdict, with evidence."""

import json

import pytest

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


# --- scan probes before mining (measurement.md §6.3) ------------------------------------------

def test_scan_before_mining_is_listed_with_its_numbers():
    v = judge(facts(owner_type="idc", scan_targets=143, scan_ports=(445, 3389), scan_lead_s=1190.0))
    lines = json.loads(v.evidence)
    assert any(line.startswith("+0.25 scan_before_mining: scanned 143 addresses on 445/3389 "
                               "in the 20 min before mining") for line in lines)
    assert v.score > judge(facts(owner_type="idc")).score


def test_a_few_probes_are_not_a_scan():
    v = judge(facts(scan_targets=19, scan_ports=(22,), scan_lead_s=600.0))
    assert "scan_before_mining" not in v.evidence


def _flow(src, dst, dport, ts, packets=1, flags=0x02, sport=40000):
    return {"ts_start": ts, "ts_end": ts, "src_ip": src, "src_port": sport, "dst_ip": dst,
            "dst_port": dport, "proto": 6, "packets": packets, "bytes": 40 * packets,
            "tcp_flags": flags, "sampling_rate": 1, "exporter": "", "source": "sim", "input_id": ""}


def test_scan_facts_from_hand_built_flows(tmp_path):
    from minewatch import schema
    from minewatch.engine.derive import scan_facts
    from minewatch.store.duck import Store

    t = 1_000_000.0  # both hosts start mining here
    scanner, admin, quiet = "10.1.0.5", "10.1.0.6", "10.1.0.7"
    rows = []
    for i in range(40):  # SYN-only to 40 addresses on 445, RST back ignored, 1 retried SYN
        rows.append(_flow(scanner, f"203.0.113.{i}", 445, t - 1200 + i, packets=1 + (i == 3)))
        rows.append(_flow(f"203.0.113.{i}", scanner, 40000, t - 1200 + i + 0.05, flags=0x14,
                          sport=445))
    for i in range(10):  # the same addresses on 3389 too, and SYN-ACK answered by RST
        rows.append(_flow(scanner, f"203.0.113.{i}", 3389, t - 900 + i, packets=2, flags=0x06))
    for i in range(30):  # too early (> 60 min before mining) or after mining started
        rows.append(_flow(scanner, f"198.51.100.{i}", 22, t - 4000 + i))
        rows.append(_flow(scanner, f"198.51.100.{i}", 6379, t + 10 + i))
    for i in range(40):  # an admin's completed SSH logins to 40 servers: not probes
        rows.append(_flow(admin, f"192.0.2.{i}", 22, t - 600 + i, packets=12, flags=0x1B))
    for i in range(12):  # a host with a few failed connections: below the threshold
        rows.append(_flow(quiet, f"192.0.2.{i}", 3389, t - 300 + i))
    rows.append(_flow(scanner, "192.0.2.200", 443, t - 100))  # not a scan port
    with Store(tmp_path / "mw.duckdb") as store:
        store.replace("flows", schema.to_table("flows", rows))
        sessions = [{"client_ip": ip, "ts_start": t} for ip in (scanner, admin, quiet)]
        sessions.append({"client_ip": scanner, "ts_start": t + 500})  # a later session
        got = scan_facts(store, sessions)
    assert set(got) == {scanner, quiet}
    targets, ports, lead = got[scanner]
    assert targets == 40 and ports == (445, 3389) and lead == pytest.approx(1200)
    assert got[quiet][0] == 12
    v = judge(facts(scan_targets=targets, scan_ports=ports, scan_lead_s=lead))
    assert any("scanned 40 addresses on 445/3389 in the 20 min" in e for e in json.loads(v.evidence))
    assert "scan_before_mining" not in judge(facts(scan_targets=got[quiet][0])).evidence


def test_a_score_on_a_threshold_is_not_decided_by_float_rounding():
    from minewatch.detect import verdict as vmod

    # institution +0.15, CPU coin +0.25, GPU insider -0.30: 0.6000000000000001 in binary floats
    assert 0.5 + sum([0.15, 0.25, -0.3]) > 0.6
    weights = dict(vmod.WEIGHTS, a=0.15, b=0.25, c=-0.3)
    checks = [lambda f, n=n: (n, "test") for n in "abc"]
    original = (vmod.WEIGHTS, vmod.SIGNALS)
    try:
        vmod.WEIGHTS, vmod.SIGNALS = weights, tuple(checks)
        v = vmod.judge(vmod.MinerFacts("enterprise", "randomx", None, (), (), (), False, 1))
    finally:
        vmod.WEIGHTS, vmod.SIGNALS = original
    assert (v.score, v.verdict) == (0.6, "unknown")
