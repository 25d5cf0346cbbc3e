"""ingest log notes: file-level decisions about a file's columns

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('ingest_log', sa.Column('notes', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('ingest_log', 'notes')
