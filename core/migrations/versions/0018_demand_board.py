"""demand board: residents' needs and their support, service orders, ratings of delivered orders

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 21:45:59

A need is compiled into at most one service order (``needs.order_id``); a resident supports a need once and rates a
delivered order once (unique constraints, which hold under concurrent taps).
"""
from alembic import op
import sqlalchemy as sa
import core.db


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('service_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('budget_amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('sponsor_kind', sa.String(length=16), nullable=False),
    sa.Column('sponsor_name', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(), nullable=False),
    sa.Column('taken_by', sa.Integer(), nullable=True),
    sa.Column('taken_at', core.db.UTCDateTime(), nullable=True),
    sa.Column('listing_id', sa.Integer(), nullable=True),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('delivered_at', core.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint("sponsor_kind IN ('fund', 'subdistrict', 'company')", name=op.f('ck_service_orders_sponsor_kind')),
    sa.CheckConstraint("status IN ('open', 'taken', 'delivered', 'closed')", name=op.f('ck_service_orders_status')),
    sa.CheckConstraint('budget_amount > 0', name=op.f('ck_service_orders_budget_amount')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_service_orders_community_id_communities')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_service_orders_created_by_users')),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_service_orders_listing_id_listings')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_service_orders_proposal_id_proposals')),
    sa.ForeignKeyConstraint(['taken_by'], ['operators.id'], name=op.f('fk_service_orders_taken_by_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_orders'))
    )
    with op.batch_alter_table('service_orders', schema=None) as batch_op:
        batch_op.create_index('ix_service_orders_community_status', ['community_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_orders_taken_by'), ['taken_by'], unique=False)

    op.create_table('needs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'compiled', 'closed')", name=op.f('ck_needs_status')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_needs_community_id_communities')),
    sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'], name=op.f('fk_needs_order_id_service_orders')),
    sa.ForeignKeyConstraint(['resident_id'], ['users.id'], name=op.f('fk_needs_resident_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_needs'))
    )
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_index('ix_needs_community_created', ['community_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_resident_id'), ['resident_id'], unique=False)

    op.create_table('order_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('stars', sa.Integer(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint('stars >= 1 AND stars <= 5', name=op.f('ck_order_ratings_stars')),
    sa.ForeignKeyConstraint(['order_id'], ['service_orders.id'], name=op.f('fk_order_ratings_order_id_service_orders')),
    sa.ForeignKeyConstraint(['resident_id'], ['users.id'], name=op.f('fk_order_ratings_resident_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_ratings')),
    sa.UniqueConstraint('order_id', 'resident_id', name=op.f('uq_order_ratings_order_id_resident_id'))
    )
    op.create_table('need_supports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_need_supports_need_id_needs')),
    sa.ForeignKeyConstraint(['resident_id'], ['users.id'], name=op.f('fk_need_supports_resident_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_supports')),
    sa.UniqueConstraint('need_id', 'resident_id', name=op.f('uq_need_supports_need_id_resident_id'))
    )
    with op.batch_alter_table('need_supports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_supports_resident_id'), ['resident_id'], unique=False)



def downgrade():
    with op.batch_alter_table('need_supports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_supports_resident_id'))

    op.drop_table('need_supports')
    op.drop_table('order_ratings')
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_needs_resident_id'))
        batch_op.drop_index(batch_op.f('ix_needs_order_id'))
        batch_op.drop_index('ix_needs_community_created')

    op.drop_table('needs')
    with op.batch_alter_table('service_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_orders_taken_by'))
        batch_op.drop_index('ix_service_orders_community_status')

    op.drop_table('service_orders')
