"""The workshop plugin through the API: jobs, pieces within the order, wage sheets, revenue and the fixed donation."""
import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core import allocate
from core.db import utcnow
from core.models import Community, Slot, User
from plugins.workshop.models import WorkshopJob, WorkshopPieces
from tests.factories import DemoWorld, make_community, make_user
from tests.races import posting, race

ZONE = ZoneInfo("Asia/Shanghai")
JOB = {"merchant": "Yiwu Toys Ltd.", "product": "Knitted dolls", "unit_rate_amount": 350,
       "merchant_price_amount": 900, "quantity": 50, "due_on": "2030-01-31"}


def this_period():
    return dt.datetime.now(ZONE).strftime("%Y-%m")


def workshop_id(demo):
    return demo.listing("Hand-sewing piece-work")["operator_id"]


def create_job(demo, **overrides):
    response = demo.api("workshop").post(f"/workshop/operators/{workshop_id(demo)}/jobs", {**JOB, **overrides})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def started_shift(demo, db, index=0, *workers):
    """A shift the workers booked, which then began an hour ago; return it and the period it falls in."""
    shift = demo.slots("Hand-sewing piece-work")[index]
    for worker in workers:
        booked = demo.api(worker).post("/bookings", {"slot_id": shift["id"], "quantity": 1, "details": {}})
        assert booked.status_code == 201, booked.get_json()
    db.commit()  # a fresh transaction: the test's session must see (and may write after) what the API wrote
    row = db.get(Slot, shift["id"])
    row.starts_at = utcnow() - dt.timedelta(hours=1, days=index)
    row.ends_at = row.starts_at + dt.timedelta(hours=8)
    period = row.starts_at.astimezone(ZONE).strftime("%Y-%m")
    db.commit()
    return shift, period


def user_id(db, local):
    return db.scalar(select(User.id).where(User.email == f"{local}@example.org"))


def record(demo, job, shift, worker_id, pieces, who="workshop"):
    return demo.api(who).post(f"/workshop/jobs/{job['id']}/pieces",
                              {"slot_id": shift["id"], "worker_id": worker_id, "pieces": pieces})


def test_the_demo_workshop_has_an_open_job_and_seeding_again_adds_none(demo, app, db):
    jobs = demo.api("workshop").get(f"/workshop/operators/{workshop_id(demo)}/jobs").get_json()["items"]
    assert [(j["merchant"], j["product"], j["status"], j["completed"]) for j in jobs] == [
        ("杭州工艺品有限公司", "刺绣手袋", "open", 0)]
    db.commit()
    with app.extensions["linli"].db.sessionmaker() as session:
        app.extensions["linli"].plugins.hook.seed_demo(session=session, community=session.scalar(select(Community)),
                                               today=dt.datetime.now(ZONE).date())
        session.commit()
    assert db.scalar(select(func.count()).select_from(WorkshopJob)) == 1


def test_the_workshops_staff_create_jobs_and_the_community_staff_read_them(demo, db, api):
    job = create_job(demo)
    assert {k: job[k] for k in ("operator_id", "currency", "quantity", "completed", "remaining", "status",
                                "revenue_amount")} == {"operator_id": workshop_id(demo), "currency": "CNY",
                                                       "quantity": 50, "completed": 0, "remaining": 50,
                                                       "status": "open", "revenue_amount": None}
    url = f"/workshop/operators/{workshop_id(demo)}/jobs"
    for who, status in (("adult", 403), ("canteen", 403), ("staff", 403), ("committee1", 403)):
        assert demo.api(who).post(url, JOB).status_code == status, who
    assert demo.client.post("/api/v1" + url, json=JOB).status_code == 401
    assert demo.api("staff").get(url).get_json()["total"] == 2
    assert demo.api("staff").get(f"/workshop/jobs/{job['id']}").get_json()["product"] == "Knitted dolls"
    elsewhere = make_user(db, "community_staff", make_community(db))
    db.commit()
    for session in (demo.api("adult"), demo.api("canteen"), api(elsewhere)):
        assert session.get(url).status_code == 403
        assert session.get(f"/workshop/jobs/{job['id']}").status_code == 403
    canteen_id = demo.listing("Community lunch")["operator_id"]
    assert demo.api("workshop").post(f"/workshop/operators/{canteen_id}/jobs", JOB).status_code == 404
    assert demo.api("workshop").get("/workshop/jobs/999999").status_code == 404


