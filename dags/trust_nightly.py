"""trust_nightly: ingest → detectors (parallel) → merchant metrics → credit score → grades → quality gate → publish
→ summary. This file only wires; every task calls an Airflow-free function in ``trust.pipeline``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, chain, dag, task

from trust.dates import NIGHTLY_CRON
from trust.detect import registry
from trust.stages import GRADING_STAGES, SHARDED_STAGES

DOC_MD = """
### trust_nightly
Grades every merchant for one **business date** (default: the day before the run's logical date in
Asia/Shanghai; override with the `business_date` param, `YYYY-MM-DD`).

1. **ingest** landing files `landing/<entity>/<date>/*.csv|jsonl|parquet` into the warehouse; bad rows go to
   `quarantine` with their reasons. A missing entity fails the run.
2. **pin_models** chooses the model version each detector scores with tonight: the registry's champions at the
   start of the run (the shipped models the first time), so a promotion during the night waits for the next one.
   **detect_*** score reviews, listings, complaints and reseller chains, in parallel, with reasons (a detector that
   judges each merchant's entities on their own, the complaints', runs one task per merchant shard).
   **model_drift** compares each model's inputs and scores on the night's new rows with its reference and its flag
   rate with the last 30 nights (`model_drift`; a breach is a warning in the gate unless the model policy holds).
3. **merchant_metrics → platform_rates → credit_scores → grades** over the evaluation window of the thresholds
   file. The three sharded stages run as one mapped task per merchant shard (`TRUST_SHARDS`, default 1; **shards**
   lists them), so a CeleryExecutor spreads them over its workers; **platform_rates** runs once between them: the
   platform-wide rates the smoothed rates shrink toward.
4. **quality_gate → publish**: grades become visible only if every check passed; otherwise they are held,
   `publish_log` says why, and the **publish task fails** with the reason (an analyst can release them with
   `trust release`).
5. **summary** writes `reports/<date>/summary.json`; **report** writes the analysts' page `reports/<date>/report.html`.
   Both run whatever happened before them; **outcome** then fails the run if any stage failed.

Failures a retry cannot fix (a missing or refused landing file, a bad parameter, held grades) fail at once; only
transient ones (the warehouse unreachable) are retried. A date with no landing folder at all is **skipped** (it was
never delivered, e.g. the run that unpausing the DAG starts for yesterday); rerun it when the files arrive.

Every stage replaces its own partition for the date, so a rerun gives the same result. Configuration comes from
`TRUST_*` environment variables (see README).
"""


@dag(
    dag_id="trust_nightly",
    schedule=NIGHTLY_CRON,
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    # Retries are for what a retry can fix (the warehouse unreachable for a moment); permanent errors fail at once.
    default_args={"retries": 2, "retry_delay": pendulum.duration(minutes=2),
                  "execution_timeout": pendulum.duration(hours=2)},
    dagrun_timeout=pendulum.duration(hours=6),
    params={
        # format "date": Airflow refuses 2026-13-45 when the run is triggered, not three tasks later
        "business_date": Param(None, type=["null", "string"], format="date",
                               description="Business date to process, YYYY-MM-DD (optional)"),
    },
    tags=["trust", "nightly", "grades"],
    doc_md=DOC_MD,
)
def trust_nightly():
    @task(retries=0)
    def resolve_business_date(params: dict | None = None, logical_date=None, dag_run=None) -> str:
        from airflow.sdk.exceptions import AirflowFailException

        from trust.dates import business_date_for_run, check_run_conf
        from trust.settings import Settings

        try:
            check_run_conf(getattr(dag_run, "conf", None), known=("business_date",))
            settings = Settings.from_env()
            date = business_date_for_run((params or {}).get("business_date"), logical_date,
                                         getattr(dag_run, "run_after", None), settings.timezone)
        except ValueError as error:
            raise AirflowFailException(str(error)) from None  # a retry cannot fix a misspelt parameter
        return date.isoformat()

    @task
    def stage(name: str, business_date: str, detector: str | None = None, shard: str | None = None) -> dict:
        """Run one pipeline stage for the business date (for one merchant shard, ``i/N``, where given); returns its
        small dict of facts."""
        from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

        from trust.errors import NothingDelivered, is_permanent
        from trust.pipeline import run_stage

        try:
            return run_stage(name, business_date, *([detector] if detector else []), *([shard] if shard else []))
        except NothingDelivered as nothing:
            raise AirflowSkipException(str(nothing)) from None  # the date was never delivered: skip, don't block
        except Exception as error:
            if is_permanent(error):
                raise AirflowFailException(f"{type(error).__name__}: {error}") from error  # no retry can fix it
            raise

    @task(retries=0)
    def shards() -> list[str]:
        """The night's merchant shards, ``i/N`` (``TRUST_SHARDS``): the sharded stages are mapped over them."""
        from trust.pipeline import night_shards

        return night_shards()

    @task(trigger_rule="one_failed", retries=0)
    def outcome() -> None:
        """Fails the run when any stage failed (summary and report run after a failure, so they cannot carry it)."""
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException("a stage of this night failed or its grades were held: see the failed task's log, "
                                   "the run summary and the report")

    date = resolve_business_date()
    loaded = stage.override(task_id="ingest")("ingest", date)
    pinned = stage.override(task_id="pin_models")("pin_models", date)
    shard_ids = shards()
    # A detector that spans merchants (rings, networks, the market) is one task; one that does not, one per shard.
    detectors = [stage.override(task_id=f"detect_{name}").partial(name="detect", business_date=date, detector=name)
                 .expand(shard=shard_ids) if registry.get(name).shardable
                 else stage.override(task_id=f"detect_{name}")("detect", date, name) for name in registry.names()]
    grading = [stage.override(task_id=name).partial(name=name, business_date=date).expand(shard=shard_ids)
               if name in SHARDED_STAGES else stage.override(task_id=name)(name, date) for name in GRADING_STAGES]
    drift = stage.override(task_id="model_drift")("model_drift", date)
    # The summary and the report are written whatever happened, so a failed, held or undelivered date shows in them.
    closing = [stage.override(task_id=name, trigger_rule="all_done")(name, date) for name in ("summary", "report")]
    chain(loaded, pinned, detectors, *grading, *closing)
    detectors >> drift >> grading[GRADING_STAGES.index("quality_gate")]  # the quality gate reads the drift checks
    [loaded, pinned, *detectors, drift, shard_ids, *grading, *closing] >> outcome()


trust_nightly()
