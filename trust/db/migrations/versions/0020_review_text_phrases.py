"""review text phrases: review_text_scores.text_phrases, the words that pushed a text toward fake (JSON list), stored
with the text model's signals so a flagged review's wording reason is built from stored words, not by reading its text
again every night (NULL: not computed; a text the wording rule does not fire on has none)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('review_text_scores', sa.Column('text_phrases', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('review_text_scores') as batch:
        batch.drop_column('text_phrases')
