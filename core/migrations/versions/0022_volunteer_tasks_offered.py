"""volunteer tasks offered by plugins

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 00:20:00

``volunteer_tasks.source_key``: the key a plugin offered the task under (unique: offering it twice makes one task);
``details``: what only the task's volunteer and those who manage it read (a delivery's address); ``created_by``
becomes optional, as a plugin's morning job offers tasks in nobody's name.
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('volunteer_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_key', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('details', sa.Text(), nullable=False, server_default=''))
        batch_op.alter_column('created_by', existing_type=sa.Integer(), nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_volunteer_tasks_source_key'), ['source_key'])


def downgrade():
    with op.batch_alter_table('volunteer_tasks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_volunteer_tasks_source_key'), type_='unique')
        batch_op.alter_column('created_by', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('details')
        batch_op.drop_column('source_key')
