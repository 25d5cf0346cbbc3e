"""The review detector's text model: learns the wording of the labels it is given, in any language, and says which
words pushed a flag."""

import json

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from trust.detect.reviews.files import score_csv, train_from_csv
from trust.detect.reviews.model import FakeReviewDetector
from trust.detect.reviews.signals import review_signals
from trust.detect.reviews.text import TEXT_MODEL_COLUMNS, ReviewTextModel, display, words

# Everyday review words per language; a fake additionally carries the planted phrase, a genuine review never does.
VOCABULARY = {
    "zh": (["质量", "不错", "物流", "很快", "包装", "完好", "颜色", "好看", "尺码", "合适", "客服", "态度", "价格", "实惠",
            "面料", "舒服", "做工", "一般", "有点", "色差", "发货", "慢", "味道", "正常", "电池", "耐用"], "加微信领红包"),
    "en": (["quality", "is", "good", "shipping", "was", "fast", "the", "color", "looks", "nice", "size", "fits", "seller",
            "answered", "price", "fair", "fabric", "feels", "soft", "battery", "lasts", "long", "box", "arrived", "dented"],
           "claim your free gift card"),
    "vi": (["chất", "lượng", "tốt", "giao", "hàng", "nhanh", "đóng", "gói", "cẩn", "thận", "màu", "đẹp", "vải", "mềm",
            "giá", "rẻ", "shop", "tư", "vấn", "nhiệt", "tình", "pin", "dùng", "lâu", "size", "vừa"], "nhận xu miễn phí"),
}


def planted(language: str, n: int, seed: int) -> pd.DataFrame:
    """``n`` reviews of random everyday words; a third are fakes, 90% of which carry the language's planted phrase."""
    vocabulary, phrase = VOCABULARY[language]
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        fake = i % 3 == 0
        text = " ".join(rng.choice(vocabulary, size=rng.integers(5, 10)))
        if language == "zh":
            text = text.replace(" ", "")
        if fake and rng.random() < 0.9:
            text = f"{text} {phrase}" if rng.random() < 0.5 else f"{phrase} {text}"
        rows.append((text, int(fake)))
    return pd.DataFrame(rows, columns=["text", "label"])


@pytest.mark.parametrize("language", ["zh", "en", "vi"])
def test_a_text_only_csv_trains_and_scores_and_the_planted_wording_is_learnt_and_named(language, tmp_path):
    train, test = planted(language, 360, seed=1), planted(language, 240, seed=2)
    train.to_csv(tmp_path / "train.csv", index=False)
    test.drop(columns="label").to_csv(tmp_path / "test.csv", index=False)

    trained = train_from_csv(tmp_path / "train.csv", tmp_path / "model")
    assert trained["columns_used"] == ["review_id", "text"]
    score_csv(tmp_path / "test.csv", tmp_path / "model", tmp_path / "scored.csv")

    scored = pd.read_csv(tmp_path / "scored.csv", keep_default_na=False)
    assert roc_auc_score(test["label"], scored["fake_probability"]) >= 0.9
    phrase = VOCABULARY[language][1]
    carries = scored["text"].str.contains(phrase, regex=False)
    flagged = scored[carries & (scored["fake_probability"] >= 0.5)]
    assert len(flagged) >= 0.8 * carries.sum()
    reasons = [json.loads(r) for r in flagged["reasons"]]
    wording = [r["text"] for rs in reasons for r in rs if r["code"] == "fake_wording"]
    assert len(wording) == len(flagged)  # every flag says which words pushed it
    named = [w for w in wording if ": " in w and any(word in phrase for word in w.split(": ", 1)[1].split(", "))]
    assert len(named) >= 0.9 * len(wording), wording[:5]


def test_traditional_script_is_read_as_the_simplified_wording_it_was_trained_on():
    train = planted("zh", 360, seed=3)
    model = ReviewTextModel().fit(train["text"], train["label"])
    simplified, traditional = "质量不错加微信领红包", "質量不錯加微信領紅包"
    assert model.predict_proba([traditional])[0, 1] == pytest.approx(model.predict_proba([simplified])[0, 1])
    assert model.predict_proba([simplified])[0, 1] > model.predict_proba(["质量不错物流很快"])[0, 1]


def test_words_are_jieba_words_in_chinese_and_unicode_words_elsewhere():
    assert words("giao hàng nhanh 好评返现 iphone15") == ["giao", "hàng", "nhanh", "好评返现", "iphone15"]
    assert display("好评 返现") == "好评返现" and display("free gift") == "free gift"


