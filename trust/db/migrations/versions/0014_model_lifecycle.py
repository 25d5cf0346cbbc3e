"""model lifecycle: the model registry, the versions each night pinned, and nightly drift checks

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('model_registry',
    sa.Column('detector', sa.String(length=32), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('artifact_uri', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('trained_at', sa.DateTime(), nullable=False),
    sa.Column('trained_by', sa.String(length=128), nullable=False),
    sa.Column('window_start', sa.Date(), nullable=True),
    sa.Column('window_end', sa.Date(), nullable=True),
    sa.Column('label_counts', sa.Text(), nullable=False),
    sa.Column('features', sa.Text(), nullable=False),
    sa.Column('metrics', sa.Text(), nullable=False),
    sa.Column('library_versions', sa.Text(), nullable=False),
    sa.Column('profile', sa.Text(), nullable=True),
    sa.Column('promoted_at', sa.DateTime(), nullable=True),
    sa.Column('promoted_by', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('detector', 'version')
    )
    op.create_table('model_pins',
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('detector', sa.String(length=32), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('pinned_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('business_date', 'detector')
    )
    op.create_table('model_drift',
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('detector', sa.String(length=32), nullable=False),
    sa.Column('measure', sa.String(length=64), nullable=False),
    sa.Column('model_version', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('reference', sa.Float(), nullable=True),
    sa.Column('limit', sa.Float(), nullable=False),
    sa.Column('breach', sa.Boolean(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('business_date', 'detector', 'measure')
    )


def downgrade() -> None:
    op.drop_table('model_drift')
    op.drop_table('model_pins')
    op.drop_table('model_registry')
