"""Funded projects report back: a disbursed proposal's outcome, by the community's staff, on the public page."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core import outcomes
from core.models import AuditEvent, OutcomePhoto, ProjectOutcome
from tests.test_complaints import JPEG, PNG
from tests.factories import make_community
from tests.test_fund import approved_proposal

FUND = "/communities/heping/fund"
REPORT = {"done": "Twenty home visits with a gift of rice and oil", "beneficiaries": 20, "spent_amount": 1_800}


def disbursed(demo, amount=2_000, title="Visits to residents living alone"):
    committee = demo.api("committee1")
    given = committee.post(f"{FUND}/gifts", {
        "donor_name": "Heping Pharmacy", "donor_kind": "company", "amount": 10_000, "reference": "BANK-1",
        "received_on": dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()})
    assert given.status_code == 201
    pid = approved_proposal(demo, amount, title)
    paid = demo.api("charity").post(f"{FUND}/proposals/{pid}/disburse", {"reference": "R1"})
    assert paid.status_code == 200, paid.get_json()
    return pid


PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


def written(db):
    db.commit()
    return tuple(db.scalar(select(func.count()).select_from(t)) for t in (ProjectOutcome, OutcomePhoto, AuditEvent))


def add_photo(api, pid, data, kind="image/png"):
    return api.call("POST", f"{FUND}/proposals/{pid}/outcome/photos", data=data, headers={"Content-Type": kind})


def test_staff_report_a_disbursed_project_and_the_public_sees_it(demo, db, client):
    pid = disbursed(demo)
    made = demo.api("staff").post(f"{FUND}/proposals/{pid}/outcome", REPORT)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert {k: body[k] for k in ("proposal_id", "done", "beneficiaries", "granted_amount", "spent_amount",
                                 "unspent_amount", "currency")} == {
        "proposal_id": pid, "done": REPORT["done"], "beneficiaries": 20, "granted_amount": 2_000,
        "spent_amount": 1_800, "unspent_amount": 200, "currency": "CNY"}
    assert client.get(f"/api/v1{FUND}/proposals/{pid}/outcome").get_json() == body  # no login needed
    report = client.get("/api/v1/public/communities/heping/fund-report").get_json()
    assert report["disbursements"][0]["outcome"] == body
    db.commit()
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "outcome_reported"))
    assert event.subject_id == pid and event.data == {"beneficiaries": 20, "spent_amount": 1_800}
    page = client.get("/communities/heping/transparency", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert REPORT["done"] in page and "People it served: 20" in page and "Spent CN¥18.00 of CN¥20.00 granted" in page


def test_an_outcome_only_after_the_money_went_out_and_only_once(demo, db, client):
    pid = approved_proposal(demo, 2_000, "Not paid yet")
    before = written(db)
    early = demo.api("staff").post(f"{FUND}/proposals/{pid}/outcome", REPORT, headers={"Accept-Language": "zh"})
    assert early.status_code == 409 and early.get_json()["code"] == "not_disbursed_yet"
    assert written(db) == before
    missing = client.get(f"/api/v1{FUND}/proposals/{pid}/outcome")
    assert missing.status_code == 404 and missing.get_json()["code"] == "no_outcome"
    paid = disbursed(demo, title="Paid")
    page = client.get("/communities/heping/transparency", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "The project has not reported back yet." in page
    assert demo.api("staff").post(f"{FUND}/proposals/{paid}/outcome", REPORT).status_code == 201
    before = written(db)
    again = demo.api("staff").post(f"{FUND}/proposals/{paid}/outcome", REPORT | {"beneficiaries": 99})
    assert again.status_code == 409 and again.get_json()["code"] == "outcome_reported_already"
    assert written(db) == before
    assert client.get("/api/v1/communities/heping/fund/proposals/999999/outcome").status_code == 404


def test_only_the_communitys_staff_report(demo, db):
    pid = disbursed(demo)
    before = written(db)
    for local in ("committee1", "charity", "adult", "canteen"):
        assert demo.api(local).post(f"{FUND}/proposals/{pid}/outcome", REPORT).status_code == 403, local
    assert demo.client.post(f"/api/v1{FUND}/proposals/{pid}/outcome", json=REPORT).status_code == 401
    assert written(db) == before


@pytest.mark.parametrize("change, field", [
    ({"done": "   "}, "done"), ({"done": ""}, "done"), ({"beneficiaries": -1}, "beneficiaries"),
    ({"beneficiaries": "20"}, "beneficiaries"), ({"spent_amount": 12.5}, "spent_amount"),
    ({"spent_amount": -1}, "spent_amount"), ({"photos": []}, "photos"),
])
def test_bad_reports_are_a_422_and_write_nothing(demo, db, change, field):
    pid = disbursed(demo)
    before = written(db)
    refused = demo.api("staff").post(f"{FUND}/proposals/{pid}/outcome", REPORT | change)
    assert refused.status_code == 422 and field in refused.get_json()["errors"], refused.get_json()
    assert written(db) == before


def test_staff_add_photos_that_anyone_may_see_under_random_names(demo, app, db, client):
    pid = disbursed(demo)
    staff = demo.api("staff")
    assert add_photo(staff, pid, PNG).get_json()["code"] == "no_outcome"  # nothing to show them under yet
    assert staff.post(f"{FUND}/proposals/{pid}/outcome", REPORT).get_json()["photo_ids"] == []
    added = add_photo(staff, pid, PNG, "application/octet-stream")
    assert added.status_code == 201, added.get_json()
    again = add_photo(staff, pid, JPEG)
    first, second = again.get_json()["photo_ids"]
    assert added.get_json()["photo_ids"] == [first]
    assert client.get(f"/api/v1{FUND}/proposals/{pid}/outcome").get_json()["photo_ids"] == [first, second]
    shown = client.get(f"/api/v1{FUND}/outcome-photos/{second}")  # no login: public, like the report
    assert shown.status_code == 200 and shown.data == JPEG and shown.mimetype == "image/jpeg"
    assert shown.headers["X-Content-Type-Options"] == "nosniff" and shown.headers["Content-Disposition"] == "inline"
    page = client.get(f"/communities/heping/transparency/photos/{first}")
    assert page.status_code == 200 and page.data == PNG and page.headers["X-Content-Type-Options"] == "nosniff"
    name = db.scalar(select(OutcomePhoto.name).where(OutcomePhoto.id == first))
    assert name.endswith(".png") and len(name) == 36 and outcomes.PHOTOS.read(app.instance_path, name) == PNG
    db.commit()
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "outcome_photos_added")).all()[-1]
    assert event.subject_id == pid and event.data == {"photos": 1}
    assert client.get(f"/api/v1{FUND}/outcome-photos/999999").get_json()["code"] == "no_outcome_photo"


def test_an_outcome_shows_six_photos_at_most_and_only_pictures(demo, db):
    pid = disbursed(demo)
    staff = demo.api("staff")
    assert staff.post(f"{FUND}/proposals/{pid}/outcome", REPORT).status_code == 201
    before = written(db)
    pdf = add_photo(staff, pid, PDF, "image/png")
    assert pdf.status_code == 422 and pdf.get_json()["code"] == "not_an_image" and "photos" in pdf.get_json()["errors"]
    big = add_photo(staff, pid, PNG + bytes(5 * 1024 * 1024))
    assert big.status_code == 413 and big.get_json()["code"] == "photo_too_large"
    assert written(db) == before
    for _ in range(outcomes.MOST_PHOTOS):
        assert add_photo(staff, pid, PNG).status_code == 201
    before = written(db)
    seventh = add_photo(staff, pid, PNG)
    assert seventh.status_code == 422 and seventh.get_json()["code"] == "too_many_photos"
    assert "photos" in seventh.get_json()["errors"]
    assert written(db) == before


def test_only_the_communitys_staff_add_photos_and_another_communitys_photo_is_not_found(demo, db, client):
    pid = disbursed(demo)
    assert demo.api("staff").post(f"{FUND}/proposals/{pid}/outcome", REPORT).status_code == 201
    photo_id = add_photo(demo.api("staff"), pid, PNG).get_json()["photo_ids"][0]
    before = written(db)
    for local in ("committee1", "charity", "adult", "canteen"):
        assert add_photo(demo.api(local), pid, PNG).status_code == 403, local
    assert client.post(f"/api/v1{FUND}/proposals/{pid}/outcome/photos", data=PNG,
                       headers={"Content-Type": "image/png"}).status_code == 401
    assert written(db) == before
    make_community(db, slug="elsewhere")
    db.commit()
    assert client.get(f"/api/v1/communities/elsewhere/fund/outcome-photos/{photo_id}").status_code == 404
    assert client.get(f"/communities/elsewhere/transparency/photos/{photo_id}").status_code == 404
