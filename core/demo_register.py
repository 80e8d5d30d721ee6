"""The demo's resident register: neighbours in three buildings, entered by the office as a community office would.

Registered through :mod:`core.residents` itself (the office's staff verifies each date of birth), with two
self-registrations still waiting for the office's check and one dibao certificate that ends this month, so every
page of the register has something to show. The spec's demo accounts get phone numbers too, so an elderly
resident can log in with their phone (``13900000092`` is Wang Nainai, born 1934).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import eligibility, residents
from core.models import Community, ResidentProfile, User

PASSWORD = "demo-password"
BUILDINGS = ("1", "2", "3")
# Phones of the spec's demo residents and the demo's neighbours, by the part of their email before the @.
PHONES = {"elder92": "13900000092", "senior68": "13900000068", "student": "13900000016", "adult": "13900000036",
          "lowincome": "13900000051", "elder95": "13900000095", "neighbour": "13900000040",
          "sewer1": "13900000054", "sewer2": "13900000058"}
# name, year, month, day of birth, attribute (or ""): ten to a building.
REGISTER = [
    ("王淑珍", 1931, 2, 14, ""), ("李桂兰", 1935, 7, 3, ""), ("张建国", 1950, 10, 1, ""),
    ("刘玉珍", 1944, 5, 20, "low_income"), ("陈志强", 1962, 12, 8, ""), ("杨淑芬", 1939, 9, 9, ""),
    ("赵文华", 1978, 3, 15, "disability"), ("黄丽娟", 1985, 11, 2, ""), ("周明", 2009, 6, 18, "student"),
    ("吴国平", 1957, 1, 26, ""),
    ("徐凤英", 1933, 4, 30, ""), ("孙德顺", 1948, 8, 12, ""), ("胡秀兰", 1952, 2, 2, "low_income"),
    ("朱晓东", 1991, 7, 7, ""), ("高玉梅", 1946, 12, 24, ""), ("林海", 1970, 5, 5, ""),
    ("何淑贞", 1936, 10, 10, ""), ("郭小雨", 2011, 3, 3, "student"), ("马春生", 1955, 6, 6, ""),
    ("罗桂芳", 1941, 1, 1, "disability"),
    ("梁振华", 1960, 9, 19, ""), ("宋秀云", 1932, 11, 11, ""), ("郑建民", 1949, 4, 4, ""),
    ("谢丽华", 1980, 8, 8, ""), ("韩玉兰", 1943, 2, 28, "low_income"), ("唐志刚", 1966, 10, 20, ""),
    ("冯淑英", 1938, 7, 17, ""), ("于佳怡", 2008, 12, 12, "student"), ("董文斌", 1953, 3, 23, ""),
    ("萧桂英", 1929, 6, 1, ""),
]
PENDING = [("程大爷", "13700000101", dt.date(1940, 5, 1), "2"), ("曹阿姨", "13700000102", dt.date(1962, 9, 9), "3")]


def seed_register(session: Session, community: Community, staff: User, today: dt.date) -> None:
    """The office's register of the demo community; what exists already (by phone) is left as it is."""
    give_phones(session, community)
    for index, (name, year, month, day, attribute) in enumerate(REGISTER):
        building = BUILDINGS[index // 10]
        phone = f"1360000{index + 1:04d}"
        if _known(session, community, phone):
            continue
        profile = residents.register(session, staff, community, residents.Particulars(
            name=name, phone=phone, date_of_birth=dt.date(year, month, day), building=building,
            address=f"和平路 {index % 10 + 1} 号 {building} 号楼 {index % 5 + 1} 单元 {100 + index}"), today)
        if attribute:
            # One dibao certificate ends this month: it shows on the office's list to re-check.
            ends = today + dt.timedelta(days=12) if index == 3 else None
            eligibility.verify(session, staff, profile, attribute, ends, today)
    for name, phone, born, building in PENDING:
        if not _known(session, community, phone):
            residents.sign_up(session, community, residents.Particulars(
                name=name, phone=phone, date_of_birth=born, building=building, password=PASSWORD,
                address=f"和平路 8 号 {building} 号楼"), today)


def give_phones(session: Session, community: Community) -> None:
    """Phone numbers (and a building) for the demo's email accounts, so they can log in with their phone too."""
    for local, phone in PHONES.items():
        profile = session.scalar(select(ResidentProfile).join(User, User.id == ResidentProfile.user_id)
                                 .where(User.email == f"{local}@example.org"))
        if profile is not None and profile.community_id == community.id and profile.phone is None:
            profile.phone = phone
            profile.building = BUILDINGS[profile.user_id % len(BUILDINGS)]


def _known(session: Session, community: Community, phone: str) -> bool:
    return session.scalar(select(ResidentProfile.user_id).where(ResidentProfile.community_id == community.id,
                                                                ResidentProfile.phone == phone)) is not None
