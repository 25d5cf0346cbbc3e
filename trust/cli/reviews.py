"""``trust reviews …``: the fake-review detector on any CSV of reviews (logic in ``trust.detect.reviews.files``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trust.cli.common import _settings, print_json

reviews_app = typer.Typer(help="The fake-review detector on any CSV of reviews.", no_args_is_help=True)


@reviews_app.command("train")
def reviews_train(
    input: Annotated[Path, typer.Option("--input", help="CSV with text, label (1 = fake) and optional columns")],
    model: Annotated[Path, typer.Option("--model", help="Folder to write the model and its card to")],
) -> None:
    """Train the fake-review detector on a labeled CSV; prints the held-out AUC/AP as JSON."""
    from trust.detect.reviews.files import train_from_csv

    print_json(train_from_csv(input, model))


@reviews_app.command("export-labels")
def reviews_export_labels(
    output: Annotated[Path, typer.Option("--output", help="CSV to write (the input of `trust reviews train`)")],
) -> None:
    """The warehouse's reviews with the analysts' verdicts as labels (unlabelled rows kept as context)."""
    from trust.detect.reviews.files import export_review_labels

    print_json(export_review_labels(_settings(), output))


@reviews_app.command("train-synth")
def reviews_train_synth(
    model: Annotated[Path, typer.Option("--model", help="Folder to write the model and its card to")] = Path("models/reviews"),
    merchants: Annotated[int, typer.Option(help="Merchants in the generated training marketplace")] = 600,
    days: Annotated[int, typer.Option(help="Days of data")] = 45,
    seed: Annotated[int, typer.Option(help="Training seed (evaluations use others)")] = 7,
    workdir: Annotated[Path, typer.Option(help="Scratch folder")] = Path("var/train-reviews"),
) -> None:
    """Rebuild the shipped review model from a generated marketplace's ground truth, then evaluate it on a held-out seed."""
    import shutil

    from trust.detect.reviews.evaluation import REVIEW_LIMITATIONS, REVIEW_REAL_DATA, evaluate_reviews, train_shipped_review_model

    shutil.rmtree(workdir, ignore_errors=True)
    trained = train_shipped_review_model(workdir / "train", model, merchants=merchants, days=days, seed=seed)
    print_json(trained)
    evaluation = evaluate_reviews(workdir / "eval", model)
    print_json(evaluation)
    from trust.detect.artifacts import annotate_card

    annotate_card(model, training_data={"generator": "trust synth", "seed": seed, "merchants": merchants, "days": days,
                                        "rows": trained["rows"], "fake": trained["fake"]},
                  metrics={"holdout_same_seed": {k: trained.get(k) for k in ("auc", "ap")}, "held_out_seed_later_days": evaluation,
                           **REVIEW_REAL_DATA},
                  limitations=REVIEW_LIMITATIONS)


@reviews_app.command("score")
def reviews_score(
    input: Annotated[Path, typer.Option("--input", help="CSV with text and optional columns")],
    model: Annotated[Path, typer.Option("--model", help="Folder of a trained model")],
    output: Annotated[Path, typer.Option("--output", help="CSV to write: the input plus fake_probability and reasons")],
) -> None:
    """Score a CSV of reviews: adds fake_probability and reasons (JSON list of {code, text})."""
    from trust.detect.reviews.files import score_csv

    print_json(score_csv(input, model, output))
