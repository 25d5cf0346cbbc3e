"""The learned half of the review detector's text signals: a linear model over sparse word and character n-grams, fit
on whatever labelled reviews it is given, in any language.

One code path for every script. A text is normalised (traditional → simplified, full-width → half-width) and
lower-cased; its words are jieba's (with the project's domain dictionary) where it has Han characters and Unicode
word boundaries otherwise (English, Vietnamese, pinyin, digits), taken with the pairs of adjacent words; its characters
give n-grams of 1 to 3 (hashed, no vocabulary), which read Chinese past a segmenter's mistakes and Vietnamese
syllables, emoji and misspellings without a word list. Both are TF-IDF weighted (sublinear term frequency, rows of unit
length) and a linear SVM is fit on them; its margin is calibrated to a probability on out-of-fold margins
(Platt scaling), so ``text_model_score`` reads as "the share of reviews worded like this that were fake".

When the labels also say what kind of fake a fake is (``label_kind``: bought praise, a review of the shop only, off
topic …), each kind given often enough gets its own one-against-the-rest model on the same rows, and its calibrated
score is a signal of its own (``text_kind_<kind>``): kinds worded differently are not forced into one weight vector
(on ViSpam's cross-validation, macro-F1 0.859 → 0.870).

Beside the score come a few language-agnostic shape signals (capitals, symbols and emoji, repeated characters, the
longest Latin token, links, words the training data never saw) that tell spam and gibberish from reviews; the
gradient-boosted trees of :class:`trust.detect.reviews.model.FakeReviewDetector` read them with the behaviour signals.

Reasons come from the weights: :meth:`ReviewTextModel.phrases` names the words of a review that pushed its score up
most (weight × TF-IDF value), so a flag says "wording typical of reviews confirmed fake: 物超所值, 好评返现".
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import re
import unicodedata

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted

from trust.text import normalize_text, segment_words

TEXT_MODEL_COLUMNS = ["text_model_score", "text_upper_share", "text_symbol_share", "text_punct_share", "text_repeat_run",
                      "text_longest_latin", "text_lines", "text_link", "text_unknown_words"]
_WORD = re.compile(r"\w+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HAN_OR_NOT = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_OTHER_LETTER = re.compile(r"[^\W\d_a-zA-Z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[^\W\d_\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LINK = re.compile(r"https?://|www\.|\.com\b|\.vn\b|\.cn\b|@\w|#\w", re.I)
CHUNK = 20_000  # texts vectorised at a time when scoring: bounds memory at any input size
PARALLEL_FROM = 100_000  # texts per extra process (starting one costs about 2 s: imports and the model's pickle)
MIN_KIND = 10  # fake texts of one kind needed for a model of that kind
KIND_PREFIX = "text_kind_"  # the signal of a kind of fake: this and the kind (see kind_column)
CHAR_BITS = 20  # character n-grams are hashed into 2**20 columns (no vocabulary to hold or look up)
_MULTIPLIER = np.uint64(1_000_003)
_MIX = np.uint64(0x9E3779B97F4A7C15)


def prepare(text) -> str:
    """What the n-grams are read from: normalised, lower-cased text ('' for a missing one)."""
    return normalize_text(text).lower() if isinstance(text, str) else ""


def words(prepared: str) -> list[str]:
    """The words of a prepared text: Unicode word boundaries without Han characters; with them, jieba's (one pass over
    the whole text, or over each Han run where the text also has letters beyond ASCII, which jieba would cut apart:
    Vietnamese "hàng" stays one word). Punctuation and emoji are left to the character n-grams."""
    if _HAN.search(prepared) is None:
        return _WORD.findall(prepared)
    if _OTHER_LETTER.search(prepared) is None:
        return segment_words(prepared)
    tokens: list[str] = []
    for piece in _HAN_OR_NOT.findall(prepared):
        tokens.extend(segment_words(piece) if _HAN.match(piece) else _WORD.findall(piece))
    return tokens


def grams(tokens: list[str], n: int = 3) -> list[str]:
    """Words with their runs of up to ``n`` adjacent words (joined by a space)."""
    out = list(tokens)
    for size in range(2, n + 1):
        out += [" ".join(tokens[i:i + size]) for i in range(len(tokens) - size + 1)]
    return out


def _given(tokens: list[str]) -> list[str]:
    """The word vectorizer's analyzer: texts arrive already cut (each text is segmented once)."""
    return tokens


