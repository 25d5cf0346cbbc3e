"""The synthetic marketplace: deterministic, complete, truth kept apart, misconduct planted."""

import hashlib
import itertools
import re

import numpy as np
import pandas as pd
import pytest

from trust.ingest.contracts import CONTRACTS, ENTITY_ORDER
from trust.synth.generator import SynthConfig, generate_marketplace
from trust.text import normalize_text


def digest(root):
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def test_same_seed_gives_identical_files_and_another_seed_does_not(tmp_path):
    make = lambda seed, name: generate_marketplace(SynthConfig(merchants=130, days=3, seed=seed, out=tmp_path / name))
    make(5, "a"), make(5, "b"), make(6, "c")
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_every_entity_has_a_file_every_day_with_its_contract_columns(marketplace):
    for entity in ENTITY_ORDER:
        days = sorted(p.name for p in (marketplace / "landing" / entity).iterdir())
        assert len(days) == 14, entity
        header = pd.read_csv(next((marketplace / "landing" / entity / days[0]).iterdir()), nrows=0).columns
        assert list(header) == CONTRACTS[entity].columns


def test_ground_truth_stays_out_of_the_landing_data(marketplace):
    for path in (marketplace / "landing").rglob("*.csv"):
        header = path.read_text(encoding="utf-8").splitlines()[0]
        assert "profile" not in header and "is_fake" not in header and not any(c.startswith("_") for c in header.split(","))
    assert {p.name for p in (marketplace / "truth").iterdir()} >= {"merchants.csv", "reviews.csv", "listings.csv"}


def test_every_kind_of_misconduct_and_honest_shop_is_planted(marketplace):
    profiles = set(pd.read_csv(marketplace / "truth" / "merchants.csv")["profile"])
    assert profiles >= {"honest", "honest_new_small", "honest_sale_burst", "review_farm", "counterfeit", "false_ads",
                        "complaint_heavy", "pyramid", "distributor"}
    reviews = pd.read_csv(marketplace / "truth" / "reviews.csv")
    assert 0.03 < reviews["is_fake"].mean() < 0.4


def test_text_varies_and_includes_traditional_script(marketplace):
    texts = pd.concat(pd.read_csv(p)["text"] for p in (marketplace / "landing" / "reviews").rglob("*.csv"))
    genuine = texts.sample(2000, random_state=0)
    assert genuine.nunique() > 1000  # not one template
    assert texts.str.contains("質|說|優|買|這|貨|發|實|還").any()


def test_bad_configuration_is_refused(tmp_path):
    with pytest.raises(ValueError, match="merchants=5"):
        generate_marketplace(SynthConfig(merchants=5, days=2, out=tmp_path))


def test_shifted_vocabulary_uses_brands_and_slang_the_lexicon_does_not_have(tmp_path):
    from trust.detect import lexicon
    from trust.synth import text as T

    generate_marketplace(SynthConfig(merchants=150, days=2, seed=3, out=tmp_path, vocabulary="shifted"))
    listings = pd.concat(pd.read_csv(f) for f in (tmp_path / "landing" / "listings").rglob("*.csv"))
    known = {b.lower() for b in lexicon.brands()["brand"]}
    assert not set(listings["brand"].dropna().str.lower()) & known
    assert {b for b, *_ in T.SHIFTED_BRANDS} & set(listings["brand"].dropna())
    new_slang = [t for t in T.SHIFTED_COUNTERFEIT_TAGS if not lexicon.counterfeit_pattern().search(t)]
    assert len(new_slang) >= 8  # coinages the lexicon cannot know, besides spelling variants it should catch
    with pytest.raises(ValueError, match="vocabulary must be standard, shifted, heldout, heldout2, heldout3, not 'weird'"):
        generate_marketplace(SynthConfig(merchants=150, days=1, out=tmp_path / "x", vocabulary="weird"))


@pytest.mark.parametrize("vocabulary, pool_name", [("heldout", "HELDOUT_COMPLAINTS"), ("heldout2", "HELDOUT2_COMPLAINTS"),
                                                   ("heldout3", "HELDOUT3_COMPLAINTS")])
def test_heldout_vocabularies_write_complaints_in_wording_no_other_vocabulary_has(vocabulary, pool_name):
    from trust.synth import complaint_grammar as G
    from trust.synth import text as T

    pool = getattr(T, pool_name)
    rng = np.random.default_rng(1)
    categories = list(pool) * 20
    texts = T.complaint_texts(rng, categories, vocabulary=vocabulary)
    others = {s for other in (G.STATEMENTS, T.SHIFTED_COMPLAINTS, T.HELDOUT_COMPLAINTS, T.HELDOUT2_COMPLAINTS,
                             T.HELDOUT3_COMPLAINTS) if other is not pool
              for sentences in other.values() for s in sentences}
    heldout = {s for sentences in pool.values() for s in sentences}
    assert not heldout & others
    assert all(any(s in text or T.traditional(s) in text for s in pool[c]) for c, text in zip(categories, texts))


def test_training_complaints_are_composed_in_many_wordings_of_every_category():
    from trust.detect import COMPLAINT_CATEGORIES
    from trust.synth import complaint_grammar as G
    from trust.synth import text as T

    rng = np.random.default_rng(3)
    categories = [c for c in COMPLAINT_CATEGORIES for _ in range(300)]
    texts = T.complaint_texts(rng, categories, vocabulary="standard")
    for category in COMPLAINT_CATEGORIES:
        mine = [t for c, t in zip(categories, texts) if c == category]
        assert len(set(mine)) >= 200  # not a handful of sentences repeated
        # every complaint states its own category's problem (possibly after the problem an after-sales refusal was about)
        own = [canonical(normalize_text(max(re.split(r"\{[a-z]+\}", s), key=len)))[:4] for s in G.STATEMENTS[category]]
        assert all(any(o in canonical(normalize_text(t)) for o in own) for t in mine)
    assert not any("{" in t or "}" in t for t in texts)  # every slot filled


def canonical(text: str) -> str:
    """``text`` with every everyday synonym the grammar swaps written as its group's first word."""
    from trust.synth import complaint_grammar as G

    return G._SYNONYM_PATTERN.sub(lambda m: G._SYNONYM[m.group(0)][0], text)


def test_training_complaints_say_the_seller_in_several_words_and_never_contradict_themselves():
    from trust.detect import COMPLAINT_CATEGORIES
    from trust.synth import complaint_grammar as G

    rng = np.random.default_rng(4)
    texts = {c: [G.compose(rng, c) for _ in range(1500)] for c in COMPLAINT_CATEGORIES}
    every = "".join(t for pool in texts.values() for t in pool)
    assert all(every.count(word) >= 10 for word in ("商家", "卖家", "店家", "老板"))
    for aside, contradicts in G.ASIDES:
        assert sum(aside in t for c in COMPLAINT_CATEGORIES for t in texts[c]) >= 10
        assert not any(aside in t for c in contradicts for t in texts[c])  # no "发货挺快" in a complaint about delivery
    # a swap never splits a word: no two synonyms overlap anywhere in the grammar (拿到手 holds both 拿到 and 到手)
    fragments = [f for pool in (G.STATEMENTS, G.DETAILS) for v in pool.values() for f in v] + G.OPENERS + G.CLOSERS
    words = [w for group in G.SYNONYMS for w in group]
    for fragment in fragments:
        spans = [(m.start(), m.start() + len(w)) for w in words for m in re.finditer(re.escape(w), fragment)]
        assert all(a[1] <= b[0] or b[1] <= a[0] for a, b in itertools.combinations(spans, 2)), fragment
