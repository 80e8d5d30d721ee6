"""donated refunds and funded projects' outcomes

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 21:50:00

``fund_gifts.refund_id`` links a gift to the refund its resident gave to the fund instead of taking it back; unique,
so a refund becomes at most one gift. ``project_outcomes``: what a disbursed proposal reports back, one each.
"""
import core.db
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('fund_gifts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refund_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_fund_gifts_refund_id'), ['refund_id'])
        batch_op.create_foreign_key(batch_op.f('fk_fund_gifts_refund_id_refunds'), 'refunds', ['refund_id'], ['id'])
    op.create_table('project_outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('done', sa.Text(), nullable=False),
    sa.Column('beneficiaries', sa.Integer(), nullable=False),
    sa.Column('spent_amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reported_by_id', sa.Integer(), nullable=False),
    sa.Column('reported_at', core.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint('beneficiaries >= 0 AND spent_amount >= 0', name=op.f('ck_project_outcomes_counts')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_project_outcomes_community_id_communities')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_project_outcomes_proposal_id_proposals')),
    sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'], name=op.f('fk_project_outcomes_reported_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_outcomes')),
    sa.UniqueConstraint('proposal_id', name=op.f('uq_project_outcomes_proposal_id'))
    )
    with op.batch_alter_table('project_outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_outcomes_community_id'), ['community_id'], unique=False)


def downgrade():
    with op.batch_alter_table('project_outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_outcomes_community_id'))

    op.drop_table('project_outcomes')
    with op.batch_alter_table('fund_gifts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_fund_gifts_refund_id_refunds'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_fund_gifts_refund_id'), type_='unique')
        batch_op.drop_column('refund_id')
