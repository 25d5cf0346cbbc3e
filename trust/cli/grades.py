"""Grades: backtests, change notices, the scorecard."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from trust.cli.common import DateOption, _date, _settings, console

grades_app = typer.Typer(help="Grades: backtests, change notices, the scorecard.", no_args_is_help=True)


@grades_app.command("backtest")
def grades_backtest(
    date_from: Annotated[str, typer.Option("--from", help="First business date")],
    date_to: Annotated[str, typer.Option("--to", help="Last business date")],
    thresholds: Annotated[Path, typer.Option(help="Thresholds file to try")],
    show: Annotated[int, typer.Option(help="Movers to print")] = 20,
) -> None:
    """Regrade past dates under another thresholds file, without publishing; report who would move and why."""
    from trust.backtest import backtest

    result = backtest(_settings(), _date(date_from), _date(date_to), thresholds)
    table = Table(title=f"Backtest of {result.thresholds_version}")
    for column in ("date", "tiers now", f"tiers under {result.thresholds_version}", "movers", "up"):
        table.add_column(column)
    for day in result.days:
        table.add_row(day["business_date"], json.dumps(day["tiers_actual"]), json.dumps(day["tiers_backtest"]),
                      str(day["movers"]), str(day["up"]))
    console.print(table)
    movers = Table(title=f"Who would move and why (first {show} of {len(result.movers)})", show_lines=True)
    for column in ("date", "merchant", "now", "backtest", "why"):
        movers.add_column(column)
    for row in result.movers.head(show).itertuples():
        movers.add_row(str(row.business_date), row.merchant_id, f"{row.tier_actual} {row.score_actual:.0f}",
                       f"{row.tier_backtest} {row.score_backtest:.0f}", row.why.replace(" | ", "\n"))
    console.print(movers)
    for line in result.skipped:
        console.print(f"[yellow]skipped[/yellow] {line}")
    console.print(f"all movers: {result.csv_path}")


@grades_app.command("notices")
def grades_notices(date: DateOption, language: Annotated[str, typer.Option(help="zh or en")] = "zh") -> None:
    """Grade-change notices of a business date."""
    from sqlalchemy import select

    from trust.db.engine import session_scope
    from trust.db.tables import GradeNotice

    with session_scope(_settings().db_url) as session:
        notices = session.execute(select(GradeNotice).where(GradeNotice.business_date == _date(date))
                                  .order_by(GradeNotice.merchant_id)).scalars().all()
        for notice in notices:
            console.print(f"[bold]{notice.merchant_id}[/bold] {notice.previous_tier} → {notice.tier}: "
                          + (notice.text_zh if language == "zh" else notice.text_en))
    console.print(f"{len(notices)} notices")


@grades_app.command("scorecard")
def grades_scorecard() -> None:
    """The scorecard, tiers and gates of the thresholds file in force: every point documented."""
    from trust.metrics import METRIC_DESCRIPTIONS
    from trust.thresholds import load_thresholds

    thresholds = load_thresholds(_settings().thresholds_path)
    card = Table(title=f"Scorecard {thresholds.version}: 1000 minus, per metric, min(cap, weight × max(0, value − free))")
    for column in ("metric", "meaning", "weight", "free", "cap"):
        card.add_column(column)
    for entry in thresholds.scorecard:
        card.add_row(entry.metric, METRIC_DESCRIPTIONS[entry.metric], f"{entry.weight:g}", f"{entry.free:g}", f"{entry.cap:g}")
    console.print(card)
    tiers = Table(title=f"Tiers (hysteresis margin {thresholds.hysteresis_margin:g} points; N below {thresholds.min_orders} orders)")
    tiers.add_column("tier")
    tiers.add_column("name")
    tiers.add_column("min score")
    for tier, cutoff in thresholds.tier_cutoffs.items():
        tiers.add_row(tier, thresholds.tier_names[tier], f"{cutoff:g}")
    console.print(tiers)
    gates = Table(title="Hard gates")
    for column in ("metric", "at least", "and count", "cap", "held until reviewed", "meaning"):
        gates.add_column(column)
    for gate in thresholds.gates:
        gates.add_row(gate.metric, f"{gate.at_least:g}", f"{gate.count_metric} ≥ {gate.min_count:g}" if gate.count_metric else "",
                      gate.cap, "yes" if gate.until_reviewed else "", gate.text)
    console.print(gates)
