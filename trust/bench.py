"""``trust bench``: generate a marketplace at a given scale and time each pipeline stage.

Figures: wall seconds, rows per second and peak resident memory (RSS of the process and its children, sampled every
20 ms) per stage.
The nightly run is the last day's stages: ingest, detectors, metrics, score, grades, quality gate, publish and summary,
over an evaluation window that holds every generated review, timed after the night before it has run (untimed per
stage: the first night reads every text for the first time, a one-off), so it is a steady night like every later one.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import psutil
from rich.console import Console
from rich.table import Table

REVIEWS_PER_MERCHANT_DAY = 3.9  # measured on the generator's defaults; used only to size the marketplace


class _PeakMemory:
    def __init__(self, interval: float = 0.02, pid: int | None = None):
        self.process = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        """This process and its children (worker processes of a parallel stage count too); 0 once it has ended."""
        try:
            total = self.process.memory_info().rss
            children = self.process.children(recursive=True)
        except psutil.Error:  # a watched child process that has finished
            return 0
        for child in children:
            try:
                total += child.memory_info().rss
            except psutil.Error:  # ended between the listing and the reading
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(self.interval)

    def __enter__(self):
        self.peak = self._rss()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


PROFILE_TOP = 12  # functions shown per profiled stage


def top_costs(profile, top: int = PROFILE_TOP) -> list[dict]:
    """The functions of a ``cProfile.Profile`` that took the most time, own time included in callees (cumulative),
    leaving out the bench's own frames and the interpreter's entry points."""
    import pstats

    stats = pstats.Stats(profile)
    rows = []
    for (filename, line, function), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        if filename.endswith(("bench.py", "contextlib.py")) or function in ("<module>", "exec") or filename == "~":
            continue
        where = filename.split("site-packages/")[-1].split("/work/main/")[-1]
        rows.append({"function": f"{where}:{line}({function})", "calls": calls, "own_s": round(own, 3), "cumulative_s": round(cumulative, 3)})
    return sorted(rows, key=lambda r: -r["cumulative_s"])[:top]


@contextmanager
def _stage(results: list[dict], name: str, rows_of=None, profile_dir: Path | None = None):
    import cProfile

    box: dict = {}
    profiler = cProfile.Profile() if profile_dir is not None else None
    started = time.perf_counter()
    with _PeakMemory() as memory:
        if profiler is not None:
            profiler.enable()
        try:
            yield box
        finally:
            if profiler is not None:
                profiler.disable()
    seconds = time.perf_counter() - started
    if profiler is not None:
        profile_dir.mkdir(parents=True, exist_ok=True)
        slug = "".join(c if c.isalnum() else "_" for c in name).strip("_")
        profiler.dump_stats(profile_dir / f"{slug}.prof")
        box["profile"] = top_costs(profiler)
    rows = box.get("rows", 0)
    results.append({"stage": name, "rows": rows, "seconds": round(seconds, 2),
                    "rows_per_second": round(rows / seconds) if seconds and rows else None,
                    "peak_rss_mb": round(memory.peak / 2**20), **({"profile": box["profile"]} if "profile" in box else {})})


def run_bench(console: Console, reviews: int, days: int, workdir: Path, db_url: str | None = None,
              profile: bool = False) -> list[dict]:
    """Time every stage; with ``profile`` the nightly stages also run under cProfile (slower: read the top costs,
    not the seconds) and their top costs are printed and kept in bench.json."""
    from trust import pipeline
    from trust.detect import registry
    from trust.settings import Settings
    from trust.synth.generator import SynthConfig, generate_marketplace

    merchants = max(130, round(reviews / (REVIEWS_PER_MERCHANT_DAY * days)))
    workdir = workdir.resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    env = {"TRUST_DATA_DIR": str(workdir / "var"), "TRUST_LANDING_DIR": str(workdir / "market" / "landing")}
    if db_url:
        env["TRUST_DB_URL"] = db_url
    settings = Settings.from_env(env)
    results: list[dict] = []
    console.print(f"bench: ~{reviews:,} reviews → {merchants:,} merchants × {days} days, warehouse {settings.db_url}")

    with _stage(results, "synth (generate landing files)") as box:
        summary = generate_marketplace(SynthConfig(merchants=merchants, days=days, seed=1, out=workdir / "market"))
        box["rows"] = sum(summary.rows.values())
    console.print("generated: " + ", ".join(f"{k} {v:,}" for k, v in summary.rows.items()))

    dates = [summary.first_date + dt.timedelta(days=i) for i in range(days)]
    with _stage(results, f"backfill ingest ({days - 1} days)") as box:
        for day in dates[:-1]:
            out = pipeline.run_ingest(settings, day)
            box["rows"] = box.get("rows", 0) + sum(v["rows_in"] for v in out["entities"].values())
    last = dates[-1]
    with _stage(results, "review history: first build from all reviews (one-off)") as box:
        from trust.db.engine import session_scope
        from trust.detect.reviews.history import update_history

        with session_scope(settings.db_url) as session:
            box["rows"] = update_history(session, dates[-2])["reviews"]
    with _stage(results, "first night (one-off: every text read for the first time), merchants graded") as box:
        # The timed night below is a steady one, as every night after the first: the night before it has run, so what
        # was stored per row then (text features, text-model signals, listing parts) is read back, not recomputed.
        box["rows"] = sum(pipeline.run_all(settings, dates[-2], ingest=False)["tiers"].values())
    nightly_start = len(results)
    profiles = workdir / "profiles" if profile else None
    with _stage(results, "nightly: ingest (last day)", profile_dir=profiles) as box:
        out = pipeline.run_ingest(settings, last)
        box["rows"] = sum(v["rows_in"] for v in out["entities"].values())
    with _stage(results, "nightly: pin_models", profile_dir=profiles) as box:
        box["rows"] = len(pipeline.run_pin_models(settings, last)["models"])
    for name in registry.names():
        with _stage(results, f"nightly: detect_{name}", profile_dir=profiles) as box:
            box["rows"] = pipeline.run_detector(settings, last, name)["scored"]
    with _stage(results, "nightly: model_drift", profile_dir=profiles) as box:
        box["rows"] = pipeline.run_model_drift(settings, last)["measures"]
    with _stage(results, "nightly: merchant_metrics", profile_dir=profiles) as box:
        box["rows"] = pipeline.run_merchant_metrics(settings, last)["merchants"]
    with _stage(results, "nightly: platform_rates", profile_dir=profiles) as box:
        box["rows"] = len(pipeline.run_platform_rates(settings, last)["rates"])
    with _stage(results, "nightly: credit_scores", profile_dir=profiles) as box:
        box["rows"] = pipeline.run_credit_scores(settings, last)["merchants"]
    with _stage(results, "nightly: grades", profile_dir=profiles) as box:
        box["rows"] = pipeline.run_grades(settings, last)["graded"]
    with _stage(results, "nightly: quality_gate + publish + summary", profile_dir=profiles) as box:
        pipeline.run_quality_gate(settings, last)
        pipeline.run_publish(settings, last)
        box["rows"] = sum(pipeline.summarise_run(settings, last)["tiers"].values())

    nightly = results[nightly_start:]
    total = {"stage": "nightly run, total (sequential)", "rows": None, "seconds": round(sum(r["seconds"] for r in nightly), 2),
             "rows_per_second": None, "peak_rss_mb": max(r["peak_rss_mb"] for r in nightly)}
    results.append(total)
    day_rows = loaded_rows(settings, last)  # read and deleted untimed: the floor below times the writing alone, as the
    remove_loaded_rows(settings, last)  # night's ingest wrote them (a first delivery: no rows of the day to delete)
    with _stage(results, "ingest's floor: the day's loaded rows written again alone (nothing read or checked)") as box:
        write_loaded_rows(settings, day_rows)
        box["rows"] = results[nightly_start]["rows"]  # the ingest's rows in: its rows/s could not go above this one
    table = Table(title=f"trust bench: {summary.rows.get('reviews', 0):,} reviews, {merchants:,} merchants, {days} days")
    for column in ("stage", "rows", "seconds", "rows/s", "peak RSS MB"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for r in results:
        table.add_row(r["stage"], f"{r['rows']:,}" if r["rows"] else "", f"{r['seconds']:.1f}",
                      f"{r['rows_per_second']:,}" if r["rows_per_second"] else "", str(r["peak_rss_mb"]))
    console.print(table)
    for r in results:
        if r.get("profile"):
            costs = Table(title=f"top costs: {r['stage']} (cProfile, cumulative seconds)")
            for column in ("function", "calls", "own s", "cumulative s"):
                costs.add_column(column, justify="left" if column == "function" else "right")
            for row in r["profile"]:
                costs.add_row(row["function"], f"{row['calls']:,}", f"{row['own_s']:.2f}", f"{row['cumulative_s']:.2f}")
            console.print(costs)
    (workdir / "bench.json").write_text(json.dumps({"reviews": summary.rows.get("reviews"), "merchants": merchants, "days": days,
                                                     "db_url": settings.db_url, "stages": results}, indent=2))
    console.print(f"figures also in {workdir / 'bench.json'}")
    return results


def loaded_rows(settings, day: dt.date) -> dict:
    """Every input table's rows of ``day`` as frames (without the columns the bulk path derives, which it derives again
    when they are written): what :func:`write_loaded_rows` writes back."""
    from sqlalchemy import select

    from trust.db.engine import read_frame, session_scope
    from trust.db.tables import INPUT_TABLES

    frames = {}
    with session_scope(settings.db_url) as session:
        for table in INPUT_TABLES.values():
            derived = getattr(table, "__derived_columns__", {})
            columns = [c for c in table.__table__.columns if c.name not in derived]
            frames[table] = read_frame(session, select(*columns).where(table.business_date == day))
    return frames


def remove_loaded_rows(settings, day: dt.date) -> None:
    """Delete every input table's rows of ``day`` (after :func:`loaded_rows` has read them), in one transaction."""
    from sqlalchemy import delete

    from trust.db.engine import session_scope
    from trust.db.tables import INPUT_TABLES

    with session_scope(settings.db_url) as session:
        for table in INPUT_TABLES.values():
            session.execute(delete(table).where(table.business_date == day))


