"""listing search: one lowercased search text with its trigram index, and slots by start time

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 12:30:00

The search matched ``ILIKE '%word%'`` on title and description, which lowercases
both for every row it checks: for a word most listings contain, that was most of
the query's time. The database now keeps ``search_text`` (lowercased once, when a
listing is written) and the search matches it with a plain ``LIKE``, served on
PostgreSQL by one trigram index instead of two. ``ix_slots_starts`` serves "a slot
on that day" when many listings match: one range of the index instead of a probe
per listing, or a scan of every slot.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

OLD_COLUMNS = ("title", "description")
SEARCH_TEXT = "lower(title || '\n' || description)"  # as the model has it at this revision


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    # Stored on PostgreSQL, to be indexed; SQLite cannot add a stored column to a table, and a virtual one serves
    # its unindexed scan as well.
    op.add_column("listings", sa.Column("search_text", sa.Text(), sa.Computed(SEARCH_TEXT, persisted=postgresql or None),
                                        nullable=True))
    op.create_index("ix_slots_starts", "slots", ["starts_at", "listing_id"])
    if postgresql:
        _trigram_index("search_text")
        for column in OLD_COLUMNS:
            op.drop_index(f"ix_listings_{column}_trgm", table_name="listings")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for column in OLD_COLUMNS:
            _trigram_index(column)
        op.drop_index("ix_listings_search_text_trgm", table_name="listings")
    op.drop_index("ix_slots_starts", table_name="slots")
    with op.batch_alter_table("listings") as batch:
        batch.drop_column("search_text")


def _trigram_index(column: str) -> None:
    # The operator class lives in the extension's schema, which need not be on this connection's search path.
    schema = op.get_bind().execute(sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension "
                                           "WHERE extname = 'pg_trgm'")).scalar_one()
    op.create_index(f"ix_listings_{column}_trgm", "listings", [column], postgresql_using="gin",
                    postgresql_ops={column: f"{schema}.gin_trgm_ops"})
