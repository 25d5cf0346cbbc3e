"""Errors an orchestrator must tell apart: what a retry can fix and what it cannot.

A night's stage fails for one of two kinds of reason. *Transient*: the warehouse was unreachable for a moment, another
run of the date held its lock. A retry a few minutes later may pass. *Permanent*: a landing file is missing or
refused, a parameter is wrong, the grades were held by the quality gate. Retrying those only delays the alert, so the
DAG fails such a task at once (``AirflowFailException``) and the message says what to do.
"""

from __future__ import annotations


class PermanentError(Exception):
    """A failure no retry can fix: the input, the configuration or a decision must change first."""


class MissingLandingData(PermanentError):
    """An entity has no landing file for the business date."""


class NothingDelivered(MissingLandingData):
    """Not one landing folder exists for the business date: the day was never delivered (or not yet).

    The nightly DAG skips such a date instead of failing it, so unpausing the DAG on a new deployment (which starts a
    run for yesterday at once) does not block the queue; the summary and the report still record the date as not run.
    """


class GradesHeld(PermanentError):
    """The quality gate held the day's grades: nothing new is served until it passes or an analyst releases them."""


def is_permanent(error: BaseException) -> bool:
    """True for failures a retry cannot fix: our own permanent errors, bad values and missing files."""
    return isinstance(error, (PermanentError, ValueError, FileNotFoundError))


class ModelUnavailable(PermanentError):
    """A detector's champion model is missing or cannot be loaded, and the operator has not chosen rules mode."""
