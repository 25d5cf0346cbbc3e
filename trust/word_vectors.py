"""Word vectors learnt from unlabelled text: words used in the same company end up close.

Labelled complaints are few and written in few wordings; buyers' unlabelled reviews are many. ``WordVectors`` reads
jieba-segmented text (with the project dictionary), counts which words occur within ``window`` words of each other,
weighs the counts by positive pointwise mutual information (context counts smoothed by ^0.75) and keeps the first
``dim`` singular directions (Levy, Goldberg & Dagan 2015, "Improving distributional similarity with lessons learned
from word embeddings"). 发霉 then lies near 长毛 and 变质, 退款 near 退货 and 换货, so a classifier that knows one
of them has a say about the others. Plain scikit-learn and SciPy: nothing to download, trained here in seconds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np
from scipy.sparse import coo_matrix
from sklearn.decomposition import TruncatedSVD


class WordVectors:
    """Dense vectors (unit length) for the words seen at least ``min_count`` times in a corpus of token lists."""

    def __init__(self, dim: int = 64, window: int = 5, min_count: int = 10, random_state: int = 0):
        self.dim = dim
        self.window = window
        self.min_count = min_count
        self.random_state = random_state

    def fit(self, documents: Iterable[list[str]]) -> WordVectors:
        documents = [list(d) for d in documents]
        counts = Counter(w for d in documents for w in d)
        self.vocabulary_ = sorted(w for w, c in counts.items() if c >= self.min_count and w.strip())
        if len(self.vocabulary_) <= self.dim:
            raise ValueError(f"word vectors need more than {self.dim} words seen {self.min_count}+ times; the corpus has "
                             f"{len(self.vocabulary_)} ({len(documents)} documents): give more unlabelled text")
        index = {w: i for i, w in enumerate(self.vocabulary_)}
        rows, cols = [], []
        for document in documents:
            ids = np.array([index.get(w, -1) for w in document])
            for offset in range(1, self.window + 1):  # each pair within the window, both directions
                a, b = ids[:-offset], ids[offset:]
                keep = (a >= 0) & (b >= 0)
                rows += [a[keep], b[keep]]
                cols += [b[keep], a[keep]]
        size = len(self.vocabulary_)
        row, col = (np.concatenate(rows), np.concatenate(cols)) if rows else (np.zeros(0, int), np.zeros(0, int))
        pairs = coo_matrix((np.ones(len(row), dtype=np.float64), (row, col)), shape=(size, size)).tocsr().tocoo()
        total = pairs.data.sum()
        word_share = np.asarray(pairs.sum(axis=1)).ravel() / total
        context = np.asarray(pairs.sum(axis=0)).ravel() ** 0.75
        context_share = context / context.sum()
        pmi = np.log(pairs.data / total / word_share[pairs.row] / context_share[pairs.col])
        positive = pmi > 0
        ppmi = coo_matrix((pmi[positive], (pairs.row[positive], pairs.col[positive])), shape=(size, size)).tocsr()
        svd = TruncatedSVD(self.dim, random_state=self.random_state)
        # singular values weighted by ^0.5 (a corpus of lower rank than dim has zero ones: no division by zero)
        vectors = svd.fit_transform(ppmi) / np.sqrt(np.maximum(svd.singular_values_, 1e-12))
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
        self.vectors_ = vectors.astype(np.float32)
        self.documents_ = len(documents)
        return self

    def index(self) -> dict[str, int]:
        if getattr(self, "_index", None) is None:
            self._index = {w: i for i, w in enumerate(self.vocabulary_)}
        return self._index

    def __getstate__(self):  # the index is rebuilt on demand, not pickled
        return {k: v for k, v in self.__dict__.items() if k != "_index"}

    def neighbours(self, word: str, k: int = 10, threshold: float = 0.4) -> list[tuple[str, float]]:
        """Up to ``k`` nearest words of ``word`` with cosine similarity above ``threshold`` (none for unknown words)."""
        i = self.index().get(word)
        if i is None:
            return []
        similarity = self.vectors_ @ self.vectors_[i]
        similarity[i] = -1.0
        order = np.argsort(-similarity)[:k]
        return [(self.vocabulary_[j], float(similarity[j])) for j in order if similarity[j] > threshold]

    def embed(self, documents: list[list[str]], weights: dict[str, float] | None = None) -> np.ndarray:
        """One unit vector per document: the (weighted) sum of its known words' vectors; zeros when it has none."""
        index = self.index()
        out = np.zeros((len(documents), self.vectors_.shape[1]), dtype=np.float32)
        for row, document in enumerate(documents):
            known = [(index[w], 1.0 if weights is None else weights.get(w, 1.0)) for w in document if w in index]
            if known:
                ids, weight = zip(*known)
                vector = (self.vectors_[list(ids)] * np.asarray(weight, dtype=np.float32)[:, None]).sum(axis=0)
                norm = np.linalg.norm(vector)
                out[row] = vector / norm if norm > 0 else vector
        return out

    def __repr__(self) -> str:
        learnt = f"; {len(self.vocabulary_)} words from {self.documents_} texts" if hasattr(self, "vectors_") else ""
        return f"WordVectors(dim={self.dim}, window={self.window}, min_count={self.min_count}{learnt})"

    def describe(self) -> dict:
        return {"words": len(self.vocabulary_), "dim": int(self.vectors_.shape[1]), "window": self.window,
                "min_count": self.min_count, "documents": int(self.documents_)}
