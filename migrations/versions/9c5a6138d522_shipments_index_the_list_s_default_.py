"""Shipments: index the list's default order, newest first (the list reads it backwards instead
of sorting every shipment on each request)

Revision ID: 9c5a6138d522
Revises: 4870d4d6b23e
Create Date: 2026-11-27 13:59:57.369059

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c5a6138d522'
down_revision = '4870d4d6b23e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.create_index('ix_shipments_newest', ['reference_year', 'reference'], unique=False)



def downgrade():
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index('ix_shipments_newest')

