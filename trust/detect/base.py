"""Shared pieces of the detectors: the result frame, reasons in words, noisy-OR evidence combination, and the
:class:`Detector` protocol every detector plugin follows."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import TYPE_CHECKING, Any, Callable, Protocol

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from trust.db.shards import Shard

RESULT_COLUMNS = ["entity_id", "entity_type", "merchant_id", "score", "label", "reasons"]


def combine(evidence: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """Noisy-OR: score = 1 − Π(1 − weight·fired). Independent pieces of evidence add up without exceeding 1."""
    import numpy as np

    n = len(next(iter(evidence.values()))) if evidence else 0
    keep = np.ones(n)
    for code, fired in evidence.items():
        keep *= 1.0 - weights[code] * np.asarray(fired, dtype=float)
    return 1.0 - keep


def reasons_json(codes_and_texts: list[list[tuple[str, str]]] | dict[int, list[tuple[str, str]]], n: int | None = None) -> list[str]:
    """Per row, its reasons as a JSON list of {code, text} ("[]" for a row without any: most rows of a night). Given
    as a list per row, or as {row: reasons} for the rows that have any (with ``n``, the number of rows): a night's
    million rows then cost no list each."""
    def text(items: list[tuple[str, str]]) -> str:
        return json.dumps([{"code": c, "text": t} for c, t in items], ensure_ascii=False) if items else "[]"

    if isinstance(codes_and_texts, dict):
        out = ["[]"] * (n if n is not None else 0)
        for row, items in codes_and_texts.items():
            out[row] = text(items)
        return out
    return [text(items) for items in codes_and_texts]


def collect_reasons(n: int, fired: dict[str, np.ndarray], texts: dict[str, list[str] | pd.Series]) -> list[str]:
    """Per row, the reasons of every rule that fired, in rule order."""
    import numpy as np

    per_row: dict[int, list[tuple[str, str]]] = {}  # the rows with reasons only
    for code, mask in fired.items():
        mask = np.asarray(mask, dtype=bool)
        words = texts[code]
        for i in np.flatnonzero(mask).tolist():
            per_row.setdefault(i, []).append((code, words[i] if not isinstance(words, str) else words))
    return reasons_json(per_row, n)


def empty_result() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(columns=RESULT_COLUMNS)


# -- the detector plugin protocol --------------------------------------------------------------------------------------
# A detector is one folder, ``trust/detect/<name>/``, whose ``__init__`` holds ``DETECTOR``: an object of the
# :class:`Detector` protocol (usually a :class:`BaseDetector` subclass). It must stay light to import (the DAG file reads
# the registry when it is parsed): models, signals and their libraries are imported inside the methods.


@dataclasses.dataclass(frozen=True)
class Metric:
    """A merchant metric a detector contributes: its name, what it means (English, Chinese), and its value for a merchant
    the detector has nothing on (0 for counts, shares and risks; NaN where nothing is not zero, a mean rating)."""

    name: str
    en: str
    zh: str
    missing: float = 0.0


@dataclasses.dataclass(frozen=True)
class Queue:
    """An analysts' queue fed by a detector: a decision on an item becomes a moderation label of ``entity_type``
    (``confirmed`` or ``cleared``). Without ``items``/``find`` the queue is the detector's flagged scores of its latest
    date; a queue of something else (a ring, a network) gives both:
    ``items(session, latest_date, decided_ids_select) -> [item dicts]`` and ``find(session, item_id) -> (known, merchant_id)``."""

    name: str
    entity_type: str
    confirmed: str
    cleared: str = "ok"
    items: Callable | None = None
    find: Callable | None = None


def _whole():
    """Every merchant: one shard of one (imported here, so that reading the registry stays light)."""
    from trust.db.shards import Shard

    return Shard()


@dataclasses.dataclass(frozen=True)
class StageContext:
    """What a detector's nightly stage is given beside the session: the date, its evaluation window, the model version
    the night pinned (``model`` None: the rules), ``pinned(name)``, another detector's pinned model, and, for a
    ``shardable`` detector, the merchant shard to score (``shard.has(column)``: the condition on a merchant id column;
    the whole, unless the night runs in shards)."""

    business_date: dt.date
    window_start: dt.date
    window_end: dt.date
    model: Any = None
    model_version: str | None = None
    pinned: Callable[[str], Any] = lambda name: None
    shard: Shard = dataclasses.field(default_factory=_whole)


@dataclasses.dataclass(frozen=True)
class MetricWindow:
    """What a detector's merchant metrics are computed from, for one evaluation window: its own scores of the date, what
    it read itself for the window (:meth:`Detector.metric_inputs`, else None), the window's complaints (appealed ones
    removed) and the consumer orders per merchant (for rates)."""

    business_date: dt.date
    window_start: dt.date
    window_end: dt.date
    scores: pd.DataFrame  # entity_id, merchant_id, score, label
    own: Any
    complaints: pd.DataFrame  # complaint_id, merchant_id, order_id, status, at
    orders: pd.Series  # consumer orders per merchant_id in the window


class Detector(Protocol):
    """One detector: what it reads, how it scores, and what it gives the rest of the system."""

    name: str  # the name of its scores (detector_scores.detector), its DAG task (detect_<name>) and its pins
    entity: str  # what a score is about: review, listing, complaint, merchant …
    rules_version: str  # the version on scores made without a trained model
    model_loader: tuple[str, str] | None  # (module, function) loading a trained model folder; None: rules only
    shardable: bool  # scores one merchant's entities without reading other merchants' (False: it spans merchants):
    # the night then runs it as one task per merchant shard, each given ``StageContext.shard``
    labels_are_flags: bool  # a label on a score flags it (False: the label is a category, as a complaint's)
    metrics: tuple[Metric, ...]  # the merchant metrics it contributes, in the order documents list them
    queues: tuple[Queue, ...]

    def inputs(self, session, window_start: dt.date, window_end: dt.date) -> pd.DataFrame: ...

    def score(self, session, context: StageContext) -> tuple[pd.DataFrame, dict]: ...

    def metric_inputs(self, session, business_date: dt.date, starts: list[dt.date], window_end: dt.date,
                      shard: Shard) -> list | None: ...

    def merchant_metrics(self, window: MetricWindow) -> pd.DataFrame: ...

    def report_sections(self, session, business_date: dt.date) -> list[str]: ...


def missing_members(detector) -> list[str]:
    """The members of :class:`Detector` that ``detector`` lacks, looked up on its class (a property is not evaluated:
    those that load a stage module stay unloaded until used)."""
    members = [*Detector.__annotations__, *(n for n, v in vars(Detector).items() if callable(v) and not n.startswith("_"))]
    own = getattr(detector, "__dict__", {})
    return [m for m in members if not hasattr(type(detector), m) and m not in own]


class BaseDetector:
    """Defaults for a :class:`Detector`: no model, no metrics of its own, one queue of its flagged scores when
    ``queue_labels`` (confirmed, cleared) is set, no report section. A subclass sets the attributes and writes
    :meth:`inputs` and :meth:`run` (its stage: scores in :data:`RESULT_COLUMNS`, and its own tables)."""

    name: str = ""
    entity: str = ""
    rules_version: str = ""
    model_loader: tuple[str, str] | None = None
    shardable: bool = False
    labels_are_flags: bool = True
    metrics: tuple[Metric, ...] = ()
    queue_labels: tuple[str, str] | None = None

    @property
    def queues(self) -> tuple[Queue, ...]:
        if self.queue_labels is None:
            return ()
        return (Queue(self.name, self.entity, *self.queue_labels),)

    def inputs(self, session, window_start: dt.date, window_end: dt.date) -> pd.DataFrame:
        raise NotImplementedError

    def run(self, session, context: StageContext):
        raise NotImplementedError

    def score(self, session, context: StageContext) -> tuple[pd.DataFrame, dict]:
        """(scores in :data:`RESULT_COLUMNS`, {table class: the date's rows of each further table it writes})."""
        result = self.run(session, context)
        scores, tables = result if isinstance(result, tuple) else (result, {})
        return scores, tables

    def metric_inputs(self, session, business_date: dt.date, starts: list[dt.date], window_end: dt.date,
                      shard: Shard) -> list | None:
        """What the detector reads itself for its merchant metrics, per window from ``starts[i]`` to ``window_end``, for
        the merchants of ``shard`` (``shard.has(column)`` is the condition); None: the date's scores are enough."""
        return None

    def merchant_metrics(self, window: MetricWindow) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(index=pd.Index([], name="merchant_id"))

    def report_sections(self, session, business_date: dt.date) -> list[str]:
        return []

    def __repr__(self) -> str:
        return f"<detector {self.name}>"
