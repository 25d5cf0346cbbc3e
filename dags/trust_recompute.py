"""trust_recompute: the dates analysts' decisions asked to be graded again (an upheld appeal with a recompute date),
every 15 minutes. This file only wires; the work is ``trust.pipeline.run_requested_recomputes``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

DOC_MD = """
### trust_recompute
An analyst who upholds an appeal with a recompute date (`trust appeal decide --uphold --recompute D`, or
`POST /appeals/{id}/decision` with `recompute_date`) queues date D in `recompute_requests`; the decision itself
recomputes nothing. Every 15 minutes this DAG runs each queued date's metrics, credit scores, grades, quality gate and
publication, under the date's lock (never beside a nightly run of the same date), reading the inputs as known on D.
A date that fails stays queued with the reason and is tried again by the next run. `trust recompute` does the same by hand.
"""


@dag(
    dag_id="trust_recompute",
    schedule="*/15 * * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 0, "execution_timeout": pendulum.duration(hours=1)},
    tags=["trust", "analysts"],
    doc_md=DOC_MD,
)
def trust_recompute():
    @task
    def recompute() -> list[dict]:
        """Every queued recompute; returns the dates done and their publication decisions."""
        from trust.pipeline import run_requested_recomputes
        from trust.settings import Settings

        return run_requested_recomputes(Settings.from_env())

    recompute()


trust_recompute()
