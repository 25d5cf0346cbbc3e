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
eval_app = typer.Typer(help="Evaluate detectors and grades; each prints one JSON line.", no_args_is_help=True)
grades_app = typer.Typer(help="Grades: backtests, change notices, the scorecard.", no_args_is_help=True)
appeal_app = typer.Typer(help="Merchant appeals against a defect.", no_args_is_help=True)
gate_app = typer.Typer(help="Hard gates held until an analyst reviews them.", no_args_is_help=True)
reviews_app = typer.Typer(help="The fake-review detector on any CSV of reviews.", no_args_is_help=True)
app.add_typer(reviews_app, name="reviews")
listings_app = typer.Typer(help="Listing moderation: single checks, and the model on any CSV of listings.", no_args_is_help=True)
app.add_typer(listings_app, name="listings")
complaints_app = typer.Typer(help="Complaint classification on any CSV of complaints.", no_args_is_help=True)
app.add_typer(complaints_app, name="complaints")
spotcheck_app = typer.Typer(help="Test buys (品质抽检): plan the day's budget.", no_args_is_help=True)
app.add_typer(spotcheck_app, name="spotcheck")
app.add_typer(grades_app, name="grades")
app.add_typer(appeal_app, name="appeal")
app.add_typer(gate_app, name="gate")
app.add_typer(db_app, name="db")
app.add_typer(eval_app, name="eval")
app.add_typer(override_app, name="override")
from trust.cli_models import models_app  # noqa: E402  (one module per command group)
from trust.cli_summary import print_summary  # noqa: E402  (shared with the demo)

app.add_typer(models_app, name="models")
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
def db_upgrade(create: Annotated[bool, typer.Option("--create", help="Create the PostgreSQL database first if it does not exist")] = False) -> None:
    """Create or migrate the warehouse schema."""
    from trust.db.health import create_database, shown_url, warehouse_state
    from trust.pipeline import prepare_warehouse

    settings = _settings()
    if create and create_database(settings.db_url):
        console.print(f"created database {shown_url(settings.db_url)}", highlight=False)
    prepare_warehouse(settings)
    console.print(warehouse_state(settings.db_url).message, highlight=False)


@db_app.command("check")
def db_check() -> None:
    """Say whether the warehouse is reachable and migrated (exit 2 if not)."""
    from trust.db.health import warehouse_state

    state = warehouse_state(_settings().db_url)
    console.print(state.message if state.ok else f"[red]error:[/red] {state.message}", highlight=False, soft_wrap=True)
    if not state.ok:
        raise typer.Exit(2)


@app.command()
def synth(
    merchants: Annotated[int, typer.Option(help="Number of merchants")] = 300,
    days: Annotated[int, typer.Option(help="Number of business days")] = 30,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files)")] = 7,
    out: Annotated[Path, typer.Option(help="Output folder: landing/ and truth/ go under it")] = Path("var/synth"),
    start_date: Annotated[str, typer.Option(help="First business date")] = "2026-10-01",
    file_format: Annotated[str, typer.Option("--format", help="csv, jsonl, parquet or mixed")] = "csv",
    dirty_rate: Annotated[float, typer.Option(help="Share of extra broken rows per file (quarantine demo)")] = 0.0,
    vocabulary: Annotated[str, typer.Option(help="standard; shifted: slang, claims, brands and complaint wording "
                                                 "absent from the shipped lexicons (for evaluation); heldout: shifted "
                                                 "listings, complaint wording written after the lexicon was frozen; heldout2: a "
                                                 "second such wording; heldout3: a third")] = "standard",
) -> None:
    """Generate a synthetic marketplace with planted, labelled misconduct."""
    from rich.progress import Progress

    from trust.synth.generator import SynthConfig, generate_marketplace

    config = SynthConfig(merchants=merchants, days=days, seed=seed, out=out, start_date=_date(start_date),
                         file_format=file_format, dirty_rate=dirty_rate, vocabulary=vocabulary)
    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task("generating days", total=days)
        summary = generate_marketplace(config, on_day=lambda _: progress.advance(bar))
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
    from rich.progress import track

    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    for day in track(days, description="ingesting", console=console, transient=True, disable=len(days) == 1):
        result = run_ingest(settings, day)
        totals = result["entities"]
        loaded = sum(v["rows_loaded"] for v in totals.values())
        quarantined = sum(v["rows_quarantined"] for v in totals.values())
        console.print(f"{day}: {loaded:,} rows loaded, {quarantined:,} quarantined")


@app.command()
def run(date: DateOption, skip_ingest: Annotated[bool, typer.Option(help="Use what is already loaded")] = False) -> None:
    """Run every nightly stage for one business date without Airflow."""
    from trust.db.locks import DateBusy
    from trust.pipeline import run_all

    try:
        summary = run_all(_settings(), _date(date), ingest=not skip_ingest)
    except DateBusy as busy:
        typer.echo(f"trust run: {busy}", err=True)
        raise typer.Exit(3) from None
    print_summary(summary)


