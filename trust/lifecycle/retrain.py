"""Retraining from the platform's own verdicts: gather labels, train a challenger per detector, judge it with the
champion on the same time-split holdout (labels decided after its training window) and on fixed regression sets, and
promote it only when the promotion rule says so (``data/model_policy.toml``); otherwise keep the champion and say why.

Labels by detector:
- reviews: analysts' verdicts on reviews (``moderation_labels``: fake_review / genuine); every other review of the
  warehouse is context (its account's, product's and shop's behaviour shapes the labelled rows' signals);
- listings: analysts' verdicts and test-buy results (``spot_checks``), a test buy overturned by an upheld appeal left out;
- complaints: analysts' complaint categories (``moderation_labels`` with entity_type complaint).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import select

from trust.db.engine import read_frame, session_scope
from trust.detect import COMPLAINT_CATEGORIES
from trust.detect.artifacts import MODEL_FILE
from trust.lifecycle.policy import Policy, load_policy
from trust.lifecycle.registry import champion, ensure_champions, load_folder, load_version, promote, record_outcome, register
from trust.settings import MODEL_DETECTORS, Settings

log = logging.getLogger(__name__)
ACTOR = "trust_retrain"
SHARED_DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"  # real data beside the checkout, never copied


def recall_at_precision(y: np.ndarray, score: np.ndarray, precision: float = 0.9) -> float | None:
    """The largest share of positives caught by a threshold whose precision is at least ``precision``."""
    from sklearn.metrics import precision_recall_curve

    if y.sum() == 0 or y.sum() == len(y):
        return None
    p, r, _ = precision_recall_curve(y, score)
    ok = p >= precision
    return round(float(r[ok].max()), 4) if ok.any() else 0.0


def _binary_metrics(y: np.ndarray, score: np.ndarray) -> dict:
    from sklearn.metrics import average_precision_score, roc_auc_score

    if len(set(y.tolist())) < 2:
        return {"rows": int(len(y)), "auc": None}
    return {"rows": int(len(y)), "positives": int(y.sum()), "auc": round(float(roc_auc_score(y, score)), 4),
            "ap": round(float(average_precision_score(y, score)), 4), "recall_at_precision_0.9": recall_at_precision(y, score)}


# --- per detector: labels, training, scoring ------------------------------------------------------------------------


@dataclass
class Labelled:
    rows: pd.DataFrame  # training-file columns + label + labelled_at + label_source (reviews: unlabelled rows are context)
    context: pd.DataFrame | None = None  # listings: the whole catalogue (the market the model is fitted against)

    def labelled(self) -> pd.Series:
        return self.rows["label"].notna() & self.rows["label"].astype(str).ne("")

    def counts(self, mask: np.ndarray) -> dict:
        part = self.rows[mask & self.labelled().to_numpy()]
        return {str(source): {str(k): int(v) for k, v in group["label"].astype(str).value_counts().items()}
                for source, group in part.groupby("label_source")}


class ReviewsSpec:
    detector, metric = "reviews", "auc"
    columns = ["review_id", "reviewer_id", "product_id", "merchant_id", "rating", "created_at", "reviewer_registered_at",
               "has_order", "order_created_at", "text"]

    def gather(self, settings: Settings, policy: Policy) -> Labelled:
        from trust.db.tables import ModerationLabel
        from trust.detect.reviews.stage import load_reviews

        with session_scope(settings.db_url) as session:
            reviews = load_reviews(session, dt.date(1970, 1, 1), dt.date(2100, 1, 1))
            labels = read_frame(session, select(ModerationLabel.entity_id, ModerationLabel.label, ModerationLabel.decided_at)
                                .where(ModerationLabel.entity_type == "review", ModerationLabel.label.in_(["fake_review", "genuine"])))
        latest = labels.sort_values("decided_at").drop_duplicates("entity_id", keep="last").set_index("entity_id")
        rows = reviews[self.columns].copy()
        rows["label"] = rows["review_id"].map(latest["label"].map({"fake_review": "1", "genuine": "0"}))
        rows["labelled_at"] = pd.to_datetime(rows["review_id"].map(latest["decided_at"]))
        rows["label_source"] = np.where(rows["label"].notna(), "analyst", None)
        return Labelled(rows)

    def __init__(self):
        self._scorers: dict[int, object] = {}  # the warehouse's signals, computed once per retrain for every use

    def train(self, data: Labelled, train: np.ndarray, folder: Path, workdir: Path) -> dict:
        """Fit on the training labels with every other review as context, from the signals computed once; the
        time-split holdout is the evaluation (no second, stratified fit as `trust reviews train` makes)."""
        from trust.detect.reviews.model import FakeReviewDetector, save_model

        signals = self.scorer(data.rows).signals
        y = data.rows["label"].to_numpy()[train].astype(int)
        model = FakeReviewDetector().fit(signals[train], y)
        facts = {"rows": int(train.sum()), "fake": int(y.sum()), "context_rows": int((~train).sum())}
        save_model(model, folder, {"purpose": "Probability that a review is fake (bought or templated), with reasons.",
                                   "training_data": {"source": "the warehouse's reviews and analysts' verdicts (trust_retrain)", **facts},
                                   "metrics": {}})
        return {"mode": model.mode_, **facts}

    def scorer(self, frame: pd.DataFrame):
        """Scores every row of ``frame`` with any model (the signals are computed once per frame)."""
        if id(frame) in self._scorers:
            return self._scorers[id(frame)][1]
        from trust.detect.reviews.signals import review_signals

        signals, _ = review_signals(frame[[c for c in self.columns if c in frame]])

        def score(model) -> np.ndarray:
            return model.predict_proba(model.with_text_signals(signals))[:, 1]
        score.signals = signals
        if len(self._scorers) >= 2:  # the warehouse's frame and a regression set's at most
            self._scorers.pop(next(iter(self._scorers)))
        self._scorers[id(frame)] = (frame, score)  # the frame is kept alive with its id
        return score

    def judge(self, data: Labelled, holdout: np.ndarray, models: dict) -> dict:
        score = self.scorer(data.rows)
        y = data.rows["label"].to_numpy()[holdout].astype(int)
        return {name: _binary_metrics(y, score(model)[holdout]) for name, model in models.items()}

    def regression(self, policy: Policy, models: dict, workdir: Path) -> dict:
        spec = policy.regression.get(self.detector, {}).get("generated")
        if not spec:
            return {}
        from trust.detect.reviews.evaluation import labeled_reviews
        from trust.synth.generator import SynthConfig, generate_marketplace

        root = workdir.parent / f"regression-reviews-{spec['seed']}-{spec['merchants']}x{spec['days']}"
        if not (root / "truth" / "reviews.csv").exists():
            generate_marketplace(SynthConfig(merchants=int(spec["merchants"]), days=int(spec["days"]), seed=int(spec["seed"]), out=root))
        frame = labeled_reviews(root)
        score = self.scorer(frame)
        name = f"generated seed {spec['seed']} ({spec['merchants']} merchants x {spec['days']} days)"
        return {name: {model_name: _binary_metrics(frame["label"].to_numpy(), score(model)) for model_name, model in models.items()}}

    def profile(self, data: Labelled, train: np.ndarray, model) -> dict:
        """Drift reference: the warehouse's reviews (labelled and context: what the model learnt from) and their scores."""
        from trust.detect.reviews.stage import FLAG_AT
        from trust.lifecycle.drift import profile_of

        score = self.scorer(data.rows)(model)
        return profile_of(self.detector, data.rows, model, scored=(score, float((score >= FLAG_AT).mean())))


