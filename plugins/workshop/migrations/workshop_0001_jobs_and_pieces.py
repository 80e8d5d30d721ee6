"""workshop: piece-work jobs and the pieces recorded per worker per shift

Revision ID: workshop_0001
Revises:
Depends on: 0001
"""
from alembic import op
import sqlalchemy as sa

from core.plugin_api import UTCDateTime

revision = "workshop_0001"
down_revision = None
branch_labels = ("workshop",)
depends_on = "0001"


def upgrade():
    op.create_table(
        "workshop_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("merchant", sa.String(length=200), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("unit_rate_amount", sa.BigInteger(), nullable=False),
        sa.Column("merchant_price_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_workshop_jobs_quantity")),
        sa.CheckConstraint("completed >= 0 AND completed <= quantity", name=op.f("ck_workshop_jobs_completed")),
        sa.CheckConstraint("unit_rate_amount >= 0 AND merchant_price_amount >= 0",
                           name=op.f("ck_workshop_jobs_amounts")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_workshop_jobs_created_by_id_users")),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], name=op.f("fk_workshop_jobs_operator_id_operators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_jobs")),
    )
    with op.batch_alter_table("workshop_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workshop_jobs_operator_id"), ["operator_id"], unique=False)
    op.create_table(
        "workshop_pieces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("pieces", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("pieces > 0", name=op.f("ck_workshop_pieces_pieces")),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"], name=op.f("fk_workshop_pieces_booking_id_bookings")),
        sa.ForeignKeyConstraint(["job_id"], ["workshop_jobs.id"], name=op.f("fk_workshop_pieces_job_id_workshop_jobs")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"],
                                name=op.f("fk_workshop_pieces_recorded_by_id_users")),
        sa.ForeignKeyConstraint(["slot_id"], ["slots.id"], name=op.f("fk_workshop_pieces_slot_id_slots")),
        sa.ForeignKeyConstraint(["worker_id"], ["users.id"], name=op.f("fk_workshop_pieces_worker_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_pieces")),
    )
    with op.batch_alter_table("workshop_pieces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workshop_pieces_booking_id"), ["booking_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_workshop_pieces_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_workshop_pieces_slot_id"), ["slot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_workshop_pieces_worker_id"), ["worker_id"], unique=False)


def downgrade():
    op.drop_table("workshop_pieces")
    op.drop_table("workshop_jobs")
