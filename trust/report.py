"""The analysts' nightly report: one self-contained HTML page (inline SVG charts, no scripts or external assets)
written to ``reports/<date>/report.html`` by the DAG and served by ``trust serve``."""

from __future__ import annotations

import datetime as dt
import html
import json

import pandas as pd
from sqlalchemy import and_, func, select

from trust.db.engine import read_frame, read_table, session_scope
from trust.db.tables import (
    Complaint, DetectorScore, Grade, GradeNotice, PublishLog, QualityCheck, ResellerNetwork, ReviewRing, StageRun,
)
from trust.runs import PIPELINE_ACTOR, run_outcome, stage_outcomes
from trust.settings import Settings

# Chinese first (the evidence is Chinese: slang, claims, complaint text), then what each system ships; `make test`
# provisions Noto Sans CJK on Debian so the headless renderer never falls back to tofu boxes.
FONT_STACK = ('"Noto Sans CJK SC","Source Han Sans SC","Noto Sans SC","PingFang SC","Hiragino Sans GB","Microsoft YaHei",'
              '"WenQuanYi Micro Hei",sans-serif')
TIER_COLOURS = {"A": "#1a9850", "B": "#91cf60", "C": "#d9ef8b", "D": "#fc8d59", "E": "#d73027", "N": "#999999"}
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def _e(value) -> str:
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

    parts = [f'<svg class="chart" role="img" aria-label="{_e(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f'<text x="10" y="18" class="title">{_e(title)}</text>', *_y_axis(ticks, left, width - 10, y_of)]
    for i, (label, value, colour) in enumerate(bars):
        x = left + i * slot + slot * 0.15
        y = y_of(value)
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bottom - y:.1f}" fill="{colour}"><title>{_e(label)}: {number(value)}</title></rect>')
        parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{height - 12}" text-anchor="middle">{_e(label)}</text>')
        parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{y - 4:.1f}" text-anchor="middle" class="value">{number(value)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(title: str, series: dict[str, list[tuple[dt.date, float]]], width: int = 760, height: int = 280) -> str:
    """One line per series over dates (each point marked, so a one-day series still shows), a y axis from zero with
    ticks, and a legend whose swatches are the lines themselves."""
    points = [p for values in series.values() for p in values]
    if not points:
        return f'<p class="empty">{_e(title)}: no data in the period</p>'
    first, last = min(d for d, _ in points), max(d for d, _ in points)
    span = max(1, (last - first).days)
    ticks = nice_ticks(max(v for _, v in points))
    left, bottom, top_px = 56, height - 30, 34
    plot_w = width - left - 200

    def y_of(value: float) -> float:
        return bottom - (bottom - top_px) * value / ticks[-1]

    def x_of(day: dt.date) -> float:
        return left + plot_w * (day - first).days / span

    parts = [f'<svg class="chart" role="img" aria-label="{_e(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f'<text x="10" y="18" class="title">{_e(title)}</text>', *_y_axis(ticks, left, left + plot_w, y_of),
             f'<text x="{left}" y="{height - 10}">{first}</text><text x="{left + plot_w}" y="{height - 10}" text-anchor="end">{last}</text>']
    for i, (name, values) in enumerate(sorted(series.items())):
        colour = PALETTE[i % len(PALETTE)]
        ordered = sorted(values)
        path = " ".join(f"{x_of(d):.1f},{y_of(v):.1f}" for d, v in ordered)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"><title>{_e(name)}</title></polyline>')
        parts.extend(f'<circle cx="{x_of(d):.1f}" cy="{y_of(v):.1f}" r="2.5" fill="{colour}"><title>{_e(name)} {d}: {number(v)}</title></circle>'
                     for d, v in ordered)
        y = 40 + i * 18
        parts.append(f'<line x1="{width - 180}" y1="{y}" x2="{width - 160}" y2="{y}" stroke="{colour}" stroke-width="2"/>'
                     f'<circle cx="{width - 170}" cy="{y}" r="2.5" fill="{colour}"/>'
                     f'<text x="{width - 154}" y="{y + 4}">{_e(name)} ({number(sum(v for _, v in values))})</text>')
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