def write_loaded_rows(settings, frames: dict) -> int:
    """The database's share of a day's first ingest, alone: ``frames`` (:func:`loaded_rows`, removed since) written back
    by the bulk path in one transaction and committed; the warehouse ends as it was before :func:`remove_loaded_rows`.
    An ingest does this and reads, checks and looks up besides, so its rows/s cannot beat this one's on the same
    machine."""
    from trust.db.engine import insert_rows, session_scope

    with session_scope(settings.db_url) as session:
        return sum(insert_rows(session, table, frame) for table, frame in frames.items())


def random_reseller_forest(links: int, seed: int = 0, roots_share: float = 0.005):
    """``links`` recruitment links forming a random forest: each agent joins under a uniformly chosen earlier
    agent (so depth grows like log n), with entry fees on half the chains."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    roots = max(1, int(links * roots_share))
    nodes = roots + links
    child = np.arange(roots, nodes)
    parent = (rng.random(links) * child).astype(np.int64)
    ids = np.char.add("A", np.arange(nodes).astype(str)).astype(object)
    return pd.DataFrame({
        "link_id": np.char.add("K", np.arange(links).astype(str)).astype(object), "recruiter_id": ids[parent],
        "recruit_id": ids[child], "entry_fee": np.where(rng.random(links) < 0.5, 1980.0, 0.0),
        "joined_at": pd.Timestamp("2026-10-01") - pd.to_timedelta(rng.integers(0, 400, links), unit="D"),
        "_row": np.arange(1, links + 1),
    })


def run_agents_bench(console: Console, links: int, workdir: Path) -> list[dict]:
    """Time the ingest graph checks and the network analysis on a random forest of ``links`` links."""
    import pandas as pd

    from trust.db.engine import dispose_engines, session_scope
    from trust.db.migrate import upgrade_database
    from trust.detect.agents.stage import analyse_networks
    from trust.ingest.link_checks import check_agent_links

    workdir = workdir.resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    db_url = f"sqlite:///{workdir / 'warehouse.db'}"
    upgrade_database(db_url)
    results: list[dict] = []
    with _stage(results, "generate random forest") as box:
        forest_links = random_reseller_forest(links)
        box["rows"] = len(forest_links)
    with _stage(results, "ingest graph checks (self, repeat, second recruiter, cycle)") as box:
        with session_scope(db_url) as session:
            problems = check_agent_links(session, forest_links)
        box["rows"] = len(forest_links)
    with _stage(results, "analyse networks (forest, subtrees, chain figures)") as box:
        members, chains = analyse_networks(forest_links, pd.DataFrame(columns=["merchant_id", "buyer_id", "amount"]),
                                           dt.date(2026, 10, 1))
        box["rows"] = len(forest_links)
    dispose_engines()
    table = Table(title=f"trust bench-agents: {links:,} links, {len(chains):,} chains, deepest {int(members['level'].max())} levels, "
                        f"{len(problems)} problems")
    for column in ("stage", "links", "seconds", "links/s", "peak RSS MB"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for r in results:
        table.add_row(r["stage"], f"{r['rows']:,}", f"{r['seconds']:.1f}", f"{r['rows_per_second']:,}", str(r["peak_rss_mb"]))
    console.print(table)
    return results


def seed_graded_merchants(db_url: str, merchants: int, business_date: dt.date) -> None:
    """Write ``merchants`` published grades (with their scorecard and gate metrics) straight into a warehouse."""
    import numpy as np
    import pandas as pd

    from trust.db.engine import replace_partition, session_scope
    from trust.db.migrate import upgrade_database
    from trust.db.tables import Grade, MerchantMetric, PublishLog
    from trust.pipeline import write_grade_documents
    from trust.settings import Settings
    from trust.thresholds import load_thresholds

    upgrade_database(db_url)
    rng = np.random.default_rng(0)
    ids = [f"M{i:07d}" for i in range(merchants)]
    score = np.round(rng.uniform(300, 1000, merchants), 1)
    tier = np.select([score >= 850, score >= 720, score >= 580, score >= 420], ["A", "B", "C", "D"], "E")
    decided = '[{"metric": "credit_score", "value": 0, "threshold": 0, "effect": "tier", "text": "credit score"}]'
    grades = pd.DataFrame({"business_date": business_date, "merchant_id": ids, "tier": tier, "tier_name": tier, "score": score,
                           "decided_by": decided, "window_start": business_date - dt.timedelta(days=89), "window_end": business_date,
                           "grade_version": f"{business_date}/bench", "projected_tier": tier, "previous_tier": tier,
                           "effective_from": business_date})
    metric_names = ["orders", "order_defects", "order_defect_rate", "order_defect_rate_smoothed", "complaint_rate_smoothed",
                    "late_shipment_rate_smoothed", "fake_review_share", "suspected_fake_reviews", "risky_listing_share",
                    "counterfeit_complaint_count", "confirmed_counterfeit_cases", "pyramid_risk", "pyramid_flagged"]
    metrics = pd.DataFrame({"business_date": business_date, "merchant_id": np.repeat(ids, len(metric_names)),
                            "metric": np.tile(metric_names, merchants), "value": rng.random(merchants * len(metric_names)),
                            "window_start": business_date - dt.timedelta(days=89), "window_end": business_date, "code_version": "bench"})
    with session_scope(db_url) as session:
        replace_partition(session, Grade, business_date, grades)
        replace_partition(session, MerchantMetric, business_date, metrics)
        write_grade_documents(session, grades, business_date, load_thresholds(Settings.from_env().thresholds_path))
        session.add(PublishLog(business_date=business_date, grade_version=f"{business_date}/bench", status="published",
                               reason="bench", actor="bench", decided_at=dt.datetime(2026, 1, 1)))


async def _load(base_url: str, ids: list[str], clients: int, requests: int, seed: int) -> dict:
    import asyncio
    import random

    import httpx

    picker = random.Random(seed)
    targets = [picker.choice(ids) for _ in range(requests)]
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue = asyncio.Queue()
    for target in targets:
        queue.put_nowait(target)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while True:
            try:
                merchant = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            started = time.perf_counter()
            response = await client.get(f"/merchants/{merchant}/grade")
            latencies.append(time.perf_counter() - started)
            errors += response.status_code != 200

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return {"clients": clients, "requests": len(latencies), "errors": errors, "requests_per_second": round(len(latencies) / wall),
            "p50_ms": round(1000 * ordered[len(ordered) // 2], 2), "p99_ms": round(1000 * ordered[int(len(ordered) * 0.99) - 1], 2)}


def _wrk(base_url: str, merchants: int, clients: int, seconds: int, workdir: Path) -> dict:
    """Drive the service with wrk (C, little CPU of its own) fetching random merchants' grades."""
    import re
    import subprocess

    script = workdir / "random_grade.lua"
    script.write_text(f"""math.randomseed({clients})
request = function()
  return wrk.format("GET", string.format("/merchants/M%07d/grade", math.random(0, {merchants - 1})))
end
""")
    threads = min(clients, 2)
    done = subprocess.run(["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", "--latency", "-s", str(script), base_url],
                          capture_output=True, text=True, check=True)
    out = done.stdout

    def millis(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"clients": clients, "requests": total, "errors": int(errors.group(1)) if errors else 0,
            "requests_per_second": round(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))),
            "p50_ms": millis("50"), "p99_ms": millis("99")}


