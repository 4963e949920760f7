"""Totals for unmeasured miners: hand-computed vectors."""

import math

import pytest

from minewatch.report.extrapolate import PRIOR_HS, PRIOR_SPREAD, extrapolate, with_estimates
from minewatch.report.figures import situation


def test_sample_mean_and_prediction_interval():
    e = extrapolate("randomx", [1000.0, 2000.0, 3000.0], 2)
    # mean 2000, s = 1000; Var = 2*1000^2 + 4*1000^2/3 = 3.333e6
    half = 1.96 * math.sqrt(2e6 + 4e6 / 3)
    assert e.method == "extrapolated" and e.per_miner_hs == 2000.0
    assert (e.low_hs, e.high_hs) == pytest.approx((4000 - half, 4000 + half))


def test_prior_when_too_few_measured():
    e = extrapolate("sha256d", [1e12], 3)
    assert e.method == "prior"
    assert e.per_miner_hs == PRIOR_HS["sha256d"]
    assert (e.low_hs, e.high_hs) == (3 * PRIOR_HS["sha256d"] / PRIOR_SPREAD,
                                     3 * PRIOR_HS["sha256d"] * PRIOR_SPREAD)


def test_rows_keep_null_hashrate_but_totals_count_them():
    miners = [{"ip": f"10.0.0.{i}", "algorithm": "randomx", "hashrate_hs": h,
               "hashrate_low_hs": h and h * 0.9, "hashrate_high_hs": h and h * 1.1}
              for i, h in enumerate([1000.0, 2000.0, 3000.0, None])]
    rows, _ = with_estimates(miners)
    assert miners[3]["hashrate_hs"] is None and rows[3]["hashrate_est_hs"] == 2000.0
    assert rows[3]["energy_typical_kwh_day"] > 0
    rep = situation(miners, 0.0, 3600.0, 0, 0)
    h = rep["hashrate"]["randomx"]
    assert h["measured_hs"] == 6000.0 and h["value_hs"] == 8000.0
    assert h["method"] == "shares+extrapolated" and h["measured_ips"] == 3
    assert rep["unmeasured_miner_ips"] == 1
