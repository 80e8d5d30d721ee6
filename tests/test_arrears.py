"""A transfer pays the oldest donations owed first: a late transfer clears the old month's arrears, even a closed
month's, and the month it arrives in shows no negative difference."""
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core import donations
from core.arrears import fifo
from core.models import Community, FundTransfer, JournalEntry, Operator

RECONCILIATION = "/communities/heping/fund/reconciliation"


def today():
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def month(months_back: int) -> dt.date:
    """The 15th of the month so many months before this one."""
    day = today().replace(day=1)
    for _ in range(months_back):
        day = (day - dt.timedelta(days=1)).replace(day=1)
    return day.replace(day=15)


def owe(db, amount: int, day: dt.date, source: str) -> Operator:
    """Cash donations the housekeeping centre came to owe on ``day`` (as cash check-ins post them)."""
    community = db.scalar(select(Community))
    operator = db.scalar(select(Operator).where(Operator.type == "housekeeping"))
    donations.post_due(db, community, operator, amount, source, memo="cash donations", effective_on=day)
    db.commit()
    return operator


def row(committee, day: dt.date, operator: Operator) -> dict:
    report = committee.get(f"{RECONCILIATION}?period={day:%Y-%m}").get_json()
    return next(r for r in report["operators"] if r["operator_id"] == operator.id) | {"closed": report["closed"]}


def transfer(committee, operator, amount, reference, day=None):
    return committee.post("/communities/heping/fund/transfers", {
        "operator_id": operator.id, "amount": amount, "reference": reference,
        "received_on": (day or today()).isoformat()})


def test_a_transfer_after_the_close_clears_the_closed_months_arrears_and_leaves_no_negative(demo, db, web):
    november = month(1)
    operator = owe(db, 1200, november, "test:due:last-month")
    committee = demo.api("committee1")
    assert committee.post(f"/communities/heping/fund/periods/{november:%Y-%m}/close").status_code == 200
    before = row(committee, november, operator)
    assert (before["due_amount"], before["variance_amount"], before["closed"]) == (1200, 1200, True)

    assert transfer(committee, operator, 1200, "BANK-LATE").status_code == 201

    after = row(committee, november, operator)
    assert (after["received_transfer_amount"], after["variance_amount"], after["closed"]) == (1200, 0, True)
    assert after["cleared_by"] == [{"period": f"{november:%Y-%m}", "amount": 1200, "reference": "BANK-LATE",
                                    "received_on": today().isoformat(),
                                    "transfer_id": db.scalar(select(FundTransfer.id))}]
    now = row(committee, today(), operator)
    assert (now["received_transfer_amount"], now["variance_amount"]) == (0, 0)
    posted = db.scalar(select(JournalEntry).where(JournalEntry.kind == "transfer"))
    assert posted.period == f"{today():%Y-%m}"  # the closed month took no new entry: only its reading changed
    owed = committee.get(f"/operators/{operator.id}/statements/{today():%Y-%m}").get_json()
    assert owed["outstanding_amount"] == 0

    member = web("committee1")
    old = member.get(f"/communities/heping/fund/reconciliation/{november:%Y-%m}/operators/{operator.id}")
    assert "BANK-LATE" in old.get_data(as_text=True) and 'data-testid="cleared"' in old.get_data(as_text=True)
    new = member.get(f"/communities/heping/fund/reconciliation/{today():%Y-%m}/operators/{operator.id}")
    page = new.get_data(as_text=True)
    assert 'data-testid="applied"' in page and "BANK-LATE" in page
    assert f"/reconciliation/{november:%Y-%m}/operators/{operator.id}" in page  # where it went, one tap away


def test_transfers_fill_the_oldest_month_first_across_several_months(demo, db):
    october, november = month(2), month(1)
    operator = owe(db, 500, october, "test:due:october")
    owe(db, 700, november, "test:due:november")
    owe(db, 1200, today(), "test:due:this-month")
    committee = demo.api("committee1")
    assert transfer(committee, operator, 1000, "BANK-1").status_code == 201
    assert [row(committee, day, operator)["variance_amount"] for day in (october, november, today())] == [0, 200, 1200]
    assert transfer(committee, operator, 1400, "BANK-2").status_code == 201
    figures = [row(committee, day, operator) for day in (october, november, today())]
    assert [f["variance_amount"] for f in figures] == [0, 0, 0]
    assert [(p["reference"], p["amount"]) for p in figures[1]["cleared_by"]] == [("BANK-1", 500), ("BANK-2", 200)]
    assert [(p["reference"], p["amount"]) for p in figures[2]["cleared_by"]] == [("BANK-2", 1200)]


def test_a_transfer_beyond_every_months_debt_is_still_refused_and_writes_nothing(demo, db):
    operator = owe(db, 1200, month(1), "test:due:last-month")
    committee = demo.api("committee1")
    entries = db.scalar(select(func.count()).select_from(JournalEntry))
    refused = transfer(committee, operator, 1201, "BANK-TOO-MUCH")
    assert refused.status_code == 409 and refused.get_json()["code"] == "transfer_exceeds_debt"
    assert db.scalar(select(func.count()).select_from(FundTransfer)) == 0
    assert db.scalar(select(func.count()).select_from(JournalEntry)) == entries
    assert row(committee, month(1), operator)["variance_amount"] == 1200


def test_fifo_places_each_transfer_on_the_oldest_dues_and_keeps_a_remainder_where_it_was_posted():
    owed = {"2026-10": 500, "2026-11": 700, "2026-12": -100, "2026-09": 0}
    first, second = (1000, "2026-12", "T1"), (400, "2026-12", "T2")
    assert fifo(owed, [first, second]) == [("2026-10", 500, first), ("2026-11", 500, first),
                                           ("2026-11", 200, second), ("2026-12", 200, second)]
    assert owed["2026-11"] == 700  # the dues given are not changed
    assert fifo({}, [first]) == [("2026-12", 1000, first)]
