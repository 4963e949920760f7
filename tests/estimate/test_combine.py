"""A miner's hashrate from several sessions: concurrent ones add up, sequential ones do not."""

import pytest

from minewatch.estimate.combine import combine_estimates, observed_window


def session(start: float, window: float, rate: float) -> dict:
    return {"ts_start": start, "window_s": window, "hashrate_hs": rate,
            "hashrate_low_hs": rate * 0.9, "hashrate_high_hs": rate * 1.1, "hashrate_method": "shares"}


def test_concurrent_sessions_add_up():
    got = combine_estimates([session(0, 3600, 100.0), session(0, 3600, 50.0)])
    assert got["hashrate_hs"] == pytest.approx(150.0)


def test_sequential_sessions_are_one_miner_hashing_once():
    # XMRig mining 59 minutes for its pool, then 1 minute for the donation pool, same rate.
    got = combine_estimates([session(0, 3540, 100.0), session(3540, 60, 100.0)])
    assert got["hashrate_hs"] == pytest.approx(100.0)
    assert got["hashrate_low_hs"] < 100.0 < got["hashrate_high_hs"]


def test_union_of_windows():
    assert observed_window([session(0, 10, 1), session(5, 10, 1), session(30, 5, 1)]) == 20.0