def run_api_bench(console: Console, merchants: int, requests: int, clients: list[int], workdir: Path, db_url: str | None,
                  workers: int = 2, seconds: int = 10) -> list[dict]:
    """Seed a warehouse with graded merchants, serve it with ``trust serve`` and measure lookups at each concurrency."""
    import asyncio
    import os
    import socket
    import subprocess
    import sys

    import httpx

    workdir = workdir.resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    db_url = db_url or f"sqlite:///{workdir / 'warehouse.db'}"
    day = dt.date(2026, 10, 30)
    console.print(f"seeding {merchants:,} graded merchants into {db_url}")
    seed_graded_merchants(db_url, merchants, day)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, TRUST_DB_URL=db_url, TRUST_DATA_DIR=str(workdir))
    # The server's log goes to a file: it writes a line per request, and an unread pipe would fill and stall it.
    server_log = (workdir / "serve.log").open("w")
    server = subprocess.Popen([str(Path(sys.executable).parent / "trust"), "serve", "--port", str(port), "--workers", str(workers)],
                              env=env, stdout=server_log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("trust serve did not come up: " + (workdir / "serve.log").read_text(errors="replace")[-2000:])
        ids = [f"M{i:07d}" for i in range(merchants)]
        asyncio.run(_load(base, ids, 4, 200, 99))  # warm-up
        if shutil.which("wrk"):
            generator = "wrk"
            results = [_wrk(base, merchants, n, seconds, workdir) for n in clients]
        else:  # a Python client competes with the server for the same cores: figures are pessimistic
            generator = "httpx"
            results = [asyncio.run(_load(base, ids, n, requests, n)) for n in clients]
    finally:
        server.terminate()
        server.wait(timeout=30)
        server_log.close()
    table = Table(title=f"trust bench-api: GET /merchants/{{id}}/grade, {merchants:,} graded merchants, {workers} server workers, "
                        f"{db_url.split(':')[0]}, load from {generator}")
    for column in ("clients", "requests", "errors", "requests/s", "p50 ms", "p99 ms"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(str(r["clients"]), f"{r['requests']:,}", str(r["errors"]), f"{r['requests_per_second']:,}", f"{r['p50_ms']:.1f}",
                      f"{r['p99_ms']:.1f}")
    console.print(table)
    return results


def run_text_bench(console: Console, corpus: Path, limit: int = 20000) -> dict:
    """Segmentation throughput on real Chinese reviews: jieba (the reference) vs rjieba (the fast path), their
    agreement, and the review text signals (normalise, segment, lexicon, MinHash near-duplicates) per second."""
    import pandas as pd

    from trust.detect.reviews.signals import text_signals
    from trust.text import _jieba, normalize_text, segment

    if not corpus.exists():
        raise FileNotFoundError(f"{corpus}: no such file (the real review corpus, e.g. ../shared/datasets/online_shopping_10_cats/online_shopping_10_cats.csv)")
    texts = [normalize_text(t) for t in pd.read_csv(corpus, usecols=["review"], dtype=str)["review"].dropna().head(limit)]
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    _jieba(), segment("预热")  # load both dictionaries outside the timing
    figures: dict = {"texts": len(texts), "megabytes": round(megabytes, 2)}
    for name, fast in (("jieba", False), ("rjieba", True)):
        started = time.perf_counter()
        cuts = [segment(t, fast=fast) for t in texts]
        seconds = time.perf_counter() - started
        figures[f"{name}_mb_per_s"] = round(megabytes / seconds, 2)
        figures[f"{name}_cuts"] = cuts
    reference, fast_cuts = figures.pop("jieba_cuts"), figures.pop("rjieba_cuts")
    figures["identical_segmentations"] = round(sum(a == b for a, b in zip(reference, fast_cuts)) / len(texts), 4)
    frame = pd.DataFrame({"text": texts, "reviewer_id": [f"U{i}" for i in range(len(texts))]})
    started = time.perf_counter()
    text_signals(frame)
    figures["text_signals_per_s"] = round(len(texts) / (time.perf_counter() - started))
    _print_figures(console, f"trust bench-text: {len(texts):,} real reviews ({megabytes:.1f} MB) from {corpus.name}", figures)
    return figures


def run_moderation_bench(console: Console, listings: int = 1_000_000, complaints: int = 1_000_000, checks: int = 2000,
                         workdir: Path = Path("var/bench-moderation")) -> dict:
    """Listings/s and complaints/s of the nightly listing and complaint stages at scale, and single-listing check
    latency (p50/p99) with the model and a market context loaded. The catalogue is a generated marketplace's listings
    (and complaints) repeated with new ids, shops, prices and title suffixes up to the requested size."""
    import numpy as np
    import pandas as pd

    from trust.detect.complaints.stage import classifier
    from trust.detect.listings.knowledge import assess_listings
    from trust.detect.listings.model import ListingContext, flag_threshold, listing_signals, title_tokens
    from trust.detect.listings.stage import ListingChecker, installed_model
    from trust.detect.listings.evaluation import labeled_complaints, labeled_listings
    from trust.synth.generator import SynthConfig, generate_marketplace

    shutil.rmtree(workdir, ignore_errors=True)
    generate_marketplace(SynthConfig(merchants=600, days=10, seed=5, out=workdir / "market"))
    base = labeled_listings(workdir / "market").drop(columns="label")
    rng = np.random.default_rng(0)
    picks = rng.integers(0, len(base), listings)
    catalogue = base.iloc[picks].reset_index(drop=True)
    catalogue["listing_id"] = [f"BL{i:08d}" for i in range(listings)]
    catalogue["merchant_id"] = [f"BM{m:06d}" for m in rng.integers(0, max(1, listings // 8), listings)]
    catalogue["price"] = (catalogue["price"] * rng.uniform(0.8, 1.2, listings)).round(0)
    catalogue["title"] = catalogue["title"] + np.where(rng.random(listings) < 0.5, " " + pd.Series(rng.integers(1, 999, listings)).astype(str), "")
    figures: dict = {"listings": listings}
    model = installed_model()
    with _PeakMemory() as memory:
        started = time.perf_counter()
        tokens = title_tokens(catalogue["title"])  # as the nightly stage does: each title segmented once
        context = ListingContext.fit(catalogue, tokens=tokens)
        figures["context_seconds"] = round(time.perf_counter() - started, 1)
        signals = listing_signals(catalogue, context, tokens=tokens)
        assess_listings(model, catalogue, signals, flag_threshold(model))  # as the nightly stage: knowledge laid over, reasons for the flagged
        seconds = time.perf_counter() - started
    figures.update(listing_stage_seconds=round(seconds, 1), listings_per_second=round(listings / seconds), listing_peak_rss_mb=round(memory.peak / 2**20))
    texts = labeled_complaints(workdir / "market")["text"].to_numpy()
    batch = list(texts[rng.integers(0, len(texts), complaints)])
    with _PeakMemory() as memory:
        started = time.perf_counter()
        classifier().explain(batch)
        seconds = time.perf_counter() - started
    figures.update(complaints=complaints, complaint_seconds=round(seconds, 1), complaints_per_second=round(complaints / seconds),
                   complaint_peak_rss_mb=round(memory.peak / 2**20))
    checker = ListingChecker(market=(context, "the benchmark's catalogue"))
    sample = catalogue.iloc[rng.integers(0, listings, checks)]
    latencies = []
    for row in sample.itertuples(index=False):
        started = time.perf_counter()
        checker.check(row.title, float(row.price), row.brand if isinstance(row.brand, str) else None, row.category,
                      row.description if isinstance(row.description, str) else None, row.merchant_id)
        latencies.append(time.perf_counter() - started)
    latencies_ms = np.array(latencies) * 1000
    figures.update(single_checks=checks, check_p50_ms=round(float(np.percentile(latencies_ms, 50)), 2),
                   check_p99_ms=round(float(np.percentile(latencies_ms, 99)), 2))
    _print_figures(console, f"trust bench-moderation: {listings:,} listings, {complaints:,} complaints, {checks:,} single checks", figures)
    return figures


def _print_figures(console: Console, title: str, figures: dict) -> None:
    table = Table(title=title)
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in figures.items():
        table.add_row(key, f"{value:,}")
    console.print(table)


def _real_review_texts(datasets: Path) -> tuple[list[str], list[int], list[str]]:
    """Real review texts with real labels of some task (Chinese sentiment, Vietnamese spam) and, for the Vietnamese
    spam, its kind of spam (the text model then learns the kinds apart too, as `trust eval vispam` trains): the labels
    only give the training something to learn, the figures are throughput."""
    import pandas as pd

    from trust.detect.reviews.vispam import KINDS

    texts: list[str] = []
    labels: list[int] = []
    kinds: list[str] = []
    shopping = datasets / "online_shopping_10_cats" / "online_shopping_10_cats.csv"
    if shopping.exists():
        frame = pd.read_csv(shopping, usecols=["label", "review"], dtype={"review": str}).dropna()
        texts += frame["review"].tolist()
        labels += frame["label"].astype(int).tolist()
        kinds += [""] * len(frame)
    vispam = datasets / "vispam" / "train.csv"
    if vispam.exists():
        frame = pd.read_csv(vispam, dtype={"Comment": str}).dropna(subset=["Comment"])
        texts += frame["Comment"].tolist()
        labels += frame["Label"].astype(int).tolist()
        kinds += frame["SpamLabel"].astype(str).map(KINDS).tolist()
    if not texts:
        raise FileNotFoundError(f"no real reviews under {datasets} (online_shopping_10_cats/ or vispam/)")
    return texts, labels, kinds


def _score_texts(workdir: Path) -> None:
    """In a fresh process: load the model and the texts, time the text model's signals of all of them."""
    import joblib
    import pandas as pd

    model = joblib.load(workdir / "model.joblib")
    texts = pd.read_parquet(workdir / "texts.parquet")["text"].tolist()
    started = time.perf_counter()
    model.text_signals(texts)
    (workdir / "score_seconds.txt").write_text(str(time.perf_counter() - started))


def run_review_text_bench(console: Console, train: int, score: int, datasets: Path, workdir: Path) -> dict:
    """The review detector's text model at scale: training the whole detector on ``train`` labelled text-only reviews
    (text model out of fold, then the trees), and the text model's signals of ``score`` reviews (what the nightly job
    computes once per new review), in a fresh process that loads the saved model (score seconds exclude the loading).
    Real reviews repeated with a number appended, so every text is distinct."""
    import joblib
    import numpy as np
    import pandas as pd

    from trust.detect.reviews.model import FakeReviewDetector
    from trust.detect.reviews.signals import review_signals

    texts, labels, kinds = _real_review_texts(datasets)
    rng = np.random.default_rng(0)

    def sample(n: int) -> tuple[list[str], np.ndarray, np.ndarray]:
        picks = rng.integers(0, len(texts), n)
        suffix = rng.integers(1, 10_000, n)
        return ([f"{texts[i]} {s}" if s % 2 else texts[i] for i, s in zip(picks, suffix)], np.asarray(labels)[picks],
                np.asarray(kinds, dtype=object)[picks])

    figures: dict = {"corpus_texts": len(texts)}
    train_texts, train_labels, train_kinds = sample(train)
    frame = pd.DataFrame({"review_id": [f"T{i}" for i in range(train)], "text": train_texts})
    with _PeakMemory() as memory:
        started = time.perf_counter()
        signals, _ = review_signals(frame)
        model = FakeReviewDetector().fit(signals, train_labels, train_kinds)
        seconds = time.perf_counter() - started
    figures.update(train_reviews=train, kinds_learnt=len(model.text_model_.kinds_), train_seconds=round(seconds, 1),
                   train_peak_rss_mb=round(memory.peak / 2**20))
    score_texts, _, _ = sample(score)
    workdir.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, workdir / "model.joblib")
    pd.DataFrame({"text": score_texts}).to_parquet(workdir / "texts.parquet")
    # Scored in a new process that loads the saved model, as the nightly job does: its memory is its own (and its
    # workers'), not what training left behind in this one.
    import multiprocessing

    child = multiprocessing.get_context("spawn").Process(target=_score_texts, args=(workdir,))
    started = time.perf_counter()
    child.start()
    with _PeakMemory(pid=child.pid) as memory:
        child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"scoring process failed with exit code {child.exitcode}")
    seconds = float((workdir / "score_seconds.txt").read_text())
    figures.update(score_reviews=score, score_seconds=round(seconds, 1), reviews_per_second=round(score / seconds),
                   score_process_seconds=round(time.perf_counter() - started, 1), score_peak_rss_mb=round(memory.peak / 2**20))
    _print_figures(console, f"trust bench-review-text: train on {train:,}, text model signals of {score:,} real reviews", figures)
    return figures


def run_backfill_bench(console: Console, days: int, merchants: int, pg_url: str, workdir: Path) -> dict:
    """A new warehouse backfilled through a real Airflow deployment on PostgreSQL (API server, scheduler, DAG
    processor, LocalExecutor): ``airflow dags unpause`` then ``trust backfill`` over ``days`` business dates."""
    from trust.db.health import scratch_database
    from trust.local_airflow import local_deployment
    from trust.synth.generator import SynthConfig, generate_marketplace

    shutil.rmtree(workdir, ignore_errors=True)
    first = dt.date(2026, 10, 1)
    last = first + dt.timedelta(days=days - 1)
    generate_marketplace(SynthConfig(merchants=merchants, days=days, seed=11, out=workdir / "market", start_date=first))
    with scratch_database(pg_url, "bench_airflow") as metadata_url, scratch_database(pg_url, "bench_trust") as warehouse_url:
        env = {"TRUST_DATA_DIR": str(workdir / "var"), "TRUST_LANDING_DIR": str(workdir / "market" / "landing"),
               "TRUST_DB_URL": warehouse_url}
        with local_deployment(workdir / "airflow", metadata_url, env) as deployment:
            deployment.wait_until_parsed()
            deployment.airflow("dags", "unpause", "trust_nightly")
            started = time.perf_counter()
            done = deployment.trust("backfill", "--from", first.isoformat(), "--to", last.isoformat())
            if done.returncode != 0:
                raise RuntimeError(done.stdout + done.stderr)
            runs = deployment.wait_for_runs("backfill__", timeout=60 * days + 300)
            wall = time.perf_counter() - started
        from sqlalchemy import create_engine, text

        engine = create_engine(metadata_url)
        with engine.connect() as connection:
            tasks = connection.execute(text("SELECT state, try_number FROM task_instance WHERE run_id LIKE 'backfill%'")).all()
            durations = connection.execute(text(
                "SELECT task_id, avg(extract(epoch FROM end_date - start_date)) FROM task_instance "
                "WHERE run_id LIKE 'backfill%' AND state = 'success' GROUP BY task_id ORDER BY 2 DESC")).all()
            run_walls = connection.execute(text(
                "SELECT avg(extract(epoch FROM end_date - start_date)) FROM dag_run WHERE run_id LIKE 'backfill%'")).scalar()
        engine.dispose()
        engine = create_engine(warehouse_url)
        with engine.connect() as connection:
            published = connection.execute(text("SELECT count(DISTINCT business_date) FROM publish_log WHERE status = 'published'")).scalar()
        engine.dispose()
    figures = {"business dates": days, "merchants": merchants, "wall s (backfill create → last run done)": round(wall, 1),
               "s per date": round(wall / days, 1), "runs succeeded": sum(r["state"] == "success" for r in runs),
               "tasks failed": sum(t.state == "failed" for t in tasks), "tasks retried": sum(t.try_number > 1 for t in tasks),
               "dates published": published, "mean run s (start → end)": round(float(run_walls or 0), 1),
               **{f"mean task s: {task_id}": round(float(seconds), 1) for task_id, seconds in durations}}
    _print_figures(console, "Backfill through the real scheduler (PostgreSQL metadata and warehouse, LocalExecutor)", figures)
    return figures


def run_retrain_bench(console: Console, reviews: int, complaints: int, workdir: Path, days: int = 14) -> dict:
    """The weekly retraining at scale: a generated marketplace of ``reviews`` reviews ingested by the nightly path,
    every review, listing and complaint labelled by its planted truth (decided the day after it appeared), complaints
    topped up with the grammar's to ``complaints``; then each detector's challenger trained and judged as
    ``trust_retrain`` does. Listings are what the marketplace holds (the figure says how many)."""
    import numpy as np
    import pandas as pd
    from sqlalchemy import select

    from trust import pipeline
    from trust.db.engine import insert_rows, read_frame, session_scope
    from trust.db.tables import Complaint, Listing, ModerationLabel, Review
    from trust.detect.listings.evaluation import labeled_listings
    from trust.lifecycle.retrain import retrain_detector
    from trust.settings import Settings
    from trust.synth.generator import SynthConfig, generate_marketplace
    from trust.synth.text import complaint_texts

    merchants = max(130, round(reviews / (REVIEWS_PER_MERCHANT_DAY * days)))
    workdir = workdir.resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    settings = Settings.from_env({"TRUST_DATA_DIR": str(workdir / "var"), "TRUST_LANDING_DIR": str(workdir / "market" / "landing")})
    results: list[dict] = []
    with _stage(results, "synth + ingest (not part of the retraining)") as box:
        summary = generate_marketplace(SynthConfig(merchants=merchants, days=days, seed=1, out=workdir / "market"))
        for i in range(days):
            pipeline.run_ingest(settings, summary.first_date + dt.timedelta(days=i))
        box["rows"] = sum(summary.rows.values())
    last = summary.last_date
    with _stage(results, "label everything by its planted truth (not part of the retraining)") as box:
        truth = pd.read_csv(workdir / "market" / "truth" / "reviews.csv", dtype=str).drop_duplicates("review_id").set_index("review_id")["is_fake"]
        kinds = labeled_listings(workdir / "market").set_index("listing_id")["label"]
        complaint_truth = pd.read_csv(workdir / "market" / "truth" / "complaints.csv", dtype=str).drop_duplicates("complaint_id").set_index("complaint_id")["category"]
        with session_scope(settings.db_url) as session:
            review_rows = read_frame(session, select(Review.review_id, Review.created_at))
            listing_rows = read_frame(session, select(Listing.listing_id, Listing.listed_at))
            complaint_rows = read_frame(session, select(Complaint.complaint_id, Complaint.created_at))
            merchant_ids = read_frame(session, select(Complaint.merchant_id))["merchant_id"].unique()
            missing = max(0, complaints - len(complaint_rows))
            rng = np.random.default_rng(0)
            from trust.detect import COMPLAINT_CATEGORIES

            categories = rng.choice(list(COMPLAINT_CATEGORIES), missing).tolist()
            created = pd.Timestamp(summary.first_date) + pd.to_timedelta(rng.integers(0, days * 86400, missing), unit="s")
            filler = pd.DataFrame({"complaint_id": [f"BENCHC{i:08d}" for i in range(missing)], "merchant_id": rng.choice(merchant_ids, missing),
                                   "order_id": None, "listing_id": None, "buyer_id": "BENCH", "text": complaint_texts(rng, categories),
                                   "status": "open", "created_at": created, "business_date": created.date})
            insert_rows(session, Complaint, filler)
            complaint_truth = pd.concat([complaint_truth, pd.Series(categories, index=filler["complaint_id"])])
            complaint_rows = pd.concat([complaint_rows, filler[["complaint_id", "created_at"]]], ignore_index=True)
            labels = []
            for kind, frame, key, when, label in (
                    ("review", review_rows, "review_id", "created_at", lambda ids: ids.map(truth).map({"True": "fake_review", "1": "fake_review"}).fillna("genuine")),
                    ("listing", listing_rows, "listing_id", "listed_at", lambda ids: ids.map(kinds).fillna("ok")),
                    ("complaint", complaint_rows, "complaint_id", "created_at", lambda ids: ids.map(complaint_truth))):
                decided = pd.to_datetime(frame[when]).clip(lower=pd.Timestamp(summary.first_date)).dt.normalize() + pd.Timedelta(hours=33)
                labels.append(pd.DataFrame({"label_id": [f"B{kind[0]}{i:09d}" for i in range(len(frame))], "entity_type": kind,
                                            "entity_id": frame[key].to_numpy(), "label": label(frame[key]).to_numpy(), "analyst": "bench",
                                            "note": None, "decided_at": decided.to_numpy(), "business_date": decided.dt.date.to_numpy()}))
            labels = pd.concat(labels, ignore_index=True).dropna(subset=["label"])
            insert_rows(session, ModerationLabel, labels)
        box["rows"] = len(labels)
    counts = {"labelled reviews": len(review_rows), "labelled listings": len(listing_rows), "labelled complaints": len(complaint_rows),
              "complaints added from the grammar": missing}
    console.print("labels: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    decisions = {}
    for detector, rows in (("reviews", len(review_rows)), ("listings", len(listing_rows)), ("complaints", len(complaint_rows))):
        with _stage(results, f"retrain {detector}") as box:
            decisions[detector] = retrain_detector(settings, detector, last)["decision"]
            box["rows"] = rows
    total = sum(r["seconds"] for r in results if r["stage"].startswith("retrain"))
    table = Table(title=f"Weekly retraining: {counts['labelled reviews']:,} reviews, {counts['labelled listings']:,} listings, "
                        f"{counts['labelled complaints']:,} complaints labelled")
    for column in ("stage", "rows", "s", "rows/s", "peak RSS MB"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for r in results:
        table.add_row(r["stage"], f"{r['rows']:,}", f"{r['seconds']:.1f}", f"{r['rows_per_second'] or 0:,}", f"{r['peak_rss_mb']:,}")
    console.print(table)
    console.print(f"retraining all detectors: {total:.1f} s (target < 900 s); decisions: {decisions}")
    figures = {"results": results, "counts": counts, "retrain_seconds": round(total, 1), "decisions": decisions}
    (workdir / "bench_retrain.json").write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")
    return figures
