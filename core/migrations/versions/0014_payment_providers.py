"""one seam for every payment provider: notifications of any provider, how a payment is paid, the fund's split

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 18:00:00

``payment_events`` replaces ``stripe_events``: each provider's notification once by (provider, event id); Stripe's
events seen so far are kept under ``stripe``. ``payments`` keeps how the resident pays (``action``: qr, redirect,
client, and the QR code's content or the provider's page) so the pay page and the counter can show it again, and
the fund's share split after payment by WeChat Pay or Alipay (``share_status``, its reference and amount).
"""
from alembic import op
import sqlalchemy as sa

from core.db import UTCDateTime


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "payment_events",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("provider", "id", name=op.f("pk_payment_events")),
    )
    op.execute(sa.text("INSERT INTO payment_events (provider, id, type, received_at) "
                       "SELECT 'stripe', id, type, received_at FROM stripe_events"))
    op.drop_table("stripe_events")
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("action", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("action_url", sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column("share_status", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("share_reference", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("share_amount", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("share_error", sa.String(length=200), nullable=True))
    op.create_index("ix_payments_share_open", "payments", ["share_status"],
                    postgresql_where=sa.text("share_status IN ('pending', 'requested', 'failed')"),
                    sqlite_where=sa.text("share_status IN ('pending', 'requested', 'failed')"))


def downgrade():
    op.drop_index("ix_payments_share_open", table_name="payments")
    with op.batch_alter_table("payments") as batch:
        for column in ("share_error", "share_amount", "share_reference", "share_status", "action_url", "action"):
            batch.drop_column(column)
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
    )
    op.execute(sa.text("INSERT INTO stripe_events (id, type, received_at) "
                       "SELECT id, type, received_at FROM payment_events WHERE provider = 'stripe'"))
    op.drop_table("payment_events")
