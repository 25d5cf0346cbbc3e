"""``trust models …``: the model registry from the command line (list, show, promote, rollback, train, retrain)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import typer
from rich.table import Table

from trust.cli.common import console, print_json

models_app = typer.Typer(help="Trained models: the registry, champions, promotion, rollback and retraining.", no_args_is_help=True)

Detector = Annotated[str, typer.Option("--detector", help="reviews, listings or complaints")]
Actor = Annotated[str, typer.Option("--actor", help="Who does it (kept in the audit log)")]
Reason = Annotated[str, typer.Option("--reason", help="Why (kept in the registry and the audit log)")]
AsOf = Annotated[Optional[str], typer.Option("--as-of", help="Labels decided up to this date, YYYY-MM-DD (default: today, "
                                                           "in the business time zone)")]


def _ready():
    from trust.pipeline import prepare_warehouse
    from trust.settings import Settings

    settings = Settings.from_env()
    prepare_warehouse(settings)
    return settings


def _as_of(value: str | None, settings) -> dt.date:
    """The given date, or today in the business time zone."""
    from trust.dates import parse_business_date

    return parse_business_date(value) if value else dt.datetime.now(settings.tz).date()


@models_app.command("list")
def models_list(detector: Annotated[Optional[str], typer.Option("--detector", help="Only this detector")] = None) -> None:
    """Every registered model, newest first per detector, with its status."""
    from trust.lifecycle.registry import ensure_champions, list_models

    settings = _ready()
    ensure_champions(settings)
    from rich import box

    table = Table(title="models, newest first (`trust models show` for one)", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1))
    for column in ("detector", "version", "status", "labels", "promoted"):
        table.add_column(column, no_wrap=True)
    for row in list_models(settings, detector):
        window = "..".join(d[5:] if d else "" for d in row["window"]) if any(row["window"]) else "shipped"
        promoted = f"{row['promoted_at'][:10]} {row['promoted_by']}" if row["promoted_at"] else ""
        table.add_row(row["detector"], row["version"], row["status"], window, promoted)
    console.print(table)


@models_app.command("show")
def models_show(detector: Detector,
                version: Annotated[Optional[str], typer.Option("--version", help="Version or its first characters (default: the champion)")] = None) -> None:
    """One model's registry row as JSON: training window, label counts, features, metrics and the promotion decision."""
    from trust.lifecycle.registry import ensure_champions, show_model

    settings = _ready()
    ensure_champions(settings)
    print_json(show_model(settings, detector, version))


@models_app.command("promote")
def models_promote(detector: Detector, version: Annotated[str, typer.Option("--version", help="Version or its first characters")],
                   actor: Actor, reason: Reason) -> None:
    """Make a registered model the champion from the next night's run on."""
    from trust.lifecycle.registry import ensure_champions, promote

    settings = _ready()
    ensure_champions(settings)
    print_json(promote(settings, detector, version, actor, reason))


@models_app.command("rollback")
def models_rollback(detector: Detector, actor: Actor, reason: Reason) -> None:
    """Restore the previous champion for the next night's run."""
    from trust.lifecycle.registry import rollback

    print_json(rollback(_ready(), detector, actor, reason))


@models_app.command("train")
def models_train(detector: Detector, as_of: AsOf = None) -> None:
    """Train a challenger from the warehouse's labels and judge it with the champion; it is registered, not promoted
    (`trust models promote` does that). Prints the verdict the promotion rule would give."""
    from trust.lifecycle.retrain import retrain_detector

    settings = _ready()
    print_json(retrain_detector(settings, detector, _as_of(as_of, settings), apply_rule=False, actor="trust models train"))


@models_app.command("retrain")
def models_retrain(as_of: AsOf = None,
                   detector: Annotated[Optional[list[str]], typer.Option("--detector", help="Only these (default: all with a model)")] = None) -> None:
    """What the weekly trust_retrain DAG does, without Airflow: a challenger per detector, promoted only by the rule."""
    from trust.lifecycle.retrain import retrain_all

    settings = _ready()
    result = retrain_all(settings, _as_of(as_of, settings), tuple(detector) if detector else None)
    for name, one in result["results"].items():
        console.print(f"[bold]{name}[/]: {one['decision']} — " + "; ".join(one["why"]))
    print_json({k: v for k, v in result.items() if k != "results"})
