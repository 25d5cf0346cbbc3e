"""review text kind scores: review_text_scores.text_kind_scores, the text model's signals of the kinds of fake it
learnt apart (a JSON list in the model's order; NULL for a model trained without kinds), stored with its other signals
so the nightly job reads each text once per model whatever its kinds

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('review_text_scores', sa.Column('text_kind_scores', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('review_text_scores') as batch:
        batch.drop_column('text_kind_scores')