@app.command()
def backfill(
    first: Annotated[str, typer.Option("--from", help="First business date, YYYY-MM-DD")],
    last: Annotated[str, typer.Option("--to", help="Last business date, YYYY-MM-DD (inclusive)")],
    reprocess: Annotated[str, typer.Option(help="Dates that already have a run: none | failed | completed")] = "failed",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the runs Airflow would create")] = False,
) -> None:
    """Backfill business dates through the Airflow scheduler, one date at a time in date order.

    Translates business dates into the DAG's logical dates (the next day at 02:30 in the business time zone; a plain
    date given to ``airflow backfill create`` is read as UTC midnight) and runs ``airflow backfill create`` with
    ``--max-active-runs 1``. Needs the scheduler running and the DAG unpaused."""
    import os
    import subprocess
    import sys

    from trust.dates import backfill_command

    if reprocess not in ("none", "failed", "completed"):
        raise typer.BadParameter(f"--reprocess must be none, failed or completed, not {reprocess!r}")
    arguments = backfill_command(_date(first), _date(last), _settings().timezone, reprocess) + (["--dry-run"] if dry_run else [])
    airflow = str(Path(sys.executable).parent / "airflow")
    console.print("airflow " + " ".join(arguments), highlight=False)
    env = {**os.environ, "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO"}  # the created runs are reported at INFO
    done = subprocess.run([airflow, *arguments], capture_output=True, text=True, check=False, env=env)
    lines = [line for line in (done.stdout + done.stderr).splitlines() if "warning" not in line.lower()]
    if done.returncode != 0:
        raise ValueError("airflow backfill create failed (exit %d):\n%s" % (done.returncode, "\n".join(lines[-15:])))
    created = sum("Created backfill Dag run" in line for line in lines)
    console.print(f"{created} run(s) queued for {first} .. {last}; the scheduler runs them one after another "
                  "(an unpaused DAG is needed: `airflow dags unpause trust_nightly`). Follow them with "
                  "`airflow dags list-runs trust_nightly`." if not dry_run else "\n".join(lines[-20:]))


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
    profile: Annotated[bool, typer.Option(help="Profile each nightly stage (cProfile): print its top costs and "
                                               "write profiles/<stage>.prof under workdir")] = False,
) -> None:
    """Generate a marketplace at scale and time every pipeline stage: rows/s, wall time, peak memory."""
    from trust.bench import run_bench

    run_bench(console, reviews=reviews, days=days, workdir=workdir, db_url=db_url, profile=profile)


@app.command()
def serve(port: Annotated[int, typer.Option(help="Port on 127.0.0.1")] = 8000,
          host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
          workers: Annotated[int, typer.Option(help="Worker processes")] = 1) -> None:
    """Serve grade lookups, the analysts' API and the reports (OpenAPI schema at /openapi.json)."""
    import uvicorn

    from trust.db.health import warehouse_state

    settings = _settings()  # fail here, with a clear message, if the configuration is wrong
    state = warehouse_state(settings.db_url)
    console.print(f"{state.message}" if state.ok else f"[yellow]warning:[/yellow] {state.message}; until then every "
                  "answer is 503 with this reason", highlight=False, soft_wrap=True)
    console.print(f"serving http://{host}:{port} (schema at /openapi.json); one access-log line per request", highlight=False)
    access = {"format": "%(asctime)s %(name)s %(message)s"}
    uvicorn.run("trust.api.main:app", host=host, port=port, workers=workers, log_level="warning", log_config={
        "version": 1, "disable_existing_loggers": False, "formatters": {"access": access},
        "handlers": {"access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stderr"}},
        "loggers": {"trust.api": {"handlers": ["access"], "level": "INFO", "propagate": False},
                    "uvicorn.error": {"handlers": ["access"], "level": "WARNING"}}})


