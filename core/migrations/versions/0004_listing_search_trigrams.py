"""listing search: trigram indexes for the title and description ILIKE (PostgreSQL only)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 15:00:00

The public search filters with ``ILIKE '%word%'``, which no B-tree serves; a GIN
index of pg_trgm trigrams does. SQLite has neither, and scans its small
databases: there the migration does nothing.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

COLUMNS = ("title", "description")


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # The operator class lives in the extension's schema, which need not be on this connection's search path.
    schema = bind.execute(sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension "
                                  "WHERE extname = 'pg_trgm'")).scalar_one()
    for column in COLUMNS:
        op.create_index(f"ix_listings_{column}_trgm", "listings", [column], postgresql_using="gin",
                        postgresql_ops={column: f"{schema}.gin_trgm_ops"})


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.drop_index(f"ix_listings_{column}_trgm", table_name="listings")
