"""People, their role grants, resident profiles with verified attributes, and API tokens."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, only_on, utcnow

ROLES = ("resident", "operator_staff", "community_staff", "committee_member", "charity_officer", "district_officer",
         "admin")
RESIDENT_STATUSES = ("pending", "active", "inactive")
"""A resident who signed up is ``pending`` until the office checks them; one who moved away is ``inactive``."""


class User(Base):
    __tablename__ = "users"
    # The resident register is searched by the start of a name (migration 0007).
    __table_args__ = (only_on("postgresql", Index("ix_users_name_prefix", text("lower(name) text_pattern_ops"))),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    """None for a resident the office registered without one: they log in with their phone."""
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    grants: Mapped[list[RoleGrant]] = relationship(back_populates="user", lazy="selectin")
    profile: Mapped[ResidentProfile | None] = relationship(lazy="selectin", uselist=False,
                                                           foreign_keys="ResidentProfile.user_id")


class RoleGrant(Base):
    """One role of one user, scoped to a community (and for operator staff, an operator)."""

    __tablename__ = "role_grants"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "community_id", "operator_id"),
        CheckConstraint("role = 'admin' OR community_id IS NOT NULL", name="scoped"),
        CheckConstraint("role <> 'operator_staff' OR operator_id IS NOT NULL", name="operator_scoped"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))

    user: Mapped[User] = relationship(back_populates="grants")


class ResidentProfile(Base):
    """A resident in their community's register: how to reach them, and what the office has checked.

    The date of birth gives an age-based price only once ``born_verified_at`` is set: staff saw the ID card (its
    number is never stored). The phone identifies a resident in their community (login, import, the counter).
    """

    __tablename__ = "resident_profiles"
    __table_args__ = (
        UniqueConstraint("community_id", "phone"),
        CheckConstraint("status IN ('pending', 'active', 'inactive')", name="status"),
        # The register is searched by the start or the end of a phone number (migration 0007).
        only_on("postgresql", Index("ix_resident_profiles_phone_prefix", "community_id",
                                    text("phone text_pattern_ops"))),
        only_on("postgresql", Index("ix_resident_profiles_phone_suffix", "community_id",
                                    text("reverse(phone) text_pattern_ops"))),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    address: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(11))
    building: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    born_verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    born_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    registered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=utcnow)

    attributes: Mapped[list[VerifiedAttribute]] = relationship(lazy="selectin")
    user: Mapped[User] = relationship(lazy="joined", viewonly=True, foreign_keys=[user_id])

    @property
    def born_verified(self) -> bool:
        return self.date_of_birth is not None and self.born_verified_at is not None


class VerifiedAttribute(Base):
    """An eligibility attribute a community staff member has checked, with who and when."""

    __tablename__ = "verified_attributes"
    __table_args__ = (UniqueConstraint("user_id", "attribute"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("resident_profiles.user_id"))
    attribute: Mapped[str] = mapped_column(String(32))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    """The last day it holds (a dibao certificate is re-checked yearly); None: until withdrawn."""

    def holds_on(self, day: dt.date) -> bool:
        return self.expires_on is None or day <= self.expires_on


class Helper(Base):
    """Someone the office allows to book for a resident (a son, a daughter, a neighbour who looks after them)."""

    __tablename__ = "resident_helpers"
    __table_args__ = (UniqueConstraint("resident_id", "helper_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident_profiles.user_id"), index=True)
    helper_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token, stored only as its SHA-256 hash."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