@app.command()
def grade(merchant_id: Annotated[str, typer.Argument(help="Merchant id")],
          history: Annotated[int, typer.Option(help="Also show this many past published grades")] = 5,
          explain: Annotated[bool, typer.Option("--explain", help="Also the models behind it: version, training, metrics")] = False) -> None:
    """A merchant's current published grade: tier, score, window, reasons and metrics against thresholds."""
    from trust.db.engine import session_scope
    from trust.lookup import current_publication, grade_history, grade_record

    settings = _settings()
    with session_scope(settings.db_url) as session:
        publication = current_publication(session)
        if publication is None:
            raise ValueError("no grades have been published yet")
        record = grade_record(session, merchant_id, publication)
        if record is None:
            raise ValueError(f"merchant {merchant_id!r} has no published grade")
        past = grade_history(session, merchant_id, history)
    console.print(f"[bold]{merchant_id}[/bold]: tier [bold]{record['tier']}[/bold] {record['tier_name']}, score {record['score']:.0f} "
                  f"(projected {record['projected_tier']}, since {record['effective_from']}); as of {record['as_of']}, "
                  f"window {record['window']['start']} .. {record['window']['end']}, {record['grade_version']}")
    models = record["published"].get("models") or {}
    if models and not explain:
        console.print("models behind it: " + ", ".join(f"{d} {v}" for d, v in models.items()) + " (--explain for more)")
    elif models:
        from trust.lifecycle.registry import show_model

        table = Table(title="Models behind this grade (pinned the night it was computed)")
        for column in ("detector", "version", "status now", "trained by", "labels from .. to", "holdout when judged"):
            table.add_column(column, no_wrap=column in ("detector", "version"))
        for detector, version in models.items():
            if version.startswith("rules") or detector == "agents":
                table.add_row(detector, version, "rules", "", "", "")
                continue
            shown = show_model(settings, detector, version)
            holdout = shown["metrics"].get("holdout", {}).get("challenger", {}) if isinstance(shown["metrics"], dict) else {}
            table.add_row(detector, version, shown["status"], shown["trained_by"],
                          " .. ".join(d or "" for d in shown["window"]) if any(shown["window"]) else "",
                          ", ".join(f"{k} {v}" for k, v in holdout.items() if k in ("auc", "macro_f1", "rows")))
        console.print(table)
    reasons = Table(title="Why", show_header=False)
    reasons.add_column("reason")
    for reason in record["reasons"]:
        reasons.add_row(reason["text"])
    console.print(reasons)
    metrics = Table(title="Metrics against thresholds")
    for column in ("metric", "value", "free up to", "points lost", "gates"):
        metrics.add_column(column)
    for m in record["metrics"]:
        card = m.get("scorecard", {})
        gates = "; ".join(f"≥{g['at_least']:g} → cap {g['cap']}{' (fired)' if g['fired'] else ''}" for g in m.get("gates", []))
        if card or gates:
            metrics.add_row(m["metric"], f"{m['value']:.4g}", f"{card.get('free_up_to', ''):}" if card else "",
                            f"{card.get('points_lost', '')}" if card else "", gates)
    console.print(metrics)
    if past:
        console.print("history: " + ", ".join(f"{h['as_of']} {h['tier']} {h['score']:.0f}" for h in past))


@app.command()
def report(date: DateOption) -> None:
    """Write (or rewrite) the analysts' HTML report of a business date and say where it is."""
    from trust.report import build_report

    result = build_report(_settings(), _date(date))
    console.print(f"report: {result['report_path']} ({result['charts']} charts, {result['tables']} tables)")


token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(name: Annotated[str, typer.Option(help="Who or what uses it")],
                 role: Annotated[str, typer.Option(help="service, analyst or admin")],
                 days: Annotated[int, typer.Option(help="Days until it expires")] = 90) -> None:
    """Create an API token; it is printed once and stored only as a hash."""
    from trust.api.auth import create_token

    print(create_token(_settings(), name, role, days))


@token_app.command("list")
def token_list(all_tokens: Annotated[bool, typer.Option("--all", help="Also revoked and expired tokens")] = False) -> None:
    """Tokens by id, name, role and dates (never the token: only its hash is stored)."""
    from trust.api.auth import list_tokens

    rows = list_tokens(_settings(), include_inactive=all_tokens)
    table = Table(title=f"API tokens ({len(rows)})")
    for column in ("id", "name", "role", "created", "expires", "state"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["id"]), row["name"], row["role"], row["created_at"], row["expires_at"], row["state"])
    console.print(table)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[Optional[int], typer.Option("--id", help="Token id (from `trust token list`)")] = None,
                 name: Annotated[Optional[str], typer.Option(help="Revoke every active token of this name")] = None) -> None:
    """Revoke tokens by id or by name; a revoked token is refused at once (401 "token revoked")."""
    from trust.api.auth import revoke_tokens

    if (token_id is None) == (name is None):
        raise typer.BadParameter("give exactly one of --id or --name")
    revoked = revoke_tokens(_settings(), token_id=token_id, name=name)
    console.print(f"revoked {len(revoked)} token(s): " + ", ".join(f"#{i}" for i in revoked))


@app.command("bench-api")
def bench_api(
    merchants: Annotated[int, typer.Option(help="Graded merchants in the warehouse")] = 100_000,
    requests: Annotated[int, typer.Option(help="Lookups per level (Python client, when wrk is not installed)")] = 3000,
    seconds: Annotated[int, typer.Option(help="Seconds per level (wrk)")] = 10,
    clients: Annotated[str, typer.Option(help="Concurrency levels, comma separated")] = "1,16,64",
    db_url: Annotated[Optional[str], typer.Option(help="Warehouse URL (default: SQLite under workdir)")] = None,
    workers: Annotated[int, typer.Option(help="Server worker processes")] = 2,
    workdir: Annotated[Path, typer.Option(help="Scratch folder (deleted first)")] = Path("var/bench-api"),
) -> None:
    """Load-test grade lookups over HTTP: requests/s and p50/p99 latency per number of concurrent clients."""
    from trust.bench import run_api_bench

    levels = [int(c) for c in clients.split(",") if c.strip()]
    run_api_bench(console, merchants, requests, levels, workdir, db_url, workers, seconds)


