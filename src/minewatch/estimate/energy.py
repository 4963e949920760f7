"""Power and energy of a measured hashrate, from the per-algorithm efficiency table.

docs/measurement.md §3: P = Ĥ · e_alg · overhead [W], E_day = P · 24 / 1000 [kWh/day], computed
for three efficiencies e (J per hash): low = best hardware, typical, high = worst still-common
hardware (src/minewatch/data/efficiency.csv, with sources and a confidence per row).

Overhead follows the CBECI adaptation of §3.3: the lower bound assumes no overhead (the
theoretical minimum), the best guess and the upper bound add platform/facility overhead. The
default 1.10 is the low end of the ×1.10–1.20 rig overhead §3.2 suggests (and above the ≈1.05 PUE
of large farms); pass another `Overhead` (or `NO_OVERHEAD`) to change it.
"""

from __future__ import annotations

import csv
import importlib.resources
import io
import math
from dataclasses import dataclass
from functools import cache

from minewatch.errors import UsageError

# Joules per hash (or per Equihash solution) in one unit of the table.
UNIT_TO_J_PER_HASH = {
    "J/H": 1.0, "J/KH": 1e-3, "J/MH": 1e-6, "J/GH": 1e-9, "J/TH": 1e-12, "J/PH": 1e-15,
    "J/Sol": 1.0, "J/KSol": 1e-3,
}
# Names that miners, pools and decoders use for the table's algorithms.
ALGORITHM_ALIASES = {
    "sha256": "sha256d", "sha-256": "sha256d", "sha-256d": "sha256d",
    "rx/0": "randomx", "rx": "randomx", "random-x": "randomx",
    "equihash200,9": "equihash", "equihash 200,9": "equihash", "equihash200_9": "equihash",
    "etc": "etchash", "eth": "ethash",
}


@dataclass(frozen=True, slots=True)
class Overhead:
    """Multipliers applied to the low / typical / high power (platform overhead, PUE)."""

    low: float = 1.0
    typical: float = 1.10
    high: float = 1.10


DEFAULT_OVERHEAD = Overhead()
NO_OVERHEAD = Overhead(1.0, 1.0, 1.0)


@dataclass(frozen=True, slots=True)
class Efficiency:
    """One row of efficiency.csv: energy per unit of work, as written in `unit`."""

    algorithm: str
    unit: str
    low: float
    typical: float
    high: float
    source: str
    confidence: str

    @property
    def joules_per_hash(self) -> tuple[float, float, float]:
        """(low, typical, high) in J/H (J/Sol for Equihash)."""
        factor = UNIT_TO_J_PER_HASH[self.unit]
        return self.low * factor, self.typical * factor, self.high * factor


@cache
def efficiency_table() -> dict[str, Efficiency]:
    """The shipped table, by algorithm name."""
    text = (importlib.resources.files("minewatch") / "data" / "efficiency.csv").read_text("utf-8")
    rows = csv.DictReader(io.StringIO(text))
    return {row["algorithm"]: _efficiency(row) for row in rows}


def _efficiency(row: dict[str, str]) -> Efficiency:
    if row["unit"] not in UNIT_TO_J_PER_HASH:
        raise ValueError(f"efficiency.csv: unknown unit {row['unit']!r} for {row['algorithm']}")
    numbers = (float(row[k]) for k in ("low", "typical", "high"))
    return Efficiency(row["algorithm"], row["unit"], *numbers, row["source"], row["confidence"])


def efficiency(algorithm: str) -> Efficiency | None:
    """The table row for `algorithm` (aliases such as 'sha256' or 'rx/0' accepted), or None."""
    name = (algorithm or "").strip().lower()
    return efficiency_table().get(ALGORITHM_ALIASES.get(name, name))


def power_w(
    algorithm: str, hashrate_hs: float, overhead: Overhead = DEFAULT_OVERHEAD
) -> tuple[float, float, float] | None:
    """(low, typical, high) power in W of `hashrate_hs` H/s (Sol/s); None for an unknown algorithm.

    A missing or non-finite hashrate also gives None; a negative one is a caller error.
    """
    row = efficiency(algorithm)
    if row is None or hashrate_hs is None or not math.isfinite(hashrate_hs):
        return None
    if hashrate_hs < 0:
        raise UsageError(f"negative hashrate {hashrate_hs} H/s")
    low, typical, high = row.joules_per_hash
    return (hashrate_hs * low * overhead.low, hashrate_hs * typical * overhead.typical,
            hashrate_hs * high * overhead.high)


def energy_kwh_day(power_w: float) -> float:
    """Energy per day in kWh of a constant power in W: P · 24 / 1000."""
    return power_w * 24 / 1000
