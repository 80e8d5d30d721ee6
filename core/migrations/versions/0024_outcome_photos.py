"""funded projects' photos

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 00:30:00

``outcome_photos``: the public photos of what a funded project did, a few to each outcome report, each file kept
under a random name in the instance folder.
"""
import core.db
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outcome_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('outcome_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('media_type', sa.String(length=32), nullable=False),
    sa.Column('added_at', core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['outcome_id'], ['project_outcomes.id'], name=op.f('fk_outcome_photos_outcome_id_project_outcomes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_photos')),
    sa.UniqueConstraint('name', name=op.f('uq_outcome_photos_name'))
    )
    with op.batch_alter_table('outcome_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_photos_outcome_id'), ['outcome_id'], unique=False)


def downgrade():
    with op.batch_alter_table('outcome_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_photos_outcome_id'))

    op.drop_table('outcome_photos')
