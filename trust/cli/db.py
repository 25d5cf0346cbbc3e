"""Warehouse schema: ``trust db upgrade|check``."""

from __future__ import annotations

from typing import Annotated

import typer

from trust.cli.common import _settings, console

db_app = typer.Typer(help="Warehouse schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(create: Annotated[bool, typer.Option("--create", help="Create the PostgreSQL database first if it does not exist")] = False) -> None:
    """Create or migrate the warehouse schema."""
    from trust.db.health import create_database, shown_url, warehouse_state
    from trust.pipeline import prepare_warehouse

    settings = _settings()
    if create and create_database(settings.db_url):
        console.print(f"created database {shown_url(settings.db_url)}", highlight=False)
    prepare_warehouse(settings)
    console.print(warehouse_state(settings.db_url).message, highlight=False)


@db_app.command("check")
def db_check() -> None:
    """Say whether the warehouse is reachable and migrated (exit 2 if not)."""
    from trust.db.health import warehouse_state

    state = warehouse_state(_settings().db_url)
    console.print(state.message if state.ok else f"[red]error:[/red] {state.message}", highlight=False, soft_wrap=True)
    if not state.ok:
        raise typer.Exit(2)
