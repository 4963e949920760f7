"""The situation figures: miner rows in, the report dict (docs/report-schema.md) out.

Pure: the same function turns the analyser's miners into the report and the simulator's true
miners into truth.json, so both carry the same keys. Hashrate is summed per algorithm only;
counts, bytes, power and energy are summed across everything (measurement.md §4). Totals
include an extrapolation for miners whose hashrate could not be measured (report/extrapolate.py);
the measured part is given beside it.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import datetime, timezone

from minewatch.report.extrapolate import Extrapolation, with_estimates

LEVELS = ("low", "typical", "high")
OWNER_TYPES = ("government", "education", "enterprise", "hospital", "idc", "internet_cafe",
               "residential", "unknown")
UNITS = {"equihash": "Sol/s"}


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _num(x) -> float:
    return 0.0 if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def situation(miners: list[dict], period_start: float, period_end: float, bytes_up: int,
              bytes_down: int, sessions: int = 0, inputs: list[dict] | None = None,
              labelled: dict[str, int] | None = None) -> dict:
    """The report dict for `miners` (rows with the `miners` table columns) over the period;
    `labelled`: connections recognised as no miner's, by label (labelled_connections)."""
    period_s = max(period_end - period_start, 1e-9)
    compromised = sum(1 for m in miners if m.get("verdict") == "compromised")
    measured = [m for m in miners if m.get("hashrate_hs") is not None]
    miners, plans = with_estimates(miners)
    return {
        "generated_at": iso(datetime.now(timezone.utc).timestamp()),
        "period_start": iso(period_start),
        "period_end": iso(period_end),
        "period_s": period_s,
        "pool_egress_mbps": 8 * bytes_up / period_s / 1e6,
        "pool_ingress_mbps": 8 * bytes_down / period_s / 1e6,
        "miner_ips": len(miners),
        "sessions": sessions,
        "visibility": dict(Counter(m.get("visibility") or "flow-only" for m in miners)),
        "hashrate": hashrate_by_algorithm(miners, plans),
        "power_kw": {lv: sum(_num(m.get(f"power_{lv}_w")) for m in miners) / 1000 for lv in LEVELS},
        "energy_kwh_day": {lv: sum(_num(m.get(f"energy_{lv}_kwh_day")) for m in miners)
                           for lv in LEVELS},
        "energy_measured_kwh_day": {lv: sum(_num(m.get(f"energy_{lv}_kwh_day")) for m in measured)
                                    for lv in LEVELS},
        "by_city": by_city(miners),
        "by_coin": by_coin(miners, period_s),
        "owner_types": dict(Counter(m.get("owner_type") or "unknown" for m in miners)),
        "by_owner_type": by_owner_type(miners),
        "compromised_ips": compromised,
        "compromised_share": compromised / len(miners) if miners else 0.0,
        "unmeasured_miner_ips": sum(1 for m in miners if m.get("hashrate_hs") is None),
        "model_only_ips": sum(1 for m in miners if m.get("detections") == "behaviour"),
        "labelled": dict(labelled or {}),
        "inputs": inputs or [],
    }


