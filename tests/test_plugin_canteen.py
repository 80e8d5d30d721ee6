"""The canteen plugin through the API: menus, home delivery for the 90+, the delivery list, the profit share."""
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.models import Community, ResidentProfile, User
from core.schedules import HORIZON_DAYS
from plugins.canteen.models import CanteenMenu
from tests.clock import serving_booking
from tests.factories import DemoWorld, make_community, make_user

ZONE = ZoneInfo("Asia/Shanghai")


def this_period():
    return dt.datetime.now(ZONE).strftime("%Y-%m")


def lunch(demo, index=0):
    return demo.slots("Community lunch")[index]


def day_of(slot):
    return dt.datetime.fromisoformat(slot["starts_at"]).date().isoformat()


def book(session, slot, **overrides):
    return session.post("/bookings", {"slot_id": slot["id"], "quantity": 1, "payment_method": "cash", "details": {},
                                      **overrides})


def deliveries_url(demo, day):
    return f"/canteen/operators/{demo.listing('Community lunch')['operator_id']}/deliveries?date={day}"


def test_every_demo_lunch_has_a_menu_anyone_can_read(demo):
    listing, slots = demo.listing("Community lunch"), demo.slots("Community lunch")
    public = demo.client.get(f"/api/v1/canteen/listings/{listing['id']}/menus?per_page=50").get_json()
    assert public["total"] == HORIZON_DAYS == len(slots)  # four weeks of lunches, made by the weekly schedule
    assert [m["slot_id"] for m in public["items"]] == [s["id"] for s in slots]
    assert all(len(m["dishes"]) == 4 and m["soup"] for m in public["items"])
    one_day = demo.client.get(f"/api/v1/canteen/listings/{listing['id']}/menus?date={day_of(slots[2])}").get_json()
    assert [m["slot_id"] for m in one_day["items"]] == [slots[2]["id"]]
    menu = demo.client.get(f"/api/v1/canteen/slots/{slots[0]['id']}/menu").get_json()
    assert menu["starts_at"] == slots[0]["starts_at"] and menu["dishes"] == public["items"][0]["dishes"]
    assert demo.client.get(f"/api/v1/canteen/slots/{demo.slots('Neighbourhood fair')[0]['id']}/menu").status_code == 404
    assert demo.client.get(f"/api/v1/canteen/listings/{demo.listing('Neighbourhood fair')['id']}/menus").status_code \
        == 404


def test_the_canteens_staff_publish_menus_and_nobody_else_does(demo):
    canteen, slot = demo.api("canteen"), lunch(demo)
    menu = {"dishes": ["Red-braised pork", "Greens", "Tofu", "Egg with tomato"], "soup": "Kelp soup"}
    replaced = canteen.call("PUT", f"/canteen/slots/{slot['id']}/menu", json=menu)
    assert replaced.status_code == 200 and replaced.get_json()["dishes"][0] == "Red-braised pork"
    assert demo.client.get(f"/api/v1/canteen/slots/{slot['id']}/menu").get_json()["soup"] == "Kelp soup"
    for who, status in (("fair", 403), ("staff", 403), ("senior68", 403)):
        assert demo.api(who).call("PUT", f"/canteen/slots/{slot['id']}/menu", json=menu).status_code == status
    assert demo.client.put(f"/api/v1/canteen/slots/{slot['id']}/menu", json=menu).status_code == 401
    for bad in ({"dishes": []}, {"dishes": ["  "]}, {"dishes": ["Rice"], "price": 5}, {"soup": "Kelp"},
                {"dishes": "Rice"}):
        response = canteen.call("PUT", f"/canteen/slots/{slot['id']}/menu", json=bad)
        assert response.status_code == 422 and response.get_json()["errors"], bad
    workshop_shift = demo.slots("Hand-sewing piece-work")[0]
    assert canteen.call("PUT", f"/canteen/slots/{workshop_shift['id']}/menu", json=menu).status_code == 404

    starts = dt.datetime.fromisoformat(slot["starts_at"]) + dt.timedelta(days=30)
    dinner = canteen.post(f"/listings/{slot['listing_id']}/slots", {
        "starts_at": starts.isoformat(), "ends_at": (starts + dt.timedelta(hours=2)).isoformat(), "capacity": 50})
    first = canteen.call("PUT", f"/canteen/slots/{dinner.get_json()['id']}/menu", json=menu)
    again = canteen.call("PUT", f"/canteen/slots/{dinner.get_json()['id']}/menu", json={**menu, "soup": None})
    assert (first.status_code, again.status_code) == (201, 200) and again.get_json()["soup"] is None


