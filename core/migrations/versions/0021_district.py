"""operator types switched off per community

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08 10:00:00

``communities.operator_types_off`` lists the operator types a community has switched off: they take no new listings
or bookings there. Empty (every installed type on) for the communities there are.
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('operator_types_off', sa.JSON(), server_default='[]', nullable=False))


def downgrade():
    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.drop_column('operator_types_off')
