"""``trust listings …``: listing-time checks and the listing model on any CSV (logic in ``trust.detect.listings``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from trust.cli.common import _settings, print_json

listings_app = typer.Typer(help="Listing moderation: single checks, and the model on any CSV of listings.", no_args_is_help=True)


@listings_app.command("check")
def listings_check(
    title: Annotated[str, typer.Option(help="Listing title")],
    price: Annotated[float, typer.Option(help="Price, CNY")],
    brand: Annotated[Optional[str], typer.Option(help="Brand field, if the seller filled it")] = None,
    category: Annotated[Optional[str], typer.Option(help="Category, e.g. 箱包")] = None,
    description: Annotated[Optional[str], typer.Option(help="Description")] = None,
    merchant: Annotated[Optional[str], typer.Option(help="Merchant id (brings the seller's record)")] = None,
) -> None:
    """Check one listing at listing time (上架审核): prints a JSON verdict with probability, flags and reasons."""
    from trust.detect.listings.stage import ListingChecker

    result = ListingChecker.for_settings(_settings()).check(title, price, brand, category, description, merchant)
    typer.echo(json.dumps(result, ensure_ascii=False))


@listings_app.command("train")
def listings_train(
    input: Annotated[Path, typer.Option("--input", help="CSV with title, label and optional columns")],
    model: Annotated[Path, typer.Option("--model", help="Folder to write the model and its card to")],
) -> None:
    """Train the listing model on a labeled CSV (label: 0/1 or ok/counterfeit/false_advertising)."""
    from trust.detect.listings.files import train_listings

    print_json(train_listings(input, model))


@listings_app.command("export-labels")
def listings_export_labels(
    output: Annotated[Path, typer.Option("--output", help="CSV to write (the input of `trust listings train`)")],
) -> None:
    """Analysts' verdicts and test-buy results from the warehouse as a labelled training CSV."""
    from trust.detect.listings.files import export_listing_labels

    print_json(export_listing_labels(_settings(), output))


@listings_app.command("score")
def listings_score(
    input: Annotated[Path, typer.Option("--input", help="CSV with title and optional columns")],
    model: Annotated[Path, typer.Option("--model", help="Folder of a trained model (rules if it has none)")],
    output: Annotated[Path, typer.Option("--output", help="CSV to write: the input plus problem_probability, flag, reasons")],
) -> None:
    """Score a CSV of listings."""
    from trust.detect.listings.files import score_listings_csv

    print_json(score_listings_csv(input, model, output))
