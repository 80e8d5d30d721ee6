"""A plugin outside ``plugins/`` adds an operator type and a payment provider through the public API alone, and a
resident books and pays through them."""
import ast
import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from core.models import Booking, JournalEntry, Payment
from tests.factories import logged_in, make_community, make_operator, make_user
from tests.third_party import bike_repair
from tests.third_party.bike_repair import BikeRepairPlugin, signature

SECRET = "acme-test-secret"


def test_the_plugin_imports_nothing_of_linli_but_the_public_api():
    tree = ast.parse(Path(bike_repair.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert {name for name in imported if name.split(".")[0] in ("core", "plugins")} == {"core", "core.plugin_api"}


@pytest.fixture
def stand(make_app, db):
    """An app with the plugin; a bike repair stand's staff and a resident, logged in."""
    client = make_app(PLUGINS=[BikeRepairPlugin()], ACMEPAY_SECRET=SECRET).test_client()
    community = make_community(db)
    operator = make_operator(db, community, type_key="bike_repair")  # its agreement: 10% of revenue
    staff, resident = make_user(db, "operator_staff", community, operator), make_user(db, "resident", community)
    db.commit()
    return client, logged_in(client, staff), logged_in(client, resident), operator


def notify(client, reference: str, status: str, secret: str = SECRET):
    body = json.dumps({"reference": reference, "status": status}).encode()
    return client.post("/api/v1/acmepay/notify", data=body, content_type="application/json",
                       headers={"X-Acme-Signature": signature(body, secret)})


def test_a_resident_books_a_repair_and_pays_with_acmepay(stand, db, runner):
    client, staff, resident, operator = stand
    listing = staff.post("/listings", {"operator_id": operator.id, "title": "Puncture repair",
                                       "details": {"e_bikes": False}}).get_json()
    assert listing["price_rules"][0]["amount"] == 3000  # the type's default prices
    starts = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    slot = staff.post(f"/listings/{listing['id']}/slots", {
        "starts_at": starts.isoformat(), "ends_at": (starts + dt.timedelta(hours=1)).isoformat(),
        "capacity": 2}).get_json()

    electric = resident.post("/bookings", {"slot_id": slot["id"], "payment_method": "acmepay",
                                           "details": {"bike": "Yadea", "electric": True}},
                             headers={"Accept-Language": "zh-CN"})
    assert electric.status_code == 422 and electric.get_json()["code"] == "e_bikes_refused"
    booked = resident.post("/bookings", {"slot_id": slot["id"], "payment_method": "acmepay",
                                         "details": {"bike": "Flying Pigeon"}})
    assert booked.status_code == 201, booked.get_json()
    booking = booked.get_json()
    assert (booking["status"], booking["details"]["ticket"]) == ("pending_payment", f"BIKE-{booking['id']:05d}")

    forged = notify(client, f"acme-{booking['id']}", "paid", secret="guessed")
    assert forged.status_code == 400 and forged.get_json()["code"] == "bad_signature"
    assert resident.get(f"/bookings/{booking['id']}").get_json()["status"] == "pending_payment"

    assert notify(client, f"acme-{booking['id']}", "paid").get_json() == {"result": "processed"}
    assert notify(client, f"acme-{booking['id']}", "paid").status_code == 200  # told twice: counted once
    assert resident.get(f"/bookings/{booking['id']}").get_json()["status"] == "confirmed"
    db.rollback()
    payment = db.scalar(select(Payment))
    assert (payment.provider, payment.status, payment.amount, payment.donation_amount) == ("acmepay", "succeeded",
                                                                                            3000, 300)
    assert sorted(db.scalars(select(JournalEntry.kind).where(JournalEntry.booking_id == booking["id"]))) == [
        "donation", "payment"]
    assert runner.invoke(args=["check"]).exit_code == 0

    page = client.get(f"/api/v1/bookings/{booking['id']}", headers={"Authorization": f"Bearer {resident.token}"})
    assert page.get_json()["details"]["ticket"] == f"BIKE-{booking['id']:05d}"


def test_a_failed_acmepay_payment_frees_the_places(stand, db):
    client, staff, resident, operator = stand
    listing = staff.post("/listings", {"operator_id": operator.id, "title": "Brakes", "details": {}}).get_json()
    starts = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)
    slot = staff.post(f"/listings/{listing['id']}/slots", {
        "starts_at": starts.isoformat(), "ends_at": (starts + dt.timedelta(hours=1)).isoformat(),
        "capacity": 1}).get_json()
    booking = resident.post("/bookings", {"slot_id": slot["id"], "payment_method": "acmepay",
                                          "details": {"bike": "Phoenix"}}).get_json()
    assert notify(client, f"acme-{booking['id']}", "failed").status_code == 200
    db.rollback()
    assert db.get(Booking, booking["id"]).status == "expired"
    remaining = client.get(f"/api/v1/listings/{listing['id']}/slots").get_json()["items"][0]["remaining"]
    assert remaining == 1