@app.command("bench-backfill")
def bench_backfill(
    days: Annotated[int, typer.Option(help="Business dates to backfill")] = 7,
    merchants: Annotated[int, typer.Option(help="Merchants in the generated marketplace")] = 160,
    pg_url: Annotated[str, typer.Option(help="PostgreSQL server to create the two scratch databases on")] =
        "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres",
    workdir: Annotated[Path, typer.Option(help="Scratch folder (deleted first)")] = Path("var/bench-backfill"),
) -> None:
    """Time a new warehouse's backfill through a real Airflow deployment (API server, scheduler, DAG processor) on
    PostgreSQL: wall time, seconds per date, failed and retried tasks."""
    from trust.bench import run_backfill_bench

    run_backfill_bench(console, days=days, merchants=merchants, pg_url=pg_url, workdir=workdir)


@app.command("bench-retrain")
def bench_retrain(
    reviews: Annotated[int, typer.Option(help="Labelled reviews (a generated marketplace of about this many)")] = 1_000_000,
    complaints: Annotated[int, typer.Option(help="Labelled complaints (topped up from the grammar)")] = 100_000,
    workdir: Annotated[Path, typer.Option(help="Scratch folder (deleted first)")] = Path("var/bench-retrain"),
) -> None:
    """Time the weekly retraining of every detector on a warehouse where everything is labelled."""
    from trust.bench import run_retrain_bench

    run_retrain_bench(console, reviews=reviews, complaints=complaints, workdir=workdir)


@app.command("bench-agents")
def bench_agents(
    links: Annotated[int, typer.Option(help="Recruitment links in the random forest")] = 1_000_000,
    workdir: Annotated[Path, typer.Option(help="Scratch folder (deleted first)")] = Path("var/bench-agents"),
) -> None:
    """Time the reseller-network code on a random forest: links/s and peak memory."""
    from trust.bench import run_agents_bench

    run_agents_bench(console, links=links, workdir=workdir)


@app.command("bench-moderation")
def bench_moderation(
    listings: Annotated[int, typer.Option(help="Listings in the catalogue")] = 1_000_000,
    complaints: Annotated[int, typer.Option(help="Complaints to classify")] = 1_000_000,
    checks: Annotated[int, typer.Option(help="Single-listing checks to time")] = 2000,
    workdir: Annotated[Path, typer.Option(help="Scratch folder (deleted first)")] = Path("var/bench-moderation"),
) -> None:
    """Listings/s and complaints/s at scale; single-listing check latency p50/p99 with the model loaded."""
    from trust.bench import run_moderation_bench

    logging.getLogger("trust").setLevel(logging.ERROR)
    run_moderation_bench(console, listings, complaints, checks, workdir)


@app.command("bench-review-text")
def bench_review_text(
    train: Annotated[int, typer.Option(help="Labelled reviews to train the review detector on (text only)")] = 100_000,
    score: Annotated[int, typer.Option(help="Reviews whose text model signals are computed")] = 1_000_000,
    datasets: Annotated[Path, typer.Option(help="Folder with online_shopping_10_cats/ and vispam/")] = Path("../shared/datasets"),
    workdir: Annotated[Path, typer.Option(help="Scratch folder for the model and texts")] = Path("var/bench-review-text"),
) -> None:
    """The review text model at scale: training seconds on N labelled reviews, reviews/s scored, peak memory."""
    from trust.bench import run_review_text_bench

    run_review_text_bench(console, train, score, datasets, workdir)


@app.command("bench-text")
def bench_text(
    corpus: Annotated[Path, typer.Option(help="CSV of real reviews with a `review` column")] = Path("../shared/datasets/online_shopping_10_cats/online_shopping_10_cats.csv"),
    limit: Annotated[int, typer.Option(help="Reviews to use")] = 20000,
) -> None:
    """Segmentation throughput (jieba vs rjieba, and whether they agree) and review text signals per second."""
    from trust.bench import run_text_bench

    run_text_bench(console, corpus, limit)


@eval_app.command("grades")
def eval_grades(
    merchants: Annotated[int, typer.Option(help="Merchants in the generated marketplace")] = 600,
    days: Annotated[int, typer.Option(help="Days of data")] = 60,
    consecutive: Annotated[int, typer.Option(help="Nightly runs at the end (the rest is history)")] = 30,
    seed: Annotated[int, typer.Option(help="Held-out seed (tests use others)")] = 202,
    workdir: Annotated[Path, typer.Option(help="Scratch folder")] = Path("var/eval-grades"),
) -> None:
    """Run the nightly pipeline for consecutive days and measure the grades against the planted truth."""
    import shutil

    from trust.evaluate import evaluate_grades, print_json

    shutil.rmtree(workdir, ignore_errors=True)
    logging.getLogger("trust").setLevel(logging.ERROR)
    print_json(evaluate_grades(workdir, merchants=merchants, days=days, seed=seed, consecutive=consecutive))


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


