"""From a session's effort shares to its hashrate, and from sessions to a miner's hashrate."""

from __future__ import annotations

import math

from minewatch.estimate.hashrate import estimate_hashrate


def session_hashrate(s: dict) -> dict:
    """Hashrate columns of a payload session (H/s; Sol/s for Equihash), from its hashes (priced
    with its algorithm's difficulty multiplier: derive's `_reprice` when the algorithm became
    known only after the session was read)."""
    shares = effort_shares(s)
    hashes, window = s.get("hashes") or 0.0, s.get("window_s") or 0.0
    if shares == 0 or hashes <= 0 or window <= 0:  # no share, or difficulty never seen
        return {"hashrate_method": "none"} | _none()
    priced = shares - (s.get("shares_unpriced") or 0)
    if priced <= 0:
        return {"hashrate_method": "none"} | _none()
    # Unpriced shares (their job's difficulty came before the capture) count at the mean price.
    k = shares / priced
    est = estimate_hashrate(shares, hashes * k, (s.get("hashes_sq") or 0.0) * k, window)
    return {"hashrate_hs": est.value, "hashrate_low_hs": est.low, "hashrate_high_hs": est.high,
            "hashrate_method": "shares"}


def effort_shares(s: dict) -> int:
    """The shares a session's hashes count (databases written before shares_effort existed
    hold accepted shares only)."""
    effort = s.get("shares_effort")
    return (s.get("shares_accepted") if effort is None else effort) or 0


def _none() -> dict:
    return {"hashrate_hs": None, "hashrate_low_hs": None, "hashrate_high_hs": None}


def combine_estimates(sessions: list[dict]) -> dict:
    """A miner's hashrate: all hashes its sessions credited, over the time it was observed.

    Each session's estimate is weighted by its own window and divided by the union of the
    windows: concurrent sessions (rigs behind one NAT address) add up, sequential ones (a
    reconnect, a pool failover, XMRig's donation minutes) do not count the same hashing twice.
    The 95% interval comes from the summed variances, each recovered from its session's
    interval half-widths and scaled the same way."""
    measured = [s for s in sessions if s.get("hashrate_hs") is not None]
    if not measured:
        return {"hashrate_method": "none"} | _none()
    method = ("shares" if all(s.get("hashrate_method") == "shares" for s in measured)
              else "flow-estimated")
    if len(measured) == 1:
        s = measured[0]
        return {k: s[k] for k in ("hashrate_hs", "hashrate_low_hs", "hashrate_high_hs")} | \
            {"hashrate_method": method}
    union = observed_window(measured)
    w = [_window(s) / union for s in measured]
    value = sum(k * s["hashrate_hs"] for k, s in zip(w, measured))
    lo = math.sqrt(sum((k * (s["hashrate_hs"] - s["hashrate_low_hs"]) / 1.96) ** 2
                       for k, s in zip(w, measured)))
    hi = math.sqrt(sum((k * (s["hashrate_high_hs"] - s["hashrate_hs"]) / 1.96) ** 2
                       for k, s in zip(w, measured)))
    return {"hashrate_hs": value, "hashrate_low_hs": max(value - 1.96 * lo, 0.0),
            "hashrate_high_hs": value + 1.96 * hi, "hashrate_method": method}


def _window(s: dict) -> float:
    return max(s.get("window_s") or 0.0, 1e-9)


def observed_window(sessions: list[dict]) -> float:
    """Length of the union of the sessions' windows [ts_start, ts_start + window_s], s."""
    spans = sorted((s["ts_start"], s["ts_start"] + _window(s)) for s in sessions)
    total, (start, end) = 0.0, spans[0]
    for a, b in spans[1:]:
        if a > end:
            total, start, end = total + end - start, a, b
        else:
            end = max(end, b)
    return max(total + end - start, 1e-9)
