"""Word vectors from unlabelled text: words used in the same company are neighbours."""

import numpy as np
import pytest

from trust.word_vectors import WordVectors

FRUITS = ["苹果", "橙子", "香蕉", "葡萄", "火龙果", "芒果"]
SPOILED = ["发霉", "长毛", "腐烂"]
PARCELS = ["快递", "物流", "包裹", "订单"]
STUCK = ["丢件", "延误", "滞留"]


def corpus() -> list[list[str]]:
    """Reviews as word lists: spoiled fruit in one kind of sentence, stuck parcels in another."""
    spoiled = [[f, s, "了", "太", "恶心"] for f in FRUITS for s in SPOILED]
    stuck = [[p, s, "了", "好", "着急"] for p in PARCELS for s in STUCK]
    return (spoiled + stuck) * 3


def test_words_used_in_the_same_company_are_each_others_neighbours():
    vectors = WordVectors(dim=4, window=2, min_count=1).fit(corpus())
    near = [w for w, _ in vectors.neighbours("发霉", k=2, threshold=0.0)]
    assert set(near) == {"长毛", "腐烂"}
    assert all(w not in STUCK for w, _ in vectors.neighbours("长毛", k=3, threshold=0.0))
    assert vectors.neighbours("没见过的词") == []


def test_a_document_is_the_unit_mean_of_its_known_words_and_zero_without_any():
    vectors = WordVectors(dim=4, window=2, min_count=1).fit(corpus())
    embedded = vectors.embed([["苹果", "发霉", "没见过的词"], ["没见过的词"], []])
    assert np.isclose(np.linalg.norm(embedded[0]), 1.0)
    assert not embedded[1].any() and not embedded[2].any()
    weighted = vectors.embed([["苹果", "发霉"]], weights={"苹果": 0.0})[0]
    assert np.allclose(weighted, vectors.vectors_[vectors.index()["发霉"]], atol=1e-6)


def test_the_same_corpus_gives_the_same_vectors():
    first, second = (WordVectors(dim=4, window=2, min_count=1).fit(corpus()) for _ in range(2))
    assert first.vocabulary_ == second.vocabulary_ and np.allclose(first.vectors_, second.vectors_)
    assert first.describe() == {"words": len(first.vocabulary_), "dim": 4, "window": 2, "min_count": 1, "documents": len(corpus())}


def test_too_little_text_is_refused_with_what_it_needs():
    with pytest.raises(ValueError, match=r"need more than 64 words seen 10\+ times; the corpus has 0 \(1 documents\)"):
        WordVectors().fit([["一", "句"]])
