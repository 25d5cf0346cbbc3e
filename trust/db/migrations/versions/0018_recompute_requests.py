"""recompute_requests: an upheld appeal's recompute is queued for the trust_recompute DAG, not run in the request

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'recompute_requests',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('business_date', sa.Date(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('requested_by', sa.String(length=64), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('done_at', sa.DateTime(), nullable=True),
        sa.Column('outcome', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_recompute_requests_business_date', 'recompute_requests', ['business_date'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_recompute_requests_business_date', table_name='recompute_requests')
    op.drop_table('recompute_requests')
