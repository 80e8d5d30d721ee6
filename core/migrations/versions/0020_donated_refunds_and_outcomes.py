"""donated refunds: a gift to the fund may be the refund of a cancelled booking

Revision ID: 0020
Revises: 0016
Create Date: 2026-12-06 21:50:00

``fund_gifts.refund_id`` links a gift to the refund its resident gave to the fund instead of taking it back; unique,
so a refund becomes at most one gift.
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('fund_gifts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refund_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_fund_gifts_refund_id'), ['refund_id'])
        batch_op.create_foreign_key(batch_op.f('fk_fund_gifts_refund_id_refunds'), 'refunds', ['refund_id'], ['id'])


def downgrade():
    with op.batch_alter_table('fund_gifts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_fund_gifts_refund_id_refunds'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_fund_gifts_refund_id'), type_='unique')
        batch_op.drop_column('refund_id')