def test_the_text_models_score_is_out_of_fold_in_training_and_stacked_with_behaviour():
    train = planted("en", 300, seed=4)
    frame = train.assign(review_id=[f"R{i}" for i in range(len(train))], rating=5)
    signals, _ = review_signals(frame.drop(columns="label"))
    model = FakeReviewDetector().fit(signals, train["label"])
    assert model.text_model_version is not None and len(model.text_model_version) == 16
    assert "text_model_score" in model.feature_names_in_ and "rating" in model.feature_names_in_
    # Stored text signals (the nightly job's) give exactly the scores of reading the text again.
    stored = model.text_signals(frame["text"].to_numpy())
    with_stored = pd.concat([signals, stored.set_axis(signals.index)], axis=1)
    np.testing.assert_allclose(model.predict_proba(with_stored), model.predict_proba(signals))
    assert list(stored.columns) == TEXT_MODEL_COLUMNS


def test_without_text_the_detector_is_the_behaviour_model_it_was():
    frame = planted("en", 300, seed=5).assign(review_id=lambda f: [f"R{i}" for i in range(len(f))], rating=5)
    signals, _ = review_signals(frame.drop(columns=["label", "text"]))
    model = FakeReviewDetector().fit(signals, frame["label"])
    assert model.text_model_version is None
    assert not any(c in model.feature_names_in_ for c in TEXT_MODEL_COLUMNS)