class ListingsSpec:
    detector, metric = "listings", "auc"

    @staticmethod
    def classes(labels: pd.Series) -> pd.Series:
        from trust.detect.listings.files import is_problem

        return pd.Series(np.where(is_problem(labels), "problem", "ok"), index=labels.index)

    def gather(self, settings: Settings, policy: Policy) -> Labelled:
        from trust.detect.listings.files import listing_labels

        rows, catalogue = listing_labels(settings)
        rows["labelled_at"] = pd.to_datetime(rows.pop("decided_at"))
        return Labelled(rows, catalogue)

    def train(self, data: Labelled, train: np.ndarray, folder: Path, workdir: Path) -> dict:
        from trust.detect.listings.files import LISTING_TRAINING_COLUMNS, train_listings

        path = workdir / "listings_train.csv"
        data.rows.loc[train, LISTING_TRAINING_COLUMNS].to_csv(path, index=False)
        return train_listings(path, folder, context_listings=data.context)

    def after_training(self, policy: Policy, folder: Path) -> dict | None:
        """A listing challenger flags where the shipped model does: at the threshold chosen by the same rule."""
        from trust.detect.listings.files import choose_listing_threshold

        files = policy.regression.get(self.detector, {}).get("files") or []
        return choose_listing_threshold(list(files), folder) if files else None

    def judge(self, data: Labelled, holdout: np.ndarray, models: dict) -> dict:
        from trust.detect.listings.knowledge import assess_listings
        from trust.detect.listings.model import ListingContext, flag_threshold, listing_signals
        from trust.detect.listings.files import is_problem

        rows = data.rows[holdout].reset_index(drop=True)
        signals = listing_signals(rows, ListingContext.fit(data.context))
        y = is_problem(rows["label"]).astype(int)
        out = {}
        for name, model in models.items():
            kinds, _, _ = assess_listings(model, rows, signals, flag_threshold(model))
            out[name] = _binary_metrics(y, 1 - kinds[:, 0])
        return out

    def regression(self, policy: Policy, models: dict, workdir: Path) -> dict:
        from sklearn.metrics import roc_auc_score

        from trust.detect.listings.files import is_problem, listing_problem_probability

        out = {}
        for path in policy.regression.get(self.detector, {}).get("files", []):
            out[path.name] = {}
            for name, model in models.items():
                _, listings, probability = listing_problem_probability(path, Path("unused"), model)
                bad = is_problem(listings["label"])
                out[path.name][name] = {"rows": int(len(bad)), "auc": round(float(roc_auc_score(bad, probability)), 4),
                                        "recall_at_precision_0.9": recall_at_precision(bad.astype(int), probability)}
        return out

    def profile(self, data: Labelled, train: np.ndarray, model) -> dict:
        from trust.lifecycle.drift import profile_of

        return profile_of(self.detector, data.context, model)  # the catalogue the model is fitted against


