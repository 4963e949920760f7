"""Hashes per share per dialect and the share-based hashrate: docs/measurement.md §1.4 and §7."""

from __future__ import annotations

import numpy as np
import pytest

from minewatch.errors import DecodeError, UsageError
from minewatch.estimate.hashrate import (
    K_BTC,
    TRUEDIFF1,
    HashrateEstimate,
    cryptonote_difficulty,
    cryptonote_target_from_difficulty,
    difficulty_to_target256,
    estimate_hashrate,
    hps_from_cryptonote_target,
    hps_from_difficulty,
    hps_from_target256,
    poisson_interval,
    share_multiplier,
    target256_from_hps,
)

ETHPROXY_CAPTURE = "0x0000000225c17d04dad2965cc5a02a23e254c0c3f75d9178046aeb27ce1ca574"
ES2_EXAMPLE = "0x0000000112e0be826d694b2e62d01511f12a6061fbaec8bc02357593e70e52ba"

# §7 test vectors: (#, hashes per share, shares N, window s, expected HPS, expected Ĥ H/s).
# Expected values are the exact-K column where §7 gives one (we use K_BTC, not 2**32); vector 10
# is printed with the NOMP 2**32 convention, which our exact K exceeds by 1.53e-5 (rel=2e-5).
VECTORS = [
    (1, lambda: hps_from_difficulty(8192), 1000, 600, 3.518449e13, 5.86415e13),
    (2, lambda: hps_from_difficulty(65536), 360, 3600, 2.814749767e14, 2.81479e13),
    (3, lambda: hps_from_difficulty(1.0), 100, 600, 4_294_967_296, 7.15839e8),
    (4, lambda: hps_from_difficulty(0.5), 240, 3600, 2_147_483_648, 1.43166e8),
    (5, lambda: hps_from_target256(ETHPROXY_CAPTURE), 4, 686.18, 2_000_000_000, 1.16587e7),
    (6, lambda: hps_from_target256(ES2_EXAMPLE), 500, 3600, 4_000_000_000, 5.55556e8),
    (7, lambda: hps_from_cryptonote_target("b88d0600"), 120, 3600, 10_000, 333.333),
    (8, lambda: hps_from_cryptonote_target("f3220000"), 200, 600, 480_045, 160_015),
    (9, lambda: hps_from_cryptonote_target("edb5a0f7c6100000"), 60, 600, 1_000_000, 100_000),
    (10, lambda: hps_from_difficulty(1024, share_multiplier("scrypt")), 300, 600, 67_108_864,
     3.35544e7),
    (11, lambda: hps_from_target256("0007fff8" + "0" * 56), 120, 600, 8192.125, 1638.43),
    (12, lambda: hps_from_target256("00000000ffff" + "0" * 52), 100, 600, 4_295_032_833, 7.15839e8),
]


@pytest.mark.parametrize("number, hps, shares, window, want_hps, want_rate", VECTORS)
def test_measurement_vectors(number, hps, shares, window, want_hps, want_rate):
    per_share = hps()
    # HPS of vectors 1-4 are printed with the 2**32 approximation (rel 1.53e-5 below exact K).
    assert per_share == pytest.approx(want_hps, rel=2e-5)
    estimate = estimate_hashrate(shares, shares * per_share, shares * per_share**2, window)
    assert estimate.value == pytest.approx(want_rate, rel=2e-5)
    assert estimate.low < estimate.value < estimate.high
    assert estimate.method == "shares" and estimate.shares == shares


def test_exact_constant():
    assert K_BTC == 2**256 / TRUEDIFF1 == 2**48 / 65535
    assert abs(K_BTC - 4_295_032_833.000015) < 1e-6
    assert hps_from_difficulty(8192) * 1000 / 600 == pytest.approx(5.86415e13, rel=1e-6)


def test_exact_values_where_the_arithmetic_is_exact():
    assert hps_from_target256(ES2_EXAMPLE) == 4_000_000_000  # §1.2: exactly 2**256 / 4e9
    assert hps_from_target256(ETHPROXY_CAPTURE) == pytest.approx(2e9, rel=1e-12)
    # 2**32 / 0x7fff8 = 8192.125002 (§7 prints 8192.125)
    assert hps_from_target256("0007fff8" + "0" * 56) == 2**32 / 0x7FFF8
    assert hps_from_difficulty(1024, 2**16) == 1024 * K_BTC / 2**16
    assert cryptonote_difficulty("b88d0600") == 10_000
    assert cryptonote_difficulty("f3220000") == 480_045
    assert cryptonote_difficulty("edb5a0f7c6100000") == 1_000_000