def check_value(name: str, value) -> str:
    """A quality check's observed value or limit as a reader wants it: shares in percent, counts whole, others short."""
    if value is None or pd.isna(value):
        return "—"
    value = float(value)
    if name.startswith(("quarantine_rate", "tier_change_share", "volume_")):
        return f"{value:.1%}"
    return f"{int(value):,}" if value == int(value) else f"{value:.3f}"


def attention_rows(decisions: pd.DataFrame, problems: pd.DataFrame) -> list[list[str]]:
    """Dates whose latest state is not 'published by the pipeline': held, released by an analyst (with who and why),
    withdrawn by a rerun, or without a decision because a stage failed or nothing was delivered. Newest first."""
    rows: dict = {}
    for r in decisions.sort_values("id").groupby("business_date").tail(1).itertuples():
        if r.status == "published" and r.actor == PIPELINE_ACTOR:
            continue
        state = f"released by {r.actor}" if r.status == "published" else r.status
        rows[r.business_date] = [_e(r.business_date), f'<span class="status-{_e(r.status)}">{_e(state)}</span>',
                                 _e(r.grade_version), _e(r.reason)]
    decided = set(decisions["business_date"])
    for day, part in problems.groupby("business_date"):
        if day in decided:
            continue
        failed = part[part["status"] == "failed"]
        state = f"failed at {', '.join(failed['stage'])}" if not failed.empty else "not run: nothing delivered"
        rows[day] = [_e(day), f'<span class="status-held">{_e(state)}</span>', "", _e("; ".join(part["error"].fillna("")))]
    return [rows[day] for day in sorted(rows, reverse=True)]


def model_rows(session, business_date: dt.date) -> list[list[str]]:
    """Per detector: the version tonight pinned and its status, tonight's drift checks (breaches first), and the newest
    challenger trained up to that date with the promotion rule's verdict and reasons."""

    from trust.db.tables import DriftCheck, ModelPin, ModelRecord

    pins = read_frame(session, select(ModelPin.detector, ModelPin.version, ModelPin.mode).where(ModelPin.business_date == business_date))
    drift = read_frame(session, select(DriftCheck.detector, DriftCheck.measure, DriftCheck.value, DriftCheck.breach, DriftCheck.text)
                       .where(DriftCheck.business_date == business_date))
    records = read_frame(session, select(ModelRecord.detector, ModelRecord.version, ModelRecord.status, ModelRecord.trained_at,
                                         ModelRecord.metrics))
    rows = []
    for pin in pins.sort_values("detector").itertuples():
        own = records[(records["detector"] == pin.detector) & (records["version"] == pin.version)]
        status = own["status"].iloc[0] if len(own) else pin.mode
        checks = drift[drift["detector"] == pin.detector]
        drift_text = "<br>".join("<b>BREACH</b> " + _e(r.text) for r in checks[checks["breach"]].itertuples())
        calm = checks[~checks["breach"].astype(bool)]
        psi = calm[calm["measure"].str.startswith("psi:")].dropna(subset=["value"])
        if len(psi):
            top = psi.loc[psi["value"].idxmax()]
            drift_text += ("<br>" if drift_text else "") + _e(f"{len(psi)} PSI checks within the limit (largest {top['value']:.3f}: {top['measure'][4:]})")
        for r in calm[calm["measure"] == "flag_rate"].itertuples():
            drift_text += ("<br>" if drift_text else "") + _e(r.text)
        drift_text = drift_text or "not measured"
        challengers = records[(records["detector"] == pin.detector) & records["status"].isin(["challenger", "refused", "champion", "retired"])]
        latest = ""
        for r in challengers.sort_values("trained_at", ascending=False).itertuples():
            metrics = json.loads(r.metrics)
            decision = metrics.get("decision")
            if decision and metrics.get("holdout", {}).get("to", "9999") <= business_date.isoformat():  # labels up to the date
                verdict = "promoted" if decision["promote"] and r.status in ("champion", "retired") else (
                    "refused" if r.status == "refused" else ("would promote" if decision["promote"] else "kept champion"))
                latest = f"{_e(r.version)} trained {_e(str(r.trained_at))}: <b>{verdict}</b> — " + "; ".join(_e(x) for x in decision["reasons"])
                break
        rows.append([_e(pin.detector), _e(pin.version), _e(status), drift_text, latest or "no challenger trained yet"])
    return rows


