"""The analysts' nightly report: one self-contained HTML page (inline SVG charts, no scripts or external assets)
written to ``reports/<date>/report.html`` by the DAG and served by ``trust serve``."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
from sqlalchemy import func, select

from trust.db.engine import read_frame, read_table, session_scope
from trust.db.tables import Grade, GradeNotice, PublishLog, QualityCheck, StageRun
from trust.detect import registry
from trust.html import bar_chart, escape as _e, table
from trust.runs import PIPELINE_ACTOR, run_outcome, stage_outcomes
from trust.settings import Settings

# Chinese first (the evidence is Chinese: slang, claims, complaint text), then what each system ships; `make test`
# provisions Noto Sans CJK on Debian so the headless renderer never falls back to tofu boxes.
FONT_STACK = ('"Noto Sans CJK SC","Source Han Sans SC","Noto Sans SC","PingFang SC","Hiragino Sans GB","Microsoft YaHei",'
              '"WenQuanYi Micro Hei",sans-serif')
TIER_COLOURS = {"A": "#1a9850", "B": "#91cf60", "C": "#d9ef8b", "D": "#fc8d59", "E": "#d73027", "N": "#999999"}
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
        detector_sections = [section for detector in registry.detectors().values()
                             for section in detector.report_sections(session, business_date)]
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
    sections += detector_sections
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
