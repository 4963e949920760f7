"""From a session's credited shares to its hashrate, and from sessions to a miner's hashrate."""

from __future__ import annotations

import math

from minewatch.estimate.hashrate import estimate_hashrate


def session_hashrate(s: dict, multiplier: float = 1.0) -> dict:
    """Hashrate columns of a payload session (H/s; Sol/s for Equihash).

    Stratum v1 `set_difficulty` counts in Bitcoin difficulty-1 units; for algorithms whose
    pools scale difficulty (Scrypt: 2^16, NOMP convention) the hashes must be divided by that
    `multiplier` when the algorithm became known only after the session was read (pool intel).
    """
    shares = s.get("shares_accepted") or 0
    hashes, window = s.get("hashes") or 0.0, s.get("window_s") or 0.0
    if shares == 0 or hashes <= 0 or window <= 0:  # no share, or difficulty never seen
        return {"hashrate_method": "none"} | _none()
    priced = shares - (s.get("shares_unpriced") or 0)
    if priced <= 0:
        return {"hashrate_method": "none"} | _none()
    # Unpriced shares (their job's difficulty came before the capture) count at the mean price.
    k = shares / priced / multiplier
    est = estimate_hashrate(shares, hashes * k, (s.get("hashes_sq") or 0.0) * k / multiplier, window)
    return {"hashrate_hs": est.value, "hashrate_low_hs": est.low, "hashrate_high_hs": est.high,
            "hashrate_method": "shares"}


def _none() -> dict:
    return {"hashrate_hs": None, "hashrate_low_hs": None, "hashrate_high_hs": None}


def combine_estimates(sessions: list[dict]) -> dict:
    """A miner's hashrate: the sum of its sessions' estimates, with a 95% interval from the
    summed variances (each recovered from its own interval's half-widths)."""
    measured = [s for s in sessions if s.get("hashrate_hs") is not None]
    if not measured:
        return {"hashrate_method": "none"} | _none()
    method = ("shares" if all(s.get("hashrate_method") == "shares" for s in measured)
              else "flow-estimated")
    if len(measured) == 1:
        s = measured[0]
        return {k: s[k] for k in ("hashrate_hs", "hashrate_low_hs", "hashrate_high_hs")} | \
            {"hashrate_method": method}
    value = sum(s["hashrate_hs"] for s in measured)
    lo = math.sqrt(sum(((s["hashrate_hs"] - s["hashrate_low_hs"]) / 1.96) ** 2 for s in measured))
    hi = math.sqrt(sum(((s["hashrate_high_hs"] - s["hashrate_hs"]) / 1.96) ** 2 for s in measured))
    return {"hashrate_hs": value, "hashrate_low_hs": max(value - 1.96 * lo, 0.0),
            "hashrate_high_hs": value + 1.96 * hi, "hashrate_method": method}
