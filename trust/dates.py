"""Which business date a run processes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

NIGHTLY_CRON = "30 2 * * *"  # 02:30 in the business time zone: the nightly run processes the day that just ended
RETRAIN_CRON = "0 4 * * 1"  # Mondays 04:00 in the business time zone, after that night's run: the week's labels


def parse_business_date(value: str) -> dt.date:
    """``YYYY-MM-DD`` → date, with an error that names the value."""
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"business date {value!r} is not a date in the form YYYY-MM-DD") from None


def business_date_for_run(override: str | None, logical_date: dt.datetime | None, run_after: dt.datetime | None,
                          timezone: str) -> dt.date:
    """The explicit override if given; otherwise the day before the run's logical date in ``timezone``
    (a nightly run at 02:30 processes the day that just ended)."""
    if override:
        return parse_business_date(override)
    moment = logical_date or run_after
    if moment is None:
        raise ValueError("the run has neither a logical date nor a run_after time; pass params.business_date")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(ZoneInfo(timezone)).date() - dt.timedelta(days=1)


def check_run_conf(conf: dict | None, known: tuple[str, ...]) -> None:
    """A triggered run's parameters: a key the DAG does not know (a misspelt ``buisness_date``) is an error naming it,
    never silently ignored (the run would process yesterday instead)."""
    unknown = sorted(set(conf or {}) - set(known))
    if unknown:
        raise ValueError(f"unknown run parameter(s) {', '.join(map(repr, unknown))}; this DAG takes {', '.join(known)}")


def logical_date_for(business_date: dt.date, timezone: str) -> dt.datetime:
    """The logical date (UTC) of the scheduled nightly run that processes ``business_date``: the next day at the
    :data:`NIGHTLY_CRON` time in the business time zone. The inverse of :func:`business_date_for_run` for scheduled
    runs; ``airflow backfill create`` takes these (its plain dates are read as UTC midnight)."""
    minute, hour = (int(part) for part in NIGHTLY_CRON.split()[:2])
    local = dt.datetime.combine(business_date + dt.timedelta(days=1), dt.time(hour, minute), tzinfo=ZoneInfo(timezone))
    return local.astimezone(dt.timezone.utc)


def backfill_command(first: dt.date, last: dt.date, timezone: str, reprocess: str = "failed") -> list[str]:
    """``airflow backfill create`` arguments for the business dates ``first``..``last`` (inclusive), one date at a
    time in date order: grades of one date build on the previous one's (hysteresis, drift against the last published
    version), so dates must not run side by side."""
    if last < first:
        raise ValueError(f"the backfill range ends ({last}) before it starts ({first})")
    return ["backfill", "create", "--dag-id", "trust_nightly",
            "--from-date", logical_date_for(first, timezone).isoformat(),
            "--to-date", logical_date_for(last, timezone).isoformat(),
            "--max-active-runs", "1", "--reprocess-behavior", reprocess]
