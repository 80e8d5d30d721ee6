"""weekly schedules, closures, and slots or bookings called off by the operator

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 12:00:00

A slot made by a schedule remembers it, and (schedule, start) is unique, so generating slots twice makes no
duplicates. A slot the operator calls off keeps its row (``cancelled_at``, ``cancel_reason``), as do its bookings
(``cancel_reason``), so residents read why.
"""
from alembic import op
import sqlalchemy as sa

from core.db import UTCDateTime


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_schedules_capacity")),
        sa.CheckConstraint("end_time > start_time", name=op.f("ck_schedules_hours")),
        sa.CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name=op.f("ck_schedules_validity")),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], name=op.f("fk_schedules_listing_id_listings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
    )
    op.create_index(op.f("ix_schedules_listing_id"), "schedules", ["listing_id"])
    op.create_table(
        "closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_closures_created_by_id_users")),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], name=op.f("fk_closures_listing_id_listings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closures")),
        sa.UniqueConstraint("listing_id", "day", name=op.f("uq_closures_listing_id_day")),
    )
    with op.batch_alter_table("slots") as batch:
        batch.add_column(sa.Column("schedule_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("cancelled_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))
        batch.create_foreign_key(op.f("fk_slots_schedule_id_schedules"), "schedules", ["schedule_id"], ["id"])
        batch.create_unique_constraint(op.f("uq_slots_schedule_id_starts_at"), ["schedule_id", "starts_at"])
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("cancel_reason")
    with op.batch_alter_table("slots") as batch:
        batch.drop_constraint(op.f("uq_slots_schedule_id_starts_at"), type_="unique")
        batch.drop_constraint(op.f("fk_slots_schedule_id_schedules"), type_="foreignkey")
        batch.drop_column("cancel_reason")
        batch.drop_column("cancelled_at")
        batch.drop_column("schedule_id")
    op.drop_table("closures")
    op.drop_index(op.f("ix_schedules_listing_id"), table_name="schedules")
    op.drop_table("schedules")