def test_a_70_year_old_cannot_choose_free_home_delivery(demo, db, api):
    community = db.scalar(select(Community).where(Community.slug == "heping"))
    today = dt.datetime.now(ZONE).date()
    seventy = make_user(db, "resident", community, born=today - dt.timedelta(days=round(70.5 * 365.25)))
    db.commit()
    slot = lunch(demo)
    for session in (api(seventy), demo.api("senior68")):
        refused = book(session, slot, details={"home_delivery": True})
        assert refused.status_code == 422
        assert "90" in refused.get_json()["errors"]["details"]["home_delivery"][0]
    assert lunch(demo)["remaining"] == 100
    assert demo.api("canteen").get(deliveries_url(demo, day_of(slot))).get_json()["items"] == []


def test_elder92_eats_free_at_home_and_is_on_that_days_delivery_list(demo, db):
    slot, other_day = lunch(demo), lunch(demo, 1)
    delivered = book(demo.api("elder92"), slot, details={"home_delivery": True})
    assert delivered.status_code == 201
    assert {k: delivered.get_json()[k] for k in ("tier", "total_amount", "status")} == {
        "tier": "free", "total_amount": 0, "status": "confirmed"}
    assert book(demo.api("adult"), slot).status_code == 201  # eats in the hall: not on the list
    assert lunch(demo)["remaining"] == 98  # a delivered meal takes its place like any other

    elder = db.scalar(select(User).where(User.email == "elder92@example.org"))
    expected = [{"booking_id": delivered.get_json()["id"], "slot_id": slot["id"], "starts_at": slot["starts_at"],
                 "resident_id": elder.id, "resident_name": "王奶奶", "address": elder.profile.address,
                 "meals": 1, "status": "confirmed"}]
    for who in ("canteen", "staff", "admin"):
        day_list = demo.api(who).get(deliveries_url(demo, day_of(slot))).get_json()
        assert day_list["items"] == expected and day_list["total_meals"] == 1 and day_list["total"] == 1, who
    assert demo.api("canteen").get(deliveries_url(demo, day_of(other_day))).get_json()["items"] == []

    demo.api("elder92").post(f"/bookings/{delivered.get_json()['id']}/cancel")
    assert demo.api("canteen").get(deliveries_url(demo, day_of(slot))).get_json()["total_meals"] == 0


def test_residents_other_operators_and_other_communities_cannot_see_the_delivery_list(demo, db, api):
    slot = lunch(demo)
    book(demo.api("elder92"), slot, details={"home_delivery": True})
    url = deliveries_url(demo, day_of(slot))
    for who in ("elder92", "adult", "fair", "workshop", "housekeeping", "committee1", "charity"):
        response = demo.api(who).get(url)
        assert response.status_code == 403 and "items" not in response.get_json(), who
    elsewhere = make_user(db, "community_staff", make_community(db))
    db.commit()
    assert api(elsewhere).get(url).status_code == 403
    assert demo.client.get("/api/v1" + url).status_code == 401
    fair_id = demo.listing("Neighbourhood fair")["operator_id"]
    assert demo.api("staff").get(f"/canteen/operators/{fair_id}/deliveries").status_code == 404
    bad_date = demo.api("canteen").get(deliveries_url(demo, "2026-02-30"))
    assert bad_date.status_code == 422 and "date" in bad_date.get_json()["errors"]


