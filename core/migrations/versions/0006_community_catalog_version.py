"""communities.catalog_version: what the listing search's remembered totals are keyed by

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 17:30:00

A search's ``total`` counts every listing that matches, which for a word most
listings contain and a busy day is most of the search's time. The count changes
only when a listing, one of its slots or its operator is written (a booking does
not change it), so every such write adds one to its community's
``catalog_version``, and the search remembers a total under the version it was
counted at.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("communities") as batch:
        batch.add_column(sa.Column("catalog_version", sa.BigInteger(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("communities") as batch:
        batch.drop_column("catalog_version")
