"""review text scores

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('review_text_scores',
    sa.Column('review_id', sa.String(length=64), nullable=False),
    sa.Column('model_version', sa.String(length=32), nullable=False),
    sa.Column('text_hash', sa.BigInteger(), nullable=False),
    sa.Column('text_model_score', sa.Float(), nullable=False),
    sa.Column('text_upper_share', sa.Float(), nullable=False),
    sa.Column('text_symbol_share', sa.Float(), nullable=False),
    sa.Column('text_punct_share', sa.Float(), nullable=False),
    sa.Column('text_repeat_run', sa.Float(), nullable=False),
    sa.Column('text_longest_latin', sa.Float(), nullable=False),
    sa.Column('text_lines', sa.Float(), nullable=False),
    sa.Column('text_link', sa.Float(), nullable=False),
    sa.Column('text_unknown_words', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('review_id', 'model_version')
    )


def downgrade() -> None:
    op.drop_table('review_text_scores')
