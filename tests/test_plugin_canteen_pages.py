"""The canteen's pages: menus on the lunch pages, publishing a menu, the 90+ delivery list, links from the desk."""
from sqlalchemy import select

from plugins.canteen.models import CanteenMenu
from tests.factories import make_community, make_user
from tests.pages import text


def lunch(demo, index=0):
    return demo.slots("Community lunch")[index]


def canteen_id(demo):
    return demo.listing("Community lunch")["operator_id"]


def test_residents_read_the_coming_menus_and_the_menu_of_the_meal_they_book(demo, browser):
    page = text(browser().get(f"/services/{demo.listing('Community lunch')['id']}"))
    assert "On the menu" in page and "土豆烧肉" in page and "冬瓜汤" in page
    booking_page = text(browser("senior68").get(f"/book/{lunch(demo)['id']}"))
    assert "The menu of this meal" in booking_page and "紫菜蛋花汤" in booking_page
    assert "冬瓜汤" not in booking_page  # the next day's soup is not this meal's
    fair = browser().get(f"/services/{demo.listing('Neighbourhood fair')['id']}")
    assert "On the menu" not in text(fair)


def test_a_home_delivered_booking_says_where_the_meal_goes(demo, browser, db):
    elder = browser("elder92")
    token = elder.token(f"/book/{lunch(demo)['id']}")
    booked = elder.client.post(f"/book/{lunch(demo)['id']}", data={
        "csrf_token": token, "quantity": "1", "details-home_delivery": "1"})
    assert booked.status_code == 303
    page = text(elder.get(booked.headers["Location"]))
    assert "Volunteers bring this meal to your home" in page and "和平路" in page
    assert "紫菜蛋花汤" in page


def test_the_canteens_staff_publish_a_menu_from_the_desk(demo, browser, db):
    staff = browser("canteen")
    desk = text(staff.get(f"/operators/{canteen_id(demo)}/today"))
    assert f"/canteen/operators/{canteen_id(demo)}/menus" in desk and "Home deliveries" in desk
    menus = text(staff.get(f"/canteen/operators/{canteen_id(demo)}/menus"))
    assert menus.count("Change the menu") == 21  # the next three weeks' meals, each with its menu
    slot = lunch(demo, 2)
    published = staff.submit(f"/canteen/slots/{slot['id']}/menu", {
        "dishes": "Red-braised pork\n\n  Greens  \nTofu", "soup": "Kelp soup", "notes": "Less salt today"})
    assert published.status_code == 303 and published.headers["Location"].endswith(
        f"/canteen/operators/{canteen_id(demo)}/menus")
    menu = demo.client.get(f"/api/v1/canteen/slots/{slot['id']}/menu").get_json()
    assert (menu["dishes"], menu["soup"], menu["notes"]) == (["Red-braised pork", "Greens", "Tofu"], "Kelp soup",
                                                             "Less salt today")
    form = text(staff.get(f"/canteen/slots/{slot['id']}/menu"))
    assert "Red-braised pork\nGreens\nTofu" in form  # the form shows the published menu to change


def test_a_bad_menu_is_a_form_error_and_changes_nothing(demo, browser, db):
    staff, slot = browser("canteen"), lunch(demo)
    before = demo.client.get(f"/api/v1/canteen/slots/{slot['id']}/menu").get_json()
    for bad, message in (({"dishes": "  \n "}, "Write at least one dish."),
                         ({"dishes": "x" * 101}, "Please write between 1 and 100 characters."),
                         ({"dishes": "\n".join(f"dish {n}" for n in range(21))}, "A menu has 1 to 20 dishes."),
                         ({"dishes": "Rice", "soup": "s" * 101}, "Please write between 1 and 100 characters.")):
        response = staff.submit(f"/canteen/slots/{slot['id']}/menu", bad)
        assert response.status_code == 422, bad
        assert message in text(response), bad
    assert demo.client.get(f"/api/v1/canteen/slots/{slot['id']}/menu").get_json() == before
    no_token = staff.client.post(f"/canteen/slots/{slot['id']}/menu", data={"dishes": "Rice"})
    assert no_token.status_code == 400 and "This form has expired" in text(no_token)
    assert demo.client.get(f"/api/v1/canteen/slots/{slot['id']}/menu").get_json() == before


def test_only_the_canteens_staff_publish(demo, browser, db, api):
    slot = lunch(demo)
    path = f"/canteen/slots/{slot['id']}/menu"
    anonymous = browser().get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for who in ("senior68", "staff", "fair", "committee1"):
        visitor = browser(who)
        assert visitor.get(path).status_code == 403, who
        token = visitor.token("/")  # a valid token of this session, for a page that refuses anyway
        assert visitor.client.post(path, data={"csrf_token": token, "dishes": "Rice"}).status_code == 403, who
        assert visitor.get(f"/canteen/operators/{canteen_id(demo)}/menus").status_code == 403, who
    assert ["Rice"] not in db.scalars(select(CanteenMenu.dishes)).all()  # JSON has no = on PostgreSQL: compare here
    canteen = browser("canteen")
    assert canteen.get(f"/canteen/slots/{demo.slots('Neighbourhood fair')[0]['id']}/menu").status_code == 404
    assert canteen.get("/canteen/slots/999999/menu").status_code == 404
    fair_id = demo.listing("Neighbourhood fair")["operator_id"]
    assert canteen.get(f"/canteen/operators/{fair_id}/menus").status_code == 404


def test_the_delivery_list_shows_name_address_and_meals_to_the_canteen_and_community_staff_only(demo, browser, db,
                                                                                                api):
    slot = lunch(demo, 1)
    day = slot["starts_at"][:10]
    booked = demo.api("elder92").post("/bookings", {"slot_id": slot["id"], "details": {"home_delivery": True}})
    assert booked.status_code == 201
    path = f"/canteen/operators/{canteen_id(demo)}/deliveries?date={day}"
    for who in ("canteen", "staff", "admin"):
        page = text(browser(who).get(path))
        assert "王奶奶" in page and "和平路" in page and "1 meal to deliver" in page, who
    other_day = path.replace(day, lunch(demo)["starts_at"][:10])
    empty = text(browser("canteen").get(other_day))
    assert "Nobody asked for a meal at home" in empty and f"date={day}" in empty  # pointing to the next deliveries
    for who in ("elder92", "adult", "fair", "committee1", "charity"):
        response = browser(who).get(path)
        assert response.status_code == 403 and "和平路" not in text(response), who
    elsewhere = make_user(db, "community_staff", make_community(db))
    db.commit()
    assert browser(email=elsewhere.email, password="test-password").get(path).status_code == 403
    assert browser().get(path).status_code == 302
    bad = browser("canteen").get(f"/canteen/operators/{canteen_id(demo)}/deliveries?date=2026-02-30")
    assert bad.status_code == 422 and "和平路" not in text(bad)
    office = text(browser("staff").get("/communities/heping/staff"))
    assert f"/canteen/operators/{canteen_id(demo)}/deliveries" in office
    assert f"/canteen/operators/{canteen_id(demo)}/menus" not in office  # community staff do not publish menus


def test_home_delivery_is_ticked_for_a_90_year_old_and_not_offered_to_anyone_younger(demo, browser):
    elder_page = browser("elder92").get(f"/book/{lunch(demo)['id']}").get_data(as_text=True)
    assert 'name="details-home_delivery" value="1" checked' in elder_page
    for younger in ("senior68", "adult"):
        assert "details-home_delivery" not in browser(younger).get(f"/book/{lunch(demo)['id']}").get_data(as_text=True)
