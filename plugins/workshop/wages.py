"""Wage sheets: pieces × the job's rate per worker per period, as JSON or as a spreadsheet-safe CSV."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Response
from sqlalchemy import func, select

from core import N_, forbidden
from core.plugin_api import (
    Column, Community, Shown, Slot, Table, User, csv_download, has_role, may_read_operator, operator_or_404,
    parse_period, require_user,
)
from plugins.workshop import KEY
from plugins.workshop.models import WorkshopJob, WorkshopPieces

WAGES_READERS = forbidden("wages_readers", N_(
    "Only the workshop's staff, the community's staff and its workers see wages."))
CSV_COLUMNS = [
    Column("worker_id", N_("Worker no.")), Column("worker", N_("Worker")), Column("date", N_("Date")),
    Column("slot_id", N_("Shift no.")), Column("job_id", N_("Job no.")), Column("merchant", N_("Merchant")),
    Column("product", N_("Product")), Column("pieces", N_("Pieces")),
    Column("unit_rate_amount", N_("Rate per piece"), amount=True), Column("amount", N_("Pay"), amount=True),
    Column("currency", N_("Currency")),
]
TOTAL = Shown("total", N_("Total"))


def wage_sheet(session, user, operator_id: int, period: str) -> dict:
    """Every worker's pieces and pay of a period (staff); a resident sees only their own."""
    require_user(user)
    operator = operator_or_404(session, operator_id, KEY)
    only = None
    if not may_read_operator(user, operator):
        if not has_role(user, "resident", community_id=operator.community_id):
            raise WAGES_READERS()
        only = user.id
    first, last = parse_period(period)
    community = session.get(Community, operator.community_id)
    zone = ZoneInfo(community.timezone)
    query = (select(WorkshopPieces.worker_id, User.name, Slot.id, Slot.starts_at, WorkshopJob.id,
                    WorkshopJob.merchant, WorkshopJob.product, WorkshopJob.unit_rate_amount,
                    func.sum(WorkshopPieces.pieces))
             .join(WorkshopJob, WorkshopJob.id == WorkshopPieces.job_id)
             .join(Slot, Slot.id == WorkshopPieces.slot_id)
             .join(User, User.id == WorkshopPieces.worker_id)
             .where(WorkshopJob.operator_id == operator.id,
                    Slot.starts_at >= dt.datetime.combine(first, dt.time(0), zone),
                    Slot.starts_at < dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), zone))
             .group_by(WorkshopPieces.worker_id, User.name, Slot.id, Slot.starts_at, WorkshopJob.id,
                       WorkshopJob.merchant, WorkshopJob.product, WorkshopJob.unit_rate_amount)
             .order_by(User.name, WorkshopPieces.worker_id, Slot.starts_at, WorkshopJob.id))
    if only is not None:
        query = query.where(WorkshopPieces.worker_id == only)
    workers: dict[int, dict] = {}
    for worker_id, name, slot_id, starts_at, job_id, merchant, product, rate, count in session.execute(query):
        worker = workers.setdefault(worker_id, {"worker_id": worker_id, "worker": name, "pieces": 0, "amount": 0,
                                                "lines": []})
        line = {"date": starts_at.astimezone(zone).date(), "slot_id": slot_id, "job_id": job_id, "merchant": merchant,
                "product": product, "pieces": int(count), "unit_rate_amount": rate, "amount": int(count) * rate}
        worker["lines"].append(line)
        worker["pieces"] += line["pieces"]
        worker["amount"] += line["amount"]
    return {"operator_id": operator.id, "period": period, "currency": community.currency,
            "workers": list(workers.values()), "total_pieces": sum(w["pieces"] for w in workers.values()),
            "total_amount": sum(w["amount"] for w in workers.values())}


def wage_table(sheet: dict) -> Table:
    """One row per worker, shift and job under ``CSV_COLUMNS``, then the total."""
    rows = [[{**line, "worker_id": worker["worker_id"], "worker": worker["worker"],
              "currency": sheet["currency"]}[column.name] for column in CSV_COLUMNS]
            for worker in sheet["workers"] for line in worker["lines"]]
    total = ["", TOTAL, "", "", "", "", "", sheet["total_pieces"], "", sheet["total_amount"], sheet["currency"]]
    return Table(CSV_COLUMNS, [*rows, total], sheet["currency"])


def csv_response(sheet: dict, raw: bool | None = None) -> Response:
    """The sheet as a CSV download named after the workshop and the period (``raw``: the form for tools)."""
    return csv_download(wage_table(sheet), f"wages-{sheet['operator_id']}-{sheet['period']}.csv", raw)