def test_a_job_refuses_bad_input(demo):
    url = f"/workshop/operators/{workshop_id(demo)}/jobs"
    for bad, field in (({"quantity": 0}, "quantity"), ({"unit_rate_amount": "350"}, "unit_rate_amount"),
                       ({"unit_rate_amount": 3.5}, "unit_rate_amount"), ({"due_on": "soon"}, "due_on"),
                       ({"merchant": " "}, "merchant"), ({"colour": "red"}, "colour"),
                       ({"quantity": 1_000_000, "merchant_price_amount": 1_000_000}, "merchant_price_amount")):
        response = demo.api("workshop").post(url, {**JOB, **bad})
        assert response.status_code == 422 and field in response.get_json()["errors"], bad
    missing = demo.api("workshop").post(url, {k: v for k, v in JOB.items() if k != "due_on"})
    assert missing.status_code == 422 and "due_on" in missing.get_json()["errors"]
    assert demo.api("workshop").get(url + "?status=lost").status_code == 422


def test_pieces_are_recorded_for_the_workers_of_a_shift_once_it_has_begun(demo, db):
    job = create_job(demo)
    shift = demo.slots("Hand-sewing piece-work")[0]
    demo.api("adult").post("/bookings", {"slot_id": shift["id"], "quantity": 1, "details": {}})
    adult = user_id(db, "adult")
    early = record(demo, job, shift, adult, 5)
    assert early.status_code == 409 and early.get_json()["code"] == "shift_not_started"
    shift, _ = started_shift(demo, db, 0)
    recorded = record(demo, job, shift, adult, 5)
    assert recorded.status_code == 201
    assert {k: recorded.get_json()[k] for k in ("job_id", "slot_id", "worker_id", "worker", "pieces")} == {
        "job_id": job["id"], "slot_id": shift["id"], "worker_id": adult, "worker": "陈杰", "pieces": 5}
    not_a_worker = record(demo, job, shift, user_id(db, "student"), 5)
    assert not_a_worker.status_code == 422 and "worker_id" in not_a_worker.get_json()["errors"]
    lunch = record(demo, job, demo.slots("Community lunch")[0], adult, 5)
    assert lunch.status_code == 422 and "slot_id" in lunch.get_json()["errors"]
    for who in ("adult", "canteen", "staff"):
        assert record(demo, job, shift, adult, 5, who=who).status_code == 403, who
    assert record(demo, job, shift, adult, 0).status_code == 422
    listed = demo.api("staff").get(f"/workshop/jobs/{job['id']}/pieces").get_json()
    assert [(p["worker"], p["pieces"]) for p in listed["items"]] == [("陈杰", 5)]
    assert demo.api("adult").get(f"/workshop/jobs/{job['id']}/pieces").status_code == 403


def test_pieces_never_exceed_what_the_job_ordered(demo, db):
    job = create_job(demo, quantity=50)
    shift, _ = started_shift(demo, db, 0, "adult", "lowincome")
    adult, lowincome = user_id(db, "adult"), user_id(db, "lowincome")
    assert record(demo, job, shift, adult, 30).status_code == 201
    too_many = record(demo, job, shift, lowincome, 25)
    assert too_many.status_code == 409
    assert too_many.get_json()["code"] == "too_many_pieces"
    assert "ordered 50 pieces and 30 are recorded: at most 20 more" in too_many.get_json()["detail"]
    assert record(demo, job, shift, lowincome, 20).status_code == 201
    assert record(demo, job, shift, adult, 1).status_code == 409
    done = demo.api("workshop").get(f"/workshop/jobs/{job['id']}").get_json()
    assert (done["completed"], done["remaining"]) == (50, 0)