class ComplaintsSpec:
    detector, metric = "complaints", "macro_f1"

    def gather(self, settings: Settings, policy: Policy) -> Labelled:
        from trust.db.tables import Complaint, ModerationLabel

        with session_scope(settings.db_url) as session:
            rows = read_frame(session, select(Complaint.complaint_id, Complaint.merchant_id, Complaint.text, ModerationLabel.label,
                                              ModerationLabel.decided_at.label("labelled_at"))
                              .join(ModerationLabel, ModerationLabel.entity_id == Complaint.complaint_id)
                              .where(ModerationLabel.entity_type == "complaint", ModerationLabel.label.in_(COMPLAINT_CATEGORIES)))
        rows = rows.sort_values("labelled_at").drop_duplicates("complaint_id", keep="last").reset_index(drop=True)
        rows["labelled_at"] = pd.to_datetime(rows["labelled_at"])
        return Labelled(pd.concat([rows.assign(label_source="analyst"), *self.seed_rows(policy.seed.get(self.detector, {}))], ignore_index=True))

    @staticmethod
    def seed_rows(seed: dict) -> list[pd.DataFrame]:
        """The seed complaints, decided before any window (always training rows)."""
        from trust.detect.complaints.evaluation import REAL_COMPLAINT_TRAINING, read_real_complaints
        from trust.detect.listings.evaluation import grammar_complaints

        out, before = [], pd.Timestamp("1970-01-01")
        if seed.get("grammar_per_category"):
            out.append(grammar_complaints(int(seed["grammar_per_category"]), seed=7).assign(label_source="seed:grammar", labelled_at=before))
        real = SHARED_DATASETS / "online_shopping_10_cats"
        if seed.get("real_labels") and (real / "online_shopping_10_cats.csv").exists():
            frame = read_real_complaints(real, REAL_COMPLAINT_TRAINING)
            frame = frame[frame["category"] != "none"]
            out.append(pd.DataFrame({"complaint_id": [f"REAL{r}" for r in frame["row"]], "text": frame["text"].to_numpy(),
                                     "label": frame["category"].to_numpy(), "label_source": "seed:real", "labelled_at": before}))
        return out

    def train(self, data: Labelled, train: np.ndarray, folder: Path, workdir: Path) -> dict:
        from trust.detect.complaints.files import train_complaints

        path = workdir / "complaints_train.csv"
        data.rows.loc[train, ["complaint_id", "merchant_id", "text", "label"]].to_csv(path, index=False)
        return train_complaints(path, folder)

    @staticmethod
    def _f1(truth: np.ndarray, predicted: np.ndarray) -> dict:
        from sklearn.metrics import accuracy_score, f1_score

        labels = sorted(set(truth.tolist()))
        return {"rows": int(len(truth)), "macro_f1": round(float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)), 4),
                "accuracy": round(float(accuracy_score(truth, predicted)), 4)}

    def judge(self, data: Labelled, holdout: np.ndarray, models: dict) -> dict:
        rows = data.rows[holdout]
        return {name: self._f1(rows["label"].to_numpy(), np.asarray(model.predict(rows["text"].tolist()))) for name, model in models.items()}

    def regression(self, policy: Policy, models: dict, workdir: Path) -> dict:
        from trust.detect.complaints.files import read_complaint_csv

        spec = policy.regression.get(self.detector, {})
        sets = {path.name: read_complaint_csv(path, need_label=True) for path in spec.get("files", [])}
        if spec.get("real_sample"):
            from trust.detect.complaints.evaluation import read_real_complaints

            real = SHARED_DATASETS / "online_shopping_10_cats"
            if (real / "online_shopping_10_cats.csv").exists():
                frame = read_real_complaints(real)
                sets["online_shopping_10_cats (real, hand-labelled)"] = frame[frame["category"] != "none"].rename(columns={"category": "label"})
        return {name: {model_name: self._f1(frame["label"].to_numpy(), np.asarray(model.predict(frame["text"].tolist())))
                       for model_name, model in models.items()} for name, frame in sets.items()}

    def profile(self, data: Labelled, train: np.ndarray, model) -> dict:
        from trust.lifecycle.drift import profile_of

        return profile_of(self.detector, data.rows[train], model)


