"""Complaint classification: categories and severity by keywords without a model; the trained model carries the
lexicon's domain words to wording it was not trained on."""

import pytest

from trust.detect.complaints.model import ComplaintClassifier

CASES = [
    ("收到的是假货，找人鉴定了不是正品", "counterfeit"),
    ("衣服开线而且掉色，质量太差", "quality_defect"),
    ("宣传说三天美白，根本没效果，虚假宣传", "not_as_described"),
    ("下单十天了还没发货，物流不更新", "not_delivered"),
    ("申请退款商家拒绝退款还拉黑我", "after_sales_refused"),
    ("交了入门费让我拉人头发展下线", "reseller_recruitment"),
    ("发票一直没开", "other"),
]


@pytest.mark.parametrize("text,category", CASES)
def test_without_labels_complaints_fall_into_their_category_by_keywords(text, category):
    model = ComplaintClassifier().fit([])
    assert model.mode_ == "keywords" and model.predict([text])[0] == category


def test_traditional_script_and_full_width_complaints_are_read_the_same():
    model = ComplaintClassifier().fit([])
    assert model.predict(["收到的是假貨，找人鑑定了不是正品", "ＦＡＫＥ！"]).tolist() == ["counterfeit", "counterfeit"]


def test_severity_is_the_strongest_keyword_at_least_the_categorys_floor():
    model = ComplaintClassifier().fit([])
    _, severity, reasons = model.explain(["假货", "有点色差", "发票", "用了过敏，脸上起红疹"])
    assert severity.tolist() == [3, 2, 1, 3]
    assert "severity 3 of 3" in reasons[0]


def test_the_trained_model_learns_categories_from_labels():
    texts = [t for t, _ in CASES] * 3
    labels = [c for _, c in CASES] * 3
    model = ComplaintClassifier().fit(texts, labels)
    assert model.mode_ == "trained" and (model.predict(texts) == labels).all()
    assert model.predict(["商家卖冒牌货，防伪码查不到"])[0] == "counterfeit"  # words the training set never had


def test_unknown_categories_are_refused():
    with pytest.raises(ValueError, match="unknown complaint categories"):
        ComplaintClassifier().fit(["a", "b"], ["counterfeit", "spam"])


def test_the_trained_model_reads_words_as_well_as_characters_and_survives_saving(tmp_path):
    from trust.detect.complaints.model import load_complaint_model, save_complaint_model

    texts = [t for t, _ in CASES] * 3
    labels = [c for _, c in CASES] * 3
    model = ComplaintClassifier().fit(texts, labels)
    assert {"拉人头", "入门费"} <= set(model.word_vectorizer_.vocabulary_)  # project-dictionary words kept whole
    save_complaint_model(model, tmp_path, {"purpose": "test"})
    loaded = load_complaint_model(tmp_path)
    assert (loaded.predict_proba(texts) == model.predict_proba(texts)).all()
    without = ComplaintClassifier(use_words=False).fit(texts, labels)
    assert without.word_vectorizer_ is None and (without.predict(texts) == labels).all()


def test_complaints_are_classified_in_chunks_with_the_same_result_as_all_at_once(monkeypatch):
    import trust.detect.complaints.model as complaint_model

    texts = [t for t, _ in CASES] * 3
    labels = [c for _, c in CASES] * 3
    model = ComplaintClassifier().fit(texts, labels)
    whole, proba = model.explain(texts), model.predict_proba(texts)
    monkeypatch.setattr(complaint_model, "CHUNK", 4)  # 21 complaints in 6 chunks
    chunked = model.explain(texts)
    assert (chunked[0] == whole[0]).all() and (chunked[1] == whole[1]).all() and chunked[2] == whole[2]
    assert (model.predict_proba(texts) == proba).all()
    assert model.explain([])[2] == [] and model.predict_proba([]).shape == (0, len(model.classes_))


