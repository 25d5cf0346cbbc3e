"""The ``trust`` command line: synth, ingest, run stages, release held grades, overrides, demo and bench."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="trust: a trust and quality-control moderation pipeline for social e-commerce.", no_args_is_help=True)
db_app = typer.Typer(help="Warehouse schema.", no_args_is_help=True)
override_app = typer.Typer(help="Analyst grade overrides.", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluate detectors; each prints one JSON line.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(eval_app, name="eval")
app.add_typer(override_app, name="override")
console = Console()

DateOption = Annotated[str, typer.Option("--date", help="Business date, YYYY-MM-DD")]


def _settings():
    from trust.settings import Settings

    return Settings.from_env()


def _date(value: str) -> dt.date:
    from trust.dates import parse_business_date

    try:
        return parse_business_date(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.callback()
def _logging(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the warehouse schema."""
    from trust.pipeline import prepare_warehouse

    settings = _settings()
    prepare_warehouse(settings)
    console.print(f"warehouse ready: {settings.db_url}")


@app.command()
def synth(
    merchants: Annotated[int, typer.Option(help="Number of merchants")] = 300,
    days: Annotated[int, typer.Option(help="Number of business days")] = 30,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files)")] = 7,
    out: Annotated[Path, typer.Option(help="Output folder: landing/ and truth/ go under it")] = Path("var/synth"),
    start_date: Annotated[str, typer.Option(help="First business date")] = "2026-10-01",
    file_format: Annotated[str, typer.Option("--format", help="csv, jsonl, parquet or mixed")] = "csv",
    dirty_rate: Annotated[float, typer.Option(help="Share of extra broken rows per file (quarantine demo)")] = 0.0,
) -> None:
    """Generate a synthetic marketplace with planted, labelled misconduct."""
    from trust.synth.generator import SynthConfig, generate_marketplace

    summary = generate_marketplace(SynthConfig(merchants=merchants, days=days, seed=seed, out=out, start_date=_date(start_date),
                                               file_format=file_format, dirty_rate=dirty_rate))
    table = Table(title=f"synthetic marketplace {summary.first_date} .. {summary.last_date} → {out}")
    table.add_column("entity")
    table.add_column("rows", justify="right")
    for entity, rows in summary.rows.items():
        table.add_row(entity, f"{rows:,}")
    console.print(table)
    console.print("planted merchant profiles: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.planted.items())))


@app.command()
def ingest(date: DateOption, to: Annotated[Optional[str], typer.Option(help="Last date of a backfill range")] = None) -> None:
    """Validate and load landing files for one business date (or a range) into the warehouse."""
    from trust.pipeline import run_ingest

    settings = _settings()
    first = _date(date)
    last = _date(to) if to else first
    if last < first:
        raise typer.BadParameter(f"--to {last} is before --date {first}")
    day = first
    while day <= last:
        result = run_ingest(settings, day)
        totals = result["entities"]
        loaded = sum(v["rows_loaded"] for v in totals.values())
        quarantined = sum(v["rows_quarantined"] for v in totals.values())
        console.print(f"{day}: {loaded:,} rows loaded, {quarantined:,} quarantined")
        day += dt.timedelta(days=1)


@app.command()
def run(date: DateOption, skip_ingest: Annotated[bool, typer.Option(help="Use what is already loaded")] = False) -> None:
    """Run every nightly stage for one business date without Airflow."""
    from trust.pipeline import run_all

    summary = run_all(_settings(), _date(date), ingest=not skip_ingest)
    print_summary(summary)


@app.command()
def summary(date: DateOption) -> None:
    """Show the result of a business date's run."""
    from trust.pipeline import summarise_run

    print_summary(summarise_run(_settings(), _date(date)))


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
    from trust.overrides import add_override

    settings = _settings()
    row = add_override(settings, merchant, tier, reason, actor, _date(start) if start else dt.date.min, _date(until))
    console.print(f"override {row} recorded for {merchant}: tier {tier} until {until}")


@app.command()
def demo(
    merchants: Annotated[int, typer.Option(help="Merchants in the sample marketplace")] = 300,
    days: Annotated[int, typer.Option(help="Days of history")] = 30,
    seed: Annotated[int, typer.Option(help="Random seed")] = 7,
) -> None:
    """Generate a sample marketplace, backfill its history, run trust_nightly through Airflow for the last day."""
    from trust.demo import run_demo

    run_demo(console, merchants=merchants, days=days, seed=seed)


@app.command()
def bench(
    reviews: Annotated[int, typer.Option(help="Approximate number of reviews to generate")] = 100_000,
    days: Annotated[int, typer.Option(help="Days of history")] = 30,
    workdir: Annotated[Path, typer.Option(help="Scratch folder (deleted first)")] = Path("var/bench"),
    db_url: Annotated[Optional[str], typer.Option(help="Warehouse URL (default: SQLite under workdir)")] = None,
) -> None:
    """Generate a marketplace at scale and time every pipeline stage: rows/s, wall time, peak memory."""
    from trust.bench import run_bench

    run_bench(console, reviews=reviews, days=days, workdir=workdir, db_url=db_url)


@app.command("bench-agents")
def bench_agents(
    links: Annotated[int, typer.Option(help="Recruitment links in the random forest")] = 1_000_000,
    workdir: Annotated[Path, typer.Option(help="Scratch folder (deleted first)")] = Path("var/bench-agents"),
) -> None:
    """Time the reseller-network code on a random forest: links/s and peak memory."""
    from trust.bench import run_agents_bench

    run_agents_bench(console, links=links, workdir=workdir)


@eval_app.command("pyramids")
def eval_pyramids(
    merchants: Annotated[int, typer.Option(help="Merchants in the generated marketplace")] = 3000,
    days: Annotated[int, typer.Option(help="Days")] = 30,
    seed: Annotated[int, typer.Option(help="Held-out seed (tests use others)")] = 101,
    workdir: Annotated[Path, typer.Option(help="Scratch folder for the generated files")] = Path("var/eval-pyramids"),
) -> None:
    """Planted pyramids vs legitimate distribution chains: precision and recall, chain and member level."""
    import shutil

    from trust.evaluate import evaluate_pyramids, print_json

    shutil.rmtree(workdir, ignore_errors=True)
    print_json(evaluate_pyramids(workdir, merchants=merchants, days=days, seed=seed))


def print_summary(summary: dict) -> None:
    publish = summary.get("publish") or {}
    status = publish.get("status", "not run")
    colour = "green" if status == "published" else "red"
    console.print(f"\n[bold]Business date {summary['business_date']}[/bold]: grades [{colour}]{status}[/{colour}]"
                  + (f" ({publish.get('grade_version')})" if publish else ""))
    if status != "published" and publish:
        console.print(f"  held because: {publish.get('reason')}")
    tiers = Table(title="Grade distribution")
    tiers.add_column("tier")
    tiers.add_column("merchants", justify="right")
    for tier, count in summary["tiers"].items():
        tiers.add_row(tier, str(count))
    console.print(tiers)
    if summary.get("ingest"):
        ingest_table = Table(title=f"Ingest of {summary['business_date']}")
        for column in ("entity", "rows in", "loaded", "quarantined"):
            ingest_table.add_column(column, justify="right" if column != "entity" else "left")
        for entity, counts in summary["ingest"].items():
            ingest_table.add_row(entity, f"{counts['rows_in']:,}", f"{counts['loaded']:,}", f"{counts['quarantined']:,}")
        console.print(ingest_table)
    worst = Table(title="Worst graded merchants and why", show_lines=True)
    worst.add_column("merchant")
    worst.add_column("tier")
    worst.add_column("score", justify="right")
    worst.add_column("reasons")
    for row in summary["worst_merchants"]:
        worst.add_row(row["merchant_id"], row["tier"], f"{row['score']:.0f}", "\n".join(row["reasons"]))
    console.print(worst)
    console.print(f"flagged by detectors: {json.dumps(summary.get('flagged', {}))}")
    console.print(f"complaints by category: {json.dumps(summary.get('complaints_by_category', {}), ensure_ascii=False)}")
    console.print(f"warehouse: {summary['warehouse']}")
    if summary.get("summary_path"):
        console.print(f"summary:   {summary['summary_path']}")


def main() -> None:
    from trust.ingest.loader import MissingLandingData

    try:
        app()
    except (MissingLandingData, ValueError, FileNotFoundError) as exc:
        # Expected, user-fixable problems: say what is wrong, no traceback.
        console.print(f"[red]error:[/red] {exc}")
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