SPECS = {spec.detector: spec for spec in (ReviewsSpec(), ListingsSpec(), ComplaintsSpec())}


# --- the promotion rule --------------------------------------------------------------------------------------------


def decide(metric: str, holdout: dict, regression: dict, policy: Policy, enough: bool, why_not_enough: str) -> tuple[bool, list[str]]:
    """(promote?, the reasons in words). Better on the newer labels by the margin, worse on no regression set beyond
    the tolerance; too few newer labels is no verdict."""
    if not enough:
        return False, [why_not_enough]
    reasons, promote_it = [], True
    champ, chall = holdout["champion"].get(metric), holdout["challenger"].get(metric)
    if champ is None or chall is None:
        return False, [f"the holdout cannot measure {metric} (one class only)"]
    gain = chall - champ
    if gain >= policy.margin:
        reasons.append(f"holdout {metric} {chall:.4f} vs champion {champ:.4f}: better by {gain:+.4f} (margin {policy.margin})")
    else:
        promote_it = False
        reasons.append(f"holdout {metric} {chall:.4f} vs champion {champ:.4f}: {gain:+.4f}, not better by the margin {policy.margin}")
    for name, result in regression.items():
        before, after = result["champion"].get(metric), result["challenger"].get(metric)
        if before is None or after is None:
            continue
        if after < before - policy.tolerance:
            promote_it = False
            reasons.append(f"regression set {name}: {metric} {after:.4f} vs champion {before:.4f}, worse by more than the tolerance {policy.tolerance}")
        else:
            reasons.append(f"regression set {name}: {metric} {after:.4f} vs champion {before:.4f} (within tolerance {policy.tolerance})")
    return promote_it, reasons


def _enough(spec, data: Labelled, holdout: np.ndarray, train: np.ndarray, policy: Policy) -> tuple[bool, str]:
    labels = data.rows["label"].astype(str)
    if hasattr(spec, "classes"):  # judged as the metric sees them (listings: problem or not)
        labels = spec.classes(labels)
    held, trained = labels[holdout], labels[train]
    if len(held) < policy.min_holdout_rows:
        return False, f"only {len(held)} labels decided in the last {policy.holdout_days} days (at least {policy.min_holdout_rows} needed): no verdict, champion kept"
    counts = held.value_counts()
    if len(counts) < 2 or (spec.metric == "auc" and counts.min() < policy.min_per_class):
        return False, f"the newer labels have too few of a class ({counts.to_dict()}; at least {policy.min_per_class} each): no verdict, champion kept"
    if trained.nunique() < 2:
        return False, f"the training labels hold one class only ({trained.value_counts().to_dict()}): no challenger"
    return True, ""


