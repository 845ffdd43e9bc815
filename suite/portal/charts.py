"""Server-side SVG charts: no CDN, no JavaScript library, readable by screen readers (a title
and a description, every bar and point with its own title; the page shows the numbers in a
table too)."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import ngettext

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28
LEGEND_ROW = 18
PALETTE = (
    "#1f6fd1",
    "#e07b00",
    "#2a9d5b",
    "#c2185b",
    "#7b5cc4",
    "#00838f",
    "#8d6e2f",
    "#5f6b7a",
)
# The series folded together when there are more than colours: two series sharing a colour
# cannot be told apart (the 12345 trend had 14 categories on 8 colours).
REST = "__rest__"
REST_COLOUR = "#b8c2cc"


def nice_max(value: float) -> float:
    """The smallest 1/2/5 x 10^n at or above `value` (at least 1), for a readable y axis."""
    if value <= 1:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * exponent >= value:
            return step * exponent
    return 10 * exponent


def count_max(value: float) -> float:
    """The top of an axis of counts: the smallest 4 x step at or above `value` with a whole
    1/2/2.5/5 x 10^n step, so the gridlines read 0 1 2 3 4 or 0 25 50 75 100, never 0.5."""
    need = max(value, 1) / 4
    exponent = 10 ** math.floor(math.log10(need)) if need >= 1 else 1
    for step in (1, 2, 2.5, 5, 10):
        if step * exponent >= need and float(step * exponent).is_integer():
            return step * exponent * 4
    return 40 * exponent  # not reached: 10 x exponent is always whole and large enough


def money_max(value: float) -> float:
    """The top of an axis of yuan: 4 x a 1/2/2.5/5 x 10^n step, at least one fen a step."""
    need = max(value, 0.04) / 4
    exponent = 10 ** math.floor(math.log10(need))
    for step in (1, 2, 2.5, 5, 10):
        if step * exponent >= need * (1 - 1e-9):
            return round(step * exponent * 4, 6)
    return 40 * exponent  # not reached


def _fmt(value: float, percent: bool, money: bool = False) -> str:
    if percent:
        return f"{value * 100:.0f}%"
    if money:
        return f"¥{value:,.2f}" if value >= 0.01 or not value else f"¥{value:.4f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _open(chart_id: str, title: str, desc: str, height: int) -> list[str]:
    # The scroller keeps the labels readable on a phone: the chart keeps a minimum width there
    # (portal.css) and scrolls sideways inside its card instead of shrinking its text to 5 px.
    return [
        '<div class="chart-scroll">',
        f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
    ]


def _axes(days: Sequence[date], top: float, *, percent: bool, money: bool = False) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = ['<g class="axis" font-size="10" fill="#5f6b7a" aria-hidden="true">']
    for n in range(5):
        value = top * n / 4
        y = HEIGHT - BOTTOM - plot_h * n / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#e3e7ed" stroke-width="1"/>'
            f'<text x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end">'
            f"{_fmt(value, percent, money)}</text>"
        )
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    every = max(1, math.ceil(len(days) / 8))
    last = len(days) - 1
    for i, day in enumerate(days):
        # The last day always gets a label; a regular tick too close before it would overlap.
        if i == last or (i % every == 0 and last - i >= every / 2):
            x = LEFT + slot * (i + 0.5)
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle">'
                f"{day:%m-%d}</text>"
            )
    parts.append("</g>")
    return parts


def _legend_item_width(label: str) -> float:
    """Swatch, gap and text at 11 px: a CJK character is a full em wide, a Latin one about
    0.6 em (counting CJK as Latin overlapped "交通运输" with the next swatch)."""
    text = sum(11 if unicodedata.east_asian_width(ch) in "WF" else 6.6 for ch in label)
    return 14 + text + 12


def _colour(index: int, name: str) -> str:
    return REST_COLOUR if name == REST else PALETTE[index % len(PALETTE)]


def _fold_smallest(
    series: Mapping[str, Mapping[date, float]], labels: Mapping[str, str]
) -> tuple[list[str], dict[str, Mapping[date, float]], dict[str, str]]:
    """Series names in legend order, with the smallest series summed into one grey "N others"
    when there are more series than colours."""
    names = sorted(series)
    if len(names) <= len(PALETTE):
        return names, dict(series), dict(labels)
    ranked = sorted(names, key=lambda n: (-sum(series[n].values()), n))
    kept, rest = ranked[: len(PALETTE) - 1], ranked[len(PALETTE) - 1 :]
    merged: dict[date, float] = {}
    for name in rest:
        for day, value in series[name].items():
            merged[day] = merged.get(day, 0) + value
    folded_label = ngettext("%(count)d other", "%(count)d others", len(rest)) % {"count": len(rest)}
    return (
        [*sorted(kept), REST],
        {**{n: series[n] for n in kept}, REST: merged},
        {**labels, REST: folded_label},
    )


def _legend(names: Sequence[str], labels: Mapping[str, str]) -> list[str]:
    parts = ['<g class="legend" font-size="11" fill="#1d2733">']
    x: float = LEFT
    y = HEIGHT + 4
    for i, name in enumerate(names):
        label = escape(labels.get(name, name))
        width = _legend_item_width(labels.get(name, name))
        if x + width > WIDTH - RIGHT:
            x, y = LEFT, y + LEGEND_ROW
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="10" height="10" '
            f'fill="{_colour(i, name)}"/>'
            f'<text x="{x + 14:.1f}" y="{y + 9}">{label}</text>'
        )
        x += width
    parts.append("</g>")
    return parts


def _legend_height(names: Sequence[str], labels: Mapping[str, str]) -> int:
    rows = 1
    x: float = LEFT
    for name in names:
        width = _legend_item_width(labels.get(name, name))
        if x + width > WIDTH - RIGHT:
            rows, x = rows + 1, LEFT
        x += width
    return rows * LEGEND_ROW + 6


def stacked_bar_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    days: Sequence[date],
    series: Mapping[str, Mapping[date, float]],
    labels: Mapping[str, str] | None = None,
    money: bool = False,
) -> SafeString:
    """One bar per day, stacked by series (e.g. capability); the values are counts, or yuan
    with `money`."""
    names, series, labels = _fold_smallest(series, labels or {})
    totals = [sum(series[n].get(d, 0) for n in names) for d in days]
    # Bars count things (whole-number gridlines) or sum money (gridlines in yuan).
    top = money_max(max(totals, default=0)) if money else count_max(max(totals, default=0))
    height = HEIGHT + (_legend_height(names, labels) if names else 0)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    bar_w = max(slot * 0.7, 1)
    parts = _open(chart_id, title, desc, height) + _axes(days, top, percent=False, money=money)
    parts.append('<g class="bars">')
    for i, day in enumerate(days):
        base: float = HEIGHT - BOTTOM
        x = LEFT + slot * i + (slot - bar_w) / 2
        for k, name in enumerate(names):
            value = series[name].get(day, 0)
            if not value:
                continue
            h = plot_h * value / top
            base -= h
            label = escape(labels.get(name, name))
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{_colour(k, name)}"><title>{day:%Y-%m-%d} · {label}: '
                f"{_fmt(value, False, money)}</title></rect>"
            )
    parts.append("</g>")
    if names:
        parts += _legend(names, labels)
    parts.append("</svg></div>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above


def line_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    days: Sequence[date],
    values: Mapping[date, float],
    percent: bool = False,
) -> SafeString:
    """One line over the days; with `percent`, values are shares from 0 to 1. A day without a
    value is a gap in the line, not a zero (no chats that day is not 0% self-service)."""
    top = 1.0 if percent else nice_max(max(values.values(), default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    runs: list[list[tuple[float, float, date, float]]] = [[]]
    for i, day in enumerate(days):
        if day not in values:
            if runs[-1]:
                runs.append([])
            continue
        value = values[day]
        runs[-1].append(
            (LEFT + slot * (i + 0.5), HEIGHT - BOTTOM - plot_h * value / top, day, value)
        )
    parts = _open(chart_id, title, desc, HEIGHT) + _axes(days, top, percent=percent)
    for run in runs:
        if len(run) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _d, _v in run)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{PALETTE[1]}" stroke-width="2"/>'
            )
    for x, y, day, value in (point for run in runs for point in run):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{PALETTE[1]}">'
            f"<title>{day:%Y-%m-%d}: {_fmt(value, percent)}</title></circle>"
        )
    parts.append("</svg></div>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above
