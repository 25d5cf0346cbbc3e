"""Analysts' actions: overrides, appeals, hard gates, test-buy plans, releasing a held date, queued recomputes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import typer

from trust.cli.common import app, console, _date, DateOption, print_json, _settings

override_app = typer.Typer(help="Analyst grade overrides.", no_args_is_help=True)
appeal_app = typer.Typer(help="Merchant appeals against a defect.", no_args_is_help=True)
gate_app = typer.Typer(help="Hard gates held until an analyst reviews them.", no_args_is_help=True)
spotcheck_app = typer.Typer(help="Test buys (品质抽检): plan the day's budget.", no_args_is_help=True)


@app.command()
def release(date: DateOption, actor: Annotated[str, typer.Option(help="Who releases")],
            reason: Annotated[str, typer.Option(help="Why the held version may be published")]) -> None:
    """Publish a grade version that the quality gate held."""
    from trust.pipeline import release_held

    console.print(release_held(_settings(), _date(date), actor, reason))


@override_app.command("add")
def override_add(
    merchant: Annotated[str, typer.Option(help="Merchant id")],
    tier: Annotated[str, typer.Option(help="Tier to impose: A B C D E")],
    reason: Annotated[str, typer.Option(help="Why")],
    actor: Annotated[str, typer.Option(help="Analyst")],
    until: Annotated[str, typer.Option(help="Last day the override applies, YYYY-MM-DD")],
    start: Annotated[Optional[str], typer.Option("--from", help="First day (default: until is checked against each run)")] = None,
) -> None:
    """Override a merchant's tier until a date; the next grade run applies it and says so."""
    from trust.analyst import add_override

    settings = _settings()
    row = add_override(settings, merchant, tier, reason, actor, _date(start) if start else dt.date.min, _date(until))
    console.print(f"override {row} recorded for {merchant}: tier {tier} until {until}")


@override_app.command("revoke")
def override_revoke(override_id: Annotated[int, typer.Option("--id", help="Override id")],
                    actor: Annotated[str, typer.Option(help="Analyst")], reason: Annotated[str, typer.Option(help="Why")]) -> None:
    """Revoke an override before it expires."""
    from trust.analyst import revoke_override

    revoke_override(_settings(), override_id, actor, reason)
    console.print(f"override {override_id} revoked")


@appeal_app.command("file")
def appeal_file(merchant: Annotated[str, typer.Option(help="Merchant id")],
                subject_type: Annotated[str, typer.Option(help="order, complaint or spot_check")],
                subject_id: Annotated[str, typer.Option(help="Id of the order, complaint or test buy")],
                reason: Annotated[str, typer.Option(help="Why it should not count")]) -> None:
    """File a merchant's appeal against one defect."""
    from trust.analyst import file_appeal

    console.print(f"appeal {file_appeal(_settings(), merchant, subject_type, subject_id, reason)} filed")


@appeal_app.command("decide")
def appeal_decide(appeal_id: Annotated[int, typer.Option("--id", help="Appeal id")],
                  uphold: Annotated[bool, typer.Option("--uphold/--reject", help="Uphold (the defect stops counting) or reject")],
                  actor: Annotated[str, typer.Option(help="Analyst")], note: Annotated[str, typer.Option(help="Decision note")],
                  recompute: Annotated[Optional[str], typer.Option(help="Business date to recompute and republish (queued)")] = None) -> None:
    """Decide an appeal; with --recompute, the grade for that date is queued to be recomputed and republished by the
    next trust_recompute run (or `trust recompute` now)."""
    from trust.analyst import decide_appeal

    result = decide_appeal(_settings(), appeal_id, uphold, actor, note, _date(recompute) if recompute else None)
    console.print(result)
    if "recompute" in result:
        console.print(f"recompute of {recompute} queued: the trust_recompute DAG runs it within 15 minutes, or run "
                      "`trust recompute` now")


@app.command("recompute")
def recompute_queued() -> None:
    """Run the queued recomputes (upheld appeals' dates) now: metrics, scores, grades, gate and publication per date."""
    from trust.pipeline import run_requested_recomputes

    done = run_requested_recomputes(_settings())
    console.print(done if done else "no recompute queued")


@gate_app.command("clear")
def gate_clear(merchant: Annotated[str, typer.Option(help="Merchant id")], gate: Annotated[str, typer.Option(help="Gate metric")],
               actor: Annotated[str, typer.Option(help="Analyst")], reason: Annotated[str, typer.Option(help="Review outcome")]) -> None:
    """Lift a held hard gate after review."""
    from trust.analyst import clear_gate_hold

    clear_gate_hold(_settings(), merchant, gate, actor, reason)
    console.print(f"gate {gate} cleared for {merchant}")


@spotcheck_app.command("plan")
def spotcheck_plan(
    date: DateOption,
    budget: Annotated[int, typer.Option(help="Test buys available today")],
    exploration: Annotated[float, typer.Option(help="Share of the budget chosen at random")] = 0.2,
) -> None:
    """Choose today's test buys from the listing scores; writes spot_check_plans and a CSV under reports/."""
    from trust.planner import plan_spot_checks

    print_json(plan_spot_checks(_settings(), _date(date), budget, exploration))
