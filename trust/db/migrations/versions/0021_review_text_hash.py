"""review text hash: reviews.text_hash, CRC-32 of the text as loaded, so the nightly review stage knows which texts it
has read before without reading every text of its window (rows loaded before stay NULL: their text is read to hash it,
until they leave the window)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('reviews', sa.Column('text_hash', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reviews') as batch:
        batch.drop_column('text_hash')
