"""The listing and complaint models on generated marketplaces: labelled listings and complaints of a marketplace, the
training of the models shipped in ``models/listings`` and ``models/complaints`` (seed 7, standard wording) and their
evaluation on a held-out seed with shifted vocabulary."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from trust.settings import SHIPPED_DATA
from trust.detect.complaints.evaluation import (REAL_COMPLAINT_LABELS, REAL_COMPLAINT_TRAINING, read_real_complaints,
                                               real_review_corpus)
from trust.synth.generator import SynthConfig, generate_marketplace
from trust.synth.text import COMPLAINT_SENTENCES
from trust.synth.truth import read_landing, top_share_metrics


def labeled_listings(root: Path) -> pd.DataFrame:
    """A generated marketplace's listings with ``label`` (ok / counterfeit / false_advertising from the planted kind)."""
    listings = read_landing(root, "listings").drop_duplicates("listing_id")
    truth = pd.read_csv(root / "truth" / "listings.csv", dtype=str).drop_duplicates("listing_id").set_index("listing_id")["kind"]
    kind = listings["listing_id"].map(truth).fillna("generic")
    listings["label"] = kind.map({"counterfeit": "counterfeit", "false_claim": "false_advertising"}).fillna("ok")
    listings["price"] = pd.to_numeric(listings["price"], errors="coerce")
    return listings.reset_index(drop=True)


def listing_events(root: Path) -> pd.DataFrame:
    """What a platform observes about listings: failed test buys, takedowns (analysts' labels) and complaints whose
    text the complaint classifier files as counterfeit. One row per event: listing_id, merchant_id, event."""
    from trust.detect.complaints.stage import classifier

    checks = read_landing(root, "spot_checks", ["listing_id", "merchant_id", "result"])
    failed = checks[checks["result"] != "pass"].assign(event="failed_check")
    labels = read_landing(root, "moderation_labels", ["entity_type", "entity_id", "label"])
    taken = labels[(labels["entity_type"] == "listing") & labels["label"].isin(["counterfeit", "false_advertising"])]
    listings = read_landing(root, "listings", ["listing_id", "merchant_id"]).drop_duplicates("listing_id").set_index("listing_id")["merchant_id"]
    taken = pd.DataFrame({"listing_id": taken["entity_id"], "merchant_id": taken["entity_id"].map(listings), "event": "takedown"})
    complaints = read_landing(root, "complaints", ["listing_id", "merchant_id", "text"])
    category = classifier().predict(complaints["text"].tolist())
    fake = complaints[category == "counterfeit"].assign(event="counterfeit_complaint")
    columns = ["listing_id", "merchant_id", "event"]
    return pd.concat([failed[columns], taken[columns], fake[columns]], ignore_index=True).dropna(subset=["listing_id"])


def listings_with_seller_history(root: Path) -> pd.DataFrame:
    """Labelled listings with each seller's record on its *other* listings, as the CSV columns of ``trust listings``."""
    listings = labeled_listings(root)
    events = listing_events(root)
    from trust.detect.listings.model import SELLER_COLUMNS, seller_record

    listings[SELLER_COLUMNS] = seller_record(listings, events)
    return listings


def labeled_complaints(root: Path) -> pd.DataFrame:
    complaints = read_landing(root, "complaints", ["complaint_id", "merchant_id", "listing_id", "text"]).drop_duplicates("complaint_id")
    truth = pd.read_csv(root / "truth" / "complaints.csv", dtype=str).drop_duplicates("complaint_id").set_index("complaint_id")["category"]
    complaints["label"] = complaints["complaint_id"].map(truth)
    return complaints.dropna(subset=["label"]).reset_index(drop=True)


COMPLAINT_SUPPLEMENT = 300  # grammar complaints per category added to the shipped complaint model's training data


def grammar_complaints(per_category: int, seed: int) -> pd.DataFrame:
    """``per_category`` complaints of every category in the generator's standard (training) wording, labelled."""
    from trust.detect import COMPLAINT_CATEGORIES
    from trust.synth.text import complaint_texts

    labels = [c for c in COMPLAINT_CATEGORIES for _ in range(per_category)]
    texts = complaint_texts(np.random.default_rng(seed), labels, vocabulary="standard")
    return pd.DataFrame({"complaint_id": [f"GRAMMAR{i:06d}" for i in range(len(labels))], "text": texts, "label": labels})


# The first two held-out complaint wordings became development sets (looked at while the model was designed); the
# shipped model then learns from them too, each sentence three times, as freely written wording beside the grammar's.
# The third (heldout3) stays out: it is the test.
DEVELOPMENT_WORDINGS = ("heldout", "heldout2")