def display(gram: str) -> str:
    """A word n-gram as a person writes it: no space between two Chinese words."""
    parts = gram.split(" ")
    out = parts[0]
    for part in parts[1:]:
        out += part if _HAN.match(part[:1]) and _HAN.match(out[-1:]) else f" {part}"
    return out


def _codes(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(code points of all texts end to end, each text's length, owner text of each code point)."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return codes, lengths, np.repeat(np.arange(len(texts)), lengths)


def char_ngram_counts(prepared: list[str], low: int, high: int, bits: int = CHAR_BITS) -> sp.csr_matrix:
    """Counts of each text's character n-grams (``low`` to ``high`` characters, across spaces too), hashed into
    ``2**bits`` columns: vectorised over all texts at once (a rolling hash of code points), no Python loop per text."""
    codes, lengths, owner = _codes(prepared)
    shape = (len(prepared), 1 << bits)
    if not len(codes):
        return sp.csr_matrix(shape, dtype=np.float32)
    codes = codes.astype(np.uint64)
    left = np.cumsum(lengths)[owner] - np.arange(len(codes))  # characters from here to its text's end, this one included
    rolling = np.zeros(len(codes), dtype=np.uint64)
    rows, columns = [], []
    for size in range(1, high + 1):
        span = len(codes) - size + 1
        if span <= 0:
            break
        rolling[:span] = rolling[:span] * _MULTIPLIER + codes[size - 1:]  # hash of codes[i:i+size] (wrapping)
        if size < low:
            continue
        at = np.flatnonzero(left >= size)
        mixed = (rolling[at] + np.uint64(size)) * _MIX
        columns.append((mixed >> np.uint64(64 - bits)).astype(np.int64))
        rows.append(owner[at])
    if not rows:
        return sp.csr_matrix(shape, dtype=np.float32)
    row, column = np.concatenate(rows), np.concatenate(columns)
    return sp.csr_matrix((np.ones(len(row), dtype=np.float32), (row, column)), shape=shape)  # duplicates summed


def _platt(margin: np.ndarray, a: float, b: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(a * margin + b)))


def kind_column(kind: str) -> str:
    return KIND_PREFIX + re.sub(r"\W+", "_", kind.strip().lower()).strip("_")


def _kind_values(kinds) -> np.ndarray:
    return pd.Series(np.asarray(kinds, dtype=object)).fillna("").astype(str).str.strip().to_numpy(dtype=object)


def kinds_to_learn(given: np.ndarray, y: np.ndarray) -> list[str]:
    """The kinds of fake a text model learns apart, of ``given`` (:func:`_kind_values`): those given on at least
    :data:`MIN_KIND` fake texts, when two or more are (one kind alone is what the fake-or-genuine model learns
    already). Kinds whose signal names would be the same are an error naming them."""
    counts = pd.Series(given[(y == 1) & (given != "")]).value_counts()
    chosen = sorted(counts.index[counts >= MIN_KIND])
    if len(chosen) < 2:
        return []
    columns = pd.Series(chosen).map(kind_column)
    clash = columns[columns.duplicated(keep=False) | columns.eq(KIND_PREFIX)]
    if len(clash):
        raise ValueError(f"kinds of fake {sorted(pd.Series(chosen)[clash.index])} give the same signal name "
                         f"{sorted(set(clash))}: name kinds with different letters or digits")
    return chosen


def _weighted(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear TF × IDF, rows scaled to unit length (what ``TfidfVectorizer(sublinear_tf=True)`` does)."""
    from sklearn.preprocessing import normalize

    counts.data = (1.0 + np.log(counts.data)) * idf[counts.indices]
    counts.eliminate_zeros()
    return normalize(counts, copy=False)


@functools.cache
def _category_table() -> np.ndarray:
    """Per code point: 1 capital letter, 2 symbol or emoji, 3 punctuation, 0 anything else."""
    kinds = {"Lu": 1, "So": 2, "Sk": 2, "Sm": 2, "Cs": 2}
    return np.fromiter((kinds.get(unicodedata.category(chr(c)), 3 if unicodedata.category(chr(c))[0] == "P" else 0)
                        for c in range(0x110000)), dtype=np.uint8, count=0x110000)


def shape_signals(texts, unknown_words: np.ndarray | None = None) -> pd.DataFrame:
    """Language-agnostic shape of each raw text: shares of capitals, symbols/emoji and punctuation, the longest run of
    one repeated character, the longest Latin-script token (keyboard mashing), line count, links or handles, and
    (given, from the text model) the share of its words never seen in training."""
    texts = [t if isinstance(t, str) else "" for t in texts]
    n = len(texts)
    codes, lengths, owner = _codes(texts)
    kind = _category_table()[codes] if len(codes) else np.zeros(0, dtype=np.uint8)
    size = np.maximum(lengths, 1).astype(float)
    share = {k: np.bincount(owner, weights=(kind == k), minlength=n) / size for k in (1, 2, 3)}
    repeat = np.zeros(n)
    if len(codes):  # longest run of one character: runs start where the code point or the text changes
        starts = np.r_[True, (codes[1:] != codes[:-1]) | (owner[1:] != owner[:-1])]
        run = np.cumsum(starts) - 1
        np.maximum.at(repeat, owner[starts], np.bincount(run).astype(float))
    unknown = np.zeros(n) if unknown_words is None else unknown_words
    return pd.DataFrame({"text_upper_share": share[1], "text_symbol_share": share[2], "text_punct_share": share[3],
                         "text_repeat_run": repeat,
                         "text_longest_latin": [max(map(len, _LATIN.findall(t)), default=0) for t in texts],
                         "text_lines": [t.count("\n") + 1 if t else 0 for t in texts],
                         "text_link": [float(_LINK.search(t) is not None) for t in texts],
                         "text_unknown_words": unknown}, dtype=float)


class ReviewTextModel(BaseEstimator):
    """P(fake | wording): TF-IDF words and word pairs, character 1-3-grams, a linear SVM, Platt-calibrated out of fold;
    with kinds of fake given, P(kind | wording) per kind the same way (:attr:`kind_columns`).

    ``fit(texts, y)``; :meth:`cross_fit` also returns each training text's signals with its out-of-fold probability (what a stacked
    model must learn from: a text never scored by a model that saw its label). ``signals(texts)`` gives the
    probability with the shape signals (:data:`TEXT_MODEL_COLUMNS`), ``phrases(texts)`` the words behind it.
    """

    def __init__(self, C: float = 0.3, word_ngrams: int = 2, char_ngrams: tuple[int, int] = (1, 3), min_df: int = 2,
                 folds: int = 5, n_jobs: int | None = None, random_state: int = 0):
        self.C = C
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.folds = folds
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _read(self, texts) -> tuple[list[str], list[list[str]]]:
        """(prepared texts, their words): each text is normalised and segmented once."""
        prepared = [prepare(t) for t in texts]
        return prepared, [words(p) for p in prepared]

    def _matrix(self, prepared: list[str], tokens: list[list[str]]) -> tuple[sp.csr_matrix, np.ndarray]:
        """(TF-IDF rows of the texts, the share of each text's words unknown to the vocabulary)."""
        word, unknown = self._word_rows(tokens)
        char = _weighted(char_ngram_counts(prepared, *self.char_ngrams), self.char_idf_)
        return sp.hstack([word, char], format="csr"), unknown

    def _word_rows(self, tokens: list[list[str]]) -> tuple[sp.csr_matrix, np.ndarray]:
        """(TF-IDF rows of the texts' word n-grams, the share of each text's words unknown to the vocabulary)."""
        counts, unknown = self._word_counts(tokens)
        return _weighted(counts, self.word_vectorizer_.idf_.astype(np.float32)), unknown

    def _word_counts(self, tokens: list[list[str]]) -> tuple[sp.csr_matrix, np.ndarray]:
        """(counts of each text's known word n-grams, the share of its words the vocabulary does not know). The counts
        are the word vectorizer's (a test holds them equal), built for all texts at once: n-grams joined as object
        arrays, looked up in the vocabulary without a Python loop per text."""
        lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
        flat = np.empty(int(lengths.sum()), dtype=object)
        flat[:] = [token for text in tokens for token in text]
        owner = np.repeat(np.arange(len(tokens)), lengths)
        vocabulary = self.word_vectorizer_.vocabulary_
        rows, columns = [], []
        gram = flat
        for size in range(1, self.word_ngrams + 1):
            span = len(flat) - size + 1
            if span <= 0:
                break
            if size > 1:
                gram = gram[:span] + " " + flat[size - 1:]
            whole = owner[:span] == owner[size - 1:]  # the n-gram does not run into the next text
            found = np.fromiter(map(vocabulary.get, gram[whole], itertools.repeat(-1)), dtype=np.int64, count=int(whole.sum()))
            rows.append(owner[:span][whole][found >= 0])
            columns.append(found[found >= 0])
            if size == 1:
                unknown = np.bincount(owner[found < 0], minlength=len(tokens)) / np.maximum(lengths, 1)
        shape = (len(tokens), self.n_word_features_)
        if not rows:
            return sp.csr_matrix(shape, dtype=np.float32), np.zeros(len(tokens))
        row, column = np.concatenate(rows), np.concatenate(columns)
        return sp.csr_matrix((np.ones(len(row), dtype=np.float32), (row, column)), shape=shape), unknown  # duplicates summed

    def cross_fit(self, texts, y, kinds=None) -> pd.DataFrame:
        """Fit on all texts; return each text's signals (:data:`TEXT_MODEL_COLUMNS`, then :attr:`kind_columns`) with
        *out-of-fold* probabilities (a model that never saw the text's label scored it, calibrated on the out-of-fold
        margins). ``kinds``: optional, per text, the kind of fake a fake text is ('' or None where not given): each kind
        with at least :data:`MIN_KIND` examples gets its own one-against-the-rest model when there are two or more."""
        y = np.asarray(y, dtype=int)
        if len(np.unique(y)) < 2:
            raise ValueError(f"the text model needs fake and genuine examples; the labels hold only {np.unique(y).tolist()}")
        texts = list(texts)
        prepared, tokens = self._read(texts)
        min_df = self.min_df if len(texts) >= 20 * self.min_df else 1  # a small file keeps its rare words
        self.word_vectorizer_ = TfidfVectorizer(analyzer=_given, sublinear_tf=True, min_df=min_df, dtype=np.float32)
        word = self.word_vectorizer_.fit_transform([grams(t, self.word_ngrams) for t in tokens])
        self.word_vectorizer_.stop_words_ = None  # the n-grams min_df dropped: introspection only, and most of the pickle
        counts = char_ngram_counts(prepared, *self.char_ngrams)
        document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
        idf = (np.log((1.0 + len(texts)) / (1.0 + document_frequency)) + 1.0).astype(np.float32)  # sklearn's smooth idf
        idf[document_frequency < min_df] = 0.0
        self.char_idf_ = idf
        matrix = sp.hstack([word, _weighted(counts, idf)], format="csr")
        coef, self.intercept_, self.platt_, oof = self._fit_linear(matrix, y)
        self.coef_ = coef.astype(np.float32)
        given = None if kinds is None else _kind_values(kinds)
        self.kinds_ = [] if given is None else kinds_to_learn(given, y)
        kind_oof = []
        if self.kinds_:
            fits = [self._fit_linear(matrix, ((given == kind) & (y == 1)).astype(int)) for kind in self.kinds_]
            self.kind_coef_ = np.vstack([f[0] for f in fits]).astype(np.float32)
            self.kind_intercept_ = np.array([f[1] for f in fits])
            self.kind_platt_ = np.array([f[2] for f in fits])
            kind_oof = [f[3] for f in fits]
        self.n_word_features_ = len(self.word_vectorizer_.vocabulary_)
        weights = self.coef_.tobytes() + (self.kind_coef_.tobytes() + repr(self.kinds_).encode() if self.kinds_ else b"")
        self.fingerprint_ = hashlib.sha256(weights + repr(self.get_params()).encode()).hexdigest()[:16]
        out = shape_signals(texts, self._word_counts(tokens)[1])
        out.insert(0, "text_model_score", oof)
        for column, probability in zip(self.kind_columns, kind_oof):
            out[column] = probability
        return out

    def _fit_linear(self, matrix: sp.csr_matrix, target: np.ndarray) -> tuple[np.ndarray, float, tuple[float, float], np.ndarray]:
        """A linear SVM of ``target`` on the TF-IDF rows: (weights, intercept, Platt parameters, each row's out-of-fold
        calibrated probability)."""
        from sklearn.linear_model import LogisticRegression

        margin = np.zeros(len(target))
        splits = min(self.folds, int(np.bincount(target).min()))
        if splits >= 2:
            for keep, hide in StratifiedKFold(splits, shuffle=True, random_state=self.random_state).split(matrix, target):
                margin[hide] = self._svm().fit(matrix[keep], target[keep]).decision_function(matrix[hide])
        svm = self._svm().fit(matrix, target)
        if splits < 2:  # too few of one class to hold any out: calibrate in-sample (optimistic)
            margin = svm.decision_function(matrix)
        platt = LogisticRegression(C=1e4).fit(margin.reshape(-1, 1), target)
        a, b = float(platt.coef_[0, 0]), float(platt.intercept_[0])
        return svm.coef_.ravel(), float(svm.intercept_[0]), (a, b), _platt(margin, a, b)

    @property
    def kind_columns(self) -> list[str]:
        """The signal names of the kinds of fake learnt (``text_kind_`` + the kind in lower case, ``_`` for the rest)."""
        return [kind_column(kind) for kind in getattr(self, "kinds_", [])]

    def fit(self, texts, y, kinds=None):
        self.cross_fit(texts, y, kinds)
        return self

    def _svm(self) -> LinearSVC:
        return LinearSVC(C=self.C, random_state=self.random_state)

    def _calibrated(self, margin: np.ndarray) -> np.ndarray:
        return _platt(margin, *self.platt_)

    def signals(self, texts) -> pd.DataFrame:
        """:data:`TEXT_MODEL_COLUMNS` of each text, row for row: in chunks of :data:`CHUNK` texts, and over ``n_jobs``
        processes (None: every core) when there are several chunks."""
        check_is_fitted(self, "coef_")
        texts = list(texts)
        jobs = min(os.cpu_count() or 1, self.n_jobs or os.cpu_count() or 1, max(1, len(texts) // PARALLEL_FROM))
        if jobs > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            share = -(-len(texts) // jobs)
            # Workers started for this call and ended with it (a reusable pool would keep the task's process alive).
            with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
                parts = list(pool.map(self._signals, [texts[i:i + share] for i in range(0, len(texts), share)]))
            return pd.concat(parts, ignore_index=True)
        return self._signals(texts)

    def _signals(self, texts: list[str]) -> pd.DataFrame:
        parts = []
        for start in range(0, len(texts), CHUNK):
            chunk = texts[start:start + CHUNK]
            prepared, tokens = self._read(chunk)
            matrix, unknown = self._matrix(prepared, tokens)
            part = shape_signals(chunk, unknown)
            part.insert(0, "text_model_score", self._calibrated(matrix @ self.coef_ + self.intercept_))
            if self.kind_columns:
                margins = matrix @ self.kind_coef_.T + self.kind_intercept_
                for i, column in enumerate(self.kind_columns):
                    part[column] = _platt(margins[:, i], *self.kind_platt_[i])
            parts.append(part)
        return (pd.concat(parts, ignore_index=True) if parts else
                pd.DataFrame(columns=TEXT_MODEL_COLUMNS + self.kind_columns, dtype=float))

    def predict_proba(self, texts) -> np.ndarray:
        score = self.signals(texts)["text_model_score"].to_numpy()
        return np.column_stack([1 - score, score])

    def phrases(self, texts, top: int = 3) -> list[list[str]]:
        """Per text, up to ``top`` of its words that pushed it most towards fake (positive weight × TF-IDF value)."""
        check_is_fitted(self, "coef_")
        prepared, tokens = self._read(texts)
        if not prepared:
            return []
        matrix = self._word_rows(tokens)[0]
        weights = self.coef_[:self.n_word_features_]
        names = self.word_vectorizer_.get_feature_names_out()
        out: list[list[str]] = []
        for row in range(matrix.shape[0]):
            start, end = matrix.indptr[row], matrix.indptr[row + 1]
            columns = matrix.indices[start:end]
            push = matrix.data[start:end] * weights[columns]
            order = np.argsort(-push, kind="stable")
            chosen: list[str] = []
            for position in order:
                if push[position] <= 0 or len(chosen) == top:
                    break
                gram = display(names[columns[position]])
                if len(gram) >= 2 and not any(gram in c or c in gram for c in chosen):  # "好评返现" already says "好评"
                    chosen.append(gram)
            out.append(chosen)
        return out
