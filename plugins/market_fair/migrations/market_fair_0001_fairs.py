"""market_fair: stalls of each fair, the vendor register, visits and sales reports

Revision ID: market_fair_0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

from core.plugin_api import UTCDateTime

revision = "market_fair_0001"
down_revision = None
branch_labels = ("market_fair",)
depends_on = "0001"


def upgrade():
    op.create_table(
        "market_fair_stalls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("stall_number", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"]),
        sa.ForeignKeyConstraint(["slot_id"], ["slots.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("booking_id"),
        sa.UniqueConstraint("slot_id", "stall_number"),
    )
    op.create_table(
        "market_fair_vendors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("business_name", sa.String(length=200), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("registered_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"]),
        sa.ForeignKeyConstraint(["registered_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("operator_id", "user_id"),
    )
    op.create_table(
        "market_fair_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["slot_id"], ["slots.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slot_id", "user_id"),
    )
    op.create_table(
        "market_fair_sales_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("sales_amount", sa.BigInteger(), nullable=False),
        sa.Column("pledged_bps", sa.Integer(), nullable=False),
        sa.Column("pledged_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reported_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("sales_amount >= 0 AND pledged_amount >= 0", name="amounts"),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"]),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"]),
        sa.ForeignKeyConstraint(["reported_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("booking_id"),
    )
    op.create_index(op.f("ix_market_fair_sales_reports_operator_id"), "market_fair_sales_reports", ["operator_id"])


def downgrade():
    op.drop_index(op.f("ix_market_fair_sales_reports_operator_id"), table_name="market_fair_sales_reports")
    op.drop_table("market_fair_sales_reports")
    op.drop_table("market_fair_visits")
    op.drop_table("market_fair_vendors")
    op.drop_table("market_fair_stalls")
