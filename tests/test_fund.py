"""The fund committee: proposals and votes under the governance rules, reconciliation, period close, public report."""
import datetime as dt
import json
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core import ledger
from core.settlement import SETTLED
from core.donations import received_lines
from core.models import AuditEvent, Community, FundTransfer, JournalEntry, Operator
from tests.clock import serving_booking


def today():
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def period():
    return today().strftime("%Y-%m")


def give_fund(db, amount, operator_type="housekeeping", source="seed"):
    """Money received by the fund from an operator (as a Stripe application fee would be)."""
    community = db.scalar(select(Community))
    operator = db.scalar(select(Operator).where(Operator.type == operator_type))
    ledger.post(db, community, "donation", source, received_lines(amount, operator.id, "payments_clearing"), "CNY",
                operator_id=operator.id)
    db.commit()
    return community, operator


def propose(demo, amount=50_000, title="Visits to elderly residents living alone"):
    staff = demo.api("staff")
    created = staff.post("/communities/heping/fund/proposals", {
        "title": title, "purpose": "Monthly home visits with a small gift", "requested_amount": amount,
        "beneficiary": "Elderly residents of Heping", "planned_on": "2026-12-15",
        "attachments": [{"title": "Budget", "note": "20 gifts at ¥25"}]})
    assert created.status_code == 201, created.get_json()
    pid = created.get_json()["id"]
    assert staff.post(f"/communities/heping/fund/proposals/{pid}/submit").get_json()["status"] == "submitted"
    return pid


def vote(demo, member, pid, decision):
    return demo.api(member).post(f"/communities/heping/fund/proposals/{pid}/votes",
                                 {"decision": decision, "comment": f"{member} says {decision}"})


def test_the_whole_lifecycle_with_the_demo_committee(demo, db):
    give_fund(db, 80_000)
    pid = propose(demo)
    assert vote(demo, "committee1", pid, "approve").get_json()["status"] == "submitted"
    passed = vote(demo, "committee2", pid, "approve")
    assert passed.status_code == 201 and passed.get_json()["status"] == "committee_approved"
    assert len(passed.get_json()["votes"]) == 2
    assert vote(demo, "committee3", pid, "reject").status_code == 409  # decided already
    charity = demo.api("charity")
    approved = charity.post(f"/communities/heping/fund/proposals/{pid}/charity-decision", {"approved": True})
    assert approved.get_json()["status"] == "charity_approved"
    paid = charity.post(f"/communities/heping/fund/proposals/{pid}/disburse", {"reference": "BANK-2026-001"})
    assert paid.status_code == 200 and paid.get_json()["status"] == "disbursed"
    fund = demo.api("committee1").get("/communities/heping/fund").get_json()
    assert fund["balance_amount"] == 30_000
    assert fund["outflows"][0]["amount"] == 50_000 and fund["outflows"][0]["approvals"] == 2
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "proposal")
                         .order_by(AuditEvent.id)).all()
    assert actions == ["proposal_drafted", "proposal_submitted", "proposal_voted", "proposal_voted",
                       "charity_decided", "proposal_disbursed"]
    assert all(e.actor_id for e in db.scalars(select(AuditEvent)))


def test_one_approval_and_two_rejections_reject(demo):
    pid = propose(demo)
    vote(demo, "committee1", pid, "approve")
    vote(demo, "committee2", pid, "reject")
    assert vote(demo, "committee3", pid, "reject").get_json()["status"] == "rejected"
    assert demo.api("charity").post(f"/communities/heping/fund/proposals/{pid}/charity-decision",
                                    {"approved": True}).status_code == 409


def test_a_four_member_committee_cannot_vote(demo, db):
    pid = propose(demo)
    staff = demo.api("staff")
    adult_id = demo.api("adult").get("/me").get_json()["id"]
    committee = staff.post("/communities/heping/committee", {"user_id": adult_id}).get_json()
    assert committee["size"] == 4 and committee["can_vote"] is False
    refused = vote(demo, "committee1", pid, "approve")
    assert refused.status_code == 409 and refused.get_json()["code"] == "committee_size"
    assert demo.api("adult").post("/communities/heping/committee", {"user_id": adult_id}).status_code == 403
    staff.call("DELETE", f"/communities/heping/committee/{adult_id}")
    assert vote(demo, "committee1", pid, "approve").status_code == 201


