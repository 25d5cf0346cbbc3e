"""The reseller-network stage's read of chain members' orders as it was before issue 21: one query over the window
with the members as an OR of two IN lists (a range scan of every order in the window), or every order of the window
when the members are too many to bind. Kept only as the reference the indexed read must equal."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from trust.db.engine import read_frame
from trust.db.tables import Order

SQL_MEMBER_FILTER_LIMIT = 10_000


def load_chain_orders(session: Session, members: set[str], window_start: dt.date, window_end: dt.date) -> pd.DataFrame:
    """Orders in the window sold by chain members (to anyone) or bought by them."""
    conditions = [Order.ordered_at >= dt.datetime.combine(window_start, dt.time()),
                  Order.ordered_at < dt.datetime.combine(window_end + dt.timedelta(days=1), dt.time()),
                  Order.status != "cancelled"]
    if len(members) <= SQL_MEMBER_FILTER_LIMIT:  # let the database skip the (many) orders of shops outside any chain
        listed = sorted(members)
        conditions.append(or_(Order.merchant_id.in_(listed), Order.buyer_id.in_(listed)))
    orders = read_frame(session, select(Order.merchant_id, Order.buyer_id, Order.amount, Order.quantity).where(and_(*conditions)))
    return orders[orders["merchant_id"].isin(members) | orders["buyer_id"].isin(members)]