@eval_app.command("yelpchi")
def eval_yelpchi(
    data: Annotated[Path, typer.Option(help="Folder with metadata.txt and caregnn_nodes.csv")] = Path("../shared/datasets/yelpchi"),
    ceiling: Annotated[bool, typer.Option(help="Also bound what behaviour signals can reach (in-sample fit on one-review accounts)")] = False,
) -> None:
    """YelpChi (real Yelp filtered reviews, behaviour only): ROC AUC and AP on the published 40/60 split."""
    from trust.detect.yelpchi import evaluate_yelpchi
    from trust.evaluate import print_json

    print_json(evaluate_yelpchi(data, ceiling=ceiling))


@eval_app.command("vispam")
def eval_vispam(
    data: Annotated[Path, typer.Option(help="Folder with ViSpamReviews train.csv, dev.csv, test.csv")] = Path("../shared/datasets/vispam"),
    splits: Annotated[str, typer.Option(help="Comma-separated splits to score (model choices: dev only)")] = "dev,test",
    workdir: Annotated[Path, typer.Option(help="Scratch folder for the CSVs, the model and the scored files")] = Path("var/eval-vispam"),
) -> None:
    """ViSpamReviews (real Vietnamese reviews, spam or not): `trust reviews train` on train, `score` on dev and test."""
    from trust.detect.vispam import evaluate_vispam
    from trust.evaluate import print_json

    chosen = tuple(s.strip() for s in splits.split(",") if s.strip())
    unknown = [s for s in chosen if s not in ("dev", "test")]
    if unknown:
        raise typer.BadParameter(f"unknown split(s) {', '.join(unknown)}: choose from dev, test")
    print_json(evaluate_vispam(data, workdir, chosen))


@eval_app.command("listings")
def eval_listings(
    data: Annotated[Path, typer.Option(help="Labelled listings CSV (title, label; optional kind, category, price, ...)")] =
        Path("data/eval/listings_handwritten.csv"),
    model: Annotated[Path, typer.Option(help="Listing model folder")] = Path("models/listings"),
    threshold: Annotated[Optional[float], typer.Option(help="Flag threshold (default: the model's own, the nightly run's)")] = None,
) -> None:
    """A labelled listing file scored as `trust listings score` scores it: AUC, precision and recall at the
    threshold, per kind and per category. The default file is hand-written and held out: never train or tune on it."""
    from trust.detect.moderation_csv import evaluate_listings_file
    from trust.evaluate import print_json

    print_json(evaluate_listings_file(data, model, threshold))


@eval_app.command("complaints-file")
def eval_complaints_file(
    data: Annotated[Path, typer.Option(help="Labelled complaints CSV (text, label)")] = Path("data/eval/complaints_handwritten.csv"),
    model: Annotated[Path, typer.Option(help="Complaint model folder")] = Path("models/complaints"),
) -> None:
    """A labelled complaint file: accuracy, macro-F1, per-category precision/recall/F1 and confusions. The default file
    is hand-written and held out: never train or tune on it."""
    from trust.detect.moderation_csv import evaluate_complaints_file
    from trust.evaluate import print_json

    print_json(evaluate_complaints_file(data, model))


@eval_app.command("complaints")
def eval_complaints(
    data: Annotated[Path, typer.Option(help="online_shopping_10_cats folder or CSV (real reviews; labels in data/eval)")] =
        Path("../shared/datasets/online_shopping_10_cats"),
    models: Annotated[Path, typer.Option(help="Models folder")] = Path("models"),
) -> None:
    """The complaint classifier on real buyers' words: 200 real negative reviews hand-labelled by complaint category."""
    from trust.evaluate import evaluate_real_complaints, print_json

    print_json(evaluate_real_complaints(data, models))


@eval_app.command("reviews")
def eval_reviews(
    merchants: Annotated[int, typer.Option(help="Merchants in the generated marketplace")] = 600,
    days: Annotated[int, typer.Option(help="Days of data; the last third is the later test period")] = 45,
    seed: Annotated[int, typer.Option(help="Held-out seed (the shipped model was trained on another)")] = 303,
    model: Annotated[Path, typer.Option(help="Review model folder")] = Path("models/reviews"),
    workdir: Annotated[Path, typer.Option(help="Scratch folder for the generated files")] = Path("var/eval-reviews"),
) -> None:
    """The shipped review model on a held-out seed's later days: precision at the top 1%/5%, recall of planted farms."""
    import shutil

    from trust.evaluate import evaluate_reviews, print_json

    shutil.rmtree(workdir, ignore_errors=True)
    print_json(evaluate_reviews(workdir, model, merchants=merchants, days=days, seed=seed))