def test_each_member_votes_once_and_roles_stay_in_their_lane(demo):
    pid = propose(demo)
    assert vote(demo, "committee1", pid, "approve").status_code == 201
    assert vote(demo, "committee1", pid, "approve").status_code == 409
    assert vote(demo, "charity", pid, "approve").status_code == 403
    assert vote(demo, "staff", pid, "approve").status_code == 403
    assert demo.api("committee2").post(f"/communities/heping/fund/proposals/{pid}/charity-decision",
                                       {"approved": True}).status_code == 403
    assert demo.api("adult").post(f"/communities/heping/fund/proposals/{pid}/disburse",
                                  {"reference": "x"}).status_code == 403
    rejected = demo.api("charity").post(f"/communities/heping/fund/proposals/{pid}/charity-decision",
                                        {"approved": False})
    assert rejected.status_code in (409, 422)  # not yet approved by the committee, and no reason given


def approved_proposal(demo, amount, title):
    pid = propose(demo, amount, title)
    vote(demo, "committee1", pid, "approve")
    vote(demo, "committee2", pid, "approve")
    demo.api("charity").post(f"/communities/heping/fund/proposals/{pid}/charity-decision", {"approved": True})
    return pid


def test_a_disbursement_never_overdraws_the_fund(demo, db):
    give_fund(db, 10_000)
    pid = approved_proposal(demo, 10_001, "Roof repair")
    refused = demo.api("charity").post(f"/communities/heping/fund/proposals/{pid}/disburse", {"reference": "R1"})
    assert refused.status_code == 409 and refused.get_json()["code"] == "would_overdraw"
    assert demo.api("committee1").get("/communities/heping/fund").get_json()["balance_amount"] == 10_000


def test_only_the_charity_officer_disburses_and_a_member_is_refused_before_the_state_is_looked_at(demo, db, web):
    give_fund(db, 100_000)
    approved = approved_proposal(demo, 10_000, "Garden benches")
    submitted = propose(demo, 10_000, "New curtains")
    member = demo.api("committee1")
    for pid in (approved, submitted):  # payable, and not yet payable (a 409 for the charity): a 403 either way
        refused = member.post(f"/communities/heping/fund/proposals/{pid}/disburse", {"reference": "R1"})
        assert refused.status_code == 403, refused.get_json()
    assert demo.api("charity").post(f"/communities/heping/fund/proposals/{submitted}/disburse",
                                    {"reference": "R1"}).status_code == 409
    page = f"/communities/heping/fund/proposals/{approved}"
    as_member = web("committee1")
    assert "Pay out" not in as_member.get(page).get_data(as_text=True)
    as_member.post(f"{page}/disburse", {"reference": "R1"})
    assert member.get(f"/communities/heping/fund/proposals/{approved}").get_json()["status"] == "charity_approved"
    assert member.get("/communities/heping/fund").get_json()["balance_amount"] == 100_000
    assert "Pay out" in web("charity").get(page).get_data(as_text=True)


def check_in_cash_cleaning(demo):
    slot = demo.slots("Home cleaning, 2 hours")[0]
    booking = demo.api("adult").post("/bookings", {"slot_id": slot["id"], "payment_method": "cash",
                                                   "details": {"address": "Heping Road 9"}}).get_json()
    with serving_booking(demo.client, booking):
        assert demo.api("housekeeping").post(f"/bookings/{booking['id']}/check-in").status_code == 200
    return booking


def reconciliation_row(demo, operator_type):
    report = demo.api("committee1").get(f"/communities/heping/fund/reconciliation?period={period()}").get_json()
    return next(row for row in report["operators"] if row["type"] == operator_type)


