"""listing_text_parts: each listing's knowledge evidence and wording-model probabilities, read once per model

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'listing_text_parts',
        sa.Column('listing_id', sa.String(length=64), nullable=False),
        sa.Column('version', sa.String(length=96), nullable=False),
        sa.Column('content_hash', sa.BigInteger(), nullable=False),
        sa.Column('evidence', sa.Text(), nullable=False),
        sa.Column('text_proba', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('listing_id', 'version'),
    )


def downgrade() -> None:
    op.drop_table('listing_text_parts')
