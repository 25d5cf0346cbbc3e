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


# --- What a request can be refused for: one type per answer, mapped to HTTP status codes in one place (HTTP_STATUS) --

class NotFound(PermanentError, LookupError, ValueError):
    """What the request names does not exist: no such merchant, override, appeal, queue item or graded date."""


class Conflict(PermanentError, ValueError):
    """The request contradicts the current state: an override already revoked, an appeal already decided, a date that
    is not held."""


class Invalid(PermanentError, ValueError):
    """A value the request carries cannot be accepted: a missing reason, a tier that does not exist, dates out of
    order, a listing without a title."""


class NotHeld(Conflict):
    """A release of a date that is not held now (published, withdrawn by a rerun, or never decided)."""


HTTP_STATUS: dict[type[Exception], int] = {NotFound: 404, Conflict: 409, Invalid: 422}


def http_status(error: BaseException) -> int | None:
    """The HTTP status code of a refusal (None: not a refusal, an internal error)."""
    return next((code for kind, code in HTTP_STATUS.items() if isinstance(error, kind)), None)
