"""Power and energy from the efficiency table: docs/measurement.md §3 and the §7 energy checks."""

from __future__ import annotations

import csv
import importlib.resources
import io

import pytest

from minewatch.errors import UsageError
from minewatch.estimate.energy import (
    DEFAULT_OVERHEAD,
    NO_OVERHEAD,
    UNIT_TO_J_PER_HASH,
    Overhead,
    efficiency,
    efficiency_table,
    energy_kwh_day,
    power_w,
)

REQUIRED = {"sha256d", "scrypt", "ethash", "etchash", "randomx", "kawpow", "equihash"}
# (algorithm, hashrate H/s, expected (low, typical, high) W without overhead), by hand from §3.2
PER_ROW = [
    ("sha256d", 1e12, (17.5, 34.0, 100.0)),  # 1 TH/s × J/TH
    ("scrypt", 1e9, (210.0, 360.0, 1000.0)),  # 1 GH/s = 1000 MH/s × J/MH
    ("ethash", 1e8, (80.0, 240.0, 440.0)),  # 100 MH/s
    ("etchash", 1e8, (80.0, 240.0, 440.0)),
    ("randomx", 10_000, (100.0, 250.0, 1000.0)),  # 10 kH/s × J/H
    ("kawpow", 5e7, (200.0, 300.0, 500.0)),  # 50 MH/s
    ("equihash", 1000, (3.6, 10.5, 500.0)),  # 1000 Sol/s × J/Sol (Z15, Z11, GPU)
]


def test_ten_petahash_at_34_joules_per_terahash():
    low, typical, high = power_w("sha256d", 10e15, NO_OVERHEAD)
    assert typical == pytest.approx(340_000)  # 340 kW
    assert energy_kwh_day(typical) == pytest.approx(8_160)  # kWh/day
    assert (low, high) == (pytest.approx(175_000), pytest.approx(1_000_000))


def test_energy_check_of_section_7():
    # §7: 260 000 kWh/day = 10.83 MW
    assert energy_kwh_day(10.83e6) == pytest.approx(260_000, rel=1e-3)


@pytest.mark.parametrize("algorithm, hashrate, expected", PER_ROW)
def test_per_row_unit_conversion(algorithm, hashrate, expected):
    assert power_w(algorithm, hashrate, NO_OVERHEAD) == pytest.approx(expected)


def test_default_overhead_is_cbeci_style():
    assert (DEFAULT_OVERHEAD.low, DEFAULT_OVERHEAD.typical, DEFAULT_OVERHEAD.high) == (1, 1.1, 1.1)
    assert Overhead() == DEFAULT_OVERHEAD
    low, typical, high = power_w("sha256d", 1e12)
    assert (low, typical, high) == pytest.approx((17.5, 34 * 1.1, 100 * 1.1))


def test_aliases_and_unknown_algorithms():
    assert power_w("SHA256", 1e12, NO_OVERHEAD) == power_w("sha256d", 1e12, NO_OVERHEAD)
    assert efficiency("rx/0").algorithm == "randomx"
    assert power_w("cryptonight", 1000) is None
    assert power_w("", 1000) is None
    assert power_w("sha256d", float("nan")) is None
    assert power_w("sha256d", 0.0) == (0.0, 0.0, 0.0)
    with pytest.raises(UsageError):
        power_w("sha256d", -1.0)


def test_table_rows_are_complete_and_ordered():
    table = efficiency_table()
    assert set(table) >= REQUIRED
    for row in table.values():
        assert row.unit in UNIT_TO_J_PER_HASH
        assert 0 < row.low <= row.typical <= row.high
        assert row.confidence in {"low", "medium", "high"} and row.source
    assert table["etchash"].joules_per_hash == table["ethash"].joules_per_hash


def test_unverified_rows_have_low_confidence():
    # §3.2: every [unverified] cell ships with confidence=low (scrypt, kawpow, equihash)
    for name in ("scrypt", "kawpow", "equihash"):
        assert efficiency(name).confidence == "low"
    assert efficiency("sha256d").confidence == "high"


def test_csv_header_matches_the_documented_columns():
    text = (importlib.resources.files("minewatch") / "data" / "efficiency.csv").read_text("utf-8")
    header = next(csv.reader(io.StringIO(text)))
    assert header == ["algorithm", "unit", "low", "typical", "high", "source", "confidence"]
