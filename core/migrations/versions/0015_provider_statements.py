"""providers' statements: the days imported and their lines, matched against the ledger in the reconciliation

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 19:00:00

``provider_statements`` names each day of a provider's statement Linli imported (an empty day too, so a payment it
does not list is known to be missing); ``provider_statement_lines`` keeps its lines, one per (provider, day, kind,
reference): importing the day again replaces them.
"""
from alembic import op
import sqlalchemy as sa

from core.db import UTCDateTime


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "provider_statements",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("provider", "day", name=op.f("pk_provider_statements")),
    )
    op.create_table(
        "provider_statement_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('payment', 'refund', 'share')", name=op.f("ck_provider_statement_lines_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_statement_lines")),
        sa.UniqueConstraint("provider", "day", "kind", "reference",
                            name=op.f("uq_provider_statement_lines_provider_day_kind_reference")),
    )
    op.create_index("ix_provider_statement_lines_reference", "provider_statement_lines", ["provider", "reference"])


def downgrade():
    op.drop_index("ix_provider_statement_lines_reference", table_name="provider_statement_lines")
    op.drop_table("provider_statement_lines")
    op.drop_table("provider_statements")
