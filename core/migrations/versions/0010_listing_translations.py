"""titles and names in other languages: listings, operators, communities and spaces carry translations

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 13:00:00

The stored title or name is in the community's language; ``translations`` holds the others
(``{"en": {"title": "Community lunch"}}``), shown to a reader of that language (core.reading).
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

TABLES = ("listings", "operators", "communities", "spaces")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("translations", sa.JSON(), nullable=False, server_default="{}"))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("translations")
