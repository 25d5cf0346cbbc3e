"""orders.buyer_id index: the reseller-network stage reads chain members' orders by seller and by buyer

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_orders_buyer_id', 'orders', ['buyer_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_orders_buyer_id', table_name='orders')
