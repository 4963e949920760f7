"""Flow-only share counts and hashrate: docs/measurement.md §2.

Hand vectors come from the real ETHProxy capture of §2.1 (dwarf_s.pcapng): 46 packets up / 39
down, 3 730 B up / 8 465 B down in Ethernet frames over 686.2 s, 4 shares at 2·10^9 hashes per
share. Our flow records count IP bytes, so the frames lose 14 B each: 3 086 / 7 919 IP bytes,
hence 1 246 / 6 359 B of TCP payload at 40 B of IPv4 + TCP headers per packet.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2

from minewatch.estimate.flow_only import (
    DIALECTS,
    SharesEstimate,
    Span,
    dialect_hint,
    estimate_shares,
    flow_hashrate,
    learn_dialects,
    learn_hashes_per_share,
)

DUR = 686.2
UP_PKTS, DOWN_PKTS = 46, 39
UP_IP, DOWN_IP = 3730 - 14 * UP_PKTS, 8465 - 14 * DOWN_PKTS  # 3 086 and 7 919 B
ETH = DIALECTS["ethproxy"]


def dwarf(hint: str = "ethproxy", **kw) -> SharesEstimate:
    return estimate_shares(hint, UP_PKTS, DOWN_PKTS, UP_IP, DOWN_IP, DUR, **kw)


def test_capture_bytes_are_ip_bytes_and_payload_is_what_the_doc_measured():
    assert (UP_IP, DOWN_IP) == (3086, 7919)
    assert UP_IP - 40 * UP_PKTS == 1246  # login 202 B + 4 submits of 261 B (§2.1)
    assert 1246 - 202 == 4 * 261  # the §2.2 estimator with the measured sizes: exactly 4 shares
    assert UP_PKTS - DOWN_PKTS == 7  # = 4 shares + eth_submitLogin + eth_getWork + SYN (§2.2)


def test_capture_share_count_hand_computed():
    est = dwarf()
    assert est.method == "bytes+packets"
    # Low end: login seen, largest login (280 B) and submit (290 B) of the ETHProxy table.
    assert est.low == pytest.approx((1246 - ETH.login_up.hi) / ETH.submit.hi)  # 3.33
    # High end: the session began before the capture (no login), smallest submit (215 B).
    assert est.high == pytest.approx(1246 / ETH.submit.lo)  # 5.80
    # Packets (the pool piggybacks its ACKs): 46 − 39 − SYN − 2 login requests = 4 submits;
    # bytes with typical sizes: (1246 − 200) / 250 = 4.18; the value lies between.
    assert 4.0 <= est.value <= (1246 - ETH.login_up.mid) / ETH.submit.mid
    assert est.low <= 4 <= est.high


def test_capture_rules_out_hashrate_reports():
    # 11 eth_submitHashrate of ≥185 B would need 2 035 B > 1 246 B of payload.
    assert "no hashrate reports" in dwarf().evidence[-1]


def test_frame_bytes_need_the_l2_header_counted():
    framed = estimate_shares("ethproxy", UP_PKTS, DOWN_PKTS, 3730, 8465, DUR, header_bytes=54)
    assert (framed.value, framed.low, framed.high) == (dwarf().value, dwarf().low, dwarf().high)
    wrong = estimate_shares("ethproxy", UP_PKTS, DOWN_PKTS, 3730, 8465, DUR)  # frames read as IP
    assert (wrong.low, wrong.high) != (dwarf().low, dwarf().high)  # 644 B too much payload


def test_algorithm_hint_finds_the_capture_too():
    est = dwarf("ethash")
    assert est.method == "bytes+packets" and est.low <= 4 <= est.high
    assert est.value == pytest.approx(dwarf().value)


def test_unknown_dialect_is_widest():
    known, unknown = dwarf(), dwarf("some-new-algo")
    assert unknown.low <= known.low and unknown.high >= known.high
    assert unknown.low <= 4 <= unknown.high


def test_capture_hashrate_with_learned_difficulty():
    est = dwarf()
    hr = flow_hashrate(est, 2e9, DUR)
    assert hr["hashrate_method"] == "flow-estimated"
    assert hr["hashrate_hs"] == pytest.approx(est.value * 2e9 / DUR)
    # Garwood at the ends of the share range: chi2(0.025; 2·low)/2 and chi2(0.975; 2·high + 2)/2.
    assert hr["hashrate_low_hs"] == pytest.approx(chi2.ppf(0.025, 2 * est.low) / 2 * 2e9 / DUR)
    assert hr["hashrate_high_hs"] == pytest.approx(chi2.ppf(0.975, 2 * est.high + 2) / 2 * 2e9 / DUR)
    # Wider than the payload-based interval of §2.1 (N = 4: [3.2, 29.8] MH/s), containing 11.7 MH/s.
    assert hr["hashrate_low_hs"] < 3.2e6 and hr["hashrate_high_hs"] > 29.8e6
    assert hr["hashrate_low_hs"] < 11.66e6 < hr["hashrate_high_hs"]


def test_no_difficulty_no_hashrate():
    hr = flow_hashrate(dwarf(), None, DUR)
    assert hr == {"hashrate_hs": None, "hashrate_low_hs": None, "hashrate_high_hs": None,
                  "hashrate_method": "none"}
    none = SharesEstimate(None, None, None, "none")
    assert flow_hashrate(none, 2e9, DUR)["hashrate_method"] == "none"


def test_getwork_polling_is_not_identifiable():
    est = estimate_shares("ethproxy-http", 3600, 3600, 900_000, 1_300_000, 3600)
    assert (est.value, est.method) == (None, "none")
    assert flow_hashrate(est, 2e9, 3600)["hashrate_hs"] is None


def test_no_upstream_packet_no_share():
    est = estimate_shares("ethproxy", 0, 3, 0, 120, 60)
    assert (est.value, est.low, est.high) == (0.0, 0.0, 0.0)


def _synthetic(d, shares, jobs, piggyback, reports=0, probes=0, tls=False):
    """Counters of a session with typical sizes: (packets_up, packets_down, bytes_up, bytes_down)."""
    up_msgs, down_msgs = d.login_msgs[0] + shares + reports, d.login_msgs[1] + shares + reports + jobs
    up_pay = d.login_up.mid + shares * d.submit.mid + reports * d.keepalive.mid
    down_pay = d.login_down.mid + (shares + reports) * d.reply.mid + jobs * d.push.mid
    up_data = d.login_msgs[0] + shares * d.segments() + reports
    p_up = 2 + up_data + down_msgs + probes
    p_dn = 1 + down_msgs + probes + (0 if piggyback else up_msgs)
    return p_up, p_dn, int(up_pay + 40 * p_up), int(down_pay + 40 * p_dn)


@pytest.mark.parametrize("name,shares,jobs,reports", [
    ("stratum-v1", 300, 120, 0), ("ethereumstratum-1.0", 280, 270, 0), ("ethproxy", 150, 130, 60),
    ("ethproxy", 20, 130, 60), ("zip301", 200, 110, 0), ("cryptonote", 120, 40, 15)])
@pytest.mark.parametrize("piggyback,probes", [(True, 0), (True, 12), (False, 0)])
def test_both_ack_behaviours_bracket_the_share_count(name, shares, jobs, reports, piggyback, probes):
    counters = _synthetic(DIALECTS[name], shares, jobs, piggyback, reports, probes)
    est = estimate_shares(name, *counters, 3600.0)
    assert est.method == "bytes+packets"
    assert est.low <= shares <= est.high
    assert abs(est.value - shares) <= 0.2 * shares + 5  # probes bias the every-ACK count up


def test_tls_adds_record_overhead():
    d = DIALECTS["cryptonote"]
    p_up, p_dn, b_up, b_dn = _synthetic(d, 120, 40, False, reports=15)
    msgs_up, msgs_dn = d.login_msgs[0] + 135, d.login_msgs[1] + 135 + 40
    b_up, b_dn = b_up + 25 * msgs_up + 450 + 64, b_dn + 25 * msgs_dn + 4000
    p_up, p_dn = p_up + 2 + 1, p_dn + 1 + 2 + 2  # ClientHello, Finished; certificate (3 segments)
    est = estimate_shares("randomx", p_up, p_dn, b_up, b_dn, 3600.0, tls=True)
    assert est.low <= 120 <= est.high


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["ethproxy", "ethash", "randomx", "sha256d", "equihash", "unknown", "kawpow"]),
       st.integers(0, 5000), st.integers(0, 5000), st.integers(0, 2_000_000), st.integers(0, 8_000_000),
       st.floats(0, 7200), st.booleans())
def test_any_counters_give_an_ordered_interval_or_none(hint, p_up, p_dn, b_up, b_dn, dur, tls):
    est = estimate_shares(hint, p_up, p_dn, b_up, b_dn, dur, tls=tls)
    if est.value is None:
        assert est.method == "none"
        return
    assert 0 <= est.low <= est.value <= est.high
    hr = flow_hashrate(est, 1e9, max(dur, 1.0))
    assert 0 <= hr["hashrate_low_hs"] <= hr["hashrate_hs"] <= hr["hashrate_high_hs"]


def test_span_arithmetic_keeps_bounds():
    a, b = Span(1, 2, 3), Span(2, 4, 5)
    assert a + b == Span(3, 6, 8)
    assert b - a == Span(-1, 2, 4)
    assert 10 - a == Span(7, 8, 9)
    assert a * b == Span(2, 8, 15)
    assert (a / b).lo == pytest.approx(0.2) and (a / b).hi == pytest.approx(1.5)


def test_dialect_hint():
    assert dialect_hint("stratum-v1", "equihash") == "zip301"
    assert dialect_hint("ethproxy", "ethash") == "ethproxy"
    assert dialect_hint(None, "randomx") == "randomx"
    assert dialect_hint(None, "") == "unknown"
    assert dialect_hint("ethproxy-http", "ethash") == "ethproxy-http"


# --- learning the difficulty of an endpoint ---------------------------------------------------

def _row(ip, port, hps, shares, client, unpriced=0, dialect="ethproxy", varied=False):
    priced = shares - unpriced
    sq = priced * hps * hps * (1.5 if varied else 1.0)
    return {"server_ip": ip, "server_port": port, "dialect": dialect, "hashes": priced * hps,
            "hashes_sq": sq, "shares_accepted": shares, "shares_unpriced": unpriced,
            "client_ip": client}


def test_fixed_difficulty_port_is_learned():
    rows = [_row("1.1.1.1", 8008, 2e9, 10, "10.0.0.1"), _row("1.1.1.1", 8008, 2e9 * 1.004, 50, "10.0.0.2"),
            _row("1.1.1.1", 8008, 2e9, 7, "10.0.0.3", unpriced=3)]
    learned = learn_hashes_per_share(rows)
    assert learned[("1.1.1.1", 8008)] == pytest.approx(2e9, rel=0.005)


def test_vardiff_port_is_not_learned():
    rows = [_row("2.2.2.2", 3333, 4.3e9 * 0.05, 100, "10.0.0.1"),
            _row("2.2.2.2", 3333, 4.3e9 * 0.08, 90, "10.0.0.2")]
    assert learn_hashes_per_share(rows) == {}


def test_difficulty_changing_within_a_session_is_not_learned():
    rows = [_row("3.3.3.3", 4444, 2e9, 40, "10.0.0.1", varied=True),
            _row("3.3.3.3", 4444, 2e9, 40, "10.0.0.2")]
    assert learn_hashes_per_share(rows) == {}


def test_one_session_or_one_miner_is_not_enough():
    assert learn_hashes_per_share([_row("4.4.4.4", 8008, 2e9, 10, "10.0.0.1")]) == {}
    same_miner = [_row("4.4.4.4", 8008, 2e9, 10, "10.0.0.1"), _row("4.4.4.4", 8008, 2e9, 12, "10.0.0.1")]
    assert learn_hashes_per_share(same_miner) == {}


def test_sessions_without_priced_shares_block_learning():
    rows = [_row("5.5.5.5", 8008, 2e9, 10, "10.0.0.1"), _row("5.5.5.5", 8008, 2e9, 0, "10.0.0.2")]
    assert learn_hashes_per_share(rows) == {}


def test_learn_dialects_only_where_sessions_agree():
    rows = [_row("1.1.1.1", 1, 1, 1, "a"), _row("1.1.1.1", 1, 1, 1, "b"),
            _row("2.2.2.2", 2, 1, 1, "a"), _row("2.2.2.2", 2, 1, 1, "b", dialect="ethereumstratum-1.0")]
    assert learn_dialects(rows) == {("1.1.1.1", 1): "ethproxy"}


# --- statistics on the simulator: flow counters of clear-text sessions vs their payload -------

SEED = 13


@pytest.fixture(scope="module")
def sim_sessions(tmp_path_factory):
    from minewatch.cli.progress import NullProgress
    from minewatch.engine.local import analyze
    from minewatch.sim.run import simulate
    from minewatch.store.duck import Store

    out = tmp_path_factory.mktemp("flow_only")
    simulate(out, SEED, "small", NullProgress())
    db = out / "mw.duckdb"
    analyze([str(out / "packets.pcap"), str(out / "ipfix.pcap"), str(out / "dns.log")],
            db, out / "registry.csv", NullProgress())
    with Store(db, read_only=True) as store:
        return store.rows("SELECT * FROM sessions WHERE detection = 'payload'")


def _covered(rows: list[dict], hint) -> tuple[int, int, list]:
    inside, missed = 0, []
    for s in rows:
        est = estimate_shares(hint(s), s["packets_up"], s["packets_down"], s["bytes_up"],
                              s["bytes_down"], s["ts_end"] - s["ts_start"])
        ok = est.value is not None and est.low <= (s["shares"] or 0) <= est.high
        inside += ok
        if not ok:
            missed.append((s["shares"], est.low, est.value, est.high, est.method))
    return inside, len(rows), missed


def test_ethproxy_share_interval_covers_payload_count(sim_sessions):
    """Only flow counters go in (with the hint a flow session gets: the pool's algorithm); the
    payload-counted shares of the same sessions are the truth."""
    rows = [s for s in sim_sessions if s["dialect"] == "ethproxy"]
    inside, n, missed = _covered(rows, lambda s: s["algorithm"])
    assert n >= 8
    assert inside / n >= 0.85, missed


def test_other_dialects_share_interval_covers_payload_count(sim_sessions):
    rows = [s for s in sim_sessions if s["dialect"] in
            ("stratum-v1", "ethereumstratum-1.0", "cryptonote") and not s["tls"]]
    inside, n, missed = _covered(rows, lambda s: s["algorithm"])
    assert n >= 20
    assert inside / n >= 0.85, missed


def test_getwork_sessions_are_never_given_a_share_count(sim_sessions):
    rows = [s for s in sim_sessions if s["dialect"] == "ethproxy-http"]
    for s in rows:
        est = estimate_shares(s["algorithm"], s["packets_up"], s["packets_down"], s["bytes_up"],
                              s["bytes_down"], s["ts_end"] - s["ts_start"])
        truth = s["shares"] or 0
        assert est.value is None or est.low <= truth <= est.high or math.isclose(est.value, truth)
