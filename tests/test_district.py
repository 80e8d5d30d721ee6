"""A district on one deployment: admins open communities, each switches operator types on or off, and district
officers read each community's month and the totals (JSON, CSV, a page; the totals for anyone) — in a fixed number
of queries however many communities there are, money never added across currencies."""
import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core import accounts, district
from core.models import Agreement, AuditEvent, Community, Operator, User
from tests.factories import listening, logged_in, make_community, make_operator, make_score, make_user

ZONE = ZoneInfo("Asia/Shanghai")
NEW = {"slug": "heping-east", "name": "Heping East", "currency": "CNY", "timezone": "Asia/Shanghai"}


def fresh(db, query):
    db.rollback()
    found = db.scalar(query)
    db.rollback()
    return found


def officer_of(db, *communities) -> User:
    """A district officer covering ``communities``: one grant in each."""
    user = make_user(db, "district_officer", communities[0])
    for community in communities[1:]:
        accounts.grant(db, user, "district_officer", community.id)
    db.commit()
    return user


def heping(db) -> Community:
    return db.scalar(select(Community).where(Community.slug == "heping"))


# --- communities -------------------------------------------------------------------------------------------------

def test_an_admin_opens_a_community_with_every_installed_type_on(demo, db):
    made = demo.api("admin").post("/communities", NEW)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert {k: body[k] for k in NEW} == NEW
    assert body["operator_types"] == ["canteen", "housekeeping", "market_fair", "workshop"]
    community = fresh(db, select(Community).where(Community.slug == "heping-east"))
    assert community.accountability == {} and community.operator_types_off == []
    assert fresh(db, select(AuditEvent.action).where(AuditEvent.subject_id == body["id"],
                                                      AuditEvent.subject_type == "community")) == "community_created"
    assert demo.api("admin").post("/communities", NEW).get_json()["code"] == "community_exists"


def test_a_new_community_is_refused_a_bad_slug_currency_or_time_zone_and_to_anyone_but_an_admin(demo, db):
    admin = demo.api("admin")
    for change, code in [({"slug": "9lives"}, "not_a_slug"), ({"slug": "Heping"}, "not_a_slug"),
                         ({"currency": "XXX"}, "unknown_currency"), ({"currency": "JPY"}, "unknown_currency"),
                         ({"timezone": "Mars/Olympus"}, "unknown_timezone"),
                         ({"timezone": "../../etc/passwd"}, "unknown_timezone")]:
        refused = admin.post("/communities", NEW | change)
        assert refused.status_code == 422 and refused.get_json()["code"] == code, (change, refused.get_json())
        assert list(refused.get_json()["errors"]) == list(change)
    assert admin.post("/communities", NEW | {"name": "   "}).status_code == 422
    assert demo.api("staff").post("/communities", NEW).status_code == 403
    assert demo.client.post("/api/v1/communities", json=NEW).status_code == 401
    assert fresh(db, select(Community.id).where(Community.slug == "heping-east")) is None


def test_the_command_opens_a_community_and_grants_a_district_officer_once_per_community(demo, db, runner):
    made = runner.invoke(args=["create-community", "--slug", "riverside", "--name", "Riverside",
                               "--currency", "HKD", "--timezone", "Asia/Hong_Kong"])
    assert made.exit_code == 0, made.output
    assert fresh(db, select(Community.currency).where(Community.slug == "riverside")) == "HKD"
    bad = runner.invoke(args=["create-community", "--slug", "x y", "--name", "Bad"])
    assert bad.exit_code == 1 and bad.exception.code == "not_a_slug"  # `linli` says it as "… (not_a_slug)"
    for _ in range(2):  # granting again changes nothing
        granted = runner.invoke(args=["grant-role", "--email", "charity@example.org",
                                      "--role", "district_officer@heping", "--role", "district_officer@riverside"])
        assert granted.exit_code == 0, granted.output
    db.rollback()
    user = db.scalar(select(User).where(User.email == "charity@example.org"))
    assert sorted(g.community_id for g in user.grants if g.role == "district_officer") == sorted(
        db.scalars(select(Community.id).where(Community.slug.in_(["heping", "riverside"]))))
    nobody = runner.invoke(args=["grant-role", "--email", "nobody@example.org", "--role", "district_officer@heping"])
    assert nobody.exit_code == 1 and nobody.exception.code == "no_account_with_email"


# --- operator types on and off -----------------------------------------------------------------------------------

