"""the resident register: phone, building, status, who verified the date of birth, expiring attributes, helpers,
bookings placed on someone's behalf and visitors at the counter

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 09:00:00

Dates of birth already stored were entered by an administrator (``linli create-user``, the demo): they count as
verified, as they did before. A resident without an email logs in with their community and phone, so
``users.email`` may be empty. The register is searched by the start of a name and by the start or end of a phone
number: on PostgreSQL, B-tree indexes with ``text_pattern_ops`` serve those ``LIKE 'q%'`` (the end through
``reverse(phone)``), for names in any script and queries of any length (a trigram index needs three characters,
and a Chinese name often has two).
"""
from alembic import op
import sqlalchemy as sa

from core.db import UTCDateTime


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("users") as batch:
        batch.alter_column("email", existing_type=sa.String(254), nullable=True)
    with op.batch_alter_table("resident_profiles") as batch:
        batch.add_column(sa.Column("phone", sa.String(11), nullable=True))
        batch.add_column(sa.Column("building", sa.String(50), nullable=True))
        batch.add_column(sa.Column("status", sa.String(16), server_default="active", nullable=False))
        batch.add_column(sa.Column("born_verified_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("born_verified_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("registered_at", UTCDateTime(), nullable=True))
        batch.create_foreign_key(op.f("fk_resident_profiles_born_verified_by_id_users"), "users",
                                 ["born_verified_by_id"], ["id"])
        batch.create_unique_constraint(op.f("uq_resident_profiles_community_id_phone"), ["community_id", "phone"])
        batch.create_check_constraint(op.f("ck_resident_profiles_status"), "status IN ('pending', 'active', 'inactive')")
    op.execute("UPDATE resident_profiles SET born_verified_at = CURRENT_TIMESTAMP WHERE date_of_birth IS NOT NULL")
    with op.batch_alter_table("verified_attributes") as batch:
        batch.add_column(sa.Column("expires_on", sa.Date(), nullable=True))
    with op.batch_alter_table("bookings") as batch:
        batch.alter_column("resident_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("booked_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_bookings_booked_by_id_users"), "users", ["booked_by_id"], ["id"])
    op.create_table(
        "resident_helpers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("helper_id", sa.Integer(), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), nullable=True),
        sa.Column("linked_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["resident_id"], ["resident_profiles.user_id"],
                                name=op.f("fk_resident_helpers_resident_id_resident_profiles")),
        sa.ForeignKeyConstraint(["helper_id"], ["users.id"], name=op.f("fk_resident_helpers_helper_id_users")),
        sa.ForeignKeyConstraint(["linked_by_id"], ["users.id"], name=op.f("fk_resident_helpers_linked_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_helpers")),
        sa.UniqueConstraint("resident_id", "helper_id", name=op.f("uq_resident_helpers_resident_id_helper_id")),
    )
    op.create_index(op.f("ix_resident_helpers_resident_id"), "resident_helpers", ["resident_id"])
    op.create_index(op.f("ix_resident_helpers_helper_id"), "resident_helpers", ["helper_id"])
    if postgresql:
        op.create_index("ix_resident_profiles_phone_prefix", "resident_profiles",
                        ["community_id", sa.text("phone text_pattern_ops")])
        op.create_index("ix_resident_profiles_phone_suffix", "resident_profiles",
                        ["community_id", sa.text("reverse(phone) text_pattern_ops")])
        op.create_index("ix_users_name_prefix", "users", [sa.text("lower(name) text_pattern_ops")])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, table in (("ix_resident_profiles_phone_prefix", "resident_profiles"),
                            ("ix_resident_profiles_phone_suffix", "resident_profiles"),
                            ("ix_users_name_prefix", "users")):
            op.drop_index(name, table_name=table)
    op.drop_table("resident_helpers")
    with op.batch_alter_table("bookings") as batch:
        batch.drop_constraint(op.f("fk_bookings_booked_by_id_users"), type_="foreignkey")
        batch.drop_column("booked_by_id")
    with op.batch_alter_table("verified_attributes") as batch:
        batch.drop_column("expires_on")
    with op.batch_alter_table("resident_profiles") as batch:
        batch.drop_constraint(op.f("ck_resident_profiles_status"), type_="check")
        batch.drop_constraint(op.f("uq_resident_profiles_community_id_phone"), type_="unique")
        batch.drop_constraint(op.f("fk_resident_profiles_born_verified_by_id_users"), type_="foreignkey")
        for column in ("registered_at", "born_verified_at", "born_verified_by_id", "status", "building", "phone"):
            batch.drop_column(column)
