"""Render the situation figures (docs/report-schema.md) as text and as one self-contained HTML page.

The figures are computed elsewhere; this module only formats them. Hashrate is always shown per
algorithm in its native unit (H/s, or Sol/s for Equihash) and never summed across algorithms:
the hashes of different algorithms cost energy that differs by orders of magnitude
(shared/docs/measurement.md §4). Counts, traffic, power and energy are additive and are totalled.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
import unicodedata
from datetime import datetime
from typing import Any

import jinja2
from markupsafe import Markup, escape

from minewatch.report import charts

_SI = ("", "k", "M", "G", "T", "P", "E", "Z", "Y")
ALGORITHM_NAMES = {
    "sha256d": "SHA-256d", "scrypt": "Scrypt", "ethash": "Ethash", "etchash": "Etchash",
    "randomx": "RandomX", "equihash": "Equihash", "kawpow": "KawPoW", "x11": "X11",
    "autolykos2": "Autolykos2", "kheavyhash": "kHeavyHash", "cryptonight": "CryptoNight",
}
# Equihash-family solvers report solutions, not hashes.
SOL_ALGORITHMS = frozenset({"equihash", "zhash", "beamhash", "equihash144_5", "equihash192_7"})
OWNER_TYPE_NAMES = {
    "government": "government", "education": "education", "enterprise": "enterprise",
    "hospital": "hospital", "idc": "IDC data centre", "internet_cafe": "internet café",
    "residential": "residential", "unknown": "unknown",
}
VERDICTS = ("compromised", "deliberate", "unknown")
NA = "n/a"


def number(value: Any) -> float | None:
    """A finite float, or None for null, NaN, infinities and anything that is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _si_parts(value: float) -> tuple[str, str]:
    """(mantissa with 3 significant figures, SI prefix) for a non-negative value."""
    exp = 0
    while value >= 1000 and exp < len(_SI) - 1:
        value, exp = value / 1000, exp + 1
    text = f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:.0f}"
    if text in ("1000", "1000.0") and exp < len(_SI) - 1:   # 999.96 rounds up into the next prefix
        return "1.00", _SI[exp + 1]
    if value == 0:
        text = "0"
    return text, _SI[exp]


def format_hashrate(hs: Any, unit: str = "H/s") -> str:
    """58.6e12 -> '58.6 TH/s'; unit is the native unit (H/s, or Sol/s for Equihash)."""
    value = number(hs)
    if value is None:
        return NA
    mantissa, prefix = _si_parts(abs(value))
    return f"{'-' if value < 0 else ''}{mantissa} {prefix}{unit}"


def format_interval(low: Any, high: Any, unit: str = "H/s") -> str:
    """A 95% interval: '9.80–10.2 PH/s', or '980 GH/s – 1.02 TH/s' when the prefixes differ."""
    lo, hi = number(low), number(high)
    if lo is None or hi is None:
        return NA
    (m_lo, p_lo), (m_hi, p_hi) = _si_parts(abs(lo)), _si_parts(abs(hi))
    if p_lo == p_hi and lo >= 0:
        return f"{m_lo}–{m_hi} {p_hi}{unit}"
    return f"{format_hashrate(lo, unit)} – {format_hashrate(hi, unit)}"


def format_count(value: Any) -> str:
    """4502 -> '4,502'."""
    n = number(value)
    return NA if n is None else f"{round(n):,}"


def format_energy(kwh: Any) -> str:
    """kWh (per day) with thousands separators: 260000 -> '260,000'; small values keep a decimal."""
    n = number(kwh)
    if n is None:
        return NA
    return f"{n:,.1f}" if abs(n) < 100 else f"{round(n):,}"


def format_power(kw: Any) -> str:
    """Average power from kW: 10830 -> '10.83 MW', 950 -> '950 kW'."""
    n = number(kw)
    if n is None:
        return NA
    return f"{n / 1000:,.2f} MW" if abs(n) >= 1000 else f"{n:,.0f} kW"


