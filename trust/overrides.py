"""Analyst overrides of a merchant's tier."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from trust.db.engine import session_scope
from trust.db.tables import GradeOverride, Merchant
from trust.settings import Settings
from trust.thresholds import TIER_ORDER


def add_override(settings: Settings, merchant_id: str, tier: str, reason: str, actor: str,
                 effective_from: dt.date, expires_on: dt.date) -> int:
    """Record an override; returns its id. Raises ValueError for an unknown merchant, tier or empty reason."""
    if tier not in TIER_ORDER:
        raise ValueError(f"tier {tier!r} is not one of {', '.join(TIER_ORDER)}")
    if not reason.strip() or not actor.strip():
        raise ValueError("an override needs a reason and an actor")
    if expires_on < effective_from:
        raise ValueError(f"override expires {expires_on} before it starts {effective_from}")
    with session_scope(settings.db_url) as session:
        if session.execute(select(Merchant.merchant_id).where(Merchant.merchant_id == merchant_id)).first() is None:
            raise ValueError(f"merchant {merchant_id!r} is not in the warehouse")
        row = GradeOverride(merchant_id=merchant_id, tier=tier, reason=reason.strip(), actor=actor.strip(),
                            effective_from=effective_from, expires_on=expires_on,
                            created_at=dt.datetime.now(settings.tz).replace(tzinfo=None))
        session.add(row)
        session.flush()
        return row.id
