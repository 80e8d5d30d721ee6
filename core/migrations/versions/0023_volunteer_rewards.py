"""rewards the community defines: a booking spends a volunteer's hours and a cancelled one gives them back

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 00:20:00

``volunteer_hours.booking_id`` links the entries of kind ``reward`` (negative) and ``reward_returned`` (positive) to
their booking; the kinds' CHECK names the two new kinds.
"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

KINDS_BEFORE = "kind IN ('credit', 'redeem', 'correction')"
KINDS_AFTER = "kind IN ('credit', 'redeem', 'correction', 'reward', 'reward_returned')"


def upgrade():
    with op.batch_alter_table('volunteer_hours', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booking_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_volunteer_hours_booking_id_bookings'), 'bookings',
                                    ['booking_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_volunteer_hours_booking_id'), ['booking_id'], unique=False)
        batch_op.drop_constraint(op.f('ck_volunteer_hours_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_volunteer_hours_kind'), KINDS_AFTER)
        batch_op.create_check_constraint(
            op.f('ck_volunteer_hours_reward'),
            "kind <> 'reward' OR (tenths < 0 AND booking_id IS NOT NULL AND reason IS NOT NULL)")
        batch_op.create_check_constraint(op.f('ck_volunteer_hours_reward_returned'),
                                         "kind <> 'reward_returned' OR (tenths > 0 AND booking_id IS NOT NULL)")


def downgrade():
    with op.batch_alter_table('volunteer_hours', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_volunteer_hours_reward_returned'), type_='check')
        batch_op.drop_constraint(op.f('ck_volunteer_hours_reward'), type_='check')
        batch_op.drop_constraint(op.f('ck_volunteer_hours_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_volunteer_hours_kind'), KINDS_BEFORE)
        batch_op.drop_index(batch_op.f('ix_volunteer_hours_booking_id'))
        batch_op.drop_constraint(batch_op.f('fk_volunteer_hours_booking_id_bookings'), type_='foreignkey')
        batch_op.drop_column('booking_id')
