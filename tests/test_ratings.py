"""Ratings through the API: the resident who was served rates once; nobody else, and never before."""
from sqlalchemy import func, select

from core import ratings
from core.models import Rating
from tests.clock import serving_booking


def served_lunch(demo, who="senior68"):
    """A canteen lunch booked by ``who`` and checked in by the canteen."""
    slot = demo.slots("Community lunch")[0]
    resident = demo.api(who)
    booking = resident.post("/bookings", {"slot_id": slot["id"], "quantity": 1, "payment_method": "cash",
                                          "details": {}}).get_json()
    return resident, booking


def check_in(demo, booking):
    with serving_booking(demo.client, booking):
        assert demo.api("canteen").post(f"/bookings/{booking['id']}/check-in").status_code == 200


def test_the_resident_rates_a_fulfilled_booking_once(demo, db):
    resident, booking = served_lunch(demo)
    check_in(demo, booking)
    given = resident.post(f"/bookings/{booking['id']}/rating", {"stars": 5, "comment": "  Tasty soup  "})
    assert given.status_code == 201, given.get_json()
    body = given.get_json()
    assert (body["stars"], body["comment"], body["booking_id"]) == (5, "Tasty soup", booking["id"])
    assert body["listing_id"] == demo.listing("Community lunch")["id"]
    again = resident.post(f"/bookings/{booking['id']}/rating", {"stars": 1})
    assert again.status_code == 409
    assert db.scalar(select(func.count()).select_from(Rating)) == 1
    assert resident.get(f"/bookings/{booking['id']}/rating").get_json()["stars"] == 5
    assert demo.api("canteen").get(f"/bookings/{booking['id']}/rating").status_code == 200


def test_only_a_fulfilled_booking_can_be_rated(demo, db):
    resident, booking = served_lunch(demo)
    refused = resident.post(f"/bookings/{booking['id']}/rating", {"stars": 4})
    assert refused.status_code == 409 and refused.get_json()["code"] == "not_served_yet"
    resident.post(f"/bookings/{booking['id']}/cancel")
    assert resident.post(f"/bookings/{booking['id']}/rating", {"stars": 4}).status_code == 409
    assert resident.get(f"/bookings/{booking['id']}/rating").status_code == 404
    assert db.scalar(select(func.count()).select_from(Rating)) == 0


def test_nobody_but_the_resident_who_booked_may_rate(demo, db):
    _resident, booking = served_lunch(demo)
    check_in(demo, booking)
    path = f"/bookings/{booking['id']}/rating"
    assert demo.api("canteen").post(path, {"stars": 5}).status_code == 403  # sees the booking, wrong role
    assert demo.api("staff").post(path, {"stars": 5}).status_code == 403
    assert demo.api("admin").post(path, {"stars": 5}).status_code == 403  # may see it, did not eat it
    assert demo.api("adult").post(path, {"stars": 5}).status_code == 404  # another resident: not theirs to see
    assert demo.client.post("/api/v1" + path, json={"stars": 5}).status_code == 401
    assert db.scalar(select(func.count()).select_from(Rating)) == 0


def test_bad_ratings_are_422_and_change_nothing(demo, db):
    resident, booking = served_lunch(demo)
    check_in(demo, booking)
    path = f"/bookings/{booking['id']}/rating"
    for body in ({}, {"stars": 0}, {"stars": 6}, {"stars": "5"}, {"stars": 4.5}, {"stars": 3, "comment": "x" * 1001},
                 {"stars": 3, "extra": True}):
        assert resident.post(path, body).status_code == 422, body
    assert resident.post("/bookings/999999/rating", {"stars": 3}).status_code == 404
    assert db.scalar(select(func.count()).select_from(Rating)) == 0


def test_a_listing_average_counts_every_rating(demo, db):
    lunch = demo.listing("Community lunch")["id"]
    for who, stars in (("senior68", 5), ("adult", 4), ("student", 4)):
        resident, booking = served_lunch(demo, who)
        check_in(demo, booking)
        assert resident.post(f"/bookings/{booking['id']}/rating", {"stars": stars}).status_code == 201
    average = ratings.averages(db, [lunch, lunch + 1000])
    assert average == {lunch: ratings.Average(stars=4.3, count=3)}
