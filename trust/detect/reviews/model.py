"""The fake-review estimator: gradient-boosted trees over review signals, suspicion spread from confirmed fakes, and
reason codes in words. Without labels (or with one class only) it falls back to transparent rules.

Input ``X`` is the frame of :func:`trust.detect.reviews.signals.review_signals` (numeric signals plus reviewer and
product ids and the text). Missing signals are NaN, which the trees read as "unknown". When the training reviews have
text, a text model learnt from their labels (:class:`trust.detect.reviews.text.ReviewTextModel`: word and character
n-grams, a linear model) gives each review the probability that its wording is a fake's; its out-of-fold score and
the text's shape signals are stacked with the behaviour, graph and hand-made text signals in the trees, and the
words that pushed a flagged review's score are named in its reasons. Suspicion spreads through known labels: a
review's account (and product) gets the smoothed share of its *other* reviews known to be fake — from the training
labels (out-of-fold while training, so a review never sees its own label) and from any labels passed to
``predict_proba(known=...)`` (analysts' confirmed verdicts).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from trust.db.engine import json_lists
from trust.detect.artifacts import load_artifact, save_artifact
from trust.detect.base import combine, reasons_json
from trust.detect.reviews.signals import ID_COLUMNS
from trust.detect.reviews.text import KIND_PREFIX, TEXT_MODEL_COLUMNS, ReviewTextModel

PROPAGATION_KEYS = ("reviewer_id", "product_id")


@dataclass(frozen=True)
class Rule:
    code: str
    needs: tuple[str, ...]
    fires: Callable[[pd.DataFrame], pd.Series]
    words: Callable[[pd.DataFrame], list[str]]
    weight: float  # strength in the unsupervised fallback (noisy-OR)


def _f(x: pd.DataFrame, column: str) -> pd.Series:
    return x[column].astype(float)


def _n(value: float, noun: str) -> str:
    """'1 day', '9 days', '1 other review'."""
    return f"{value:.0f} {noun}" if round(value) == 1 else f"{value:.0f} {noun}s"


WORDING_AT = 0.5  # the text model's score from which a review's wording is a reason (its words are then named)
RULES = [
    Rule("review_ring", ("ring_accounts",), lambda x: _f(x, "ring_accounts") >= 5,
         lambda x: [f"account is one of {n:.0f} in {r}, which review the same shops in the same bursts"
                    for n, r in zip(x["ring_accounts"], x.get("ring", pd.Series("a ring", index=x.index)))], 0.5),
    Rule("copied_text", ("text_near_duplicate_accounts",), lambda x: _f(x, "text_near_duplicate_accounts") >= 2,
         lambda x: [f"same text as {_n(n, 'other account')} within 2 days" for n in x["text_near_duplicate_accounts"]], 0.5),
    Rule("fresh_account", ("account_age_days",), lambda x: _f(x, "account_age_days") <= 7,
         lambda x: [f"account {_n(a, 'day')} old, {_n(n, 'review')} that day" for a, n in
                    zip(x["account_age_days"], x.get("reviewer_same_day", pd.Series(1.0, index=x.index)))], 0.3),
    Rule("hyperactive_account", ("reviewer_same_day",), lambda x: _f(x, "reviewer_same_day") >= 3,
         lambda x: [f"account wrote {_n(n, 'review')} that day" for n in x["reviewer_same_day"]], 0.3),
    Rule("burst", ("product_burst_ratio", "product_day_reviews"),
         lambda x: (_f(x, "product_burst_ratio") >= 4) & (_f(x, "product_day_reviews") >= 8),
         lambda x: [f"product had {n:.0f} reviews that day, {r:.0f}x its usual {n / r:.0f}" for n, r in
                    zip(x["product_day_reviews"], x["product_burst_ratio"])], 0.3),
    Rule("confirmed_account", ("reviewer_known_fake",), lambda x: _f(x, "reviewer_known_fake") >= 1,
         lambda x: [f"account has {_n(n, 'other review')} confirmed fake" for n in x["reviewer_known_fake"]], 0.6),
    Rule("contact_diversion", ("text_contact",), lambda x: _f(x, "text_contact") >= 1,
         lambda x: "contact or diversion in the text (WeChat/QQ/cash-back/link)", 0.4),
    Rule("stock_praise", ("text_template_praise",), lambda x: _f(x, "text_template_praise") >= 2,
         lambda x: [f"stock praise phrases (score {s:.1f})" for s in x["text_template_praise"]], 0.15),
    Rule("sentiment_mismatch", ("text_rating_mismatch", "rating"), lambda x: _f(x, "text_rating_mismatch") >= 1.5,
         lambda x: [f"text contradicts the {r:.0f}-star rating" for r in x["rating"]], 0.2),
    Rule("off_consensus", ("product_rating_deviation",), lambda x: _f(x, "product_rating_deviation").abs() >= 2.5,
         lambda x: [f"rating {d:+.1f} stars from the product's consensus" for d in x["product_rating_deviation"]], 0.1),
    Rule("single_review_account", ("reviewer_reviews", "rating"),
         lambda x: (_f(x, "reviewer_reviews") == 1) & _f(x, "rating").isin([1.0, 5.0]),
         lambda x: [f"the account's only review, {r:.0f} stars" for r in x["rating"]], 0.1),
    Rule("no_order", ("no_order",), lambda x: _f(x, "no_order") >= 1, lambda x: "no matching order", 0.25),
    # Its words are the text model's (FakeReviewDetector.reasons); the rule only exists where a text model was learnt.
    Rule("fake_wording", ("text_model_score",), lambda x: _f(x, "text_model_score") >= WORDING_AT,
         lambda x: [f"wording typical of the reviews labelled fake in training ({p:.0%} of reviews worded so were fake)"
                    for p in x["text_model_score"]], 0.0),
]
WORDING_RULE = "fake_wording"


KIND_SCORES = "text_kind_scores"  # the kinds' signals of a review as stored: a JSON list in the model's kinds order


def kind_scores_frame(stored: pd.Series, columns: list[str]) -> pd.DataFrame:
    """Stored JSON lists of kind signals as columns (NaN where none is stored)."""
    values = stored.to_numpy(dtype=object)
    parsed = json_lists(values, np.fromiter((isinstance(v, str) for v in values), dtype=bool, count=len(values)))
    rows = [[np.nan] * len(columns) if v is None else v for v in parsed]
    return pd.DataFrame(np.array(rows, dtype=float).reshape(len(rows), len(columns)), index=stored.index, columns=columns)


def _own(X: pd.DataFrame) -> pd.DataFrame:
    """``X`` without ids, text and the text model's signals (those are added by the model itself)."""
    return X.drop(columns=[c for c in X.columns if c in ID_COLUMNS or c in TEXT_MODEL_COLUMNS or c.startswith(KIND_PREFIX)])