def build_report(settings: Settings, business_date: dt.date) -> dict:
    """Write the report for ``business_date``; returns its path."""
    with session_scope(settings.db_url) as session:
        grades = read_table(session, Grade, Grade.business_date == business_date)
        before_date = session.execute(select(func.max(Grade.business_date)).where(Grade.business_date < business_date)).scalar()
        before = read_frame(session, select(Grade.tier).where(Grade.business_date == before_date)) if before_date else pd.DataFrame(columns=["tier"])
        notices = read_table(session, GradeNotice, GradeNotice.business_date == business_date)
        decision = session.execute(select(PublishLog).where(PublishLog.business_date == business_date)
                                   .order_by(PublishLog.id.desc()).limit(1)).scalar_one_or_none()
        since_date = business_date - dt.timedelta(days=29)
        decisions = read_frame(session, select(PublishLog.id, PublishLog.business_date, PublishLog.grade_version, PublishLog.status,
                                               PublishLog.actor, PublishLog.reason)
                               .where(PublishLog.business_date >= since_date, PublishLog.business_date <= business_date))
        stage_problems = read_frame(session, select(StageRun.business_date, StageRun.stage, StageRun.status, StageRun.error)
                                    .where(StageRun.business_date >= since_date, StageRun.business_date <= business_date,
                                           StageRun.status.in_(("failed", "skipped")),
                                           StageRun.stage.not_in(("summary", "report"))))
        today_problems = stage_outcomes(session, business_date)
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
        models = model_rows(session, business_date)

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
    sections.append(table("Dates not published as computed (last 30 days): held, released, withdrawn, failed or not run",
                          ["date", "state", "version", "why"], attention_rows(decisions, stage_problems),
                          "every date in the period was published by its own quality gate"))
    sections.append(table("Models: tonight's versions, drift, and the latest retraining decisions",
                          ["detector", "version", "status", "drift (breaches first)", "latest challenger: decision and why"], models,
                          "no models pinned for this date"))
    sections.append(table("Quality checks", ["check", "passed", "observed", "limit", "detail"],
                          [[_e(r.check_name), "yes" if r.passed else "<b>NO</b>", _e(check_value(r.check_name, r.observed)),
                            _e(check_value(r.check_name, r.limit)), _e(r.detail)]
                           for r in checks.itertuples()], "the quality gate has not run for this date"))
    status = run_outcome(decision.status if decision else None, today_problems)
    explanation = decision.reason if decision else "; ".join(f"{p['stage']}: {p['error']}" for p in today_problems)
    page = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>trust nightly report {business_date}</title>
<style>body{{font-family:{FONT_STACK};margin:24px;max-width:1100px}} table{{border-collapse:collapse;margin:8px 0 24px}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:13px}} th{{background:#f0f0f0}}
.chart{{margin:8px 16px 16px 0;border:1px solid #eee}} .chart text{{font-size:12px;font-family:{FONT_STACK}}} .chart .title{{font-weight:bold;font-size:14px}}
.chart .tick{{fill:#666;font-size:11px}}
.status-published{{color:#1a9850}} .status-held{{color:#d73027}} .empty{{color:#777}}</style></head><body>
<h1>trust nightly report — {business_date}</h1>
<p>Grades <b class="status-{_e(status.split()[0])}">{_e(status)}</b>{(" — " + _e(decision.grade_version)) if decision else ""}.
{_e(explanation)} {len(grades):,} merchants graded.</p>
{"".join(sections)}
</body></html>"""
    path = settings.reports_dir / business_date.isoformat() / "report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return {"report_path": str(path), "charts": page.count("<svg"), "tables": page.count("<table")}
