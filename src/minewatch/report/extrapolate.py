"""Totals for miners whose hashrate could not be measured (TLS, flow-only), marked as such.

A miner's own hashrate is never invented: its row keeps `hashrate_hs = null`. But a province's
total power is what the report is for, so the totals extrapolate, per algorithm:

- with at least MIN_SAMPLE measured miners of the algorithm, each unmeasured one counts at
  their mean (a sampling estimate: it assumes the unmeasured resemble the measured); the 95%
  interval adds the spread of single miners and the uncertainty of the mean
  (Var = n_u·s² + n_u²·s²/n_m);
- with fewer, each counts at a prior of one typical machine of that algorithm (measurement.md
  §3.1), with a range of PRIOR_SPREAD either way: model-based, and labelled so.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from minewatch.estimate.energy import energy_kwh_day, power_w

MIN_SAMPLE = 3
PRIOR_SPREAD = 5.0
# One typical machine per IP, H/s (Sol/s for Equihash): S19 (95 TH/s), L7 (9.5 GH/s), an
# 8-GPU Ethash rig (~250 MH/s), a desktop CPU on RandomX (~5 kH/s), a Z11 (135 kSol/s),
# a 6-GPU KawPow rig (~150 MH/s).
PRIOR_HS = {"sha256d": 95e12, "scrypt": 9.5e9, "ethash": 250e6, "etchash": 250e6,
            "randomx": 5e3, "equihash": 135e3, "kawpow": 150e6}


@dataclass(frozen=True, slots=True)
class Extrapolation:
    per_miner_hs: float | None  # value counted for each unmeasured miner
    low_hs: float  # 95% bounds of the extrapolated part (all unmeasured miners together)
    high_hs: float
    method: str  # extrapolated, prior or none


def extrapolate(algorithm: str, measured: list[float], unmeasured: int) -> Extrapolation:
    if unmeasured == 0:
        return Extrapolation(None, 0.0, 0.0, "none")
    if len(measured) >= MIN_SAMPLE:
        mean, sd = statistics.fmean(measured), statistics.stdev(measured)
        half = 1.96 * math.sqrt(unmeasured * sd**2 + unmeasured**2 * sd**2 / len(measured))
        total = unmeasured * mean
        return Extrapolation(mean, max(total - half, 0.0), total + half, "extrapolated")
    prior = PRIOR_HS.get(algorithm)
    if prior is None:
        return Extrapolation(None, 0.0, 0.0, "none")
    total = unmeasured * prior
    return Extrapolation(prior, total / PRIOR_SPREAD, total * PRIOR_SPREAD, "prior")


def with_estimates(miners: list[dict]) -> tuple[list[dict], dict[str, Extrapolation]]:
    """Copies of the rows with `hashrate_est_hs` and, for unmeasured miners, power and energy
    at the extrapolated hashrate; and the extrapolation used for each algorithm."""
    by_alg: dict[str, list[dict]] = {}
    for m in miners:
        by_alg.setdefault(m.get("algorithm") or "", []).append(m)
    plans = {alg: extrapolate(alg, [m["hashrate_hs"] for m in rows if _from_shares(m)],
                              sum(1 for m in rows if m.get("hashrate_hs") is None))
             for alg, rows in by_alg.items()}
    return [_estimated(m, plans[m.get("algorithm") or ""]) for m in miners], plans


def _from_shares(m: dict) -> bool:
    """Measured from payload shares (flow-estimated values are too wide to extrapolate from)."""
    return m.get("hashrate_hs") is not None and (m.get("hashrate_method") or "shares") == "shares"


def _estimated(m: dict, plan: Extrapolation) -> dict:
    row = dict(m)
    if m.get("hashrate_hs") is not None:
        row["hashrate_est_hs"] = m["hashrate_hs"]
        return row
    row["hashrate_est_hs"] = plan.per_miner_hs
    watts = power_w(m.get("algorithm") or "", plan.per_miner_hs) if plan.per_miner_hs else None
    for i, level in enumerate(("low", "typical", "high")):
        if row.get(f"power_{level}_w") is None and watts:
            row[f"power_{level}_w"] = watts[i]
            row[f"energy_{level}_kwh_day"] = energy_kwh_day(watts[i])
    return row