def test_home_delivery_needs_an_address_on_file(demo, db):
    elder = db.scalar(select(User).where(User.email == "elder92@example.org"))
    db.get(ResidentProfile, elder.id).address = None
    db.commit()
    refused = book(demo.api("elder92"), lunch(demo), details={"home_delivery": True})
    assert refused.status_code == 422 and refused.get_json()["code"] == "no_home_address"
    assert book(demo.api("elder92"), lunch(demo)).status_code == 201  # eating in the hall needs none


def test_the_canteen_gives_its_profit_share_only_at_settlement(demo):
    canteen, period = demo.api("canteen"), this_period()
    canteen_id = demo.listing("Community lunch")["operator_id"]
    book(demo.api("elder92"), lunch(demo), details={"home_delivery": True})  # free: no revenue
    for resident in ("adult", "student", "senior68"):  # 1000 + 800 + 500 in cash at the window
        booking = book(demo.api(resident), lunch(demo)).get_json()
        with serving_booking(canteen.client, booking):
            assert canteen.post(f"/bookings/{booking['id']}/check-in").status_code == 200
    before = canteen.get(f"/operators/{canteen_id}/statements/{period}").get_json()
    assert (before["gross_revenue_amount"], before["donation_due_amount"]) == (2300, 0)
    cost = canteen.post(f"/operators/{canteen_id}/costs", {"period": period, "amount": 1000,
                                                           "description": "rice, vegetables and gas"})
    assert cost.status_code == 201
    assert demo.api("fair").post(f"/operators/{canteen_id}/costs", {"period": period, "amount": 1,
                                                                    "description": "x"}).status_code == 403
    for _ in range(2):  # re-running the settlement posts nothing twice
        statements = demo.api("committee1").post(f"/communities/heping/settlements/{period}").get_json()
        mine = next(s for s in statements if s["type"] == "canteen")
        assert (mine["declared_costs_amount"], mine["donation_due_amount"]) == (1000, 130)  # 10% of 2300 - 1000


def test_the_openapi_document_describes_the_canteen_api(demo):
    paths = demo.client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/canteen/listings/{listing_id}/menus", "/api/v1/canteen/slots/{slot_id}/menu",
            "/api/v1/canteen/operators/{operator_id}/deliveries"} <= set(paths)
    assert {"get", "put"} <= set(paths["/api/v1/canteen/slots/{slot_id}/menu"])


def test_seeding_the_canteen_again_creates_no_second_menu(demo, app, db):
    menus = select(func.count()).select_from(CanteenMenu)
    assert db.scalar(menus) == HORIZON_DAYS
    db.commit()
    with app.extensions["linli"].db.sessionmaker() as session:
        app.extensions["linli"].plugins.hook.seed_demo(session=session, community=session.scalar(select(Community)),
                                               today=dt.datetime.now(ZONE).date())
        session.commit()
    assert db.scalar(menus) == HORIZON_DAYS


def test_without_the_canteen_plugin_the_core_and_the_other_plugins_still_work(make_app):
    from core import demo as demo_data

    app = make_app(DISABLED_PLUGINS="canteen")
    assert demo_data.seed(app)
    world = DemoWorld(app.test_client())
    types = {t["key"] for t in world.client.get("/api/v1/operator-types").get_json()}
    assert types == {"housekeeping", "market_fair", "workshop"}
    assert world.client.get("/api/v1/canteen/slots/1/menu").status_code == 404
    assert not any("/canteen/" in path for path in world.client.get("/api/v1/openapi.json").get_json()["paths"])
    cleaning = world.slots("Home cleaning, 2 hours")[0]
    assert book(world.api("adult"), cleaning, details={"address": "Heping Road 1"}).status_code == 201
    workshop_id = world.listing("Hand-sewing piece-work")["operator_id"]
    jobs = world.api("workshop").get(f"/workshop/operators/{workshop_id}/jobs").get_json()
    assert [job["product"] for job in jobs["items"]] == ["刺绣手袋"]
    assert world.api("committee1").post(f"/communities/heping/settlements/{this_period()}").status_code == 200
