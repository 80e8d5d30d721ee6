"""Communities and the spaces they lend."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow
from core.reading import translated


class Community(Base):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    stored_name: Mapped[str] = mapped_column("name", String(200))
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    """The name in other languages than its own: ``{"en": {"name": "Heping Community"}}``."""
    name = translated("name")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    accountability: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    """The community's settings for holding operators to account (``core.accountability_settings``): what is not
    set here takes the documented default."""
    operator_types_off: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    """The operator types switched off here (``core.catalog.switch_operator_types``): they take no new listings or
    bookings. Kept as the types off, not those on, so a type installed later is on everywhere until switched off."""
    catalog_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    """Counts the writes that change what the listing search reads here (``core.listings``): a search's remembered
    total is keyed by it, so a total is never older than the catalog it counted."""


class Space(Base):
    __tablename__ = "spaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    stored_name: Mapped[str] = mapped_column("name", String(200))
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    name = translated("name")
    kind: Mapped[str] = mapped_column(String(40), default="room")
    area_m2: Mapped[int | None]