DEVELOPMENT_REPEATS = 3


def development_complaints() -> pd.DataFrame:
    rows = [(text, category) for name in DEVELOPMENT_WORDINGS for category, sentences in COMPLAINT_SENTENCES[name].items()
            for text in sentences] * DEVELOPMENT_REPEATS
    return pd.DataFrame({"complaint_id": [f"WRITTEN{i:05d}" for i in range(len(rows))], "text": [t for t, _ in rows],
                         "label": [c for _, c in rows]})


def train_shipped_moderation_models(workdir: Path, models_dir: Path, merchants: int = 600, days: int = 30, seed: int = 7,
                                    real_reviews: Path | None = None) -> dict:
    """Train models/listings and models/complaints on a generated marketplace (standard vocabulary, seed 7) through the
    same CSV paths users have. With ``real_reviews`` (the online_shopping_10_cats folder or CSV) the complaint model also
    learns from the hand-labelled training reviews of data/train and reads word vectors learnt from every review of
    that file except the evaluation rows (data/eval)."""
    from trust.detect.artifacts import annotate_card
    from trust.detect.complaints.files import train_complaints
    from trust.detect.listings.files import choose_listing_threshold, train_listings

    generate_marketplace(SynthConfig(merchants=merchants, days=days, seed=seed, out=workdir))
    listings_csv, complaints_csv = workdir / "labeled_listings.csv", workdir / "labeled_complaints.csv"
    listings_with_seller_history(workdir).to_csv(listings_csv, index=False)
    complaints = labeled_complaints(workdir)[["complaint_id", "merchant_id", "listing_id", "text", "label"]]
    # The marketplace's complaints are skewed (a handful of reseller recruitment); a balanced draw from the same
    # grammar gives every category as many wordings to learn from.
    parts = [complaints, grammar_complaints(COMPLAINT_SUPPLEMENT, seed), development_complaints()]
    corpus = None
    if real_reviews is not None:
        labelled = read_real_complaints(real_reviews, REAL_COMPLAINT_TRAINING)
        labelled = labelled[labelled["category"] != "none"]
        parts.append(pd.DataFrame({"complaint_id": "REVIEW" + labelled["row"].astype(str), "text": labelled["text"], "label": labelled["category"]}))
        corpus = real_review_corpus(real_reviews)
    pd.concat(parts, ignore_index=True).to_csv(complaints_csv, index=False)
    source = f"{real_reviews}: every review except the {REAL_COMPLAINT_LABELS.name} evaluation rows" if corpus else None
    listings = train_listings(listings_csv, models_dir / "listings")
    listings["threshold"] = choose_listing_threshold(LISTING_DEVELOPMENT, models_dir / "listings")  # both dev sets
    annotate_card(models_dir / "listings", knowledge=listing_knowledge_card())
    return {"listings": listings, "complaints": train_complaints(complaints_csv, models_dir / "complaints", corpus, source)}


LISTING_DEVELOPMENT = [SHIPPED_DATA / "eval" / "listings_dev.csv", SHIPPED_DATA / "eval" / "listings_dev2.csv"]


LISTING_LIMITS = (" The knowledge laid over the model (cue file, impossible specifications, brand catalogue) and the flag "
                  "threshold were tuned on data/eval/listings_dev.csv and listings_dev2.csv (152 and 107 listings written by "
                  "the same team as that knowledge, each before the round of work it served): the figures in the Threshold "
                  "section are optimistic (listings_dev2 scored AUC 0.83 before its round, 0.98 after). The clean figure is the "
                  "held-out data/eval/listings_handwritten.csv, looked at only after documented changes (README, "
                  "'Listing moderation on real-style listings'). Brand price floors are team knowledge, not re-checked "
                  "online, and age: a genuine sale below a floor is flagged for review, not blocked.")


