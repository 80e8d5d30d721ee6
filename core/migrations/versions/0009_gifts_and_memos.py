"""gifts of money to the fund, and ledger memos each reader sees in their language

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 12:00:00

``fund_gifts``: money given to the fund by residents, companies, the government or anonymous donors (posted to the
ledger as ``gift:<id>``). ``journal_entries.memo_message``: the memo's template and values as JSON, covered by the
entry's hash when present; entries written before keep their English memo, and their hashes are unchanged.
"""
from alembic import op
import sqlalchemy as sa

from core.db import UTCDateTime


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "fund_gifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("donor_name", sa.String(length=200), nullable=False),
        sa.Column("donor_kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_fund_gifts_positive")),
        sa.CheckConstraint("donor_kind IN ('resident', 'company', 'government', 'anonymous')",
                           name=op.f("ck_fund_gifts_donor_kind")),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"],
                                name=op.f("fk_fund_gifts_community_id_communities")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_fund_gifts_recorded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_gifts")),
    )
    with op.batch_alter_table("fund_gifts") as batch:
        batch.create_index(batch.f("ix_fund_gifts_community_id"), ["community_id"], unique=False)
    with op.batch_alter_table("journal_entries") as batch:
        batch.add_column(sa.Column("memo_message", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("journal_entries") as batch:
        batch.drop_column("memo_message")
    with op.batch_alter_table("fund_gifts") as batch:
        batch.drop_index(batch.f("ix_fund_gifts_community_id"))
    op.drop_table("fund_gifts")
