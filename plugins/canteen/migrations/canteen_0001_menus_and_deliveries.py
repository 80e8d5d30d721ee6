"""canteen: menus of meal slots and home deliveries

Revision ID: canteen_0001
Revises:
Depends on: 0001
"""
from alembic import op
import sqlalchemy as sa

from core.plugin_api import UTCDateTime

revision = "canteen_0001"
down_revision = None
branch_labels = ("canteen",)
depends_on = "0001"


def upgrade():
    op.create_table(
        "canteen_menus",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("dishes", sa.JSON(), nullable=False),
        sa.Column("soup", sa.String(length=100), nullable=True),
        sa.Column("notes", sa.String(length=500), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["published_by_id"], ["users.id"], name=op.f("fk_canteen_menus_published_by_id_users")),
        sa.ForeignKeyConstraint(["slot_id"], ["slots.id"], name=op.f("fk_canteen_menus_slot_id_slots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canteen_menus")),
        sa.UniqueConstraint("slot_id", name=op.f("uq_canteen_menus_slot_id")),
    )
    op.create_table(
        "canteen_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"],
                                name=op.f("fk_canteen_deliveries_booking_id_bookings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canteen_deliveries")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_canteen_deliveries_booking_id")),
    )


def downgrade():
    op.drop_table("canteen_deliveries")
    op.drop_table("canteen_menus")
