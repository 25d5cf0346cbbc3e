"""trust_retrain: weekly (and on demand) a challenger per detector from the platform's own verdicts, judged with the
champion and promoted only by the model policy's rule. This file only wires; the work is in ``trust.lifecycle``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from trust.dates import RETRAIN_CRON

DOC_MD = """
### trust_retrain
Closes the loop between the analysts and the models, once a week (Monday 04:00 Asia/Shanghai, after the night's run)
or when triggered.

1. **retrain_<detector>** (reviews, listings, complaints): gathers the labels decided up to `as_of` (default: the day
   before the run; analysts' queue decisions, test-buy results without the ones an upheld appeal overturned, complaint
   categories), trains a challenger on those older than the holdout (`data/model_policy.toml`: the last 7 days), and
   judges challenger and champion on the same newer labels and on the fixed regression sets. The challenger becomes
   champion only if it is better on the newer labels by the policy's margin and worse on no regression set beyond the
   tolerance; otherwise it is kept in the registry as *refused*, with the reasons. A promotion is an audit entry and
   takes effect at the next nightly run (each night pins its models at its start).
2. **decisions** writes `reports/models/<as_of>.json` and fails the run if a detector's retraining failed.

Commands: `trust models list|show|promote|rollback`, `trust models train --detector D` (one challenger, not promoted).
"""


@dag(
    dag_id="trust_retrain",
    schedule=RETRAIN_CRON,
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": pendulum.duration(minutes=5), "execution_timeout": pendulum.duration(hours=2)},
    params={"as_of": Param(None, type=["null", "string"], format="date",
                           description="Use labels decided up to this date, YYYY-MM-DD (default: the day before the run)")},
    tags=["trust", "models", "weekly"],
    doc_md=DOC_MD,
)
def trust_retrain():
    @task(retries=0)
    def resolve_as_of(params: dict | None = None, logical_date=None, dag_run=None) -> str:
        from airflow.sdk.exceptions import AirflowFailException

        from trust.dates import business_date_for_run
        from trust.settings import Settings

        try:
            settings = Settings.from_env()
            date = business_date_for_run((params or {}).get("as_of"), logical_date, getattr(dag_run, "run_after", None), settings.timezone)
        except ValueError as error:
            raise AirflowFailException(str(error)) from None
        return date.isoformat()

    @task
    def retrain(detector: str, as_of: str) -> dict:
        """One detector's challenger, judged and (by the rule) promoted; returns the decision and its reasons."""
        from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

        from trust.dates import parse_business_date
        from trust.errors import is_permanent
        from trust.lifecycle.retrain import retrain_detector
        from trust.pipeline import prepare_warehouse
        from trust.settings import Settings

        settings = Settings.from_env()
        if detector in settings.rules_mode:
            raise AirflowSkipException(f"{detector} runs on its rules (TRUST_RULES_MODE): nothing to retrain")
        prepare_warehouse(settings)
        try:
            result = retrain_detector(settings, detector, parse_business_date(as_of))
        except Exception as error:
            if is_permanent(error):
                raise AirflowFailException(f"{type(error).__name__}: {error}") from error
            raise
        return {k: result.get(k) for k in ("detector", "champion", "challenger", "decision", "why", "labels")}

    @task(trigger_rule="all_done", retries=0)
    def decisions(as_of: str, results: list) -> dict:
        """Writes the week's decisions where analysts read them; fails the run if any retraining failed."""
        from airflow.sdk.exceptions import AirflowFailException

        from trust.lifecycle.retrain import write_decisions
        from trust.settings import MODEL_DETECTORS, Settings

        settings = Settings.from_env()
        done = {r["detector"]: r for r in results if r}
        write_decisions(settings, as_of, done)
        missing = [d for d in MODEL_DETECTORS if d not in done and d not in settings.rules_mode]
        if missing:
            raise AirflowFailException(f"retraining failed for {', '.join(missing)}: see the task logs")
        return {d: r["decision"] for d, r in done.items()}

    as_of = resolve_as_of()
    results = [retrain.override(task_id=f"retrain_{name}")(name, as_of) for name in ("reviews", "listings", "complaints")]
    decisions(as_of, results)


trust_retrain()