def test_reconciliation_shows_the_exact_variance_until_the_transfer_arrives(demo, db):
    check_in_cash_cleaning(demo)  # ¥120 cash → ¥12 due from the operator
    give_fund(db, 700, "housekeeping", source="stripe-fee")  # ¥7 received online as an application fee
    fair_id = demo.listing("Neighbourhood fair")["operator_id"]
    gift = demo.api("committee1").post("/communities/heping/fund/in-kind", {
        "operator_id": fair_id, "donor": "Zhang's grocery", "item": "rice bags", "quantity": 10,
        "declared_value_amount": 5000, "received_on": today().isoformat()})
    assert gift.status_code == 201
    row = reconciliation_row(demo, "housekeeping")
    assert (row["due_amount"], row["received_online_amount"], row["variance_amount"]) == (1900, 700, 1200)
    housekeeping_id = row["operator_id"]
    committee = demo.api("committee1")
    too_much = committee.post("/communities/heping/fund/transfers", {
        "operator_id": housekeeping_id, "amount": 1201, "reference": "BANK-1", "received_on": today().isoformat()})
    assert too_much.status_code == 409
    assert committee.post("/communities/heping/fund/transfers", {
        "operator_id": housekeeping_id, "amount": 1200, "reference": "BANK-1",
        "received_on": today().isoformat()}).status_code == 201
    row = reconciliation_row(demo, "housekeeping")
    assert (row["received_transfer_amount"], row["variance_amount"]) == (1200, 0)
    fair = reconciliation_row(demo, "market_fair")
    assert (fair["in_kind_amount"], fair["variance_amount"]) == (5000, 0)  # in kind is never cash
    fund = committee.get("/communities/heping/fund").get_json()
    assert (fund["balance_amount"], fund["receivable_amount"], fund["in_kind_amount"]) == (1900, 0, 5000)


def test_a_transfer_dated_after_today_is_refused_through_the_api_and_the_page(demo, db, web):
    """A transfer dated 2099 landed in a period that could never close; a gift in kind likewise."""
    check_in_cash_cleaning(demo)  # ¥12 due from the housekeeping centre
    operator_id = reconciliation_row(demo, "housekeeping")["operator_id"]
    committee = demo.api("committee1")
    for day in (today() + dt.timedelta(days=1), dt.date(2099, 1, 1)):
        refused = committee.post("/communities/heping/fund/transfers", {
            "operator_id": operator_id, "amount": 1200, "reference": "BANK-9", "received_on": day.isoformat()})
        assert refused.status_code == 422 and "received_on" in refused.get_json()["errors"], refused.get_json()
    page = web("committee1").post("/communities/heping/fund/transfers/new", {
        "operator_id": str(operator_id), "amount": "12", "reference": "BANK-9", "received_on": "2099-01-01"})
    assert page.status_code == 422 and "after today" in page.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(FundTransfer)) == 0
    gift = committee.post("/communities/heping/fund/in-kind", {
        "donor": "a neighbour", "item": "rice", "quantity": 1, "declared_value_amount": 100,
        "received_on": (today() + dt.timedelta(days=1)).isoformat()})
    assert gift.status_code == 422 and gift.get_json()["code"] == "dated_in_the_future"
    assert committee.post("/communities/heping/fund/transfers", {
        "operator_id": operator_id, "amount": 1200, "reference": "BANK-9",
        "received_on": today().isoformat()}).status_code == 201


def test_a_variance_can_be_explained_drilled_into_and_exported(demo, runner, tmp_path):
    booking = check_in_cash_cleaning(demo)
    row = reconciliation_row(demo, "housekeeping")
    committee = demo.api("committee1")
    noted = committee.post(f"/communities/heping/fund/reconciliation/{period()}/notes",
                           {"operator_id": row["operator_id"], "note": "=转账下周到账 (transfer due next week)"})
    assert noted.status_code == 201
    drill = committee.get(f"/communities/heping/fund/reconciliation/{period()}/operators/{row['operator_id']}")
    assert {e["booking_id"] for e in drill.get_json()} == {booking["id"]}
    csv = committee.get(f"/communities/heping/fund/reconciliation?period={period()}&format=csv")
    assert csv.mimetype == "text/csv" and csv.data.startswith("\ufeff".encode())
    text = csv.data.decode("utf-8-sig")
    assert "Heping Home Services" in text and "'=转账下周到账" in text
    out = tmp_path / "r.csv"
    result = runner.invoke(args=["reconcile", "--community", "heping", "--period", period(), "--csv", str(out)])
    assert result.exit_code == 0 and "1200" in result.output and "note:" in result.output
    assert out.read_bytes().startswith(b"operator_id,operator,type,due_amount,")  # for tools: no byte-order mark
    assert demo.api("housekeeping").get(f"/communities/heping/fund/reconciliation?period={period()}").status_code == 403


