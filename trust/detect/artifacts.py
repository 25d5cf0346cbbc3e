"""Trained model artifacts: one folder per model with ``model.joblib``, ``model_card.json`` (for machines) and
``MODEL_CARD.md`` (for people): training data, features, metrics, limitations and library versions."""

from __future__ import annotations

import datetime as dt
import json
import platform
from pathlib import Path

MODEL_FILE, CARD_FILE, CARD_MARKDOWN = "model.joblib", "model_card.json", "MODEL_CARD.md"


def save_artifact(model, directory: Path, name: str, features: list[str], card: dict) -> Path:
    import joblib
    import numpy as np
    import pandas as pd
    import sklearn

    directory.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, directory / MODEL_FILE, compress=3)
    full = {"model": name, "mode": model.mode_, "written": dt.date.today().isoformat(), "features": [str(f) for f in features],
            "params": model.get_params(),
            "library_versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                                 "pandas": pd.__version__, "numpy": np.__version__},
            **card}
    _write_card(directory, full)
    return directory


def load_artifact(directory: Path, what: str, command: str):
    """The model in ``directory``; a missing one is a FileNotFoundError saying how to train it."""
    import joblib

    path = directory / MODEL_FILE
    if not path.exists():
        raise FileNotFoundError(f"no {what} model at {path}: train one with `{command} --input LABELED.csv --model {directory}`")
    return joblib.load(path)


def resave_model(model, directory: Path, **fields) -> None:
    """Write a changed model (a chosen threshold) over its artifact and add ``fields`` to its card."""
    import joblib

    joblib.dump(model, directory / MODEL_FILE, compress=3)
    annotate_card(directory, **fields)


def annotate_card(directory: Path, **fields) -> None:
    """Add fields (training data, evaluations, limitations) to a saved model's card and re-render its Markdown."""
    card = json.loads((directory / CARD_FILE).read_text(encoding="utf-8"))
    card.update(fields)
    _write_card(directory, card)


def _write_card(directory: Path, card: dict) -> None:
    (directory / CARD_FILE).write_text(json.dumps(card, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    lines = [f"# Model card: {card['model']} ({card['mode']})", "", card.get("purpose", ""), ""]
    for title, key in (("Training data", "training_data"), ("Evaluation", "metrics"), ("Threshold", "threshold"),
                       ("Knowledge laid over the model", "knowledge"), ("Limitations", "limitations")):
        value = card.get(key)
        if isinstance(value, str):
            lines += [f"## {title}", "", value, ""]
        elif value:
            lines += [f"## {title}", "", "```json", json.dumps(value, ensure_ascii=False, indent=2, default=str), "```", ""]
    lines += ["## Features", "", ", ".join(card["features"]), "", "## Library versions", "",
              ", ".join(f"{k} {v}" for k, v in card["library_versions"].items()), "", f"Written {card['written']}.", ""]
    (directory / CARD_MARKDOWN).write_text("\n".join(lines), encoding="utf-8")
