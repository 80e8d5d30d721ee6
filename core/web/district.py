"""The district pages: each community's month beside the others, with a chart per measure and a spreadsheet (district
officers, admins); and the district's totals for anyone."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from flask import render_template, request

from core import district
from core.downloads import csv_download
from core.request_session import session as db_session
from core.web.common import logged_in, page_blueprint
from core.web.i18n import DEFAULT_ZONE

bp = page_blueprint("web_district", __name__, url_prefix="/district")
MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def _period() -> str:
    """The month asked for, else the month now in the district's usual time zone."""
    asked = request.args.get("period", "")
    return asked if MONTH.fullmatch(asked) else dt.datetime.now(ZoneInfo(DEFAULT_ZONE)).strftime("%Y-%m")


def _months(period: str, count: int = 12) -> list[str]:
    """The ``count`` months up to ``period``, newest first: the month chips."""
    year, month = int(period[:4]), int(period[5:7])
    return [f"{(year * 12 + month - 1 - n) // 12:04d}-{(year * 12 + month - 1 - n) % 12 + 1:02d}"
            for n in range(count)]


@bp.route("")
def summary():
    """The district officer's (or admin's) month: per community and in total, charts and a table."""
    db, period = db_session(), _period()
    report = district.summary(db, district.communities_for(db, logged_in()), period)
    return render_template("district/summary.html", report=report, period=period, months=_months(period))


@bp.route("/export.csv")
def export():
    """The month's summary as a spreadsheet (the API's ``?format=csv``)."""
    db, period = db_session(), _period()
    report = district.summary(db, district.communities_for(db, logged_in()), period)
    return csv_download(district.table(report), f"district-{period}.csv")


@bp.route("/totals")
def public_totals():
    """The district's totals for anyone: no community's or operator's own figures."""
    period = _period()
    return render_template("district/totals.html", report=district.public_totals(db_session(), period),
                           period=period, months=_months(period))
