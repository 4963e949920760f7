"""Inline SVG charts for the situation report: pure functions, data in, SVG text out.

Nothing here reads a clock, a file or a random source, so the same figures give byte-identical
SVG (the HTML report is diffable). Every label is XML-escaped here, because the caller marks the
returned string safe for the HTML template.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from html import escape

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
OTHER_COLOUR = "#9A9A9A"
VERDICT_COLOURS = {"compromised": "#D55E00", "deliberate": "#0072B2", "unknown": "#BDBDBD"}

WIDTH = 600
LABEL_W = 118   # room for a city or owner-type name
VALUE_W = 60    # room for the count right of the longest stacked bar
WHISKER_VALUE_W = 200   # room for 'typical (low–high)' right of the longest whisker
BAR_H = 18
GAP = 8
TOP = 30        # room for the legend
FONT = "system-ui, -apple-system, Segoe UI, Noto Sans, Noto Sans CJK SC, PingFang SC, " \
       "Microsoft YaHei, sans-serif"


@dataclass(frozen=True, slots=True)
class StackedBar:
    """One horizontal bar made of (series, value) segments; value_text is printed after it."""
    label: str
    segments: tuple[tuple[str, float], ...]
    value_text: str


@dataclass(frozen=True, slots=True)
class WhiskerBar:
    """A bar to `typical` with a whisker from `low` to `high` (any of them may be None)."""
    label: str
    typical: float | None
    low: float | None
    high: float | None
    colour: str
    value_text: str


def series_colours(names: list[str]) -> dict[str, str]:
    """Colour for each series in the order given (most important first); the rest share grey."""
    colours = {name: PALETTE[i] for i, name in enumerate(names[:len(PALETTE)])}
    colours.setdefault("other", OTHER_COLOUR)
    return colours


def stacked_bar_chart(title: str, bars: list[StackedBar], colours: dict[str, str]) -> str:
    """Horizontal stacked bars on a shared linear scale, with a legend of the series used."""
    if not bars:
        return _empty_chart(title)
    scale = _scale(max(sum(v for _, v in bar.segments) for bar in bars), VALUE_W)
    used = [name for name in colours if any(s == name for bar in bars for s, _ in bar.segments)]
    parts = [_legend(used, colours)]
    for i, bar in enumerate(bars):
        parts.append(_stacked_row(i, bar, colours, scale))
    return _svg(title, _height(len(bars)), parts)


def whisker_bar_chart(title: str, bars: list[WhiskerBar]) -> str:
    """Horizontal bars to the typical value with low-high whiskers, on a shared linear scale."""
    if not bars:
        return _empty_chart(title)
    top = max((v for b in bars for v in (b.typical, b.low, b.high) if v is not None), default=0.0)
    scale = _scale(top, WHISKER_VALUE_W)
    parts = [_whisker_row(i, bar, scale) for i, bar in enumerate(bars)]
    return _svg(title, _height(len(bars)), parts)


def _scale(top: float, value_w: int) -> float:
    """Pixels per unit; a zero or empty maximum draws zero-length bars instead of dividing by 0."""
    plot_w = WIDTH - LABEL_W - value_w
    return plot_w / top if top > 0 and math.isfinite(top) else 0.0


def _height(rows: int) -> int:
    return TOP + rows * (BAR_H + GAP) + GAP


def _row_y(i: int) -> int:
    return TOP + i * (BAR_H + GAP)


def _stacked_row(i: int, bar: StackedBar, colours: dict[str, str], scale: float) -> str:
    y = _row_y(i)
    out = [_label(bar.label, y)]
    x = float(LABEL_W)
    for series, value in bar.segments:
        w = max(value, 0.0) * scale
        if w <= 0:
            continue
        tip = f"{bar.label} · {series}: {value:,.0f}"
        fill = colours.get(series, OTHER_COLOUR)
        out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{BAR_H}" fill="{fill}">'
                   f'<title>{escape(tip)}</title></rect>')
        x += w
    out.append(_value(bar.value_text, x + 6, y))
    return "".join(out)


def _whisker_row(i: int, bar: WhiskerBar, scale: float) -> str:
    y = _row_y(i)
    out = [_label(bar.label, y)]
    end = LABEL_W + max(bar.typical or 0.0, 0.0) * scale
    if bar.typical is not None:
        out.append(f'<rect x="{LABEL_W}" y="{y}" width="{end - LABEL_W:.1f}" height="{BAR_H}" '
                   f'fill="{bar.colour}" fill-opacity="0.85"><title>{escape(bar.label)}: '
                   f'{escape(bar.value_text)}</title></rect>')
    if bar.low is not None and bar.high is not None:
        x1, x2, mid = LABEL_W + bar.low * scale, LABEL_W + bar.high * scale, y + BAR_H / 2
        out.append(f'<path d="M{x1:.1f} {mid:.1f}H{x2:.1f}M{x1:.1f} {y + 3}V{y + BAR_H - 3}'
                   f'M{x2:.1f} {y + 3}V{y + BAR_H - 3}" stroke="#222" stroke-width="1.5" '
                   f'fill="none"/>')
        end = max(end, x2)
    out.append(_value(bar.value_text, end + 6, y))
    return "".join(out)


def _clip(text: str, columns: int = 18) -> str:
    """Cut a label to about `columns` Latin characters; a CJK character counts as two."""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used > columns:
            return text[:i] + "…"
    return text


def _label(text: str, y: int) -> str:
    short = _clip(text)
    return (f'<text x="{LABEL_W - 6}" y="{y + BAR_H - 5}" text-anchor="end">'
            f'{escape(short)}<title>{escape(text)}</title></text>')


def _value(text: str, x: float, y: int) -> str:
    return f'<text x="{x:.1f}" y="{y + BAR_H - 5}" class="v" fill="#333">{escape(text)}</text>'


def _legend(names: list[str], colours: dict[str, str]) -> str:
    out, x = [], float(LABEL_W)
    for name in names:
        out.append(f'<rect x="{x:.1f}" y="6" width="12" height="12" fill="{colours[name]}"/>'
                   f'<text x="{x + 16:.1f}" y="16">{escape(name)}</text>')
        x += 28 + 7 * len(name)
    return "".join(out)


def _empty_chart(title: str) -> str:
    return _svg(title, 60, [f'<text x="{WIDTH / 2:.0f}" y="36" text-anchor="middle" '
                            f'fill="#666">No data for this period</text>'])


def _svg(title: str, height: int, parts: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
            f'width="100%" role="img" font-family="{FONT}" font-size="12">'
            f'<title>{escape(title)}</title>{"".join(parts)}</svg>')
