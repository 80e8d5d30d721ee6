"""People, their role grants, resident profiles with verified attributes, and API tokens."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, utcnow

ROLES = ("resident", "operator_staff", "community_staff", "committee_member", "charity_officer", "admin")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    grants: Mapped[list[RoleGrant]] = relationship(back_populates="user", lazy="selectin")
    profile: Mapped[ResidentProfile | None] = relationship(lazy="selectin", uselist=False)


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
    __tablename__ = "resident_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    address: Mapped[str | None] = mapped_column(String(300))

    attributes: Mapped[list[VerifiedAttribute]] = relationship(lazy="selectin")
    user: Mapped[User] = relationship(lazy="joined", viewonly=True)


class VerifiedAttribute(Base):
    """An eligibility attribute a community staff member has checked, with who and when."""

    __tablename__ = "verified_attributes"
    __table_args__ = (UniqueConstraint("user_id", "attribute"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("resident_profiles.user_id"))
    attribute: Mapped[str] = mapped_column(String(32))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token, stored only as its SHA-256 hash."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