@reviews_app.command("train")
def reviews_train(
    input: Annotated[Path, typer.Option("--input", help="CSV with text, label (1 = fake) and optional columns")],
    model: Annotated[Path, typer.Option("--model", help="Folder to write the model and its card to")],
) -> None:
    """Train the fake-review detector on a labeled CSV; prints the held-out AUC/AP as JSON."""
    from trust.detect.review_csv import train_from_csv
    from trust.evaluate import print_json

    print_json(train_from_csv(input, model))


@reviews_app.command("export-labels")
def reviews_export_labels(
    output: Annotated[Path, typer.Option("--output", help="CSV to write (the input of `trust reviews train`)")],
) -> None:
    """The warehouse's reviews with the analysts' verdicts as labels (unlabelled rows kept as context)."""
    from trust.detect.review_csv import export_review_labels
    from trust.evaluate import print_json

    print_json(export_review_labels(_settings(), output))


@reviews_app.command("train-synth")
def reviews_train_synth(
    model: Annotated[Path, typer.Option("--model", help="Folder to write the model and its card to")] = Path("models/reviews"),
    merchants: Annotated[int, typer.Option(help="Merchants in the generated training marketplace")] = 600,
    days: Annotated[int, typer.Option(help="Days of data")] = 45,
    seed: Annotated[int, typer.Option(help="Training seed (evaluations use others)")] = 7,
    workdir: Annotated[Path, typer.Option(help="Scratch folder")] = Path("var/train-reviews"),
) -> None:
    """Rebuild the shipped review model from a generated marketplace's ground truth, then evaluate it on a held-out seed."""
    import shutil

    from trust.evaluate import REVIEW_LIMITATIONS, REVIEW_REAL_DATA, evaluate_reviews, print_json, train_shipped_review_model

    shutil.rmtree(workdir, ignore_errors=True)
    trained = train_shipped_review_model(workdir / "train", model, merchants=merchants, days=days, seed=seed)
    print_json(trained)
    evaluation = evaluate_reviews(workdir / "eval", model)
    print_json(evaluation)
    from trust.detect.artifacts import annotate_card

    annotate_card(model, training_data={"generator": "trust synth", "seed": seed, "merchants": merchants, "days": days,
                                        "rows": trained["rows"], "fake": trained["fake"]},
                  metrics={"holdout_same_seed": {k: trained.get(k) for k in ("auc", "ap")}, "held_out_seed_later_days": evaluation,
                           **REVIEW_REAL_DATA},
                  limitations=REVIEW_LIMITATIONS)


@reviews_app.command("score")
def reviews_score(
    input: Annotated[Path, typer.Option("--input", help="CSV with text and optional columns")],
    model: Annotated[Path, typer.Option("--model", help="Folder of a trained model")],
    output: Annotated[Path, typer.Option("--output", help="CSV to write: the input plus fake_probability and reasons")],
) -> None:
    """Score a CSV of reviews: adds fake_probability and reasons (JSON list of {code, text})."""
    from trust.detect.review_csv import score_csv
    from trust.evaluate import print_json

    print_json(score_csv(input, model, output))


@listings_app.command("check")
def listings_check(
    title: Annotated[str, typer.Option(help="Listing title")],
    price: Annotated[float, typer.Option(help="Price, CNY")],
    brand: Annotated[Optional[str], typer.Option(help="Brand field, if the seller filled it")] = None,
    category: Annotated[Optional[str], typer.Option(help="Category, e.g. 箱包")] = None,
    description: Annotated[Optional[str], typer.Option(help="Description")] = None,
    merchant: Annotated[Optional[str], typer.Option(help="Merchant id (brings the seller's record)")] = None,
) -> None:
    """Check one listing at listing time (上架审核): prints a JSON verdict with probability, flags and reasons."""
    from trust.detect.listings import ListingChecker

    result = ListingChecker.for_settings(_settings()).check(title, price, brand, category, description, merchant)
    typer.echo(json.dumps(result, ensure_ascii=False))


@listings_app.command("train")
def listings_train(
    input: Annotated[Path, typer.Option("--input", help="CSV with title, label and optional columns")],
    model: Annotated[Path, typer.Option("--model", help="Folder to write the model and its card to")],
) -> None:
    """Train the listing model on a labeled CSV (label: 0/1 or ok/counterfeit/false_advertising)."""
    from trust.detect.moderation_csv import train_listings
    from trust.evaluate import print_json

    print_json(train_listings(input, model))