def test_short_boundaries_are_left_padded():
    assert hps_from_target256("ffff" + "0" * 52) == hps_from_target256("00000000ffff" + "0" * 52)


def test_nodejs_pool_targets_round_trip_through_xmrig():
    assert cryptonote_target_from_difficulty(10_000) == "b88d0600"
    assert cryptonote_target_from_difficulty(5_000) == "711b0d00"
    for diff in (100, 5_000, 10_000):
        assert cryptonote_difficulty(cryptonote_target_from_difficulty(diff)) == diff
    # the compact target is 32 bits: large difficulties come back slightly off, as in XMRig
    assert cryptonote_difficulty(cryptonote_target_from_difficulty(500_000)) == 500_054


@pytest.mark.parametrize("difficulty, multiplier", [(1, 1), (8192, 1), (0.5, 1), (1024, 2**16)])
def test_difficulty_and_target256_are_inverse(difficulty, multiplier):
    target = difficulty_to_target256(difficulty, multiplier)
    assert len(target) == 64
    expected = hps_from_difficulty(difficulty, multiplier)
    assert hps_from_target256(target) == pytest.approx(expected, rel=1e-12)
    assert difficulty_to_target256(1) == "00000000ffff" + "0" * 52


def test_target256_from_hps_round_trips():
    assert hps_from_target256(target256_from_hps(2e9)) == pytest.approx(2e9, rel=1e-12)
    assert hps_from_target256(target256_from_hps(8192.125)) == pytest.approx(8192.125, rel=1e-12)


def test_share_multipliers_depend_on_the_software():
    assert share_multiplier("scrypt") == 2**16
    assert share_multiplier("neoscrypt") == 2**5
    assert share_multiplier("neoscrypt", "cpuminer-multi") == 2**16
    assert share_multiplier("sha256") == 1
    assert share_multiplier("no-such-algo") == 1


@pytest.mark.parametrize(
    "bad", ["", "0x", "zz", "0" * 64, "1" * 65],
)
def test_bad_256_bit_targets_raise_decode_error(bad):
    with pytest.raises(DecodeError):
        hps_from_target256(bad)


@pytest.mark.parametrize("bad", ["", "b88d06", "00000000", "b88d0600ff", "xyzw0000"])
def test_bad_cryptonote_targets_raise_decode_error(bad):
    with pytest.raises(DecodeError):
        hps_from_cryptonote_target(bad)


def test_bad_difficulties():
    with pytest.raises(DecodeError):
        hps_from_difficulty(0)
    with pytest.raises(UsageError):
        cryptonote_target_from_difficulty(0)
    with pytest.raises(UsageError):
        estimate_hashrate(1, 1.0, 1.0, 0)


@pytest.mark.parametrize(
    "count, low, high", [(4, 0.27, 2.56), (10, 0.48, 1.84), (100, 0.81, 1.22), (1000, 0.94, 1.06)]
)
def test_poisson_interval_ratios(count, low, high):
    lo, hi = poisson_interval(count)
    assert lo / count == pytest.approx(low, abs=0.005)
    assert hi / count == pytest.approx(high, abs=0.005)
    est = estimate_hashrate(count, count * 1e9, count * 1e18, 100.0)
    assert est.low / est.value == pytest.approx(lo / count)
    assert est.high / est.value == pytest.approx(hi / count)
    assert est.stddev == pytest.approx(est.value / count**0.5)


def test_no_shares():
    est = estimate_hashrate(0, 0.0, 0.0, 600.0)
    assert est == HashrateEstimate(0.0, 0.0, None, 0, "shares", 0.0)
    known = estimate_hashrate(0, 0.0, 0.0, 600.0, mean_hps=1e9)
    assert known.value == 0.0 and known.low == 0.0
    assert known.high == pytest.approx(-np.log(0.025) * 1e9 / 600)  # chi2(0.975, 2)/2 = ln 40


def test_interval_covers_the_true_rate_about_95_percent_of_the_time():
    rng = np.random.default_rng(2024)
    true_rate, hps, window = 5e7, hps_from_difficulty(0.25), 600.0
    trials, covered = 4000, 0
    for count in rng.poisson(true_rate * window / hps, trials):
        est = estimate_hashrate(int(count), count * hps, count * hps**2, window, mean_hps=hps)
        covered += est.low <= true_rate <= est.high
    coverage = covered / trials
    print(f"\ninterval coverage: {coverage:.3f} (Garwood is conservative: >= 0.95 expected)")
    assert 0.94 <= coverage <= 0.985