def test_a_model_saved_before_the_text_model_still_loads_and_scores_as_before(tmp_path):
    frame = planted("zh", 300, seed=6).assign(review_id=lambda f: [f"R{i}" for i in range(len(f))], rating=5)
    signals, _ = review_signals(frame.drop(columns="label"))
    old = FakeReviewDetector(text_model=False).fit(signals.drop(columns="text"), frame["label"])
    del old.__dict__["text_model"]  # what a model pickled by the previous version holds: no such parameter
    before = old.predict_proba(signals.drop(columns="text"))
    joblib.dump(old, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    assert loaded.get_params()["text_model"] is False
    np.testing.assert_array_equal(loaded.predict_proba(signals), before)  # text present now, still not read
    assert loaded.text_model_version is None


def _first_day_and_a_wording_model(settings, kinds: bool = False):
    """The shared marketplace's first day of reviews (loaded into ``settings``' warehouse), and a review model whose text
    model learnt that cash-back and five-star wording is fake (with ``kinds``: that recommending is, as two kinds of
    fake taken in turn, learnt apart); with the reviews' signals."""
    from tests.conftest import START
    from trust import pipeline
    from trust.db.engine import session_scope
    from trust.detect.reviews.stage import load_reviews

    pipeline.run_ingest(settings, START)
    with session_scope(settings.db_url) as session:
        reviews = load_reviews(session, START, START)
    labels = reviews["text"].fillna("").str.contains("推荐" if kinds else "好评|返现|五星").astype(int).to_numpy().copy()
    labels[:2] = [0, 1]
    signals, _ = review_signals(reviews)
    kind = np.where(labels == 1, np.where(np.cumsum(labels) % 2, "kind a", "kind b"), "") if kinds else None
    model = FakeReviewDetector().fit(signals, labels, kind)
    assert model.text_model_.kind_columns == (["text_kind_kind_a", "text_kind_kind_b"] if kinds else [])
    return reviews, model, signals


@pytest.mark.parametrize("kinds", [False, True], ids=["fake or genuine", "kinds of fake"])
def test_the_nightly_stage_reads_each_text_once_per_text_model(settings, kinds):
    from trust.db.engine import session_scope
    from trust.detect.reviews.stage import stored_text_scores

    reviews, model, signals = _first_day_and_a_wording_model(settings, kinds)
    with session_scope(settings.db_url) as session:
        first, read = stored_text_scores(session, reviews, model)
    assert read == len(reviews) > 0
    with session_scope(settings.db_url) as session:
        again, read = stored_text_scores(session, reviews, model)
    assert read == 0
    pd.testing.assert_frame_equal(first, again)
    with session_scope(settings.db_url) as session:
        none, read = stored_text_scores(session, reviews, FakeReviewDetector().fit(signals))
    assert none is None and read == 0  # the unsupervised rules have no text model


def test_word_counts_built_for_all_texts_at_once_equal_the_vectorizers_text_by_text():
    from sklearn.feature_extraction.text import CountVectorizer

    from trust.detect.reviews.text import _given, grams

    train = planted("vi", 200, seed=7)
    model = ReviewTextModel().fit(train["text"], train["label"])
    texts = list(planted("vi", 50, seed=8)["text"]) + ["", "hàng 好评返现 tốt", "加微信领红包 加微信"]
    _, tokens = model._read(texts)
    fast, unknown = model._word_counts(tokens)
    counts = CountVectorizer(analyzer=_given, vocabulary=model.word_vectorizer_.vocabulary_).transform(
        [grams(t, model.word_ngrams) for t in tokens])
    np.testing.assert_array_equal(fast.toarray(), counts.toarray())
    assert unknown[len(texts) - 3] == 0.0 and unknown[len(texts) - 1] > 0  # '' has no words; Chinese is unseen here


def test_character_ngrams_are_counted_within_each_text():
    from trust.detect.reviews.text import char_ngram_counts

    counts = char_ngram_counts(["abc", "", "aa", "好评"], 1, 3, bits=12)
    assert counts.sum(axis=1).A.ravel().tolist() == [6, 0, 3, 3]  # abc: a b c ab bc abc; aa: a a aa
    assert counts[2].max() == 2  # 'a' twice in "aa"
    again = char_ngram_counts(["abc"], 1, 3, bits=12)
    np.testing.assert_array_equal(again.toarray(), counts[0].toarray())  # a text's n-grams do not depend on its neighbours


@pytest.mark.parametrize("trained", [True, False])
def test_scores_and_reasons_in_one_pass_equal_predict_proba_and_reasons(trained):
    """The nightly stage scores and explains with the spread and text signals computed once: the same figures and the
    same reasons as asking for each separately, with analysts' verdicts, for a trained model and for the rules."""
    frame = planted("zh", 300, seed=6).assign(review_id=lambda f: [f"R{i}" for i in range(len(f))], rating=5,
                                              reviewer_id=lambda f: [f"U{i % 40}" for i in range(len(f))])
    signals, _ = review_signals(frame.drop(columns="label"))
    model = FakeReviewDetector().fit(signals, frame["label"] if trained else None)
    known = pd.Series(np.where(np.arange(len(frame)) % 7 == 0, frame["label"], np.nan), index=signals.index)
    score, reasons = model.score_with_reasons(signals, known=known, flag_at=0.5)
    expected = model.predict_proba(signals, known=known)[:, 1]
    np.testing.assert_array_equal(score, expected)
    assert reasons == model.reasons(signals, known=known, only=expected >= 0.5)
    assert sum(r != "[]" for r in reasons) == (expected >= 0.5).sum() > 0


@pytest.mark.parametrize("kinds", [False, True], ids=["fake or genuine", "kinds of fake"])
def test_a_wording_reason_names_the_same_words_from_stored_phrases_as_from_the_text(settings, kinds):
    """Issue 21: the words behind a wording reason are stored with the text model's signals when a text is first read
    (``text_phrases``), so a night does not segment its flagged texts again; the scores and reasons are the ones
    read from the text, and a row stored before the words were (NULL) is read from the text as before."""
    from trust.db.engine import session_scope
    from trust.detect.reviews.signals import text_features
    from trust.detect.reviews.stage import score_reviews, stored_text_scores

    reviews, model, _ = _first_day_and_a_wording_model(settings, kinds)
    with session_scope(settings.db_url) as session:
        stored_text_scores(session, reviews, model)
        stored, read = stored_text_scores(session, reviews, model)
    assert read == 0 and stored["text_phrases"].notna().any()
    assert stored["text_kind_scores"].notna().all() if kinds else stored["text_kind_scores"].isna().all()
    from_text, _ = score_reviews(reviews, model=model)
    features = text_features(reviews["text"])  # stored by the nightly job too
    from_store, _ = score_reviews(reviews.assign(text=None), model=model, text=features, text_scores=stored)  # no text read
    legacy, _ = score_reviews(reviews, model=model, text_scores=stored.assign(text_phrases=None))
    named = from_text["reasons"].str.contains("wording typical of the reviews labelled fake in training: ", regex=False)
    assert named.sum() > 0
    for other in (from_store, legacy):
        pd.testing.assert_frame_equal(other, from_text)


def planted_kinds(n: int, seed: int) -> pd.DataFrame:
    """English reviews: a third genuine-looking fakes of two kinds, each kind with its own planted wording (cash-back
    offers, off-topic advertising), the rest genuine."""
    vocabulary = VOCABULARY["en"][0]
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        text = " ".join(rng.choice(vocabulary, size=rng.integers(5, 10)))
        kind = ("cash back", "off-topic ad", "")[i % 3] if i % 2 == 0 else ""
        if kind == "cash back":
            text += " five stars get cash back"
        elif kind == "off-topic ad":
            text = "cheap data plan text 1079 " + text
        rows.append((text, int(kind != ""), kind))
    return pd.DataFrame(rows, columns=["text", "label", "label_kind"])


def test_kinds_of_fake_given_in_training_are_learnt_apart_one_signal_each(tmp_path):
    """Issue 16: analysts say what kind of fake a review is (ViSpam: bought praise, shop only, off topic); the text
    model learns each kind's wording apart and the trees read one signal per kind beside the fake-or-genuine one."""
    train, test = planted_kinds(420, seed=1), planted_kinds(240, seed=2)
    train.to_csv(tmp_path / "train.csv", index=False)
    trained = train_from_csv(tmp_path / "train.csv", tmp_path / "model")
    assert trained["kinds"] == {"cash back": 70, "off-topic ad": 70} and trained["kinds_learnt"] == ["cash back", "off-topic ad"]
    assert "label_kind" in trained["columns_used"]

    model = joblib.load(tmp_path / "model" / "model.joblib")
    assert {"text_kind_cash_back", "text_kind_off_topic_ad"} <= set(model.feature_names_in_)
    signals = model.text_signals(test["text"].to_numpy())
    fakes = test[test["label"] == 1]
    for kind, column in (("cash back", "text_kind_cash_back"), ("off-topic ad", "text_kind_off_topic_ad")):
        assert roc_auc_score(fakes["label_kind"] == kind, signals.loc[fakes.index, column]) >= 0.95

    # Scored from the stored form (a JSON list of the kinds' signals) or from the text: the same probabilities.
    frame = test.drop(columns=["label", "label_kind"]).assign(review_id=lambda f: [f"R{i}" for i in range(len(f))])
    read, _ = review_signals(frame)
    parts = model.text_parts(frame["text"].to_numpy())
    assert json.loads(parts["text_kind_scores"].iloc[0]) == signals[model.text_model_.kind_columns].iloc[0].tolist()
    stored = pd.concat([read.drop(columns="text"), parts.set_axis(read.index)], axis=1)
    np.testing.assert_array_equal(model.predict_proba(stored), model.predict_proba(read))
    assert model.reasons(stored) == model.reasons(read)

    # A wording reason says which kind of fake the text is worded most like.
    test.drop(columns=["label", "label_kind"]).to_csv(tmp_path / "test.csv", index=False)
    score_csv(tmp_path / "test.csv", tmp_path / "model", tmp_path / "scored.csv")
    scored = pd.read_csv(tmp_path / "scored.csv", keep_default_na=False).assign(kind=test["label_kind"])
    for kind in ("cash back", "off-topic ad"):
        flagged = scored[(scored["kind"] == kind) & (scored["fake_probability"] >= 0.5)]
        wording = [r["text"] for rs in flagged["reasons"].map(json.loads) for r in rs if r["code"] == "fake_wording"]
        assert len(flagged) >= 0.9 * (scored["kind"] == kind).sum() and len(wording) == len(flagged)
        assert all(f"; worded most like the {kind} ones (" in w for w in wording), wording[:3]


def test_a_model_without_kinds_is_the_one_it_was():
    train = planted("vi", 300, seed=8)
    plain = ReviewTextModel().fit(train["text"], train["label"])
    no_kind_given = ReviewTextModel().fit(train["text"], train["label"], np.full(len(train), ""))
    one_kind = ReviewTextModel()
    one_kind.cross_fit(train["text"], train["label"], np.where(train["label"] == 1, "spam", ""))  # one kind: nothing apart
    for other in (no_kind_given, one_kind):
        assert other.fingerprint_ == plain.fingerprint_ and other.kind_columns == []
    with pytest.raises(ValueError, match=r"give the same signal name \['text_kind_a_b'\]"):
        ReviewTextModel().cross_fit(train["text"], train["label"], np.where(train["label"] == 1, np.where(np.arange(300) % 2, "a b", "a-b"), ""))
