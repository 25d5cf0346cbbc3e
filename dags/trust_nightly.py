"""trust_nightly: ingest → detectors (parallel) → merchant metrics → credit score → grades → quality gate → publish
→ summary. This file only wires; every task calls an Airflow-free function in ``trust.pipeline``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, chain, dag, task

from trust.detect import DETECTOR_NAMES

DOC_MD = """
### trust_nightly
Grades every merchant for one **business date** (default: the day before the run's logical date in
Asia/Shanghai; override with the `business_date` param, `YYYY-MM-DD`).

1. **ingest** landing files `landing/<entity>/<date>/*.csv|jsonl|parquet` into the warehouse; bad rows go to
   `quarantine` with their reasons. A missing entity fails the run.
2. **detect_*** score reviews, listings, complaints and reseller chains, in parallel, with reasons.
3. **merchant_metrics → credit_scores → grades** over the evaluation window of the thresholds file.
4. **quality_gate → publish**: grades become visible only if every check passed; otherwise they are held and
   `publish_log` says why (an analyst can release them with `trust release`).
5. **summary** writes `reports/<date>/summary.json`; **report** writes the analysts' page `reports/<date>/report.html`.

Every stage replaces its own partition for the date, so a rerun gives the same result. Configuration comes from
`TRUST_*` environment variables (see README).
"""


@dag(
    dag_id="trust_nightly",
    schedule="30 2 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": pendulum.duration(minutes=5)},
    params={
        # format "date": Airflow refuses 2026-13-45 when the run is triggered, not three tasks later
        "business_date": Param(None, type=["null", "string"], format="date",
                               description="Business date to process, YYYY-MM-DD (optional)"),
    },
    tags=["trust", "nightly", "grades"],
    doc_md=DOC_MD,
)
def trust_nightly():
    @task
    def resolve_business_date(params: dict | None = None, logical_date=None, dag_run=None) -> str:
        from airflow.sdk.exceptions import AirflowFailException

        from trust.dates import business_date_for_run, check_run_conf
        from trust.settings import Settings

        try:
            check_run_conf(getattr(dag_run, "conf", None), known=("business_date",))
        except ValueError as error:
            raise AirflowFailException(str(error)) from None  # a retry cannot fix a misspelt parameter
        settings = Settings.from_env()
        date = business_date_for_run((params or {}).get("business_date"), logical_date,
                                     getattr(dag_run, "run_after", None), settings.timezone)
        return date.isoformat()

    @task
    def stage(name: str, business_date: str, detector: str | None = None) -> dict:
        """Run one pipeline stage for the business date; returns its small dict of facts."""
        from trust.pipeline import run_stage

        return run_stage(name, business_date, *([detector] if detector else []))

    date = resolve_business_date()
    loaded = stage.override(task_id="ingest")("ingest", date)
    detectors = [stage.override(task_id=f"detect_{name}")("detect", date, name) for name in DETECTOR_NAMES]
    downstream = [stage.override(task_id=name)(name, date)
                  for name in ("merchant_metrics", "credit_scores", "grades", "quality_gate", "publish", "summary", "report")]
    chain(loaded, detectors, *downstream)


trust_nightly()
