"""operator accountability: complaints, inspections, monthly scores, annual stars

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 20:40:00

Residents' complaints and their loop, staff's monthly inspections, each operator's monthly score with its parts (in
tenths, 0–100) and its year's stars; ``communities.accountability`` holds the community's settings for them (what
is unset takes the documented default). Operators gain the status ``exit_proposed`` (no constraint to change).
"""
from alembic import op
import sqlalchemy as sa
import core.db


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inspections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('score_tenths', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('inspector_id', sa.Integer(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint('score_tenths >= 0 AND score_tenths <= 100', name=op.f('ck_inspections_score_tenths')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_inspections_community_id_communities')),
    sa.ForeignKeyConstraint(['inspector_id'], ['users.id'], name=op.f('fk_inspections_inspector_id_users')),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_inspections_operator_id_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections'))
    )
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.create_index('ix_inspections_operator_period', ['operator_id', 'period'], unique=False)

    op.create_table('operator_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('computed_tenths', sa.Integer(), nullable=False),
    sa.Column('score_tenths', sa.Integer(), nullable=False),
    sa.Column('parts', sa.JSON(), nullable=False),
    sa.Column('computed_at', core.db.UTCDateTime(), nullable=False),
    sa.Column('adjusted_by', sa.Integer(), nullable=True),
    sa.Column('adjusted_at', core.db.UTCDateTime(), nullable=True),
    sa.Column('adjust_reason', sa.Text(), nullable=True),
    sa.CheckConstraint('computed_tenths >= 0 AND computed_tenths <= 100', name=op.f('ck_operator_scores_computed_tenths')),
    sa.CheckConstraint('score_tenths >= 0 AND score_tenths <= 100', name=op.f('ck_operator_scores_score_tenths')),
    sa.ForeignKeyConstraint(['adjusted_by'], ['users.id'], name=op.f('fk_operator_scores_adjusted_by_users')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_operator_scores_community_id_communities')),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_operator_scores_operator_id_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_scores')),
    sa.UniqueConstraint('operator_id', 'period', name=op.f('uq_operator_scores_operator_id_period'))
    )
    with op.batch_alter_table('operator_scores', schema=None) as batch_op:
        batch_op.create_index('ix_operator_scores_community_period', ['community_id', 'period'], unique=False)

    op.create_table('operator_stars',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('stars', sa.Integer(), nullable=True),
    sa.Column('average_tenths', sa.Integer(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('computed_at', core.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint('stars IS NULL OR (stars >= 3 AND stars <= 5)', name=op.f('ck_operator_stars_stars')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_operator_stars_community_id_communities')),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_operator_stars_operator_id_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_stars')),
    sa.UniqueConstraint('operator_id', 'year', name=op.f('uq_operator_stars_operator_id_year'))
    )
    op.create_table('complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('photo', sa.String(length=80), nullable=True),
    sa.Column('photo_type', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('overdue_flagged_at', core.db.UTCDateTime(), nullable=True),
    sa.Column('acknowledged_at', core.db.UTCDateTime(), nullable=True),
    sa.Column('acknowledged_by', sa.Integer(), nullable=True),
    sa.Column('upheld', sa.Boolean(), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.Column('resolved_at', core.db.UTCDateTime(), nullable=True),
    sa.Column('resolved_by', sa.Integer(), nullable=True),
    sa.Column('operator_reply', sa.Text(), nullable=True),
    sa.Column('operator_replied_at', core.db.UTCDateTime(), nullable=True),
    sa.Column('resident_rating', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("category IN ('food_safety', 'quality', 'hygiene', 'attitude', 'price', 'lateness', 'other')", name=op.f('ck_complaints_category')),
    sa.CheckConstraint("status IN ('open', 'acknowledged', 'resolved')", name=op.f('ck_complaints_status')),
    sa.CheckConstraint('resident_rating IS NULL OR (resident_rating >= 1 AND resident_rating <= 5)', name=op.f('ck_complaints_resident_rating')),
    sa.ForeignKeyConstraint(['acknowledged_by'], ['users.id'], name=op.f('fk_complaints_acknowledged_by_users')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_complaints_booking_id_bookings')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_complaints_community_id_communities')),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_complaints_operator_id_operators')),
    sa.ForeignKeyConstraint(['resident_id'], ['users.id'], name=op.f('fk_complaints_resident_id_users')),
    sa.ForeignKeyConstraint(['resolved_by'], ['users.id'], name=op.f('fk_complaints_resolved_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints'))
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaints_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index('ix_complaints_operator', ['operator_id', 'created_at'], unique=False)
        batch_op.create_index('ix_complaints_queue', ['community_id', 'status', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_resident_id'), ['resident_id'], unique=False)

    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accountability', sa.JSON(), server_default='{}', nullable=False))



def downgrade():
    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.drop_column('accountability')

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaints_resident_id'))
        batch_op.drop_index('ix_complaints_queue')
        batch_op.drop_index('ix_complaints_operator')
        batch_op.drop_index(batch_op.f('ix_complaints_booking_id'))

    op.drop_table('complaints')
    op.drop_table('operator_stars')
    with op.batch_alter_table('operator_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_operator_scores_community_period')

    op.drop_table('operator_scores')
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_index('ix_inspections_operator_period')

    op.drop_table('inspections')
