"""The night and its inputs: synth, ingest, run, backfill, summary, report, demo."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from trust.cli.common import DateOption, _date, _settings, app, console, print_json
from trust.cli.summary import print_summary


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
def stage(
    name: Annotated[str, typer.Argument(help="ingest, pin_models, detect, model_drift, merchant_metrics, platform_rates, "
                                             "credit_scores, grades, quality_gate, publish, summary or report")],
    date: DateOption,
    detector: Annotated[Optional[str], typer.Option(help="The detector, for the detect stage")] = None,
    shard: Annotated[Optional[str], typer.Option(help="One merchant shard i/N of a sharded stage (default: all)")] = None,
) -> None:
    """Run one stage of a night by hand, as the DAG's task does (recorded in stage_runs, under the date's lock), e.g.
    `trust stage grades --date 2026-10-30 --shard 2/4` to redo one shard."""
    from trust.pipeline import run_stage

    if (name == "detect") != (detector is not None):
        raise typer.BadParameter("--detector goes with the detect stage, and only with it")
    try:
        result = run_stage(name, _date(date).isoformat(), *(a for a in (detector, shard) if a))
    except ValueError as error:
        typer.echo(f"trust stage: {error}", err=True)
        raise typer.Exit(2) from None
    print_json(result)


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
def demo(
    merchants: Annotated[int, typer.Option(help="Merchants in the sample marketplace")] = 300,
    days: Annotated[int, typer.Option(help="Days of history")] = 30,
    seed: Annotated[int, typer.Option(help="Random seed")] = 7,
) -> None:
    """Generate a sample marketplace, backfill its history, run trust_nightly through Airflow for the last day."""
    from trust.demo import run_demo

    run_demo(console, merchants=merchants, days=days, seed=seed)


@app.command()
def report(date: DateOption) -> None:
    """Write (or rewrite) the analysts' HTML report of a business date and say where it is."""
    from trust.report import build_report

    result = build_report(_settings(), _date(date))
    console.print(f"report: {result['report_path']} ({result['charts']} charts, {result['tables']} tables)")


@app.command()
def cluster(
    workdir: Annotated[Path, typer.Option(help="Folder for the sample marketplace, Airflow's home and logs")] = Path("var/cluster"),
    workers: Annotated[int, typer.Option(help="Celery workers")] = 2,
    days: Annotated[int, typer.Option(help="Dates of the sample marketplace to backfill")] = 3,
) -> None:
    """The nightly DAG on Airflow's CeleryExecutor on this machine: Redis, PostgreSQL, API server (UI), scheduler, DAG
    processor and Celery workers; backfills a sample marketplace's dates, prints where the UI is, runs until Ctrl-C."""
    from trust.cluster import run_cluster

    run_cluster(console, workdir, workers=workers, days=days)