@listings_app.command("export-labels")
def listings_export_labels(
    output: Annotated[Path, typer.Option("--output", help="CSV to write (the input of `trust listings train`)")],
) -> None:
    """Analysts' verdicts and test-buy results from the warehouse as a labelled training CSV."""
    from trust.detect.moderation_csv import export_listing_labels
    from trust.evaluate import print_json

    print_json(export_listing_labels(_settings(), output))


@listings_app.command("score")
def listings_score(
    input: Annotated[Path, typer.Option("--input", help="CSV with title and optional columns")],
    model: Annotated[Path, typer.Option("--model", help="Folder of a trained model (rules if it has none)")],
    output: Annotated[Path, typer.Option("--output", help="CSV to write: the input plus problem_probability, flag, reasons")],
) -> None:
    """Score a CSV of listings."""
    from trust.detect.moderation_csv import score_listings_csv
    from trust.evaluate import print_json

    print_json(score_listings_csv(input, model, output))


@complaints_app.command("train")
def complaints_train(
    input: Annotated[Path, typer.Option("--input", help="CSV with text and label (a complaint category)")],
    model: Annotated[Path, typer.Option("--model", help="Folder to write the model and its card to")],
    corpus: Annotated[Optional[Path], typer.Option(help="CSV of unlabelled complaints or reviews to learn word vectors "
                                                        "from (thousands of texts; optional)")] = None,
    corpus_column: Annotated[str, typer.Option(help="Text column of --corpus")] = "text",
) -> None:
    """Train the complaint classifier on a labeled CSV (and word vectors from unlabelled text, with --corpus)."""
    from trust.detect.moderation_csv import read_corpus, train_complaints
    from trust.evaluate import print_json

    texts = read_corpus(corpus, corpus_column) if corpus is not None else None
    print_json(train_complaints(input, model, texts, f"{corpus}, column {corpus_column}" if corpus is not None else None))


@complaints_app.command("score")
def complaints_score(
    input: Annotated[Path, typer.Option("--input", help="CSV with text")],
    model: Annotated[Path, typer.Option("--model", help="Folder of a trained model (keywords if it has none)")],
    output: Annotated[Path, typer.Option("--output", help="CSV to write: the input plus category, severity, reasons")],
) -> None:
    """Classify a CSV of complaints."""
    from trust.detect.moderation_csv import score_complaints_csv
    from trust.evaluate import print_json

    print_json(score_complaints_csv(input, model, output))


@app.command("train-moderation")
def train_moderation(
    models: Annotated[Path, typer.Option(help="Models folder")] = Path("models"),
    workdir: Annotated[Path, typer.Option(help="Scratch folder")] = Path("var/train-moderation"),
    real_complaints: Annotated[Path, typer.Option(help="online_shopping_10_cats folder: when it is there the complaint "
                                                       "model also learns from its hand-labelled training reviews and its "
                                                       "word vectors, and the card gets the real-review check")] = Path("../shared/datasets/online_shopping_10_cats"),
) -> None:
    """Rebuild models/listings and models/complaints from generated truth (seed 7), then evaluate on shifted seed 303."""
    import shutil

    from trust.evaluate import LISTING_LIMITS, evaluate_moderation, print_json, train_shipped_moderation_models

    real = (real_complaints / "online_shopping_10_cats.csv").exists()
    if not real:
        console.print(f"[yellow]{real_complaints} not found: the complaint model learns from generated wording only and "
                      "the card has no real-review check[/]")
    shutil.rmtree(workdir, ignore_errors=True)
    print_json(train_shipped_moderation_models(workdir / "train", models, real_reviews=real_complaints if real else None))
    evaluation = evaluate_moderation(workdir / "eval", models)
    print_json(evaluation)
    from trust.detect.artifacts import annotate_card

    limits = ("Trained on generated data (trust synth, seed 7, 600 merchants x 30 days, standard vocabulary). The "
              "shifted-vocabulary evaluation set was written by the same team as the lexicons, so its scores are "
              "optimistic for the words the lexicon shares with it.")
    complaint_keys = ("dataset", "complaint_model", "complaint_keywords")
    heldout = {}
    for vocabulary in ("heldout", "heldout2", "heldout3"):
        result = evaluate_moderation(workdir / vocabulary, models, vocabulary=vocabulary)
        heldout[vocabulary] = {k: result[k] for k in complaint_keys}
        print_json(heldout[vocabulary])
    complaint_limits = limits + (" In particular the complaint keyword lexicon was extended with general after-sales "
                                 "vocabulary after the shifted complaint wording had been written, so the shifted "
                                 "macro-F1 is not evidence of generalisation. Three held-out wordings were written after "
                                 "the lexicon was frozen. The first two (development_wording_1 and _2) became "
                                 "development sets while the model was designed and are now part of its training data "
                                 "(each sentence three times): their figures are training figures. The third "
                                 "(held_out_wording_3, 20 sentences a category, written and committed before that work) "
                                 "was never trained on and not looked at while the model was designed: it is the clean figure. "
                                 "All three were written by the same team as the grammar, so even it is optimistic about "
                                 "real complaints. The model learns from complaints composed by a grammar "
                                 "(trust/synth/complaint_grammar.py: 43-79 statements per category (some in English) with slots, shared "
                                 "openers, closers and asides, everyday synonyms swapped) plus a balanced draw of 300 per "
                                 "category and the two development wordings.")
    if real:
        import pandas as pd

        from trust.evaluate import REAL_COMPLAINT_TRAINING

        categories = pd.read_csv(REAL_COMPLAINT_TRAINING, sep="\t", comment="#")["category"]
        complaint_limits += (f" It also learns from {int((categories != 'none').sum())} real negative reviews hand-labelled by "
                             f"complaint (data/train: {len(categories)} reviews, {int((categories == 'none').sum())} of them "
                             "not complaints; no reseller recruitment among them) and reads word "
                             "vectors learnt from the other online_shopping_10_cats reviews (not the evaluation rows): "
                             "words buyers use where the training complaints use theirs.")
    complaint_limits += (" Generated wording is no substitute for real complaints: train it on analysts' labelled "
                         "complaints (trust complaints train, with --corpus of past complaints) before relying on its "
                         "categories.")
    annotate_card(models / "listings", metrics={"held_out_shifted_vocabulary": {k: evaluation[k] for k in ("dataset", "listing_model", "listing_model_without_knowledge", "listing_rules", "planner")}},
                  limitations=limits + LISTING_LIMITS)
    metrics = {"held_out_shifted_vocabulary": {k: evaluation[k] for k in complaint_keys},
               "development_wording_1": heldout["heldout"], "development_wording_2": heldout["heldout2"],
               "held_out_wording_3": heldout["heldout3"]}
    if real:
        from trust.evaluate import evaluate_real_complaints

        metrics["real_reviews_sample"] = evaluate_real_complaints(real_complaints, models)
        print_json(metrics["real_reviews_sample"])
        check = metrics["real_reviews_sample"]
        complaint_limits += (f" On real buyers' words (real_reviews_sample: {check['complaints']} real negative reviews "
                             f"labelled by complaint, never trained on, trust eval complaints) it is right "
                             f"{check['complaint_model']['accuracy']:.0%} of the time (macro-F1 "
                             f"{check['complaint_model']['macro_f1']:.2f}): generated wording overstates it. See "
                             "per_category for what holds up.")
    annotate_card(models / "complaints", metrics=metrics, limitations=complaint_limits)