def format_mbps(mbps: Any) -> str:
    """136.77 -> '136.77 Mbps'."""
    n = number(mbps)
    return NA if n is None else f"{n:,.2f} Mbps"


def format_share(share: Any) -> str:
    """0.21 -> '21%', 0.2099 -> '21%', 0.0512 -> '5.1%'."""
    n = number(share)
    if n is None:
        return NA
    pct = n * 100
    return f"{pct:.0f}%" if abs(pct) >= 10 or pct == 0 else f"{pct:.1f}%"


def format_time(iso: Any) -> str:
    """'2021-05-01T00:00:00Z' -> '2021-05-01 00:00 UTC'; anything unparsable is shown as given."""
    if not isinstance(iso, str):
        return NA
    try:
        ts = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    suffix = " UTC" if ts.utcoffset() is not None and not ts.utcoffset() else ""
    return ts.strftime("%Y-%m-%d %H:%M") + suffix


def format_period(start: Any, end: Any) -> str:
    """'2021-05-01 00:00 and 01:00 UTC' when both ends fall on one day, else both in full."""
    a, b = format_time(start), format_time(end)
    if a.endswith(" UTC") and b.endswith(" UTC"):
        if a[:10] == b[:10]:
            return f"{a[:-4]} and {b[11:]}"
        return f"{a[:-4]} and {b}"
    return f"{a} and {b}"


def format_duration(seconds: Any) -> str:
    """3600 -> '1 h', 5400 -> '1.5 h', 172800 -> '2 d', 600 -> '10 min'."""
    s = number(seconds)
    if s is None:
        return NA
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if s >= size:
            return f"{s / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{s:.0f} s"


def algorithm_name(algorithm: Any) -> str:
    """Display name: 'sha256d' -> 'SHA-256d'; unknown names pass through, empty -> 'unknown'."""
    if not algorithm:
        return "unknown"
    return ALGORITHM_NAMES.get(str(algorithm).lower(), str(algorithm))


def hashrate_unit(algorithm: Any, report: dict | None = None) -> str:
    """Native unit of an algorithm: the report's own hashrate unit if given, else H/s or Sol/s."""
    entry = ((report or {}).get("hashrate") or {}).get(algorithm) or {}
    if entry.get("unit"):
        return str(entry["unit"])
    return "Sol/s" if str(algorithm).lower() in SOL_ALGORITHMS else "H/s"


# --- Aggregates the text and the page share ---