def test_a_type_switched_off_takes_no_new_listings_or_bookings_and_leaves_the_search(demo, db):
    staff, canteen, resident = demo.api("staff"), demo.api("canteen"), demo.api("adult")
    lunch = demo.listing("Community lunch")
    slot = demo.slots("Community lunch")[0]
    cleaning = demo.slots("Home cleaning, 2 hours")[0]
    switched = staff.put("/communities/heping/operator-types", {"enabled": ["housekeeping", "market_fair", "workshop"]})
    assert switched.status_code == 200 and "canteen" not in switched.get_json()["operator_types"]
    operator_id = lunch["operator_id"]
    refused = canteen.post("/listings", {"operator_id": operator_id, "title": "Dinner"})
    assert refused.status_code == 409 and refused.get_json()["code"] == "operator_type_switched_off"
    booked = resident.post("/bookings", {"slot_id": slot["id"], "quantity": 1, "payment_method": "cash"})
    assert booked.status_code == 409 and booked.get_json()["code"] == "operator_type_switched_off"
    assert resident.post("/quotes", {"slot_id": slot["id"], "quantity": 1}).status_code == 409
    for search in ("/listings?community=heping&per_page=200", "/listings?per_page=200"):
        titles = {item["title"] for item in demo.client.get("/api/v1" + search).get_json()["items"]}
        assert "Community lunch" not in titles and "Home cleaning, 2 hours" in titles, search
    assert demo.client.get(f"/api/v1/listings/{lunch['id']}").status_code == 200  # still there to read
    cleaned = resident.post("/bookings", {"slot_id": cleaning["id"], "quantity": 1, "payment_method": "cash",
                                          "details": {"address": "Heping Road 1"}})
    assert cleaned.status_code == 201, cleaned.get_json()
    on_again = staff.put("/communities/heping/operator-types", {"enabled": ["canteen", "housekeeping"]})
    assert on_again.get_json()["operator_types"] == ["canteen", "housekeeping"]
    assert resident.post("/bookings", {"slot_id": slot["id"], "quantity": 1,
                                       "payment_method": "cash"}).status_code == 201


def test_switching_types_is_for_the_community_staff_and_admins_and_knows_only_installed_types(demo, db):
    unknown = demo.api("staff").put("/communities/heping/operator-types", {"enabled": ["laundry"]})
    assert unknown.status_code == 422 and unknown.get_json()["code"] == "unknown_operator_type"
    assert demo.api("admin").put("/communities/heping/operator-types", {"enabled": []}).status_code == 200
    for local in ("adult", "committee1", "canteen"):
        assert demo.api(local).put("/communities/heping/operator-types",
                                   {"enabled": ["canteen"]}).status_code == 403, local
    assert fresh(db, select(Community.operator_types_off).where(Community.slug == "heping")) == [
        "canteen", "housekeeping", "market_fair", "workshop"]


# --- the district view -------------------------------------------------------------------------------------------

def test_the_summary_counts_each_communitys_month_and_adds_money_only_within_a_currency(demo, db, client):
    home = heping(db)
    period = dt.datetime.now(ZONE).strftime("%Y-%m")
    abroad = make_community(db, slug="harbour", name="Harbour", currency="USD", timezone="America/New_York")
    scored = db.scalars(select(Operator).where(Operator.community_id == home.id).order_by(Operator.id)).all()
    make_score(db, scored[0], period, 72)
    make_score(db, scored[1], period, 55)
    officer = officer_of(db, home, abroad)
    db.rollback()
    lunches = [s for s in demo.slots("Community lunch")
               if dt.datetime.fromisoformat(s["starts_at"]).astimezone(ZONE).strftime("%Y-%m") == period]
    for local in ("elder92", "senior68", "adult"):  # free, low-cost, paid
        booked = demo.api(local).post("/bookings", {"slot_id": lunches[0]["id"], "quantity": 1,
                                                    "payment_method": "cash"})
        assert booked.status_code == 201, booked.get_json()
    demo.api("adult").post("/bookings/%d/cancel" % booked.get_json()["id"])  # a cancelled booking does not count
    gift = demo.api("committee1").post("/communities/heping/fund/gifts", {
        "donor_name": "Heping Pharmacy", "donor_kind": "company", "amount": 50_000, "reference": "BANK-8",
        "received_on": dt.datetime.now(ZONE).date().isoformat()})
    assert gift.status_code == 201, gift.get_json()
    report = logged_in(client, officer).get(f"/district/summary?period={period}")
    assert report.status_code == 200, report.get_json()
    body = report.get_json()
    mine, theirs = body["communities"]
    assert (mine["slug"], theirs["slug"]) == ("heping", "harbour")
    assert mine["bookings"] == {"free": 1, "low_cost": 1, "paid": 0}
    assert mine["operators"] == 4 and mine["operator_scores"] == {"scored": 2, "mean": 6.4, "below_passing": 1}
    assert mine["fund"] == {"currency": "CNY", "inflow_amount": 50_000, "outflow_amount": 0,
                            "balance_amount": 50_000}
    assert theirs["fund"] == {"currency": "USD", "inflow_amount": 0, "outflow_amount": 0, "balance_amount": 0}
    assert theirs["operator_scores"]["mean"] is None
    totals = body["totals"]
    assert totals["communities"] == 2 and totals["bookings"] == {"free": 1, "low_cost": 1, "paid": 0}
    assert [line["currency"] for line in totals["fund"]] == ["CNY", "USD"]
    assert totals["fund"][0]["inflow_amount"] == 50_000
    earlier = logged_in(client, officer).get("/district/summary?period=2020-01").get_json()
    assert earlier["totals"]["bookings"] == {"free": 0, "low_cost": 0, "paid": 0}
    assert earlier["communities"][0]["fund"]["balance_amount"] == 0


