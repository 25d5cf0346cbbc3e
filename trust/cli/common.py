"""What every command group shares: the root ``trust`` app, the console, the ``--date`` option and settings."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="trust: a trust and quality-control moderation pipeline for social e-commerce.", no_args_is_help=True)
console = Console()

DateOption = Annotated[str, typer.Option("--date", help="Business date, YYYY-MM-DD")]


def _settings():
    from trust.settings import Settings

    return Settings.from_env()


def _date(value: str) -> dt.date:
    from trust.dates import parse_business_date

    try:
        return parse_business_date(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def print_json(result: dict) -> None:
    print(json.dumps(result, ensure_ascii=False))
