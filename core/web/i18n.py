"""Languages, and money, dates and times formatted for the reader's locale with Babel."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton, format_time, get_day_names
from babel.lists import format_list
from babel.numbers import (
    format_currency, format_decimal, format_percent, get_currency_name, get_currency_precision,
)
from flask import request, session
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from jinja2 import pass_context

from core import memos
from core.errors import Message
from core.phones import masked

LANGUAGES = {"en": "English", "zh_Hans": "中文"}
DEFAULT_LANGUAGE = "en"


def select_locale() -> str:
    """The language chosen with the switch, else the browser's first language we speak."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    for value, _quality in request.accept_languages:
        tag = value.lower().replace("_", "-")
        if tag.startswith("zh"):
            return "zh_Hans"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE


def current_language() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


def say(message) -> str:
    """A message in the reader's language: a :class:`Message` by its template, any other text as the catalogue
    has it (marshmallow's fixed sentences), else as it is."""
    translate = get_translations().ugettext
    return message.translated(translate) if isinstance(message, Message) else translate(str(message))


def said(errors):
    """A structure of field messages (dicts and lists, as marshmallow nests them) with every message said."""
    if isinstance(errors, dict):
        return {str(key): said(value) for key, value in errors.items()}
    if isinstance(errors, (list, tuple)):
        return [said(value) for value in errors]
    return say(errors)


def memo(entry: dict) -> str:
    """A ledger entry's memo (as ``core.fund.entry_json`` gives it) in the reader's language; an entry written before
    memos had a message keeps its English."""
    return say(memos.message(entry["memo_message"])) if entry.get("memo_message") else entry["memo"]


HEADLINES = {
    400: _l("That did not work."), 401: _l("Please log in first."), 403: _l("You are not allowed to do this."),
    404: _l("We could not find that."), 405: _l("That did not work."), 409: _l("That cannot be done now."),
    413: _l("That is too much at once."), 422: _l("Please check what you entered."),
    429: _l("Too many attempts"),
}


def status_headline(status: int) -> str:
    """A plain sentence for the kind of error a status is; the error's own sentence follows it."""
    return str(HEADLINES.get(status, _l("That did not work.")))


def money(amount: int | None, currency: str) -> str:
    """Minor units as the locale writes money: ¥5.00 in Chinese, CN¥5.00 in English."""
    if amount is None:
        return ""
    value = Decimal(int(amount)).scaleb(-get_currency_precision(currency))
    return format_currency(value, currency, locale=get_locale())


def grouped_amount(amount: int, currency: str) -> str:
    """Minor units as a spreadsheet reads an amount, its currency in a column beside it: 125000 fen is 1,250.00."""
    precision = get_currency_precision(currency)
    pattern = "#,##0" + ("." + "0" * precision if precision else "")
    return format_decimal(Decimal(int(amount)).scaleb(-precision), format=pattern, locale=get_locale())


def currency_name(currency: str) -> str:
    """The currency as the reader names it: 人民币 / Chinese yuan."""
    return get_currency_name(currency, locale=get_locale())


def plain_amount(amount: int, currency: str) -> str:
    """Minor units as a person types the amount into a form: 500 fen is 5.00."""
    return str(Decimal(int(amount)).scaleb(-get_currency_precision(currency)))


def to_minor_units(value: Decimal | str, currency: str) -> int | None:
    """An amount typed by a person (e.g. 500.50) in minor units; None if it is no number or has too many decimals."""
    try:
        scaled = Decimal(value).scaleb(get_currency_precision(currency))
    except InvalidOperation:
        return None
    if not scaled.is_finite():
        return None
    return int(scaled) if scaled == scaled.to_integral_value() else None


def local(moment: dt.datetime, timezone: str) -> dt.datetime:
    return moment.astimezone(ZoneInfo(timezone))


def day_of(moment: dt.datetime, timezone: str) -> dt.date:
    """The date of a moment in the community's time zone."""
    return local(moment, timezone).date()


def long_date(day: dt.date | dt.datetime | str | None) -> str:
    """2026年11月23日 / November 23, 2026 (also from an ISO date, as the reports give them)."""
    if not day:
        return ""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    return format_date(day, "long", locale=get_locale())


NEAR_DAYS = {0: _l("Today"), 1: _l("Tomorrow"), 2: _l("The day after tomorrow")}
"""The days a reader counts from today, named: an old reader looks for 明天, not for a date."""
DEFAULT_ZONE = "Asia/Shanghai"


def _near(context, day: dt.date):
    """Today, tomorrow or the day after in the community's time (the template's ``tz``, or its ``community``'s
    time zone, else Asia/Shanghai), or None for a day further off."""
    community = context.get("community")
    zone = context.get("tz") or getattr(community, "timezone", None) or DEFAULT_ZONE
    return NEAR_DAYS.get((day - dt.datetime.now(ZoneInfo(zone)).date()).days)


@pass_context
def day_heading(context, day: dt.date) -> str:
    """The weekday and date, today and the next two days named first: 明天 · 11月23日星期一 / Tomorrow · Monday,
    November 23."""
    heading = format_skeleton("MMMMEEEEd", day, locale=get_locale())
    near = _near(context, day)
    return str(_l("%(near)s · %(day)s", near=near, day=heading)) if near is not None else heading


@pass_context
def day_name(context, day: dt.date) -> str:
    """Today, tomorrow, the day after — else the weekday and date: 明天 / 11月26日星期四."""
    near = _near(context, day)
    return str(near) if near is not None else format_skeleton("MMMMEEEEd", day, locale=get_locale())


def weekday_names(iso_weekdays: list[int]) -> str:
    """ISO weekdays (1 Monday … 7 Sunday) as the locale lists them: 星期一、星期三和星期五 / Monday, Wednesday, and Friday."""
    names = get_day_names("wide", locale=get_locale())
    return format_list([names[day - 1] for day in iso_weekdays], locale=get_locale())


def short_time(moment: dt.datetime, timezone: str) -> str:
    """The wall-clock time in the community's time zone: 11:30 / 11:30 AM."""
    return format_time(local(moment, timezone), "short", locale=get_locale())


def month_name(period: str) -> str:
    """A ``YYYY-MM`` period as the locale names the month: 2026年11月 / November 2026."""
    year, month = (int(part) for part in period.split("-"))
    return format_skeleton("yMMMM", dt.date(year, month, 1), locale=get_locale())


def percent(bps: int) -> str:
    """Basis points as the locale writes a percentage: 1000 bps is 10%."""
    return format_percent(Decimal(bps).scaleb(-4), format="#,##0.##%", locale=get_locale())


def stars_number(value: float) -> str:
    """An average of stars with one decimal: 4.3."""
    return format_decimal(value, format="0.0", locale=get_locale())


def phone_number(phone: str | None) -> str:
    """A mainland mobile number in the groups people read it in: 138 1234 5678."""
    if not phone or len(phone) != 11:
        return phone or ""
    return f"{phone[:3]} {phone[3:7]} {phone[7:]}"


def register_filters(app) -> None:
    app.jinja_env.filters.update(money=money, long_date=long_date, day_of=day_of, day_heading=day_heading,
                                 weekday_names=weekday_names, day_name=day_name,
                                 short_time=short_time, month_name=month_name, stars_number=stars_number,
                                 plain_amount=plain_amount, currency_name=currency_name, phone=phone_number,
                                 masked_phone=masked, memo=memo)