def test_keyword_scan_finds_every_keyword_once_including_overlapping_and_prefix_keywords():
    from trust.detect import COMPLAINT_CATEGORIES, lexicon
    from trust.detect.complaints.model import keyword_weights

    texts = ["假冒伪劣，假冒的，假冒", "拉人头交代理费", "物流信息没有，物流也不动", "fake! never arrived", "", "好评"]
    weights, found, strongest = keyword_weights(texts)
    keywords = lexicon.complaint_keywords()
    for i, text in enumerate(texts):  # the plain definition: each keyword in the text counts once, in lexicon order
        present = keywords[[k in text for k in keywords["keyword"]]]
        expected = [present.loc[present["category"] == c, "severity"].sum() for c in COMPLAINT_CATEGORIES]
        assert weights[i].tolist() == expected
        assert found[i] == {c: g["keyword"].tolist() for c, g in present.groupby("category", sort=False)}
        assert strongest[i] == (present["severity"].max() if len(present) else 0)
    assert found[0]["counterfeit"] == ["假冒", "假冒伪劣"] and found[1]["reseller_recruitment"][:2] == ["拉人头", "代理费"]


def _unlabelled_reviews():
    """Word vectors from reviews nobody labelled: spoiled fruit in one kind of sentence, lost parcels in another."""
    from trust.detect.complaints.model import normalised, words
    from trust.word_vectors import WordVectors

    texts = [f"{f}{s}了太恶心" for f in ("苹果", "橙子", "香蕉", "葡萄", "芒果") for s in ("发霉", "长毛", "腐烂")]
    texts += [f"{p}{s}了好着急" for p in ("快递", "物流", "包裹", "订单") for s in ("丢件", "延误", "滞留")]
    return WordVectors(dim=4, window=2, min_count=1).fit([words(t) for t in normalised(texts * 3)])


LABELLED = (["苹果发霉了", "橙子发霉了"] * 3, ["quality_defect"] * 6)
LATE = (["快递丢件了", "物流丢件了"] * 3, ["not_delivered"] * 6)


def test_with_word_vectors_a_word_no_labelled_complaint_used_is_read_through_its_neighbours():
    texts, labels = LABELLED[0] + LATE[0], LABELLED[1] + LATE[1]
    vectors = _unlabelled_reviews()
    plain = ComplaintClassifier().fit(texts, labels)
    read = ComplaintClassifier(word_vectors=vectors).fit(texts, labels)
    swapped = ComplaintClassifier(word_vectors=vectors, augment=3, random_state=1).fit(texts, labels)
    unseen = ["香蕉长毛了"]  # neither word is in any labelled complaint
    quality = list(read.classes_).index("quality_defect")
    assert read.predict(unseen)[0] == "quality_defect" and swapped.predict(unseen)[0] == "quality_defect"
    assert read.predict_proba(unseen)[0, quality] > plain.predict_proba(unseen)[0, quality] + 0.1
    assert swapped.predict_proba(unseen)[0, quality] > read.predict_proba(unseen)[0, quality]


def test_neighbour_swapped_copies_only_swap_words_for_their_neighbours_and_repeat_with_the_seed():
    from trust.detect.complaints.model import normalised, words

    vectors = _unlabelled_reviews()
    model = ComplaintClassifier(word_vectors=vectors, augment=4, augment_rate=0.5, random_state=3)
    tokens = [words(t) for t in normalised(LABELLED[0][:2])]
    copies = model._neighbour_swaps(tokens)
    assert len(copies) == 8 and copies == model._neighbour_swaps(tokens)
    for original, copy in zip(tokens * 4, copies):
        for word, new in zip(original, copy):
            assert new == word or new in {n for n, _ in vectors.neighbours(word)}
    assert any(copy != original for original, copy in zip(tokens * 4, copies))


def test_a_model_saved_before_word_vectors_still_loads_and_classifies():
    texts, labels = LABELLED[0] + LATE[0], LABELLED[1] + LATE[1]
    model = ComplaintClassifier().fit(texts, labels)
    state = model.__getstate__()
    for key in ("word_vectors", "vector_scale", "augment", "augment_rate", "random_state"):
        del state[key]
    old = ComplaintClassifier.__new__(ComplaintClassifier)
    old.__setstate__(state)
    assert old.word_vectors is None and old.predict(["苹果发霉了"]).tolist() == ["quality_defect"]
    older = ComplaintClassifier(use_words=False).fit(texts, labels).__getstate__()  # before words: no use_words either
    for key in ("use_words", "word_vectors", "vector_scale", "augment", "augment_rate", "random_state", "word_vectorizer_"):
        del older[key]
    oldest = ComplaintClassifier.__new__(ComplaintClassifier)
    oldest.__setstate__(older)
    assert oldest.predict(["苹果发霉了"]).tolist() == ["quality_defect"]
