"""a booking's further places at their own price: the resident's tier is for one place, the others they book for
pay the price for everyone

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 09:00:00

``bookings.extra_unit_amount`` is the price of each place after the first where it differs from ``unit_amount``
(None: the same, as for every booking made before), and the amounts' CHECK says so.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

BEFORE = "unit_amount >= 0 AND total_amount = unit_amount * quantity"
AFTER = ("unit_amount >= 0 AND extra_unit_amount >= 0 AND total_amount = "
         "unit_amount + COALESCE(extra_unit_amount, unit_amount) * (quantity - 1)")


def upgrade():
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("extra_unit_amount", sa.BigInteger(), nullable=True))
        batch.drop_constraint(op.f("ck_bookings_amounts"), type_="check")
        batch.create_check_constraint(op.f("ck_bookings_amounts"), AFTER)


def downgrade():
    with op.batch_alter_table("bookings") as batch:
        batch.drop_constraint(op.f("ck_bookings_amounts"), type_="check")
        batch.create_check_constraint(op.f("ck_bookings_amounts"), BEFORE)
        batch.drop_column("extra_unit_amount")
