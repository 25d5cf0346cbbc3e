"""listing_markets: the listing stage's market context per business date, in the warehouse instead of a worker's file

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'listing_markets',
        sa.Column('business_date', sa.Date(), nullable=False),
        sa.Column('built_at', sa.DateTime(), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('business_date'),
    )


def downgrade() -> None:
    op.drop_table('listing_markets')