@pytest.mark.postgres
def test_racing_records_never_exceed_the_order(app, demo, db):
    job = create_job(demo, quantity=55)
    shift, _ = started_shift(demo, db, 0, "adult")
    token = demo.api("workshop").token
    body = {"slot_id": shift["id"], "worker_id": user_id(db, "adult"), "pieces": 10}
    results = race([posting(app, f"/workshop/jobs/{job['id']}/pieces", body, token)] * 12, threads=8)
    assert sorted(status for status, _ in results) == [201] * 5 + [409] * 7
    db.commit()
    assert db.get(WorkshopJob, job["id"]).completed == 50
    assert db.scalar(select(func.sum(WorkshopPieces.pieces)).where(WorkshopPieces.job_id == job["id"])) == 50


def test_the_wage_sheet_pays_pieces_times_rate_per_worker(demo, db):
    bags = create_job(demo, unit_rate_amount=350, quantity=500)
    dolls = create_job(demo, product="Straw hats", unit_rate_amount=120, quantity=500)
    first, period = started_shift(demo, db, 0, "adult", "lowincome")
    adult, lowincome = user_id(db, "adult"), user_id(db, "lowincome")
    for job, shift, worker, pieces in ((bags, first, adult, 40), (bags, first, adult, 2), (dolls, first, adult, 10),
                                       (bags, first, lowincome, 30)):
        assert record(demo, job, shift, worker, pieces).status_code == 201
    url = f"/workshop/operators/{workshop_id(demo)}/wages?period={period}"
    sheet = demo.api("workshop").get(url).get_json()
    by_worker = {w["worker"]: w for w in sheet["workers"]}
    assert (by_worker["陈杰"]["pieces"], by_worker["陈杰"]["amount"]) == (52, 42 * 350 + 10 * 120)
    assert [(line["job_id"], line["pieces"], line["amount"]) for line in by_worker["陈杰"]["lines"]] == [
        (bags["id"], 42, 14700), (dolls["id"], 10, 1200)]
    assert (by_worker["赵阿姨"]["pieces"], by_worker["赵阿姨"]["amount"]) == (30, 10500)
    assert (sheet["total_pieces"], sheet["total_amount"], sheet["currency"]) == (82, 15900 + 10500, "CNY")
    assert demo.api("staff").get(url).get_json() == sheet

    own = demo.api("adult").get(url).get_json()
    assert [w["worker"] for w in own["workers"]] == ["陈杰"] and own["total_amount"] == 15900
    assert demo.api("student").get(url).get_json()["workers"] == []
    for who in ("canteen", "committee1"):
        assert demo.api(who).get(url).status_code == 403, who
    assert demo.client.get("/api/v1" + url).status_code == 401
    assert demo.api("workshop").get(url.replace(period, "2026-13")).status_code == 422
    assert demo.api("workshop").get(url.replace(period, "2000-01")).get_json()["workers"] == []