def test_a_closed_period_takes_no_new_entries_late_ones_go_to_the_next(demo, db):
    last_month = (today().replace(day=1) - dt.timedelta(days=1))
    committee = demo.api("committee1")
    closed = committee.post(f"/communities/heping/fund/periods/{last_month:%Y-%m}/close")
    assert closed.status_code == 200 and closed.get_json()["closed"] is True
    assert committee.post(f"/communities/heping/fund/periods/{last_month:%Y-%m}/close").status_code == 409
    next_year = f"{today().year + 1}-01"
    assert committee.post(f"/communities/heping/fund/periods/{next_year}/close").status_code == 409
    assert demo.api("staff").post(f"/communities/heping/fund/periods/{period()}/close").status_code == 403
    community = db.scalar(select(Community))
    late = ledger.post(db, community, "donation", "late-payment", received_lines(300, None, "payments_clearing"),
                       "CNY", effective_on=last_month)
    db.commit()
    assert (late.period, late.late_from) == (period(), f"{last_month:%Y-%m}")
    in_closed = db.scalars(select(JournalEntry.source).where(JournalEntry.period == f"{last_month:%Y-%m}")).all()
    # what closing worked out (the workshop's fixed donation for that month), and nothing late
    assert in_closed and all(source.startswith(SETTLED) for source in in_closed) and "late-payment" not in in_closed


def test_a_month_is_closed_only_once_it_has_ended_and_closing_works_out_its_donations(demo, db):
    committee = demo.api("committee1")
    early = committee.call("POST", f"/communities/heping/fund/periods/{period()}/close",
                           headers={"Accept-Language": "zh"})
    assert early.status_code == 409 and early.get_json()["code"] == "period_not_ended"
    assert "还没有结束" in early.get_json()["detail"]
    last_month = f"{today().replace(day=1) - dt.timedelta(days=1):%Y-%m}"
    assert committee.post(f"/communities/heping/fund/periods/{last_month}/close").status_code == 200
    settled = db.scalars(select(JournalEntry).where(JournalEntry.period == last_month,
                                                    JournalEntry.source.like(f"{SETTLED}%"))).all()
    workshop_id = db.scalar(select(Operator.id).where(Operator.type == "workshop"))
    workshop = [e for e in settled if e.operator_id == workshop_id]
    assert len(workshop) == 1  # the workshop's ¥50,000 a year: one month of it, charged at the close


def test_the_public_report_needs_no_login_and_reveals_no_personal_data(demo, db, client):
    check_in_cash_cleaning(demo)
    give_fund(db, 5_000)
    pid = approved_proposal(demo, 2_000, "Tea for the chess club")
    demo.api("charity").post(f"/communities/heping/fund/proposals/{pid}/disburse", {"reference": "R9"})
    demo.api("committee1").post("/communities/heping/fund/in-kind", {
        "donor": "陈杰", "item": "books", "quantity": 3, "declared_value_amount": 900,
        "received_on": today().isoformat()})
    response = client.get("/api/v1/public/communities/heping/fund-report")
    assert response.status_code == 200
    report = response.get_json()
    assert report["balance_amount"] == 3_000 and report["disbursements"][0]["title"] == "Tea for the chess club"
    assert report["chain_head"] == db.scalar(select(JournalEntry.hash).order_by(JournalEntry.seq.desc()).limit(1))
    assert report["in_kind_items"][0]["donor"] == "a neighbour"
    text = json.dumps(report)
    for personal in ("陈杰", "example.org", "Heping Road 9", "1990"):
        assert personal not in text
    by_period = client.get(f"/api/v1/public/communities/heping/fund-report?period={period()}").get_json()
    assert by_period["monthly"] == [{"period": period(), "in_amount": 5_000, "out_amount": 2_000}]
    assert client.get("/api/v1/public/communities/heping/fund-report?period=soon").status_code == 422
    housekeeping = next(row["operator_id"] for row in report["inflows"] if row["operator"] == "Heping Home Services")
    donor = client.get(f"/api/v1/public/communities/heping/donors/{housekeeping}")
    assert donor.status_code == 200 and donor.get_json()["given"]