def _fired(X: pd.DataFrame) -> dict[str, np.ndarray]:
    return {rule.code: rule.fires(X).fillna(False).to_numpy(dtype=bool) for rule in RULES if set(rule.needs) <= set(X.columns)}


def _smoothed(sums: pd.Series, counts: pd.Series, prior: float, strength: float) -> pd.Series:
    return (sums + strength * prior) / (counts + strength)


class FakeReviewDetector(ClassifierMixin, BaseEstimator):
    """Probability that a review is fake (bought or templated), with reason codes.

    Trained (``fit(X, y)`` with both classes): HistGradientBoosting over the signals plus spread suspicion.
    Unsupervised fallback (``y`` None or one class): noisy-OR of the rules in :data:`RULES`.
    """

    def __init__(self, max_iter: int = 400, learning_rate: float = 0.05, max_leaf_nodes: int = 31, min_samples_leaf: int = 40,
                 l2_regularization: float = 1.0, propagation_strength: float = 2.0, text_model: bool = True,
                 random_state: int = 0):
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.propagation_strength = propagation_strength
        self.text_model = text_model
        self.random_state = random_state

    def __setstate__(self, state):
        # Models saved before the text model existed load as they were: no text model, same scores.
        state.setdefault("text_model", False)
        super().__setstate__(state)

    # -- the learnt text model -------------------------------------------------------------------------------------
    def _text_columns(self) -> list[str]:
        """The text model's signals: :data:`TEXT_MODEL_COLUMNS` and one per kind of fake it learnt (none without one)."""
        model = getattr(self, "text_model_", None)
        return [] if model is None else TEXT_MODEL_COLUMNS + model.kind_columns

    def _text_signals(self, X: pd.DataFrame) -> pd.DataFrame:
        """The text model's signals per review (:meth:`_text_columns`): read from ``X`` where already there (the
        nightly job stores them per review and model, the kinds' as the JSON list ``text_kind_scores``), computed from
        ``X["text"]`` otherwise; empty without a text model."""
        model = getattr(self, "text_model_", None)
        if model is None:
            return pd.DataFrame(index=X.index)
        columns = self._text_columns()
        if set(TEXT_MODEL_COLUMNS) <= set(X.columns):
            stored = X[[c for c in columns if c in X.columns]]
            missing = [c for c in columns if c not in X.columns]
            if missing and KIND_SCORES in X:
                stored = pd.concat([stored, kind_scores_frame(X[KIND_SCORES], model.kind_columns)], axis=1)
            return stored.reindex(columns=columns)
        if "text" not in X:
            return pd.DataFrame(np.nan, index=X.index, columns=columns)
        return model.signals(X["text"].to_numpy()).set_axis(X.index)

    # -- suspicion spread ------------------------------------------------------------------------------------------
    def _spread(self, X: pd.DataFrame, labels: pd.Series, stats: dict[str, pd.DataFrame]) -> pd.DataFrame:
        """Known-fake share of each review's account and product over *other* labelled reviews."""
        out = pd.DataFrame(index=X.index)
        own = labels.astype(float)
        for key in PROPAGATION_KEYS:
            if key not in X:
                continue
            ids = X[key].astype(str)
            frame = pd.DataFrame({"k": ids, "y": own})
            sums = frame.groupby("k")["y"].transform("sum") - own.fillna(0.0)
            counts = frame.groupby("k")["y"].transform("count") - own.notna().astype(float)
            if key in stats:
                sums = sums + ids.map(stats[key]["sum"]).fillna(0.0)
                counts = counts + ids.map(stats[key]["count"]).fillna(0.0)
            name = key.removesuffix("_id")
            out[f"{name}_known_fake"] = sums
            out[f"{name}_known_reviews"] = counts
            out[f"{name}_known_fake_share"] = _smoothed(sums, counts, self.prior_, self.propagation_strength)
        return out

    def _model_frame(self, X: pd.DataFrame, spread: pd.DataFrame, text: pd.DataFrame) -> pd.DataFrame:
        own = _own(X)
        return pd.concat([own, spread, text], axis=1).reindex(columns=self.feature_names_in_).astype(float)

    # -- estimator API ---------------------------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y=None, kinds=None):
        """``kinds``: optional, per row, the kind of fake a fake review is (e.g. bought praise, shop-only, off-topic;
        '' or None where not given): the text model then also learns each kind's wording apart (see
        :meth:`ReviewTextModel.cross_fit`), and the trees read one signal per kind."""
        y = None if y is None else np.asarray(y, dtype=float)
        self.classes_ = np.array([0, 1])
        self.prior_ = float(np.nanmean(y)) if y is not None and len(y) else 0.0
        self.__dict__.pop("text_model_", None)  # a refit without text must not keep an earlier fit's text model
        self.stats_: dict[str, pd.DataFrame] = {}
        if y is None or len(np.unique(y[~np.isnan(y)])) < 2:
            self.mode_ = "rules"
            self.feature_names_in_ = np.array([c for c in X.columns if c not in ID_COLUMNS])
            return self
        self.mode_ = "trained"
        labels = pd.Series(y, index=X.index)
        # Out-of-fold spread: a training review sees the labels of the other folds only.
        spread_parts = []
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=self.random_state)
        for keep, hide in folds.split(np.zeros(len(y)), y):
            masked = labels.copy()
            masked.iloc[hide] = np.nan
            spread_parts.append(self._spread(X, masked, {}).iloc[hide])
        spread = pd.concat(spread_parts).reindex(X.index)
        text = pd.DataFrame(index=X.index)
        if self.text_model and "text" in X and X["text"].fillna("").str.strip().ne("").sum() >= 2:
            texts = X["text"].fillna("").to_numpy()
            self.text_model_ = ReviewTextModel(random_state=self.random_state)
            # Out of fold: the trees learn how far to trust the wording from scores of texts the text model never saw.
            text = self.text_model_.cross_fit(texts, y.astype(int), kinds).set_axis(X.index)
        candidates = pd.concat([_own(X), spread, text], axis=1)
        # A signal the training data never has is left out (the trees cannot bin an all-missing column).
        self.feature_names_in_ = np.array([c for c in candidates.columns if candidates[c].notna().any()])
        frame = self._model_frame(X, spread, text)
        self.model_ = HistGradientBoostingClassifier(
            max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=min(self.min_samples_leaf, max(5, len(y) // 20)),  # small labelled files still split
            l2_regularization=self.l2_regularization, random_state=self.random_state)
        self.model_.fit(frame, y.astype(int))
        for key in PROPAGATION_KEYS:
            if key in X:
                grouped = pd.DataFrame({"k": X[key].astype(str), "y": y}).groupby("k")["y"]
                self.stats_[key] = pd.DataFrame({"sum": grouped.sum(), "count": grouped.count()})
        return self

    def signals_with_spread(self, X: pd.DataFrame, known: pd.Series | None = None) -> pd.DataFrame:
        """``X`` plus the spread-suspicion columns and the text model's signals, as the model and the reasons see them."""
        return self._full(X, *self._added(X, known))

    def _added(self, X: pd.DataFrame, known: pd.Series | None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(spread suspicion, text model signals) of ``X``."""
        check_is_fitted(self, "mode_")
        labels = known.reindex(X.index).astype(float) if known is not None else pd.Series(np.nan, index=X.index)
        return self._spread(X, labels, self.stats_), self._text_signals(X)

    def with_text_signals(self, X: pd.DataFrame) -> pd.DataFrame:
        """``X`` with the text model's signals added once, so that scoring and reasons read them instead of reading
        every text again (``X`` as it is without a text model, or when they are already there)."""
        text = self._text_signals(X)
        return X if text.columns.empty or set(text.columns) <= set(X.columns) else pd.concat([X.drop(columns=[c for c in text.columns if c in X]), text], axis=1)

    def text_signals(self, texts) -> pd.DataFrame:
        """The text model's signals of raw texts (:data:`TEXT_MODEL_COLUMNS`; no columns without a text model): what
        the nightly job stores per review, so each text is read once per model."""
        model = getattr(self, "text_model_", None)
        return model.signals(texts) if model is not None else pd.DataFrame(index=range(len(texts)))

    @property
    def text_model_version(self) -> str | None:
        model = getattr(self, "text_model_", None)
        return None if model is None else model.fingerprint_

    def predict_proba(self, X: pd.DataFrame, known: pd.Series | None = None) -> np.ndarray:
        if not len(X):
            return np.zeros((0, 2))
        score = self._score(X, *self._added(X, known))
        return np.column_stack([1 - score, score])

    def _score(self, X: pd.DataFrame, spread: pd.DataFrame, text: pd.DataFrame) -> np.ndarray:
        if self.mode_ == "rules":
            full = self._full(X, spread, text)
            score = combine(_fired(full), {rule.code: rule.weight for rule in RULES})
            if "rating" in full:  # bought reviews praise
                score = np.where(full["rating"].to_numpy(dtype=float) >= 4, score, score * 0.5)
            return score
        return self.model_.predict_proba(self._model_frame(X, spread, text))[:, 1]

    @staticmethod
    def _full(X: pd.DataFrame, spread: pd.DataFrame, text: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([X.drop(columns=[c for c in text.columns if c in X]), spread, text], axis=1)

    def score_with_reasons(self, X: pd.DataFrame, known: pd.Series | None = None,
                           flag_at: float = 0.5) -> tuple[np.ndarray, list[str]]:
        """(probability of fake, reasons of the rows scored at least ``flag_at``): what :meth:`predict_proba` and
        :meth:`reasons` give, with the spread and text signals computed once for both."""
        if not len(X):
            return np.zeros(0), []
        spread, text = self._added(X, known)
        score = self._score(X, spread, text)
        return score, self._reasons(self._full(X, spread, text), score >= flag_at)

    def predict(self, X: pd.DataFrame, threshold: float = 0.5) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= threshold).astype(int)

    def reasons(self, X: pd.DataFrame, known: pd.Series | None = None, only: np.ndarray | None = None) -> list[str]:
        """Per review, a JSON list of {code, text}: every rule that holds for it, in words. With ``only`` (a boolean
        mask), rows outside it get an empty list (words are built for the rows that need them)."""
        return self._reasons(self.signals_with_spread(X, known), only)

    def text_parts(self, texts) -> pd.DataFrame:
        """What the nightly job stores per review and text model (``review_text_scores``): :meth:`text_signals` plus
        ``text_phrases``, the JSON list of the words that pushed the text toward fake where its text-model score is at
        least :data:`WORDING_AT` (where the wording reason can be given), None elsewhere, and ``text_kind_scores``, the JSON
        list of the kinds' signals where the text model learnt kinds of fake (None otherwise). Row for row."""
        texts = np.asarray(list(texts), dtype=object)
        parts = self.text_signals(texts)
        kinds = [c for c in parts.columns if c not in TEXT_MODEL_COLUMNS]
        # The kinds' signals are stored as one JSON list per review (the table's columns are the same for every model).
        stored = [json.dumps(row) for row in parts[kinds].to_numpy().tolist()] if kinds else [None] * len(parts)
        parts = parts.drop(columns=kinds).assign(**{KIND_SCORES: stored})
        phrases = np.full(len(texts), None, dtype=object)
        if "text_model_score" in parts:
            rows = np.flatnonzero(parts["text_model_score"].to_numpy() >= WORDING_AT)
            if len(rows):
                phrases[rows] = [json.dumps(words, ensure_ascii=False) for words in self.text_model_.phrases(texts[rows])]
        return parts.assign(text_phrases=phrases)

    def _phrases(self, rows: pd.DataFrame) -> list[list[str]]:
        """The words behind the wording reason of each of ``rows``: stored (``text_phrases``) where the nightly job
        kept them, read from the text otherwise."""
        stored = rows["text_phrases"].to_numpy(dtype=object) if "text_phrases" in rows else np.full(len(rows), None, dtype=object)
        missing = np.flatnonzero(pd.isna(stored))
        out = [None if pd.isna(value) else json.loads(value) for value in stored]
        if len(missing) and "text" in rows:
            for row, words in zip(missing, self.text_model_.phrases(rows["text"].iloc[missing].to_numpy())):
                out[row] = words
        return [words or [] for words in out]

    def _with_kind(self, rows: pd.DataFrame, words: list[str]) -> list[str]:
        """Wording reasons with the kind of fake the text is worded most like, where the text model learnt kinds
        ("…; worded most like the irrelevant ones (91%)")."""
        model = getattr(self, "text_model_", None)
        columns = model.kind_columns if model is not None else []
        if not columns or not set(columns) <= set(rows.columns):
            return words
        values = rows[columns].to_numpy(dtype=float)
        out = []
        for word, row in zip(words, values):
            if np.isnan(row).all():
                out.append(word)
                continue
            best = int(np.nanargmax(row))
            out.append(f"{word}; worded most like the {model.kinds_[best]} ones ({row[best]:.0%})")
        return out

    def _reasons(self, full: pd.DataFrame, only: np.ndarray | None) -> list[str]:
        fired = _fired(full)
        if only is not None:
            fired = {code: mask & only for code, mask in fired.items()}
        per_row: dict[int, list[tuple[str, str]]] = {}  # only the rows with reasons: a list per row of a night costs seconds
        for rule in RULES:
            mask = fired.get(rule.code)
            if mask is None or not mask.any():
                continue
            rows = np.flatnonzero(mask)
            words = rule.words(full.iloc[rows])
            if rule.code == WORDING_RULE and ("text" in full or "text_phrases" in full):
                named = self._phrases(full.iloc[rows])
                words = [f"wording typical of the reviews labelled fake in training: {', '.join(p)}" if p else w
                         for p, w in zip(named, words)]
            if rule.code == WORDING_RULE:
                words = self._with_kind(full.iloc[rows], words)
            for position, row in enumerate(rows.tolist()):
                per_row.setdefault(row, []).append((rule.code, words if isinstance(words, str) else words[position]))
        return reasons_json(per_row, len(full))


def save_model(model: FakeReviewDetector, directory: Path, card: dict) -> Path:
    """Write the model and its card (JSON for machines, Markdown for people)."""
    return save_artifact(model, directory, "FakeReviewDetector", list(model.feature_names_in_), card)


def load_model(directory: Path) -> FakeReviewDetector:
    return load_artifact(directory, "review", "trust reviews train")
