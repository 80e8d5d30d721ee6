"""A late payment racing the hold's end, on PostgreSQL: the provider's notification, the job that lets the hold go
(and asks the provider, then closes the payment) and residents taking the freed place, all at once.

Whatever the interleaving: the slot is never overbooked, the payment counts once, and the resident either has the
place (re-taken) or all the money back; the books balance and every invariant holds.
"""
from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from core.db import utcnow
from tests.local_provider import signed
from tests.races import race
from tests.test_payment_seam import NOTIFY, book, reference_of
from tests.test_webhooks import CLEANING, books, remaining, status

pytestmark = pytest.mark.postgres


def notifying(app, event):
    body, headers = signed(event)

    def attempt():
        return app.test_client().post(NOTIFY, data=body, headers=headers).status_code

    return attempt


def booking_cash(world, who):
    api = world.api(who)  # logged in before the race

    def attempt():
        return api.post("/bookings", {"slot_id": world.slots(CLEANING)[0]["id"], "quantity": 1,
                                      "payment_method": "cash", "details": {"address": "Heping Road 1"}}).status_code

    return attempt


@pytest.mark.parametrize("round_", range(4))
def test_a_late_payment_racing_the_holds_end_and_new_bookings_never_oversells_and_counts_once(localpaid, round_):
    app, world, provider = localpaid
    held = book(world)  # 1 of the slot's 3 places, held while it is paid
    book(world, who="lowincome", method="cash")  # a second place
    reference = reference_of(app, held)
    provider.state.paid[reference] = "succeeded"  # the resident paid at the last moment
    runner = app.extensions["linli"].queue.runner
    late = {"id": f"ev-late-{round_}", "type": "paid", "reference": reference, "status": "succeeded"}
    attempts = [notifying(app, late), notifying(app, late), lambda: runner.run_periodic("expire_holds").status,
                booking_cash(world, "student"), booking_cash(world, "senior68")]
    with time_machine.travel(utcnow() + dt.timedelta(minutes=16), tick=False):
        results = race(attempts)
    assert results[0] == results[1] == 200 and results[2] == "ok"
    state = books(app)  # balanced, and taken == the places of the live bookings
    [payment] = [p for p in state["payments"] if p[0] == "succeeded" and p[1] == 12000]
    assert remaining(world, held) >= 0
    if status(world, held) == "confirmed":
        assert payment[3] == 0  # kept the place, nothing refunded
    else:
        assert status(world, held) == "expired" and payment[3] == 12000  # refunded in full, once
        assert [amount for _ref, amount, _share in state["refunds"]] == [12000]
    confirmed_cash = sorted(results[3:]).count(201)
    assert confirmed_cash + (status(world, held) == "confirmed") == 2  # the two free places, to two of the three
