"""Money under real concurrency, on PostgreSQL: threads released together race for the fund and the webhooks.

Each race checks that its requests overlapped (tests/races.py) and then what must
hold whatever the interleaving: the fund is never overdrawn, an operator is never
credited with more than it owed, each Stripe event counts once and the books stay
balanced. A race lost only now and then is run several times over.
"""
import json

import pytest
from sqlalchemy import func, select

from core import checks, ledger
from core.donations import due_lines
from core.models import Community, FundTransfer, Operator
from tests.races import posting, race
from tests.stripe_support import WEBHOOK_SECRET, sign_webhook
from tests.test_fund import approved_proposal, give_fund, today
from tests.test_webhooks import (
    ONE_CLEAN_DELIVERY, WEBHOOK, book_cleaning, books, intent_event, payment_and_two_partial_refunds, remaining,
    status,
)

pytestmark = pytest.mark.postgres

FUND = "/communities/heping/fund"


# --- the fund --------------------------------------------------------------------------------------------

def balance(demo) -> int:
    return demo.api("committee1").get(FUND).get_json()["balance_amount"]


def test_racing_disbursements_never_overdraw_the_fund_round_after_round(demo, db):
    """Two approved proposals of 60 % of the fund each, paid at once by the charity officer in two sessions: one
    paid, one refused.

    Without the fund's lock both read the same balance and both are paid; that loses often but not every time,
    so the race is run eight times.
    """
    tokens = [demo.api("charity").token for _ in range(2)]
    for round_ in range(8):
        give_fund(db, 100_000 - balance(demo), source=f"seed:{round_}")
        first = approved_proposal(demo, 60_000, f"Summer camp {round_}")
        second = approved_proposal(demo, 60_000, f"Library books {round_}")
        results = race([posting(demo.client.application, f"{FUND}/proposals/{pid}/disburse", {"reference": f"R{pid}"},
                                token) for token, pid in zip(tokens, (first, second))])
        assert sorted(status for status, _ in results) == [200, 409], f"round {round_}: {[s for s, _ in results]}"
        assert balance(demo) == 40_000, round_
    db.expire_all()
    assert checks.violations(db) == []


def owe(db, operator_type: str, amount: int) -> Operator:
    """The operator owes the fund ``amount`` more (as a cash booking's donation leaves it owing)."""
    community = db.scalar(select(Community))
    operator = db.scalar(select(Operator).where(Operator.type == operator_type))
    ledger.post(db, community, "donation", f"due:{operator.id}:{amount}", due_lines(amount, operator.id), "CNY",
                operator_id=operator.id)
    db.commit()
    return operator


def test_racing_transfers_never_record_more_than_the_operator_owed(demo, db):
    """An operator owes 1200; six members record a transfer of 500 at once: two fit, four are refused."""
    operator = owe(db, "canteen", 1200)
    app = demo.client.application
    tokens = [demo.api(member).token for member in ("committee1", "committee2", "committee3")]
    results = race([posting(app, f"{FUND}/transfers", {"operator_id": operator.id, "amount": 500,
                                                       "reference": f"BANK-{n}", "received_on": today().isoformat()},
                            tokens[n % 3]) for n in range(6)])
    assert sorted(status for status, _ in results) == [201] * 2 + [409] * 4
    db.expire_all()
    assert db.scalar(select(func.sum(FundTransfer.amount)).where(FundTransfer.operator_id == operator.id)) == 1000
    owed = ledger.balances(db, operator.community_id, ["donations_receivable"], by_operator=True)
    assert owed[("donations_receivable", operator.id)] == 200
    assert checks.violations(db) == []


# --- Stripe webhooks --------------------------------------------------------------------------------------

def delivering(app, event):
    """An attempt that delivers ``event`` as Stripe does; it returns (status, result)."""
    payload = json.dumps(event).encode()
    signature = sign_webhook(payload, WEBHOOK_SECRET)

    def attempt():
        response = app.test_client().post(WEBHOOK, data=payload, content_type="application/json",
                                          headers={"Stripe-Signature": signature})
        return response.status_code, (response.get_json() or {}).get("result")

    return attempt


def test_one_event_delivered_by_eight_threads_at_once_is_applied_once(platform):
    app, world = platform()
    booking = book_cleaning(world)
    event = intent_event("evt_paid", "payment_intent.succeeded", booking)
    results = race([delivering(app, event) for _ in range(8)])
    assert sorted(results) == [(200, "duplicate")] * 7 + [(200, "processed")]
    state = books(app)  # and the invariants hold
    assert state["payments"] == [("succeeded", 12000, 1200, 0)] and state["entries"] == ["donation", "payment"]
    assert status(world, booking) == "confirmed" and remaining(world, booking) == 2


def test_a_payment_and_its_refunds_delivered_at_once_and_again_give_the_books_of_one_clean_delivery(platform):
    """The payment and two partial refunds (each refund implying the payment), three copies of each, all at once."""
    app, world = platform()
    booking = book_cleaning(world)
    events = payment_and_two_partial_refunds(booking) * 3
    results = race([delivering(app, event) for event in events])
    for event in payment_and_two_partial_refunds(booking):
        mine = [result for e, result in zip(events, results) if e["id"] == event["id"]]
        assert sorted(mine) == [(200, "duplicate")] * 2 + [(200, "processed")], (event["id"], mine)
    assert books(app) == ONE_CLEAN_DELIVERY
    assert status(world, booking) == "confirmed" and remaining(world, booking) == 2


def test_a_failure_and_a_cancellation_delivered_at_once_release_the_places_once(platform):
    """Two events meaning "no payment" for one hold, each sent three times at once."""
    app, world = platform()
    booking = book_cleaning(world)
    other = book_cleaning(world, who="lowincome", method="cash")
    events = [intent_event("evt_failed", "payment_intent.payment_failed", booking, status="requires_payment_method"),
              intent_event("evt_canceled", "payment_intent.canceled", booking, status="canceled")] * 3
    results = race([delivering(app, event) for event in events])
    assert sorted(results) == [(200, "duplicate")] * 4 + [(200, "processed")] * 2
    assert status(world, booking) == "expired" and status(world, other, who="lowincome") == "confirmed"
    assert remaining(world, booking) == 2  # 3 places, the cash booking's 1 still taken
    state = books(app)  # the invariants hold: taken == places of live bookings
    assert state["payments"] in ([("failed", 12000, 1200, 0)], [("canceled", 12000, 1200, 0)])  # whichever came first
    assert state["entries"] == []
