"""The demo data of SPEC §9.3: the Heping community, its people, and (through the plugins) its operators.

Every function here is idempotent: it finds what exists by its natural key and
creates only what is missing. Plugins add their operators through the
``seed_demo`` hook, using :func:`ensure_operator` and :func:`ensure_listing`.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import accounts
from core.catalog import validate_donation
from core.db import commit
from core.models import (
    Agreement, Community, Listing, Operator, RoleGrant, Slot, Space, User, VerifiedAttribute,
)
from core.pricing import parse_rules

PASSWORD = "demo-password"
SPACES = [("Canteen hall", "canteen", 280), ("Community plaza", "plaza", 1200),
          ("Idle warehouse", "warehouse", 400), ("Activity room", "room", 60)]
STAFF = [("admin", "Platform Admin", "admin"), ("staff", "Community Staff", "community_staff"),
         ("committee1", "Committee Member 1", "committee_member"),
         ("committee2", "Committee Member 2", "committee_member"),
         ("committee3", "Committee Member 3", "committee_member"),
         ("charity", "City Charity Officer", "charity_officer")]
# The low-income resident pays the canteen's paid price: the canteen's default rules
# (SPEC §5) give low-cost meals by age and studenthood only, and the demo keeps them.
RESIDENTS = [("elder92", "Wang Nainai", dt.date(1934, 3, 1), ()),
             ("senior68", "Li Shushu", dt.date(1958, 6, 15), ()),
             ("student", "Zhang Xiaoming", dt.date(2010, 9, 1), ("student",)),
             ("adult", "Chen Jie", dt.date(1990, 1, 20), ()),
             ("lowincome", "Zhao Ayi", dt.date(1975, 5, 5), ("low_income",))]


def seed(app: Flask) -> bool:
    """Load the demo data; return False when it was there already."""
    session: Session = app.extensions["linli"].db.sessionmaker()
    try:
        community = session.scalar(select(Community).where(Community.slug == "heping"))
        if community is not None:
            return False
        community = Community(slug="heping", name="Heping Community", currency="CNY", timezone="Asia/Shanghai")
        session.add(community)
        session.flush()
        _seed_people(session, community)
        today = dt.datetime.now(ZoneInfo(community.timezone)).date()
        app.extensions["linli"].hook.seed_demo(session=session, community=community, today=today)
        commit(session)
        return True
    finally:
        session.close()


def _seed_people(session: Session, community: Community) -> None:
    for kind_name, kind, area in SPACES:
        session.add(Space(community_id=community.id, name=kind_name, kind=kind, area_m2=area))
    for local, name, role in STAFF:
        ensure_user(session, local, name, role, None if role == "admin" else community.id)
    for local, name, born, attributes in RESIDENTS:
        user = ensure_user(session, local, name, "resident", community.id)
        user.profile.date_of_birth = born
        user.profile.address = f"Heping Road {user.id}, Building {user.id % 7 + 1}"
        for attribute in attributes:
            session.add(VerifiedAttribute(user_id=user.id, attribute=attribute))
    session.flush()


def ensure_user(session: Session, local: str, name: str, role: str, community_id: int | None,
                operator_id: int | None = None) -> User:
    email = f"{local}@example.org"
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = accounts.create_user(session, email, name, PASSWORD)
    has = session.scalar(select(RoleGrant.id).where(RoleGrant.user_id == user.id, RoleGrant.role == role))
    if not has:
        accounts.grant(session, user, role, community_id, operator_id)
    return user


def ensure_operator(session: Session, community: Community, name: str, type_key: str, staff_local: str,
                    space_kind: str, donation: dict) -> Operator:
    """An active operator with one staff account and an active agreement for a space."""
    operator = session.scalar(select(Operator).where(Operator.community_id == community.id, Operator.name == name))
    if operator is None:
        operator = Operator(community_id=community.id, name=name, type=type_key, status="active",
                            contact_email=f"{staff_local}@example.org")
        session.add(operator)
        session.flush()
        space = session.scalar(select(Space).where(Space.community_id == community.id, Space.kind == space_kind))
        rule = validate_donation(donation)
        session.add(Agreement(operator_id=operator.id, space_id=space.id, starts_on=dt.date(2026, 1, 1),
                              ends_on=None, donation_kind=rule["kind"], donation_bps=rule.get("bps"),
                              donation_amount=rule.get("amount"), donation_period=rule.get("period"),
                              status="active"))
    ensure_user(session, staff_local, name + " staff", "operator_staff", community.id, operator.id)
    return operator


def ensure_listing(session: Session, operator: Operator, title: str, description: str, price_rules: list[dict],
                   slots: list[tuple[dt.datetime, dt.datetime, int]], details: dict | None = None) -> Listing:
    listing = session.scalar(select(Listing).where(Listing.operator_id == operator.id, Listing.title == title))
    if listing is None:
        listing = Listing(operator_id=operator.id, community_id=operator.community_id, type=operator.type,
                          title=title, description=description, details=details or {},
                          price_rules=[r.as_json() for r in parse_rules(price_rules)])
        session.add(listing)
        session.flush()
        for starts_at, ends_at, capacity in slots:
            session.add(Slot(listing_id=listing.id, starts_at=starts_at, ends_at=ends_at, capacity=capacity, taken=0))
        session.flush()
    return listing


def local_time(community: Community, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A wall-clock time of the community on ``day``, as an aware datetime."""
    return dt.datetime.combine(day, dt.time(hour, minute), ZoneInfo(community.timezone))


def next_days(today: dt.date, count: int = 7) -> list[dt.date]:
    """The ``count`` days after today ("the next 7 days" starts tomorrow)."""
    return [today + dt.timedelta(days=n) for n in range(1, count + 1)]


def next_weekday(today: dt.date, weekday: int) -> dt.date:
    """The first day after today that falls on ``weekday`` (Monday is 0)."""
    return today + dt.timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


__all__ = ["ensure_listing", "ensure_operator", "ensure_user", "local_time", "next_days", "next_weekday", "seed"]
