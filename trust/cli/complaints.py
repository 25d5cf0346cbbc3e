"""``trust complaints …``: the complaint classifier on any CSV (logic in ``trust.detect.complaints.files``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from trust.cli.common import print_json


complaints_app = typer.Typer(help="Complaint classification on any CSV of complaints.", no_args_is_help=True)


@complaints_app.command("train")
def complaints_train(
    input: Annotated[Path, typer.Option("--input", help="CSV with text and label (a complaint category)")],
    model: Annotated[Path, typer.Option("--model", help="Folder to write the model and its card to")],
    corpus: Annotated[Optional[Path], typer.Option(help="CSV of unlabelled complaints or reviews to learn word vectors "
                                                        "from (thousands of texts; optional)")] = None,
    corpus_column: Annotated[str, typer.Option(help="Text column of --corpus")] = "text",
) -> None:
    """Train the complaint classifier on a labeled CSV (and word vectors from unlabelled text, with --corpus)."""
    from trust.detect.complaints.files import read_corpus, train_complaints

    texts = read_corpus(corpus, corpus_column) if corpus is not None else None
    print_json(train_complaints(input, model, texts, f"{corpus}, column {corpus_column}" if corpus is not None else None))


@complaints_app.command("score")
def complaints_score(
    input: Annotated[Path, typer.Option("--input", help="CSV with text")],
    model: Annotated[Path, typer.Option("--model", help="Folder of a trained model (keywords if it has none)")],
    output: Annotated[Path, typer.Option("--output", help="CSV to write: the input plus category, severity, reasons")],
) -> None:
    """Classify a CSV of complaints."""
    from trust.detect.complaints.files import score_complaints_csv

    print_json(score_complaints_csv(input, model, output))