def _rank(rows: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Largest first, ties by name, so the output does not depend on input order."""
    return sorted(rows, key=lambda r: (-r[1], r[0]))


def city_totals(report: dict) -> list[tuple[str, float]]:
    """(city, miner IPs) from the city x coin rows, largest first."""
    totals: dict[str, float] = {}
    for row in report.get("by_city") or []:
        city = row.get("city") or "unknown"
        totals[city] = totals.get(city, 0.0) + (number(row.get("miner_ips")) or 0.0)
    return _rank(list(totals.items()))


def coin_totals(report: dict) -> list[tuple[str, float]]:
    """(coin, miner IPs) from the by-coin rows, largest first."""
    return _rank([(r.get("coin") or "unknown", number(r.get("miner_ips")) or 0.0)
                  for r in report.get("by_coin") or []])


def algorithm_rows(report: dict) -> list[tuple[str, dict]]:
    """(algorithm, hashrate entry), most miner IPs first. The value is null when nothing was
    measured and no extrapolation was possible (a sum over no IPs is unknown, not 0 H/s)."""
    rows = []
    for algorithm, entry in (report.get("hashrate") or {}).items():
        if number(entry.get("measured_ips")) == 0 and "prior" not in (entry.get("method") or ""):
            entry = {**entry, "value_hs": None, "low_hs": None, "high_hs": None}
        rows.append((algorithm, entry))
    return sorted(rows, key=lambda kv: (-(number(kv[1].get("miner_ips")) or 0), kv[0]))


def owner_rows(report: dict) -> list[dict]:
    """by_owner_type rows, largest first; falls back to owner_types counts without verdicts."""
    rows = report.get("by_owner_type") or [
        {"owner_type": k, "miner_ips": v} for k, v in (report.get("owner_types") or {}).items()]
    return sorted(rows, key=lambda r: (-(number(r.get("miner_ips")) or 0), r.get("owner_type", "")))


def owner_name(owner_type: Any) -> str:
    return OWNER_TYPE_NAMES.get(str(owner_type), str(owner_type or "unknown"))


# --- Text ---


def summary_paragraph(report: dict) -> str:
    """The headline paragraph in the style of a regulator's situation notice."""
    period = format_period(report.get("period_start"), report.get("period_end"))
    head = f"Between {period} ({format_duration(report.get('period_s'))}), minewatch "
    if not number(report.get("miner_ips")):
        return " ".join([head + "observed no internal IPs mining cryptocurrency.",
                         _sentence_labelled(report)]).strip()
    return " ".join([head + _sentence_miners(report), _sentence_hashrate(report),
                     _sentence_energy(report), _sentence_places(report),
                     _sentence_compromised(report), _sentence_labelled(report)]).strip()


def _sentence_miners(report: dict) -> str:
    text = (f"observed {format_count(report.get('miner_ips'))} internal IPs mining cryptocurrency "
            f"in {format_count(report.get('sessions'))} pool sessions, with pool egress traffic of "
            f"{format_mbps(report.get('pool_egress_mbps'))} (ingress "
            f"{format_mbps(report.get('pool_ingress_mbps'))}).")
    model_only = number(report.get("model_only_ips"))
    if model_only:
        text += (f" {format_count(model_only)} of these IPs rest on the behavioural model alone "
                 "(connections shaped like pool sessions to pools no list names): leads to verify, "
                 "for instance with `minewatch probe`, before a notice.")
    return text


def _sentence_hashrate(report: dict) -> str:
    parts = []
    for algorithm, entry in algorithm_rows(report):
        unit = entry.get("unit") or hashrate_unit(algorithm)
        if number(entry.get("value_hs")) is None:
            parts.append(f"{algorithm_name(algorithm)} not measured "
                         f"({format_count(entry.get('miner_ips'))} IPs)")
            continue
        parts.append(f"{algorithm_name(algorithm)} {format_hashrate(entry.get('value_hs'), unit)} "
                     f"(95% CI {format_interval(entry.get('low_hs'), entry.get('high_hs'), unit)})")
    if not parts:
        return ""
    text = "Hash power by algorithm (hashes of different algorithms cannot be added): "
    text += "; ".join(parts) + "."
    unmeasured = number(report.get("unmeasured_miner_ips"))
    if unmeasured:
        text += (f" The hash power of {format_count(unmeasured)} miner IPs (TLS or flow records "
                 "only) could not be measured; the totals count each of them at the mean of the "
                 "measured miners of its algorithm, or at one typical machine where fewer than "
                 "three were measured.")
    return text


def _sentence_energy(report: dict) -> str:
    energy, power = report.get("energy_kwh_day") or {}, report.get("power_kw") or {}
    if number(energy.get("typical")) is None:
        return ""
    return (f"Their estimated electricity use is "
            f"{format_energy(energy.get('typical'))} kWh per day "
            f"(range {format_energy(energy.get('low'))}–{format_energy(energy.get('high'))}), "
            f"an average draw of {format_power(power.get('typical'))}.")


def _sentence_places(report: dict) -> str:
    cities = [f"{c} ({format_count(n)})" for c, n in city_totals(report)[:5]]
    coins = [f"{c} ({format_count(n)})" for c, n in coin_totals(report)]
    text = f"Cities with the most miner IPs: {', '.join(cities)}." if cities else ""
    if coins:
        text += f" Coins mined, by miner IPs: {', '.join(coins)}."
    return text.strip()


def _sentence_compromised(report: dict) -> str:
    ips = number(report.get("compromised_ips"))
    if not ips:
        return "No miner IP was judged to be a compromised machine."
    where = _rank([(owner_name(r.get("owner_type")), number(r.get("compromised")) or 0.0)
                   for r in owner_rows(report)])
    where = [f"{name} ({format_count(n)})" for name, n in where[:3] if n > 0]
    text = (f"{format_share(report.get('compromised_share'))} of miner IPs "
            f"({format_count(ips)}) are machines judged compromised")
    return text + (f", chiefly on {_join(where)} networks." if where else ".")


def _sentence_labelled(report: dict) -> str:
    """The connections recognised as no miner's, which a reader might otherwise take for
    missed miners (or wonder whether they were counted)."""
    labelled = report.get("labelled") or {}
    kinds = [(labelled.get("node"), "connection", "of coin nodes to their peers"),
             (labelled.get("daemon-rpc"), "client", "of coin daemons' RPC")]
    parts = [f"{format_count(n)} {noun}{'' if n == 1 else 's'} {what}"
             for n, noun, what in kinds if n]
    if not parts:
        return ""
    return (f"It also recognised {_join(parts)}, and counted none of them as mining "
            "(`minewatch labelled` lists them).")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def text_table(title: str, headers: list[str], rows: list[list[str]], left: int = 1) -> str:
    """A plain-text table; the first `left` columns are left-aligned, the rest right-aligned."""
    widths = [max(_width(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            pad = " " * (widths[i] - _width(str(cell)))
            out.append(f"{cell}{pad}" if i < left else f"{pad}{cell}")
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([title, line(headers), rule, *(line(r) for r in rows or [["(none)"]])])


def _algorithm_table(report: dict) -> str:
    rows = []
    for algorithm, e in algorithm_rows(report):
        unit = e.get("unit") or hashrate_unit(algorithm)
        rows.append([algorithm_name(algorithm), format_count(e.get("miner_ips")),
                     format_count(e.get("measured_ips")), format_hashrate(e.get("value_hs"), unit),
                     format_interval(e.get("low_hs"), e.get("high_hs"), unit),
                     format_hashrate(e.get("measured_hs"), unit),
                     format_interval(e.get("measured_low_hs"), e.get("measured_high_hs"), unit),
                     e.get("method") or ""])
    rows.append(["Total", format_count(report.get("miner_ips")), "", "— (not additive)", "", "",
                 "", ""])
    return text_table("Hash power by algorithm (native units; not additive across algorithms)",
                      ["algorithm", "miner IPs", "measured IPs", "total", "95% CI", "measured",
                       "95% CI", "method"], rows)


def _coin_table(report: dict) -> str:
    rows = []
    for r in sorted(report.get("by_coin") or [], key=lambda r: -(number(r.get("miner_ips")) or 0)):
        unit, energy = hashrate_unit(r.get("algorithm"), report), r.get("energy_kwh_day") or {}
        rows.append([r.get("coin") or "unknown", algorithm_name(r.get("algorithm")),
                     format_count(r.get("miner_ips")), format_hashrate(r.get("hashrate_hs"), unit),
                     format_energy(energy.get("typical")),
                     f"{format_energy(energy.get('low'))}–{format_energy(energy.get('high'))}",
                     format_mbps(r.get("egress_mbps"))])
    return text_table("By coin", ["coin", "algorithm", "miner IPs", "hash rate", "kWh/day",
                                  "kWh/day range", "pool egress"], rows, left=2)


def _city_table(report: dict) -> str:
    rank = {city: i for i, (city, _) in enumerate(city_totals(report))}
    rows = sorted(report.get("by_city") or [], key=lambda r: (
        rank.get(r.get("city") or "unknown", 0), -(number(r.get("miner_ips")) or 0),
        r.get("coin") or ""))
    body = [[r.get("city") or "unknown", r.get("coin") or "unknown",
             algorithm_name(r.get("algorithm")), format_count(r.get("miner_ips")),
             format_hashrate(r.get("hashrate_hs"), hashrate_unit(r.get("algorithm"), report)),
             format_energy(r.get("energy_kwh_day"))] for r in rows]
    return text_table("By city and coin", ["city", "coin", "algorithm", "miner IPs", "hash rate",
                                           "kWh/day"], body, left=3)


def _owner_table(report: dict) -> str:
    rows = [[owner_name(r.get("owner_type")), format_count(r.get("miner_ips")),
             *(format_count(r.get(v)) for v in VERDICTS)] for r in owner_rows(report)]
    totals = [sum(number(r.get(k)) or 0 for r in owner_rows(report))
              for k in ("miner_ips", *VERDICTS)]
    rows.append(["Total", *(format_count(t) for t in totals)])
    return text_table("By owner type and verdict", ["owner type", "miner IPs", *VERDICTS], rows)


def _inputs_table(report: dict) -> str:
    rows = [[str(i.get("path", "")), str(i.get("format", "")), str(i.get("status", "")),
             format_count(i.get("records")), format_count(i.get("skipped"))]
            for i in report.get("inputs") or []]
    return text_table("Inputs", ["path", "format", "status", "records", "skipped"], rows, left=3)


def render_text(report: dict) -> str:
    """The summary paragraph, then plain-text tables: algorithm, coin, city, owner, inputs."""
    title = f"minewatch cryptocurrency mining situation report, generated " \
            f"{format_time(report.get('generated_at'))}"
    sections = [title, summary_paragraph(report), _algorithm_table(report), _coin_table(report),
                _city_table(report), _owner_table(report), _inputs_table(report)]
    return "\n\n".join(sections) + "\n"


# --- HTML ---


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("minewatch.report", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(hashrate=format_hashrate, interval=format_interval, count=format_count,
                       energy=format_energy, power=format_power, mbps=format_mbps,
                       share=format_share, when=format_time, algo=algorithm_name,
                       owner=owner_name)
    env.tests["number"] = lambda value: number(value) is not None
    return env


def code_spans(text: str) -> Markup:
    """Plain text for HTML: escaped, with its `command` spans set as code (the text report
    shows the backticks)."""
    return Markup(_CODE.sub(r"<code>\1</code>", str(escape(text))))


_CODE = re.compile(r"`([^`<>]+)`")


def evidence_items(raw: Any) -> list[str]:
    """A JSON list string as display lines; dicts become 'key: value, ...'; bad JSON is one line."""
    if raw is None or raw == "":
        return []
    try:
        items = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return [str(raw)]
    if not isinstance(items, list):
        items = [items]
    return [", ".join(f"{k}: {v}" for k, v in i.items()) if isinstance(i, dict)
            else i if isinstance(i, str) else json.dumps(i, ensure_ascii=False) for i in items]


def _split(value: Any) -> list[str]:
    """pools / wallets: a comma-separated string (or a list) as a list."""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v]
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


def _ip_key(ip: Any) -> str:
    """Sort key that orders addresses numerically (v4 before v6)."""
    try:
        addr = ipaddress.ip_address(str(ip))
    except ValueError:
        return f"9:{ip}"
    return f"{addr.version}:{int(addr):039d}"


def miner_view(row: dict, report: dict) -> dict:
    """One miner row, formatted for the page; raw numbers kept for sorting."""
    unit = hashrate_unit(row.get("algorithm"), report)
    hs = number(row.get("hashrate_hs"))
    return {**{k: row.get(k) or "" for k in ("ip", "city", "province", "isp", "owner_org", "coin",
                                              "hashrate_method", "visibility")},
            "owner_type": row.get("owner_type") or "unknown",
            "verdict": row.get("verdict") or "unknown",
            "ip_key": _ip_key(row.get("ip")), "algorithm": algorithm_name(row.get("algorithm")),
            "hashrate": format_hashrate(hs, unit), "hashrate_sort": "" if hs is None else hs,
            "interval": format_interval(row.get("hashrate_low_hs"), row.get("hashrate_high_hs"),
                                        unit),
            "energy": format_energy(row.get("energy_typical_kwh_day")),
            "energy_sort": number(row.get("energy_typical_kwh_day")) or "",
            "score": number(row.get("verdict_score")),
            "pools": _split(row.get("pools")), "wallets": _split(row.get("wallets")),
            "verdict_evidence": evidence_items(row.get("verdict_evidence")),
            "evidence": evidence_items(row.get("evidence"))}


def _charts(report: dict) -> dict[str, Markup]:
    coins = [c for c, _ in coin_totals(report)]
    for c, _ in _rank([(r.get("coin") or "unknown", 0.0) for r in report.get("by_city") or []]):
        coins += [] if c in coins else [c]
    colours = charts.series_colours(coins)
    return {"cities": Markup(charts.stacked_bar_chart(
                "Miner IPs by city, stacked by coin", _city_bars(report, colours), colours)),
            "owners": Markup(charts.stacked_bar_chart(
                "Miner IPs by owner type and verdict", _owner_bars(report),
                dict(charts.VERDICT_COLOURS))),
            "energy": Markup(charts.whisker_bar_chart(
                "Energy by coin, kWh per day: typical, with low–high range",
                _energy_bars(report, colours)))}


def _city_bars(report: dict, colours: dict[str, str], top: int = 15) -> list[charts.StackedBar]:
    ranked = city_totals(report)
    keep = {c for c, _ in ranked[:top]}
    segments: dict[str, dict[str, float]] = {}
    for r in report.get("by_city") or []:
        city = r.get("city") or "unknown"
        city = city if city in keep else f"other cities ({len(ranked) - top})"
        coin = r.get("coin") or "unknown"
        coin = coin if coin in colours else "other"
        per = segments.setdefault(city, {})
        per[coin] = per.get(coin, 0.0) + (number(r.get("miner_ips")) or 0.0)
    order = [c for c, _ in ranked[:top]] + [c for c in segments if c not in keep]
    return [charts.StackedBar(city, tuple((c, segments[city][c]) for c in colours
                                          if c in segments[city]),
                              format_count(sum(segments[city].values()))) for city in order]


def _owner_bars(report: dict) -> list[charts.StackedBar]:
    bars = []
    for r in owner_rows(report):
        parts = tuple((v, number(r.get(v)) or 0.0) for v in VERDICTS)
        if not any(n for _, n in parts):   # counts without verdicts: show the total as unknown
            parts = (("unknown", number(r.get("miner_ips")) or 0.0),)
        bars.append(charts.StackedBar(owner_name(r.get("owner_type")), parts,
                                      format_count(r.get("miner_ips"))))
    return bars


def _energy_bars(report: dict, colours: dict[str, str]) -> list[charts.WhiskerBar]:
    rows = sorted(report.get("by_coin") or [], key=lambda r: (
        -(number((r.get("energy_kwh_day") or {}).get("typical")) or 0), r.get("coin") or ""))
    bars = []
    for r in rows:
        e, coin = r.get("energy_kwh_day") or {}, r.get("coin") or "unknown"
        bars.append(charts.WhiskerBar(
            coin, number(e.get("typical")), number(e.get("low")), number(e.get("high")),
            colours.get(coin, charts.OTHER_COLOUR),
            f"{format_energy(e.get('typical'))} "
            f"({format_energy(e.get('low'))}–{format_energy(e.get('high'))})"))
    return bars


def render_html(report: dict, miners: list[dict]) -> str:
    """One self-contained HTML page (inline CSS, SVG and JS; nothing fetched), all text escaped."""
    rank = {city: i for i, (city, _) in enumerate(city_totals(report))}
    by_city = sorted(report.get("by_city") or [], key=lambda r: (
        rank.get(r.get("city") or "unknown", 0), -(number(r.get("miner_ips")) or 0)))
    views = [miner_view(m, report) for m in miners]
    return _environment().get_template("report.html.j2").render(
        r=report, summary=code_spans(summary_paragraph(report)), charts=_charts(report),
        algorithms=algorithm_rows(report), unit=lambda a: hashrate_unit(a, report),
        by_city=by_city, by_coin=sorted(report.get("by_coin") or [], key=lambda r: (
            -(number(r.get("miner_ips")) or 0), r.get("coin") or "")),
        owners=owner_rows(report), verdicts=VERDICTS, miners=views,
        choices={k: sorted({v[k] for v in views if v[k]}) for k in ("verdict", "owner_type",
                                                                   "coin")})
