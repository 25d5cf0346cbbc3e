"""Bearer tokens with roles. Tokens are random, stored only as SHA-256, and never logged."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from trust.db.engine import session_scope
from trust.db.tables import ApiToken
from trust.settings import Settings

ROLES = ("service", "analyst", "admin")  # each role may do what the ones before it may


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(settings: Settings, name: str, role: str, days: int) -> str:
    """Create a token and return it; this is the only time it is visible."""
    if role not in ROLES:
        raise ValueError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if days <= 0:
        raise ValueError(f"a token must live at least one day, not {days}")
    token = "trust_" + secrets.token_urlsafe(32)
    now = dt.datetime.now(settings.tz).replace(tzinfo=None, microsecond=0)
    with session_scope(settings.db_url) as session:
        session.add(ApiToken(name=name, role=role, token_sha256=token_hash(token), created_at=now,
                             expires_at=now + dt.timedelta(days=days)))
    return token


def list_tokens(settings: Settings, include_inactive: bool = False) -> list[dict]:
    """Every token's id, name, role, dates and state (active, expired, revoked), oldest first; never the token."""
    now = dt.datetime.now(settings.tz).replace(tzinfo=None)
    with session_scope(settings.db_url) as session:
        rows = session.execute(select(ApiToken).order_by(ApiToken.id)).scalars().all()
    out = []
    for row in rows:
        state = "revoked" if row.revoked_at is not None else "expired" if row.expires_at <= now else "active"
        if include_inactive or state == "active":
            out.append({"id": row.id, "name": row.name, "role": row.role, "created_at": f"{row.created_at:%Y-%m-%d %H:%M}",
                        "expires_at": f"{row.expires_at:%Y-%m-%d %H:%M}", "state": state})
    return out


def revoke_tokens(settings: Settings, token_id: int | None = None, name: str | None = None) -> list[int]:
    """Revoke one token by id, or every active token of a name; returns the ids revoked. Unknown: ValueError."""
    now = dt.datetime.now(settings.tz).replace(tzinfo=None, microsecond=0)
    with session_scope(settings.db_url) as session:
        statement = select(ApiToken).where(ApiToken.revoked_at.is_(None))
        statement = statement.where(ApiToken.id == token_id) if token_id is not None else statement.where(ApiToken.name == name)
        rows = session.execute(statement).scalars().all()
        if not rows:
            raise ValueError(f"no active token {'#' + str(token_id) if token_id is not None else 'named ' + repr(name)}; "
                             "see `trust token list --all`")
        for row in rows:
            row.revoked_at = now
        return [row.id for row in rows]


def authenticate(session: Session, token: str, now: dt.datetime) -> ApiToken | str:
    """The token's row, or the reason it is refused."""
    row = session.execute(select(ApiToken).where(ApiToken.token_sha256 == token_hash(token))).scalar_one_or_none()
    if row is None:
        return "unknown token"
    if row.revoked_at is not None:
        return "token revoked"
    if row.expires_at <= now:
        return "token expired"
    return row


def allows(role: str, needed: str) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)
