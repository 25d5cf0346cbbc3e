"""API tokens: ``trust token create|list|revoke``."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from trust.cli.common import _settings, console

token_app = typer.Typer(help="API tokens.", no_args_is_help=True)


@token_app.command("create")
def token_create(name: Annotated[str, typer.Option(help="Who or what uses it")],
                 role: Annotated[str, typer.Option(help="service, analyst or admin")],
                 days: Annotated[int, typer.Option(help="Days until it expires")] = 90) -> None:
    """Create an API token; it is printed once and stored only as a hash."""
    from trust.api.auth import create_token

    print(create_token(_settings(), name, role, days))


@token_app.command("list")
def token_list(all_tokens: Annotated[bool, typer.Option("--all", help="Also revoked and expired tokens")] = False) -> None:
    """Tokens by id, name, role and dates (never the token: only its hash is stored)."""
    from trust.api.auth import list_tokens

    rows = list_tokens(_settings(), include_inactive=all_tokens)
    table = Table(title=f"API tokens ({len(rows)})")
    for column in ("id", "name", "role", "created", "expires", "state"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["id"]), row["name"], row["role"], row["created_at"], row["expires_at"], row["state"])
    console.print(table)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[Optional[int], typer.Option("--id", help="Token id (from `trust token list`)")] = None,
                 name: Annotated[Optional[str], typer.Option(help="Revoke every active token of this name")] = None) -> None:
    """Revoke tokens by id or by name; a revoked token is refused at once (401 "token revoked")."""
    from trust.api.auth import revoke_tokens

    if (token_id is None) == (name is None):
        raise typer.BadParameter("give exactly one of --id or --name")
    revoked = revoke_tokens(_settings(), token_id=token_id, name=name)
    console.print(f"revoked {len(revoked)} token(s): " + ", ".join(f"#{i}" for i in revoked))
