"""housekeeping: the roster of workers and their assignments

Revision ID: housekeeping_0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

from core.plugin_api import UTCDateTime

revision = "housekeeping_0001"
down_revision = None
branch_labels = ("housekeeping",)
depends_on = "0001"


def upgrade():
    op.create_table(
        "housekeeping_workers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_housekeeping_workers_operator_id"), "housekeeping_workers", ["operator_id"])
    op.create_table(
        "housekeeping_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"]),
        sa.ForeignKeyConstraint(["worker_id"], ["housekeeping_workers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("booking_id"),
    )
    op.create_index("ix_housekeeping_assignments_worker_window", "housekeeping_assignments",
                    ["worker_id", "starts_at", "ends_at"])


def downgrade():
    op.drop_index("ix_housekeeping_assignments_worker_window", table_name="housekeeping_assignments")
    op.drop_table("housekeeping_assignments")
    op.drop_index(op.f("ix_housekeeping_workers_operator_id"), table_name="housekeeping_workers")
    op.drop_table("housekeeping_workers")
