"""Complaint classification (after-sales 售后 complaints): category and severity, trained with a keyword fallback.

``ComplaintClassifier``: a logistic regression over character n-grams of the normalised text, its jieba words (with the
project dictionary) and the summed severity of each category's keywords (``data/lexicon/complaint_keywords.tsv``), so
the lexicon's domain words carry over to wording the training set never had. Characters catch spellings and fragments
a segmenter splits; words weigh a word as one thing rather than as its characters. Given ``word_vectors`` learnt from
unlabelled text (``trust.word_vectors``), it also reads each complaint's mean word vector, and with ``augment`` it
trains on extra copies of each labelled complaint in which some words are swapped for their nearest neighbours: words
no labelled complaint used but buyers use in the same places get a weight too. Without labels, the keyword classifier
alone. Severity (1 low .. 3 high) is the strongest keyword found, at least the category's floor (counterfeit and
reseller recruitment are never low).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from trust.detect import COMPLAINT_CATEGORIES, lexicon
from trust.detect.artifacts import load_artifact, save_artifact
from trust.text import normalize_text, segment
from trust.word_vectors import WordVectors

SEVERITY_FLOOR = {"counterfeit": 3, "reseller_recruitment": 3, "quality_defect": 2, "not_as_described": 2,
                  "after_sales_refused": 2, "not_delivered": 1, "other": 1}


def normalised(texts) -> list[str]:
    return [(normalize_text(t) or "").lower() if isinstance(t, str) else "" for t in texts]


@functools.cache
def _keyword_matcher(entries: tuple[tuple[str, str, int], ...]) -> tuple[re.Pattern, dict[str, list[int]]]:
    """One pattern that finds, at every position, the longest keyword starting there; every other keyword starting
    there is a prefix of it, so ``prefixes`` maps each keyword to the entries (in lexicon order) it implies."""
    words = sorted({keyword for _, keyword, _ in entries}, key=len, reverse=True)
    first = "".join(sorted({re.escape(w[0]) for w in words}))  # most positions fail on one character class test
    pattern = re.compile(f"(?=[{first}])(?=(" + "|".join(re.escape(w) for w in words) + "))")
    prefixes = {w: [i for i, (_, keyword, _) in enumerate(entries) if w.startswith(keyword)] for w in words}
    return pattern, prefixes


def keyword_weights(texts: list[str]) -> tuple[np.ndarray, list[dict[str, list[str]]], np.ndarray]:
    """(per category summed keyword severity, keywords found per text and category, strongest keyword severity).
    A keyword counts once per text however often it occurs; overlapping keywords all count."""
    entries = tuple(lexicon.complaint_keywords().itertuples(index=False, name=None))
    pattern, prefixes = _keyword_matcher(entries)
    index = {c: i for i, c in enumerate(COMPLAINT_CATEGORIES)}
    weights = np.zeros((len(texts), len(COMPLAINT_CATEGORIES)))
    found: list[dict[str, list[str]]] = [{} for _ in texts]
    strongest = np.zeros(len(texts))
    for i, text in enumerate(texts):
        hits: set[int] = set()
        for match in pattern.finditer(text):
            hits.update(prefixes[match.group(1)])
        for j in sorted(hits):
            category, keyword, severity = entries[j]
            weights[i, index[category]] += severity
            found[i].setdefault(category, []).append(keyword)
            strongest[i] = max(strongest[i], severity)
    return weights, found, strongest


CHUNK = 50_000  # complaints classified together


def _chunks(texts: list[str]) -> list[list[str]]:
    return [texts[i:i + CHUNK] for i in range(0, len(texts), CHUNK)]


def words(text: str | list[str]) -> list[str]:
    """jieba words of a normalised text, or the words themselves when already segmented (the word analyzer; a module
    function so fitted models pickle)."""
    return text if isinstance(text, list) else segment(text)


class ComplaintClassifier(ClassifierMixin, BaseEstimator):
    def __init__(self, c: float = 5.0, keyword_scale: float = 0.5, use_words: bool = True, word_vectors: WordVectors | None = None,
                 vector_scale: float = 1.0, augment: int = 0, augment_rate: float = 0.3, random_state: int = 0):
        self.c = c
        self.keyword_scale = keyword_scale
        self.use_words = use_words
        self.word_vectors = word_vectors
        self.vector_scale = vector_scale
        self.augment = augment
        self.augment_rate = augment_rate
        self.random_state = random_state

    def __setstate__(self, state):  # models saved before words or word vectors load with those switched off
        for key, value in (("use_words", False), ("word_vectors", None), ("vector_scale", 1.0), ("augment", 0), ("augment_rate", 0.3),
                           ("random_state", 0)):
            state.setdefault(key, value)
        super().__setstate__(state)

    def fit(self, texts, y=None):
        texts = normalised(texts)
        if y is None or len(set(y)) < 2:
            self.mode_, self.classes_ = "keywords", np.array(COMPLAINT_CATEGORIES)
            return self
        y = np.asarray(y)
        unknown = sorted(set(y) - set(COMPLAINT_CATEGORIES))
        if unknown:
            raise ValueError(f"unknown complaint categories {unknown}; known: {', '.join(COMPLAINT_CATEGORIES)}")
        self.mode_ = "trained"
        tokens = [words(t) for t in texts] if self._reads_words() else None
        if self.word_vectors is not None and self.augment > 0:
            extra = self._neighbour_swaps(tokens)
            texts, tokens = texts + ["".join(t) for t in extra], tokens + extra
            y = np.concatenate([y] * (self.augment + 1))
        self.vectorizer_ = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
        self.word_vectorizer_ = TfidfVectorizer(analyzer=words, sublinear_tf=True) if self.use_words else None
        self.model_ = LogisticRegression(C=self.c, max_iter=3000).fit(self._design(texts, keyword_weights(texts)[0], fit=True, tokens=tokens), y)
        self.classes_ = self.model_.classes_
        return self

    def _reads_words(self) -> bool:
        return bool(self.use_words) or getattr(self, "word_vectors", None) is not None

    def _neighbour_swaps(self, tokens: list[list[str]]) -> list[list[str]]:
        """``augment`` copies of every complaint, each word swapped with probability ``augment_rate`` for one of its
        nearest neighbours in the word vectors (words of two or more characters only)."""
        rng = np.random.default_rng(self.random_state)
        near: dict[str, list[str]] = {}
        copies = []
        for _ in range(self.augment):
            for document in tokens:
                swapped = []
                for word in document:
                    if word not in near:
                        near[word] = [n for n, _ in self.word_vectors.neighbours(word) if len(n) >= 2] if len(word) >= 2 else []
                    options = near[word]
                    swapped.append(options[rng.integers(len(options))] if options and rng.random() < self.augment_rate else word)
                copies.append(swapped)
        return copies

    def _design(self, texts: list[str], weights: np.ndarray, fit: bool = False, tokens: list[list[str]] | None = None):
        if tokens is None and self._reads_words():
            tokens = [words(t) for t in texts]
        parts = [self.vectorizer_.fit_transform(texts) if fit else self.vectorizer_.transform(texts)]
        word_vectorizer = getattr(self, "word_vectorizer_", None)  # models saved before words: none
        if word_vectorizer is not None:
            parts.append(word_vectorizer.fit_transform(tokens) if fit else word_vectorizer.transform(tokens))
            if fit:
                self.word_idf_ = dict(zip(word_vectorizer.get_feature_names_out(), word_vectorizer.idf_))
        if getattr(self, "word_vectors", None) is not None:  # rare words weigh more in the mean vector, as in TF-IDF
            parts.append(csr_matrix(self.word_vectors.embed(tokens, getattr(self, "word_idf_", None)) * self.vector_scale))
        return hstack([*parts, csr_matrix(np.log1p(weights) * self.keyword_scale)]).tocsr()

    def _proba(self, texts: list[str], weights: np.ndarray) -> np.ndarray:
        """Probabilities for normalised texts and their keyword weights (computed once by the caller)."""
        if self.mode_ == "keywords":
            weights = weights.copy()
            other = list(COMPLAINT_CATEGORIES).index("other")
            weights[weights.sum(axis=1) == 0, other] = 1.0
            return weights / weights.sum(axis=1, keepdims=True)
        return self.model_.predict_proba(self._design(texts, weights))

    def predict_proba(self, texts) -> np.ndarray:
        check_is_fitted(self, "mode_")
        parts = [self._proba(chunk, keyword_weights(chunk)[0]) for chunk in _chunks(normalised(texts))]
        return np.vstack(parts) if parts else np.zeros((0, len(self.classes_)))

    def predict(self, texts) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]

    def explain(self, texts) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(category, severity 1..3, reasons JSON) per complaint; each text normalised and scanned for keywords once."""
        check_is_fitted(self, "mode_")
        categories, severities, reasons = [], [], []
        for chunk in _chunks(normalised(texts)):  # bounded memory: the n-gram matrices of one chunk at a time
            category, severity, reason = self._explain(chunk)
            categories.append(category)
            severities.append(severity)
            reasons += reason
        if not categories:
            return np.array([], dtype=object), np.array([], dtype=float), []
        return np.concatenate(categories), np.concatenate(severities), reasons

    def _explain(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
        weights, found, strongest = keyword_weights(texts)
        proba = self._proba(texts, weights)
        category = self.classes_[proba.argmax(axis=1)]
        severity = np.maximum(strongest, [SEVERITY_FLOOR.get(c, 1) for c in category]).clip(1, 3)
        reasons = []
        for i, cat in enumerate(category):
            words = found[i].get(cat, [])
            text = f"{cat} ({proba[i].max():.0%})" + (": keywords " + "、".join(words) if words else "")
            reasons.append(json.dumps([{"code": "category", "text": text}, {"code": "severity", "text": f"severity {int(severity[i])} of 3"}],
                                      ensure_ascii=False))
        return category, severity, reasons


def save_complaint_model(model: ComplaintClassifier, directory: Path, card: dict) -> Path:
    features = ["char 1-2 grams (TF-IDF)"]
    if getattr(model, "word_vectorizer_", None) is not None:
        features.append("jieba words with the project dictionary (TF-IDF)")
    if getattr(model, "word_vectors", None) is not None:
        vectors = model.word_vectors.describe()
        features.append(f"IDF-weighted mean word vector ({vectors['words']} words x {vectors['dim']}, PPMI-SVD of "
                        f"{vectors['documents']} unlabelled texts)"
                        + (f"; trained on {model.augment} neighbour-swapped copies of each complaint" if model.augment else ""))
    features.append("keyword severity per category")
    return save_artifact(model, directory, "ComplaintClassifier", features, {"classes": [str(c) for c in model.classes_], **card})


def load_complaint_model(directory: Path) -> ComplaintClassifier:
    return load_artifact(directory, "complaint", "trust complaints train")