def retrain_detector(settings: Settings, detector: str, as_of: dt.date, policy: Policy | None = None,
                     apply_rule: bool = True, actor: str = ACTOR, label_transform=None) -> dict:
    """Train a challenger for one detector from the warehouse's labels decided up to ``as_of``, judge it against the
    champion, register it, and (with ``apply_rule``) promote it when the rule says so. ``label_transform`` changes the
    gathered labels before training (tests corrupt them with it)."""
    policy = policy or load_policy()
    spec = SPECS[detector]
    ensure_champions(settings)
    with session_scope(settings.db_url) as session:
        current = champion(session, detector)
        champion_version = current.version if current else None
    if champion_version is None:
        raise ValueError(f"{detector} runs in rules mode (TRUST_RULES_MODE): there is no champion to challenge")
    data = spec.gather(settings, policy)
    decided = data.labelled().to_numpy() & (data.rows["labelled_at"] < pd.Timestamp(as_of + dt.timedelta(days=1))).to_numpy()
    cut = pd.Timestamp(as_of - dt.timedelta(days=policy.holdout_days - 1))
    holdout = decided & (data.rows["labelled_at"] >= cut).to_numpy()
    train = decided & ~holdout
    result = {"detector": detector, "as_of": as_of.isoformat(), "champion": champion_version,
              "labels": {"training": data.counts(train), "holdout": data.counts(holdout)},
              "holdout_from": cut.date().isoformat()}
    seed = data.rows["label_source"].astype(str).str.startswith("seed").to_numpy()
    if not (decided & ~seed).any():
        return {**result, "decision": "kept", "why": [f"no labels from the platform up to {as_of}: nothing new to learn from"]}
    if not (train & ~seed).any():
        return {**result, "decision": "kept", "why": [f"no labels from the platform decided before {cut.date()}: nothing to train on"]}
    if label_transform is not None:
        data.rows.loc[train, "label"] = label_transform(data.rows.loc[train, "label"])
    workdir = settings.data_dir / "retrain" / f"{detector}-{as_of.isoformat()}"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    folder = workdir / "challenger"
    enough, why_not = _enough(spec, data, holdout, train, policy)
    if data.rows.loc[train, "label"].astype(str).nunique() < 2:
        return {**result, "decision": "kept", "why": [why_not or "the training labels hold one class only: no challenger"]}
    trained = spec.train(data, train, folder, workdir)
    threshold = spec.after_training(policy, folder) if hasattr(spec, "after_training") else None
    models = {"champion": load_version(settings, detector, champion_version), "challenger": load_folder(detector, folder)}
    holdout_metrics = spec.judge(data, holdout, models) if holdout.any() else {"champion": {}, "challenger": {}}
    regression = spec.regression(policy, models, workdir)
    promote_it, reasons = decide(spec.metric, holdout_metrics, regression, policy, enough and holdout.any(), why_not or "no newer labels")
    labelled_at = data.rows.loc[train & ~seed, "labelled_at"]
    metrics = {"metric": spec.metric, "holdout": {"from": cut.date().isoformat(), "to": as_of.isoformat(), **holdout_metrics},
               "regression": regression, "training": {k: v for k, v in trained.items() if k not in ("model",)},
               "threshold": threshold, "policy": {"margin": policy.margin, "tolerance": policy.tolerance, "file": policy.source},
               "decision": {"promote": promote_it, "reasons": reasons, "rule_applied": apply_rule}}
    from trust.lifecycle.store import content_version

    if content_version(folder / MODEL_FILE) == champion_version:  # the same labels made the same model
        return {**result, "challenger": champion_version, "decision": "kept",
                "why": ["the challenger is the champion itself (the same artifact, byte for byte): nothing to decide"]}
    profile = spec.profile(data, train, models["challenger"])
    with session_scope(settings.db_url) as session:
        record = register(session, settings, detector, folder, status="challenger", trained_by=f"{actor} (labels up to {as_of})",
                          window=(labelled_at.min().date(), labelled_at.max().date()) if len(labelled_at) else (None, None),
                          label_counts=data.counts(train),
                          metrics=metrics, profile=profile)
        version = record.version
        if apply_rule and not promote_it:
            record_outcome(session, record, "refused", "; ".join(reasons), metrics)
    decision = "kept" if not promote_it else ("promoted" if apply_rule else "would promote")
    if apply_rule and promote_it:
        promote(settings, detector, version, actor, "; ".join(reasons))
    log.info("%s: challenger %s %s (%s)", detector, version, decision, "; ".join(reasons))
    return {**result, "challenger": version, "decision": decision, "why": reasons, "holdout": holdout_metrics,
            "regression": regression}


def retrain_all(settings: Settings, as_of: dt.date, detectors: tuple[str, ...] | None = None, policy: Policy | None = None) -> dict:
    """Every detector with a model that is not in rules mode; the decisions also written to reports/models/<date>.json."""
    policy = policy or load_policy()
    chosen = [d for d in (detectors or MODEL_DETECTORS) if d not in settings.rules_mode]
    results = {d: retrain_detector(settings, d, as_of, policy) for d in chosen}
    out = write_decisions(settings, as_of.isoformat(), results)
    return {"as_of": as_of.isoformat(), "decisions": {d: r["decision"] for d, r in results.items()}, "report": str(out),
            "results": results}


def write_decisions(settings: Settings, as_of: str, results: dict) -> Path:
    """The retraining's decisions, where analysts read them: ``reports/models/<as_of>.json``."""
    out = settings.reports_dir / "models" / f"{as_of}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    return out
