"""waiting list: a full time's residents waiting for a place, in order

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 21:46:00

One row per resident waiting at a slot, at most one live (waiting or offered) per slot and resident (a partial
unique index); an offered entry holds one of the slot's places until it is accepted, declined or lapses.
"""
from alembic import op
import sqlalchemy as sa
import core.db


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('waitlist_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(), nullable=False),
    sa.Column('offered_at', core.db.UTCDateTime(), nullable=True),
    sa.Column('offer_expires_at', core.db.UTCDateTime(), nullable=True),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', core.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status != 'offered' OR offer_expires_at IS NOT NULL", name=op.f('ck_waitlist_entries_offer_expiry')),
    sa.CheckConstraint("status IN ('waiting', 'offered', 'booked', 'declined', 'lapsed', 'left')", name=op.f('ck_waitlist_entries_status')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_waitlist_entries_booking_id_bookings')),
    sa.ForeignKeyConstraint(['resident_id'], ['users.id'], name=op.f('fk_waitlist_entries_resident_id_users')),
    sa.ForeignKeyConstraint(['slot_id'], ['slots.id'], name=op.f('fk_waitlist_entries_slot_id_slots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_entries'))
    )
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waitlist_entries_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index('ix_waitlist_offers', ['status', 'offer_expires_at'], unique=False)
        batch_op.create_index('ix_waitlist_slot_status', ['slot_id', 'status', 'created_at'], unique=False)
        batch_op.create_index('ux_waitlist_live', ['slot_id', 'resident_id'], unique=True, postgresql_where=sa.text("status IN ('waiting', 'offered')"), sqlite_where=sa.text("status IN ('waiting', 'offered')"))



def downgrade():
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.drop_index('ux_waitlist_live', postgresql_where=sa.text("status IN ('waiting', 'offered')"), sqlite_where=sa.text("status IN ('waiting', 'offered')"))
        batch_op.drop_index('ix_waitlist_slot_status')
        batch_op.drop_index('ix_waitlist_offers')
        batch_op.drop_index(batch_op.f('ix_waitlist_entries_resident_id'))

    op.drop_table('waitlist_entries')
