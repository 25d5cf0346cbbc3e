"""merchant shards: merchants.shard_key (a stable hash of the id; shard = shard_key % N) and platform_rates (the
smoothing prior of each date, computed once after the metric shards)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from trust.db.shard_key import shard_key

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('merchants', sa.Column('shard_key', sa.Integer(), nullable=True))
    merchants = sa.table('merchants', sa.column('merchant_id', sa.String), sa.column('shard_key', sa.Integer))
    bind = op.get_bind()
    ids = [row[0] for row in bind.execute(sa.select(merchants.c.merchant_id))]
    update = merchants.update().where(merchants.c.merchant_id == sa.bindparam('id')).values(shard_key=sa.bindparam('key'))
    for start in range(0, len(ids), 10_000):
        bind.execute(update, [{'id': m, 'key': shard_key(m)} for m in ids[start:start + 10_000]])
    with op.batch_alter_table('merchants') as batch:  # every merchant has its key now: a merchant without one is an error
        batch.alter_column('shard_key', existing_type=sa.Integer(), nullable=False)
    op.create_table(
        'platform_rates',
        sa.Column('business_date', sa.Date(), nullable=False),
        sa.Column('metric', sa.String(length=48), nullable=False),
        sa.Column('count_total', sa.Float(), nullable=False),
        sa.Column('orders_total', sa.Float(), nullable=False),
        sa.Column('rate', sa.Float(), nullable=False),
        sa.Column('prior_orders', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('business_date', 'metric'),
    )


def downgrade() -> None:
    op.drop_table('platform_rates')
    with op.batch_alter_table('merchants') as batch:
        batch.drop_column('shard_key')
