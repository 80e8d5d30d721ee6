"""An operator type that needs the acting user is told who it is, whether the action came through the API or a page."""
import re

from sqlalchemy import select

from core.models import Booking, Operator, OperatorCost, User
from tests.clock import serving_booking
from tests.web_support import signed_in

TRAINING = "Maternity-nanny training course"


def check_in_on_the_page(app, db, booking_id):
    operator_id = db.scalar(select(Operator.id).where(Operator.type == "housekeeping"))
    client = signed_in(app, db.scalar(select(User.id).where(User.email == "housekeeping@example.org")), lang="en")
    page = client.get(f"/operators/{operator_id}/today").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post(f"/operators/{operator_id}/bookings/{booking_id}/check-in", data={"csrf_token": token})
    with client.session_transaction() as session:
        return session.get("_flashes", [])


def test_checking_a_trainee_in_on_the_page_records_the_allowance(demo, app, db):
    """The housekeeping centre's trainee allowance is declared by whoever checks the trainee in: on the page the
    hook once found no API user, the check-in committed with an error shown, and the cost was never recorded."""
    slot = demo.slots(TRAINING)[0]["id"]
    booking = demo.api("adult").post("/bookings", {"slot_id": slot, "details": {"address": "Heping Road 9"}})
    assert booking.status_code == 201
    with serving_booking(demo.client, booking.get_json()):
        flashes = check_in_on_the_page(app, db, booking.get_json()["id"])
    assert [category for category, _ in flashes] == ["success"], flashes
    db.rollback()
    assert db.get(Booking, booking.get_json()["id"]).status == "fulfilled"
    cost = db.scalar(select(OperatorCost))
    assert cost is not None and cost.amount == 2500 and "trainee allowance" in cost.description