def hashrate_by_algorithm(miners: list[dict], plans: dict[str, Extrapolation]) -> dict:
    """Per algorithm: the total (measured + extrapolated) with its 95% interval, and the
    measured part alone (variances of the per-miner estimates added)."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for m in miners:
        if m.get("algorithm"):
            groups[m["algorithm"]].append(m)
    return {alg: _algorithm_total(alg, rows, plans[alg]) for alg, rows in sorted(groups.items())}


def _algorithm_total(alg: str, rows: list[dict], plan: Extrapolation) -> dict:
    measured = [r for r in rows if _by(r, "shares")]
    flowed = [r for r in rows if _by(r, "flow-estimated")]
    m_value = sum(_num(r["hashrate_hs"]) for r in measured) if measured else None
    m_low, m_high = _sum_interval(measured) if measured else (None, None)
    known = measured + flowed
    k_value = sum(_num(r["hashrate_hs"]) for r in known)
    k_low, k_high = _sum_interval(known) if known else (0.0, 0.0)
    extra = (len(rows) - len(known)) * plan.per_miner_hs if plan.per_miner_hs else 0.0
    has = bool(known) or plan.method == "prior"
    return {"value_hs": k_value + extra if has else None,
            "low_hs": k_low + plan.low_hs if has else None,
            "high_hs": k_high + plan.high_hs if has else None,
            "unit": UNITS.get(alg, "H/s"), "miner_ips": len(rows), "measured_ips": len(measured),
            "measured_hs": m_value, "measured_low_hs": m_low, "measured_high_hs": m_high,
            "flow_estimated_ips": len(flowed),
            "flow_estimated_hs": sum(_num(r["hashrate_hs"]) for r in flowed) if flowed else None,
            "extrapolated_hs": extra, "method": _method(measured, flowed, plan)}


def _by(row: dict, method: str) -> bool:
    """Rows without a method (the simulator's truth) count as measured from shares."""
    return row.get("hashrate_hs") is not None and (row.get("hashrate_method") or "shares") == method


def _method(measured: list[dict], flowed: list[dict], plan: Extrapolation) -> str:
    parts = (["shares"] if measured else []) + (["flow-estimated"] if flowed else []) + \
        ([plan.method] if plan.method != "none" else [])
    return "+".join(parts) or "none"


def _sum_interval(rows: list[dict]) -> tuple[float, float]:
    """95% interval of a sum of independent estimates: normal approximation on the summed
    variances, each variance recovered from its own (asymmetric) interval's half-widths."""
    value = sum(_num(r["hashrate_hs"]) for r in rows)
    var_lo = sum(((_num(r["hashrate_hs"]) - _num(r.get("hashrate_low_hs", r["hashrate_hs"]))) / 1.96) ** 2
                 for r in rows)
    var_hi = sum(((_num(r.get("hashrate_high_hs", r["hashrate_hs"])) - _num(r["hashrate_hs"])) / 1.96) ** 2
                 for r in rows)
    return max(value - 1.96 * math.sqrt(var_lo), 0.0), value + 1.96 * math.sqrt(var_hi)


def by_city(miners: list[dict]) -> list[dict]:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for m in miners:
        groups[(m.get("city") or "", m.get("coin") or "", m.get("algorithm") or "")].append(m)
    rows = [{"city": c, "coin": coin, "algorithm": alg, "miner_ips": len(g),
             "hashrate_hs": _est_sum(g),
             "energy_kwh_day": sum(_num(m.get("energy_typical_kwh_day")) for m in g)}
            for (c, coin, alg), g in groups.items()]
    return sorted(rows, key=lambda r: (-r["miner_ips"], r["city"], r["coin"]))


def by_coin(miners: list[dict], period_s: float) -> list[dict]:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for m in miners:
        groups[(m.get("coin") or "", m.get("algorithm") or "")].append(m)
    rows = []
    for (coin, alg), g in groups.items():
        measured = [m for m in g if m.get("hashrate_hs") is not None]
        low, high = _sum_interval(measured) if measured else (None, None)
        rows.append({"coin": coin, "algorithm": alg, "miner_ips": len(g),
                     "hashrate_hs": _est_sum(g), "measured_ips": len(measured),
                     "measured_hs": sum(_num(m["hashrate_hs"]) for m in measured) if measured else None,
                     "low_hs": low, "high_hs": high,
                     "energy_kwh_day": {lv: sum(_num(m.get(f"energy_{lv}_kwh_day")) for m in g)
                                        for lv in LEVELS},
                     "egress_mbps": 8 * sum(_num(m.get("bytes_up")) for m in g) / period_s / 1e6})
    return sorted(rows, key=lambda r: -r["miner_ips"])


def _est_sum(rows: list[dict]) -> float | None:
    """Sum of measured-or-extrapolated hashrates; None when none of the rows has one."""
    values = [m["hashrate_est_hs"] for m in rows if m.get("hashrate_est_hs") is not None]
    return sum(values) if values else None


def by_owner_type(miners: list[dict]) -> list[dict]:
    counts: dict[str, Counter] = defaultdict(Counter)
    for m in miners:
        counts[m.get("owner_type") or "unknown"][m.get("verdict") or "unknown"] += 1
    return [{"owner_type": t, "miner_ips": sum(c.values()), "compromised": c["compromised"],
             "deliberate": c["deliberate"], "unknown": c["unknown"]}
            for t, c in sorted(counts.items(), key=lambda kv: -sum(kv[1].values()))]

