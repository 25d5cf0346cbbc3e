"""listing readings: what the listing stage reads from a listing's title and description (normalised text, slang,
copy-detection band keys, priced words), stored per listing so a night reads only the listings it has not read before

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'listing_readings',
        sa.Column('listing_id', sa.String(length=64), nullable=False),
        sa.Column('version', sa.String(length=32), nullable=False),
        sa.Column('content_hash', sa.BigInteger(), nullable=False),
        sa.Column('normal', sa.Text(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('title_compact', sa.Text(), nullable=False),
        sa.Column('slang', sa.Text(), nullable=False),
        sa.Column('bands', sa.Text(), nullable=False),
        sa.Column('tokens', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('listing_id'),
    )


def downgrade() -> None:
    op.drop_table('listing_readings')