def test_the_wage_sheet_exports_a_spreadsheet_safe_csv(demo, db):
    job = create_job(demo, merchant="=HYPERLINK(\"http://evil\")", product="-2+3", unit_rate_amount=200)
    shift, period = started_shift(demo, db, 0, "adult")
    db.get(User, user_id(db, "adult")).name = "@陈杰 陈洁"
    db.commit()
    assert record(demo, job, shift, user_id(db, "adult"), 12).status_code == 201
    url = f"/workshop/operators/{workshop_id(demo)}/wages.csv?period={period}"
    response = demo.api("workshop").get(url, headers={"Accept-Language": "zh"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith("\ufeff".encode())  # for people: Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["工人编号", "工人", "日期"]
    line = dict(zip(rows[0], rows[1]))
    assert (line["工人"], line["商家"], line["产品"]) == ("'@陈杰 陈洁", "'=HYPERLINK(\"http://evil\")", "'-2+3")
    assert (line["件数"], line["计件单价"], line["工资"], line["币种"]) == ("12", "2.00", "24.00", "CNY")
    assert rows[-1][1] == "合计" and rows[-1][9] == "24.00"
    raw = demo.api("workshop").get(url + "&raw=1", headers={"Accept-Language": "zh"})
    assert not raw.data.startswith("\ufeff".encode())  # for tools: English names, minor units
    rows = list(csv.reader(io.StringIO(raw.data.decode("utf-8"))))
    line = dict(zip(rows[0], rows[1]))
    assert rows[0][:3] == ["worker_id", "worker", "date"] and line["worker"] == "'@陈杰 陈洁"
    assert (line["pieces"], line["unit_rate_amount"], line["amount"], line["currency"]) == ("12", "200", "2400", "CNY")
    assert rows[-1][1] == "total" and rows[-1][9] == "2400"
    assert demo.api("canteen").get(f"/workshop/operators/{workshop_id(demo)}/wages.csv?period={period}") \
        .status_code == 403


def test_delivering_posts_the_contract_revenue_once_and_the_donation_stays_fixed(demo, db):
    job = create_job(demo, quantity=50, merchant_price_amount=900)
    assert demo.api("workshop").post(f"/workshop/jobs/{job['id']}/deliver").status_code == 409  # nothing made
    shift, _ = started_shift(demo, db, 0, "adult")
    record(demo, job, shift, user_id(db, "adult"), 40)
    assert demo.api("staff").post(f"/workshop/jobs/{job['id']}/deliver").status_code == 403
    delivered = demo.api("workshop").post(f"/workshop/jobs/{job['id']}/deliver")
    assert delivered.status_code == 200
    assert {k: delivered.get_json()[k] for k in ("status", "completed", "revenue_amount")} == {
        "status": "delivered", "completed": 40, "revenue_amount": 40 * 900}
    assert demo.api("workshop").post(f"/workshop/jobs/{job['id']}/deliver").status_code == 409
    assert record(demo, job, shift, user_id(db, "adult"), 1).status_code == 409

    period, month = this_period(), int(this_period()[5:])
    fixed = allocate(5_000_000, [1] * 12)[month - 1]  # ¥50,000 a year, accrued monthly
    statement_url = f"/operators/{workshop_id(demo)}/statements/{period}"
    before = demo.api("workshop").get(statement_url).get_json()
    assert (before["gross_revenue_amount"], before["donation_due_amount"]) == (36000, 0)  # nothing until settlement
    for _ in range(2):  # a re-run posts nothing twice
        statements = demo.api("committee1").post(f"/communities/heping/settlements/{period}").get_json()
        mine = next(s for s in statements if s["type"] == "workshop")
        assert (mine["gross_revenue_amount"], mine["donation_due_amount"], mine["outstanding_amount"]) == (
            36000, fixed, fixed)


def test_the_openapi_document_describes_the_workshop_api(demo):
    paths = demo.client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/workshop/operators/{operator_id}/jobs", "/api/v1/workshop/jobs/{job_id}",
            "/api/v1/workshop/jobs/{job_id}/pieces", "/api/v1/workshop/jobs/{job_id}/deliver",
            "/api/v1/workshop/operators/{operator_id}/wages",
            "/api/v1/workshop/operators/{operator_id}/wages.csv"} <= set(paths)


def test_without_the_workshop_plugin_the_core_and_the_other_plugins_still_work(make_app):
    from core import demo as demo_data

    app = make_app(DISABLED_PLUGINS="workshop")
    assert demo_data.seed(app)
    world = DemoWorld(app.test_client())
    types = {t["key"] for t in world.client.get("/api/v1/operator-types").get_json()}
    assert types == {"canteen", "housekeeping", "market_fair"}
    assert world.client.get("/api/v1/workshop/jobs/1").status_code == 404
    assert not any("/workshop/" in path for path in world.client.get("/api/v1/openapi.json").get_json()["paths"])
    lunch = world.slots("Community lunch")[0]
    booked = world.api("elder92").post("/bookings", {"slot_id": lunch["id"], "quantity": 1,
                                                     "details": {"home_delivery": True}})
    assert booked.status_code == 201
    assert world.client.get(f"/api/v1/canteen/slots/{lunch['id']}/menu").status_code == 200
    statements = world.api("committee1").post(f"/communities/heping/settlements/{this_period()}").get_json()
    assert {s["type"] for s in statements} == {"canteen", "housekeeping", "market_fair"}