def test_who_reads_the_district_view(demo, db, client):
    home = heping(db)
    elsewhere = make_community(db, slug="elsewhere")
    third = make_community(db, slug="third")
    officer = officer_of(db, home, third)
    seen = logged_in(client, officer).get("/district/summary?period=2026-11").get_json()
    assert [row["slug"] for row in seen["communities"]] == ["heping", "third"]  # not elsewhere
    everything = demo.api("admin").get("/district/summary?period=2026-11").get_json()
    assert [row["slug"] for row in everything["communities"]] == ["heping", "elsewhere", "third"]
    for local in ("staff", "charity", "committee1", "adult", "canteen"):
        refused = demo.api(local).get("/district/summary?period=2026-11")
        assert refused.status_code == 403 and refused.get_json()["code"] == "district_readers_only", local
    assert demo.client.get("/api/v1/district/summary?period=2026-11").status_code == 401
    assert demo.api("admin").get("/district/summary?period=2026-13").status_code == 422
    assert demo.api("admin").get("/district/summary").status_code == 422
    assert elsewhere.id


def test_the_summary_takes_the_same_queries_for_one_community_as_for_three(app, db):
    communities = [make_community(db, slug=f"d{n}") for n in range(3)]
    for community in communities:
        make_operator(db, community)
    db.commit()
    counts = []
    for chosen in (communities[:1], communities):
        sent = []
        with listening(app.extensions["linli"].db.engine, "before_cursor_execute",
                       lambda conn, cursor, statement, *rest: sent.append(statement)):
            with app.extensions["linli"].db.reader() as session:
                district.summary(session, [session.get(Community, c.id) for c in chosen], "2026-11")
        counts.append(len([s for s in sent if s.lstrip().upper().startswith("SELECT")]) - len(chosen))
    assert counts[0] == counts[1] == 5, counts


def test_operators_are_counted_for_the_month_by_their_agreements_not_as_they_are_now(app, db):
    community = make_community(db, slug="d1")
    always, left, late, waiting = (make_operator(db, community) for _ in range(4))
    terms = {left: (dt.date(2026, 1, 1), dt.date(2026, 10, 31), "ended"),  # left before November
             late: (dt.date(2026, 12, 1), None, "active"),  # began after it
             waiting: (dt.date(2026, 1, 1), None, "pending")}  # never approved
    for operator, (starts_on, ends_on, status) in terms.items():
        agreement = db.scalar(select(Agreement).where(Agreement.operator_id == operator.id))
        agreement.starts_on, agreement.ends_on, agreement.status = starts_on, ends_on, status
    always.status = "exited"  # left in December: it still served November
    db.commit()
    operators = lambda period: district.summary(db, [community], period)["communities"][0]["operators"]
    assert [operators("2026-10"), operators("2026-11"), operators("2026-12"), operators("2025-12")] == [2, 1, 2, 0]


def test_the_summary_as_a_spreadsheet_for_people_and_for_tools(demo, db):
    period = "2026-11"
    admin = demo.api("admin")
    raw = admin.get(f"/district/summary?period={period}&format=csv&raw=1")
    assert raw.status_code == 200 and raw.mimetype == "text/csv"
    assert f'district-{period}.csv' in raw.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(raw.get_data(as_text=True))))
    assert [row["community"] for row in rows] == ["heping", "total"]
    assert rows[0]["currency"] == "CNY" and rows[0]["operators"] == "4"
    people = admin.get(f"/district/summary?period={period}&format=csv")
    assert people.get_data(as_text=True).startswith("\ufeff")


def test_anyone_reads_the_district_totals_and_nothing_of_one_community(demo, db):
    public = demo.client.get("/api/v1/public/district?period=2026-11")
    assert public.status_code == 200
    body = public.get_json()
    assert set(body) == {"period", "totals"} and body["totals"]["communities"] == 1
    assert demo.client.get("/api/v1/public/district?period=soon").status_code == 422



# --- the pages ---------------------------------------------------------------------------------------------------

def test_the_district_page_charts_each_measure_and_hands_out_the_spreadsheet(demo, db, browser):
    from tests.pages import text

    officer = officer_of(db, heping(db), make_community(db, slug="riverside", name="Riverside", currency="HKD"))
    db.commit()
    visitor = browser(email=officer.email, password="test-password")
    page = visitor.get("/district?period=2026-11")
    assert page.status_code == 200
    shown = text(page)
    assert "和平社区" in shown or "Heping" in shown
    assert shown.count("<svg") == 6  # bookings, operators, scores, hours, and the money of each currency
    assert 'href="/district/export.csv?period=2026-11"' in shown
    sheet = visitor.get("/district/export.csv?period=2026-11")
    assert sheet.status_code == 200 and sheet.mimetype == "text/csv"
    assert browser("staff").get("/district").status_code == 403
    assert browser().get("/district").status_code in (302, 303)


def test_anyone_sees_the_district_totals_page(demo, browser):
    from tests.pages import text

    page = browser().get("/district/totals?period=2026-11")
    assert page.status_code == 200 and "Chinese Yuan" in text(page)  # the currency by its name, as every page says it
    assert browser().get("/district/totals?period=never").status_code == 200  # the month now instead
