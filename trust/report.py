"""The analysts' nightly report: one self-contained HTML page (inline SVG charts, no scripts or external assets)
written to ``reports/<date>/report.html`` by the DAG and served by ``trust serve``."""

from __future__ import annotations

import datetime as dt
import html
import json

import pandas as pd
from sqlalchemy import and_, func, select

from trust.db.engine import read_frame, read_table, session_scope
from trust.db.tables import Complaint, DetectorScore, Grade, GradeNotice, PublishLog, QualityCheck, ResellerNetwork, ReviewRing
from trust.lookup import in_state
from trust.settings import Settings

TIER_COLOURS = {"A": "#1a9850", "B": "#91cf60", "C": "#d9ef8b", "D": "#fc8d59", "E": "#d73027", "N": "#999999"}
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def bar_chart(title: str, bars: list[tuple[str, float, str]], width: int = 560, height: int = 240) -> str:
    """Vertical bars: (label, value, colour)."""
    top = max([v for _, v, _ in bars] + [1])
    slot = (width - 60) / max(1, len(bars))
    parts = [f'<svg class="chart" role="img" aria-label="{_e(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f'<text x="10" y="18" class="title">{_e(title)}</text>']
    for i, (label, value, colour) in enumerate(bars):
        h = (height - 70) * value / top
        x = 40 + i * slot + slot * 0.15
        y = height - 30 - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{colour}"><title>{_e(label)}: {value:g}</title></rect>')
        parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{height - 12}" text-anchor="middle">{_e(label)}</text>')
        parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{y - 4:.1f}" text-anchor="middle" class="value">{value:g}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(title: str, series: dict[str, list[tuple[dt.date, float]]], width: int = 760, height: int = 280) -> str:
    """One line per series over dates, with a legend."""
    points = [p for values in series.values() for p in values]
    if not points:
        return f'<p class="empty">{_e(title)}: no data in the period</p>'
    first, last = min(d for d, _ in points), max(d for d, _ in points)
    span = max(1, (last - first).days)
    top = max(v for _, v in points) or 1
    plot_w, plot_h = width - 220, height - 60

    def xy(day: dt.date, value: float) -> str:
        return f"{50 + plot_w * (day - first).days / span:.1f},{height - 30 - plot_h * value / top:.1f}"

    parts = [f'<svg class="chart" role="img" aria-label="{_e(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f'<text x="10" y="18" class="title">{_e(title)}</text>',
             f'<line x1="50" y1="{height - 30}" x2="{50 + plot_w}" y2="{height - 30}" stroke="#888"/>',
             f'<text x="50" y="{height - 12}">{first}</text><text x="{50 + plot_w}" y="{height - 12}" text-anchor="end">{last}</text>',
             f'<text x="8" y="{height - 30 - plot_h}">{top:g}</text>']
    for i, (name, values) in enumerate(sorted(series.items())):
        colour = PALETTE[i % len(PALETTE)]
        path = " ".join(xy(d, v) for d, v in sorted(values))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"><title>{_e(name)}</title></polyline>')
        parts.append(f'<rect x="{width - 160}" y="{30 + i * 18}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{width - 145}" y="{39 + i * 18}">{_e(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def table(title: str, columns: list[str], rows: list[list], empty: str = "nothing to show") -> str:
    if not rows:
        return f'<h3>{_e(title)}</h3><p class="empty">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<h3>{_e(title)}</h3><table data-title="{_e(title)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _reasons(raw: str, limit: int = 4) -> str:
    return "<br>".join(_e(item["text"]) for item in json.loads(raw)[:limit])


def build_report(settings: Settings, business_date: dt.date) -> dict:
    """Write the report for ``business_date``; returns its path."""
    with session_scope(settings.db_url) as session:
        grades = read_table(session, Grade, Grade.business_date == business_date)
        before_date = session.execute(select(func.max(Grade.business_date)).where(Grade.business_date < business_date)).scalar()
        before = read_frame(session, select(Grade.tier).where(Grade.business_date == before_date)) if before_date else pd.DataFrame(columns=["tier"])
        notices = read_table(session, GradeNotice, GradeNotice.business_date == business_date)
        decision = session.execute(select(PublishLog).where(PublishLog.business_date == business_date)
                                   .order_by(PublishLog.id.desc()).limit(1)).scalar_one_or_none()
        held = read_frame(session, in_state(select(PublishLog.business_date, PublishLog.grade_version, PublishLog.reason),
                                            "held")  # still held, not released since
                          .where(PublishLog.business_date > business_date - dt.timedelta(days=30),
                                 PublishLog.business_date <= business_date).order_by(PublishLog.business_date.desc()))
        checks = read_table(session, QualityCheck, QualityCheck.business_date == business_date)
        flagged = read_frame(session, select(DetectorScore.detector, DetectorScore.entity_id, DetectorScore.merchant_id,
                                             DetectorScore.score, DetectorScore.label, DetectorScore.reasons)
                             .where(DetectorScore.business_date == business_date, DetectorScore.label.is_not(None),
                                    DetectorScore.detector.in_(["reviews", "listings"])))
        since = dt.datetime.combine(business_date - dt.timedelta(days=29), dt.time())
        complaints = read_frame(session, select(Complaint.created_at, DetectorScore.label)
                                .join(DetectorScore, and_(DetectorScore.entity_id == Complaint.complaint_id,
                                                          DetectorScore.detector == "complaints",
                                                          DetectorScore.business_date == business_date))
                                .where(Complaint.created_at >= since))
        networks = read_table(session, ResellerNetwork, ResellerNetwork.business_date == business_date, ResellerNetwork.risk >= 0.6)
        rings = read_table(session, ReviewRing, ReviewRing.business_date == business_date).sort_values(["accounts", "ring_id"],
                                                                                                   ascending=[False, True])

    tiers = "ABCDEN"
    now_counts = grades["tier"].value_counts()
    before_counts = before["tier"].value_counts()
    sections = [bar_chart(f"Tier distribution on {business_date}", [(t, float(now_counts.get(t, 0)), TIER_COLOURS[t]) for t in tiers])]
    if before_date:
        sections.append(bar_chart(f"Tier distribution on {before_date}", [(t, float(before_counts.get(t, 0)), TIER_COLOURS[t]) for t in tiers]))
    movers = notices.sort_values(["tier", "merchant_id"]).head(50)
    sections.append(table(f"Tier movers ({len(notices)})", ["merchant", "from", "to", "why"],
                          [[_e(r.merchant_id), _e(r.previous_tier), _e(r.tier), _e(r.text_en)] for r in movers.itertuples()],
                          "no merchant changed tier"))
    reviews = flagged[flagged["detector"] == "reviews"]
    per_shop = reviews.groupby("merchant_id").size().sort_values(ascending=False).head(12)
    sections.append(bar_chart(f"Review rings: accounts per ring ({len(rings)} rings)",
                              [(r.ring_id, float(r.accounts), "#9467bd") for r in rings.head(12).itertuples()], width=760))
    sections.append(table("Review rings (刷单 groups)", ["ring", "accounts", "reviews", "days", "evidence"],
                          [[_e(r.ring_id), str(r.accounts), str(r.reviews), f"{r.first_day} .. {r.last_day}", _reasons(r.evidence)]
                           for r in rings.head(20).itertuples()], "no ring found"))
    sections.append(bar_chart("Shops with the most reviews flagged as fake", [(m, float(n), "#d73027") for m, n in per_shop.items()], width=760))
    sections.append(table("Fake-review flags: highest scores", ["review", "shop", "score", "why"],
                          [[_e(r.entity_id), _e(r.merchant_id), f"{r.score:.2f}", _reasons(r.reasons)]
                           for r in reviews.sort_values(["score", "entity_id"], ascending=[False, True]).head(20).itertuples()]))
    listings = flagged[flagged["detector"] == "listings"]
    sections.append(table("Riskiest listings", ["listing", "shop", "score", "flag", "why"],
                          [[_e(r.entity_id), _e(r.merchant_id), f"{r.score:.2f}", _e(r.label), _reasons(r.reasons)]
                           for r in listings.sort_values(["score", "entity_id"], ascending=[False, True]).head(20).itertuples()]))
    if not complaints.empty:
        complaints["day"] = pd.to_datetime(complaints["created_at"]).dt.date
        daily = complaints.groupby(["label", "day"]).size()
        series = {label: [(day, float(n)) for day, n in group.droplevel(0).items()] for label, group in daily.groupby(level=0)}
    else:
        series = {}
    sections.append(line_chart("Complaints by category per day (last 30 days)", series))
    sections.append(table("Reseller networks at or near the pyramid-selling line", ["root", "participants", "levels", "risk", "legal test", "evidence"],
                          [[_e(r.root_id), str(r.participants), str(r.levels), f"{r.risk:.2f}", "meets" if r.meets_legal_test else "approaching",
                            _reasons(r.evidence, 6)] for r in networks.sort_values("risk", ascending=False).itertuples()],
                          "no chain near the line"))
    sections.append(table("Held publications (last 30 days)", ["date", "version", "why held"],
                          [[_e(r.business_date), _e(r.grade_version), _e(r.reason)] for r in held.itertuples()], "none held"))
    sections.append(table("Quality checks", ["check", "passed", "observed", "limit", "detail"],
                          [[_e(r.check_name), "yes" if r.passed else "<b>NO</b>", _e(r.observed), _e(r.limit), _e(r.detail)]
                           for r in checks.itertuples()], "the quality gate has not run for this date"))
    status = decision.status if decision else "not decided"
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>trust nightly report {business_date}</title>
<style>body{{font-family:sans-serif;margin:24px;max-width:1100px}} table{{border-collapse:collapse;margin:8px 0 24px}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:13px}} th{{background:#f0f0f0}}
.chart{{margin:8px 16px 16px 0;border:1px solid #eee}} .chart text{{font-size:12px}} .chart .title{{font-weight:bold;font-size:14px}}
.status-published{{color:#1a9850}} .status-held{{color:#d73027}} .empty{{color:#777}}</style></head><body>
<h1>trust nightly report — {business_date}</h1>
<p>Grades <b class="status-{_e(status)}">{_e(status)}</b>{(" — " + _e(decision.grade_version)) if decision else ""}.
{_e(decision.reason) if decision else ""} {len(grades)} merchants graded.</p>
{"".join(sections)}
</body></html>"""
    path = settings.reports_dir / business_date.isoformat() / "report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return {"report_path": str(path), "charts": page.count("<svg"), "tables": page.count("<table")}