def listing_knowledge_card() -> dict:
    """What the listing model's card says about the knowledge every path lays over it."""
    from trust.detect.listings.brands import CATALOGUE, shipped_catalogue
    from trust.detect.listings.knowledge import CUES, shipped_cues

    catalogue = shipped_catalogue()
    version = next((line.split("Version:")[1].split()[0].rstrip(".") for line in CATALOGUE.read_text(encoding="utf-8").splitlines()
                    if "Version:" in line), "unversioned")
    return {"how": "P(problem) is at least the knowledge's (noisy-OR of its evidence within a kind); its reasons come first. "
                   "Applied by the nightly stage, trust listings check, the API check, trust listings score and trust eval listings.",
            "brand_catalogue": {"file": str(CATALOGUE.relative_to(SHIPPED_DATA.parent)), "version": version,
                                "brands": catalogue.brands, "rows": int(len(catalogue.rows))},
            "cues": {"file": str(CUES.relative_to(SHIPPED_DATA.parent)),
                     "families": {f.name: {"kind": f.kind, "weight": f.weight} for f in shipped_cues()}},
            "impossible_specifications": "storage per TB, power-bank mAh, portable speaker watts, projector 8K/lumens, "
                                         "gold and silver per gram, 18K gold, cashmere, silk, jade (trust/detect/listings/knowledge.py)"}


def evaluate_moderation(workdir: Path, models_dir: Path, merchants: int = 600, days: int = 30, seed: int = 303,
                        vocabulary: str = "shifted", budget: int = 50) -> dict:
    """The shipped listing and complaint models on a held-out seed with shifted vocabulary (slang, claims, brands and
    complaint wording absent from data/): listing AUC and precision/recall at the analysts' budget (top 1%/5%),
    complaint macro-F1 per category, and the test-buy planner's catches against random test buys at the same budget."""
    from sklearn.metrics import average_precision_score, classification_report, f1_score, roc_auc_score

    from trust.detect.complaints.model import ComplaintClassifier, load_complaint_model
    from trust.detect.listings.knowledge import assess_listings
    from trust.detect.listings.model import ListingContext, ListingDetector, flag_threshold, listing_signals, load_listing_model
    from trust.detect.listings.files import threshold_sweep
    from trust.planner import catch_rate

    generate_marketplace(SynthConfig(merchants=merchants, days=days, seed=seed, out=workdir, vocabulary=vocabulary))
    listings = labeled_listings(workdir)
    events = listing_events(workdir)
    signals = listing_signals(listings, ListingContext.fit(listings, events), events)
    bad = (listings["label"] != "ok").to_numpy()
    result: dict = {"dataset": f"generated marketplace seed {seed}, {vocabulary} vocabulary, {merchants} merchants x {days} days",
                    "listings": int(len(listings)), "problem_listings": int(bad.sum())}
    trained = load_listing_model(models_dir / "listings")
    for name, model in (("listing_model", trained), ("listing_model_without_knowledge", trained), ("listing_rules", ListingDetector().fit(None))):
        if name == "listing_model":  # as the nightly stage scores: the model with the knowledge laid over it
            score = 1 - assess_listings(model, listings, signals, flag_threshold(model))[0][:, 0]
        else:
            score = model.predict_proba(signals)[:, 1]
        result[name] = {"auc": round(float(roc_auc_score(bad, score)), 4), "ap": round(float(average_precision_score(bad, score)), 4),
                        "top_1pct": top_share_metrics(score, bad.astype(int), 0.01), "top_5pct": top_share_metrics(score, bad.astype(int), 0.05)}
        if name == "listing_model":
            at = threshold_sweep(bad, score, (flag_threshold(model),))[0]
            result[name]["at_threshold"] = at
        for kind in ("counterfeit", "false_advertising"):
            mask = (listings["label"].isin([kind, "ok"])).to_numpy()
            result[name][f"auc_{kind}"] = round(float(roc_auc_score(listings["label"][mask] == kind, score[mask])), 4)
        if name == "listing_model":
            result["planner"] = catch_rate(score, bad, budget)
    complaints = labeled_complaints(workdir)
    pool = COMPLAINT_SENTENCES.get(vocabulary)
    for name, model in (("complaint_model", load_complaint_model(models_dir / "complaints")), ("complaint_keywords", ComplaintClassifier().fit([]))):
        predicted = model.predict(complaints["text"].tolist())
        report = classification_report(complaints["label"], predicted, output_dict=True, zero_division=0)
        result[name] = {"macro_f1": round(float(f1_score(complaints["label"], predicted, average="macro")), 4),
                        "f1_per_category": {c: round(report[c]["f1-score"], 4) for c in sorted(set(complaints["label"]))}}
        if pool is not None:  # the marketplace's mix is skewed (few reseller complaints): every sentence once, too
            labels = [c for c, sentences in pool.items() for _ in sentences]
            predicted = model.predict([s for sentences in pool.values() for s in sentences])
            result[name]["each_sentence_once"] = {"sentences": len(labels), "macro_f1": round(float(f1_score(labels, predicted, average="macro")), 4),
                                                  "accuracy": round(float(np.mean(predicted == np.array(labels))), 4)}
    return result
