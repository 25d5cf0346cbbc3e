"""HTML pieces of the analysts' report, free of any data source: escaped text, tables, and inline SVG bar and line
charts (no scripts, no external assets). The report and each detector's own report sections are built from them."""

from __future__ import annotations

import datetime as dt
import html
import json

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def escape(value) -> str:
    return html.escape("" if value is None else str(value))


def number(value: float) -> str:
    """12,345 for counts, 0.85 / 12.5 for fractions and small values: never a raw float's 17 digits."""
    value = float(value)
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """0 and a few round steps up to at least ``top`` (1, 2, 2.5 or 5 times a power of ten; whole steps, the charts
    count things)."""
    import math

    top = max(float(top), 1.0)
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    step = max(1, math.ceil(step))
    ticks = [0.0]
    while ticks[-1] < top:
        ticks.append(ticks[-1] + step)
    return ticks


def _y_axis(ticks: list[float], left: float, right: float, y_of) -> list[str]:
    """Horizontal grid lines with labels; the zero line drawn darker."""
    parts = []
    for tick in ticks:
        y = y_of(tick)
        colour = "#444" if tick == 0 else "#e4e4e4"
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{colour}"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{number(tick)}</text>')
    parts.append(f'<line x1="{left}" y1="{y_of(ticks[-1]):.1f}" x2="{left}" y2="{y_of(0):.1f}" stroke="#444"/>')
    return parts


def bar_chart(title: str, bars: list[tuple[str, float, str]], width: int = 560, height: int = 240) -> str:
    """Vertical bars: (label, value, colour), on a y axis with ticks from zero."""
    ticks = nice_ticks(max([v for _, v, _ in bars] + [1]))
    left, bottom, top_px = 56, height - 30, 34
    slot = (width - left - 10) / max(1, len(bars))

    def y_of(value: float) -> float:
        return bottom - (bottom - top_px) * value / ticks[-1]

    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f'<text x="10" y="18" class="title">{escape(title)}</text>', *_y_axis(ticks, left, width - 10, y_of)]
    for i, (label, value, colour) in enumerate(bars):
        x = left + i * slot + slot * 0.15
        y = y_of(value)
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bottom - y:.1f}" fill="{colour}"><title>{escape(label)}: {number(value)}</title></rect>')
        parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{height - 12}" text-anchor="middle">{escape(label)}</text>')
        parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{y - 4:.1f}" text-anchor="middle" class="value">{number(value)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(title: str, series: dict[str, list[tuple[dt.date, float]]], width: int = 760, height: int = 280) -> str:
    """One line per series over dates (each point marked, so a one-day series still shows), a y axis from zero with
    ticks, and a legend whose swatches are the lines themselves."""
    points = [p for values in series.values() for p in values]
    if not points:
        return f'<p class="empty">{escape(title)}: no data in the period</p>'
    first, last = min(d for d, _ in points), max(d for d, _ in points)
    span = max(1, (last - first).days)
    ticks = nice_ticks(max(v for _, v in points))
    left, bottom, top_px = 56, height - 30, 34
    plot_w = width - left - 200

    def y_of(value: float) -> float:
        return bottom - (bottom - top_px) * value / ticks[-1]

    def x_of(day: dt.date) -> float:
        return left + plot_w * (day - first).days / span

    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f'<text x="10" y="18" class="title">{escape(title)}</text>', *_y_axis(ticks, left, left + plot_w, y_of),
             f'<text x="{left}" y="{height - 10}">{first}</text><text x="{left + plot_w}" y="{height - 10}" text-anchor="end">{last}</text>']
    for i, (name, values) in enumerate(sorted(series.items())):
        colour = PALETTE[i % len(PALETTE)]
        ordered = sorted(values)
        path = " ".join(f"{x_of(d):.1f},{y_of(v):.1f}" for d, v in ordered)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"><title>{escape(name)}</title></polyline>')
        parts.extend(f'<circle cx="{x_of(d):.1f}" cy="{y_of(v):.1f}" r="2.5" fill="{colour}"><title>{escape(name)} {d}: {number(v)}</title></circle>'
                     for d, v in ordered)
        y = 40 + i * 18
        parts.append(f'<line x1="{width - 180}" y1="{y}" x2="{width - 160}" y2="{y}" stroke="{colour}" stroke-width="2"/>'
                     f'<circle cx="{width - 170}" cy="{y}" r="2.5" fill="{colour}"/>'
                     f'<text x="{width - 154}" y="{y + 4}">{escape(name)} ({number(sum(v for _, v in values))})</text>')
    parts.append("</svg>")
    return "".join(parts)


def table(title: str, columns: list[str], rows: list[list], empty: str = "nothing to show") -> str:
    if not rows:
        return f'<h3>{escape(title)}</h3><p class="empty">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<h3>{escape(title)}</h3><table data-title="{escape(title)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def reasons_cell(raw: str, limit: int = 4) -> str:
    return "<br>".join(escape(item["text"]) for item in json.loads(raw)[:limit])