@eval_app.command("moderation")
def eval_moderation(
    merchants: Annotated[int, typer.Option(help="Merchants in the generated marketplace")] = 600,
    days: Annotated[int, typer.Option(help="Days of data")] = 30,
    seed: Annotated[int, typer.Option(help="Held-out seed (the shipped models were trained on seed 7)")] = 303,
    vocabulary: Annotated[str, typer.Option(help="shifted (default), heldout, heldout2, heldout3 or standard")] = "shifted",
    budget: Annotated[int, typer.Option(help="Test buys for the planner comparison")] = 50,
    models: Annotated[Path, typer.Option(help="Models folder")] = Path("models"),
    workdir: Annotated[Path, typer.Option(help="Scratch folder")] = Path("var/eval-moderation"),
) -> None:
    """Listing AUC and precision at budget, complaint macro-F1 per category, planner vs random test buys."""
    import shutil

    from trust.evaluate import evaluate_moderation, print_json

    shutil.rmtree(workdir, ignore_errors=True)
    print_json(evaluate_moderation(workdir, models, merchants=merchants, days=days, seed=seed, vocabulary=vocabulary, budget=budget))


@spotcheck_app.command("plan")
def spotcheck_plan(
    date: DateOption,
    budget: Annotated[int, typer.Option(help="Test buys available today")],
    exploration: Annotated[float, typer.Option(help="Share of the budget chosen at random")] = 0.2,
) -> None:
    """Choose today's test buys from the listing scores; writes spot_check_plans and a CSV under reports/."""
    from trust.evaluate import print_json
    from trust.planner import plan_spot_checks

    print_json(plan_spot_checks(_settings(), _date(date), budget, exploration))


def main() -> None:
    from sqlalchemy.exc import DBAPIError

    from trust.db.health import WarehouseUnavailable, warehouse_state
    from trust.errors import PermanentError

    try:
        app()
    except (PermanentError, WarehouseUnavailable, ValueError, FileNotFoundError, LookupError) as exc:
        # Expected, user-fixable problems: say what is wrong, no traceback.
        console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise SystemExit(1) from None
    except DBAPIError as exc:
        # The warehouse is down, missing or not migrated: one line with what to do, not 500 lines of driver traceback.
        state = warehouse_state(_settings().db_url)
        if state.ok:
            raise  # the database works: this is a bug, show it whole
        console.print(f"[red]error:[/red] {state.message}", highlight=False, soft_wrap=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
