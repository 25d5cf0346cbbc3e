"""Benchmarks: ``trust bench`` and ``trust bench-*``, each printing its figures."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer

from trust.cli.common import app, console


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


@app.command("bench-shards")
def bench_shards(
    workdir: Annotated[Path, typer.Option(help="The work folder of an earlier `trust bench` (its warehouse is rerun)")] = Path("var/bench"),
    shards: Annotated[str, typer.Option(help="Shard counts to try, comma-separated")] = "1,4,8",
    workers: Annotated[str, typer.Option(help="Worker counts to try, comma-separated")] = "1,2",
) -> None:
    """The sharded stages of the bench's night (complaints, metrics, credit scores, grades) with N shards on W workers,
    each task a fresh process as under Celery: wall time per stage and the peak memory of the largest task."""
    from trust.bench_shards import run_shard_bench

    try:
        shard_counts, worker_counts = [int(s) for s in shards.split(",")], [int(w) for w in workers.split(",")]
    except ValueError:
        raise typer.BadParameter("give whole numbers separated by commas, e.g. 1,4,8") from None
    if not (workdir / "bench.json").is_file():
        raise typer.BadParameter(f"{workdir} has no bench.json: run `trust bench --workdir {workdir}` first")
    run_shard_bench(console, workdir, shard_counts, worker_counts)


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
