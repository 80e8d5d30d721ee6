"""Donating a refund: a resident who cancels a paid booking gives the money to the community fund instead.

The money flow. Nothing goes back through the payment service: the money stays where the payment put it (the
operator's online collection or its cash). The refund is still recorded as a refund (a ``Refund`` row, its payment's
``refunded_amount``, an entry ``refund:<id>`` of kind "refund"), since for the operator's books it is one: the
booking's revenue is reversed (a debit of ``refunds``) and the payment's donation share reversed in proportion,
exactly as for any refund, so ``linli check``'s payment and refund checks hold unchanged. Only the other side of the
entry differs: instead of crediting the account the money would leave by, the operator now owes the amount to the
fund (a credit of ``donations_payable``), and the fund has a claim on the operator (a debit of
``donations_receivable``) and a gift (a credit of ``gift_income``). The entry balances, and the fund's cash is
untouched until the operator pays it over with its next transfer, which clears the claim like donations due: fund
cash = donations received + gifts − disbursements holds at every step. The reconciliation counts such gifts among
what the operator owes (``gift_owed_amount``), and the fund's inflows count them when the transfer arrives, never
twice.

The gift itself is a :class:`FundGift` (``refund_id`` set, unique: a refund becomes one gift at most), in the
resident's name or anonymous, on the public report as any resident's gift ("a resident", never a name) and on the
committee's list of gifts; its number is the receipt's.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, ledger
from core.booking import RefundGift, visible_booking
from core.errors import N_, conflict, not_found
from core.models import Booking, Community, FundGift, Payment, Refund, User

NOTHING_TO_DONATE = conflict("nothing_to_donate", N_(
    "There is nothing to give to the fund: booking %(booking_id)s was free or has not been paid."))
NO_GIFT = not_found("no_gift_of_refund", N_("The refund of booking %(booking_id)s was not given to the fund."))
GIVEN_TO_FUND = N_("given to the community fund")


def reference_for(payment: Payment) -> str:
    """The refund's reference: no payment service gave one, and one payment's refund is given once."""
    return f"fund-gift-{payment.id}"


def givable(payment: Payment) -> bool:
    """Whether the payment has money that a refund could give back."""
    return payment.status == "succeeded" and payment.amount > payment.refunded_amount


def something_to_give(session: Session, booking_id: int) -> bool:
    """Whether cancelling the booking would refund anything (the cancel page offers the gift only then)."""
    return any(givable(p) for p in session.scalars(select(Payment).where(Payment.booking_id == booking_id)))


def check_something_paid(booking: Booking, paid: list[Payment]) -> None:
    """Refuse a gift of a free booking's refund, or of a booking whose payment has not arrived (409)."""
    if not any(givable(p) for p in paid):
        raise NOTHING_TO_DONATE(booking_id=booking.id)


def record_gift(session: Session, refund: Refund, booking: Booking, community: Community,
                gift: RefundGift) -> FundGift:
    """The gift a refund became: in the resident's name unless anonymous (or there is no resident to name)."""
    resident = session.get(User, booking.resident_id) if booking.resident_id is not None else None
    anonymous = gift.anonymous or resident is None
    row = FundGift(community_id=community.id, donor_name="" if anonymous else resident.name,
                   donor_kind="anonymous" if anonymous else "resident", amount=refund.amount,
                   currency=community.currency, reference=f"booking {booking.id}",
                   received_on=ledger.local_today(community), recorded_by_id=gift.by.id, refund_id=refund.id)
    session.add(row)
    session.flush()
    audit.record(session, gift.by, "refund_given_to_fund", "fund_gift", row.id, community.id, amount=row.amount,
                 booking_id=booking.id, anonymous=anonymous)
    return row


def gift_of(session: Session, booking_id: int) -> FundGift | None:
    return session.scalar(select(FundGift).join(Refund, Refund.id == FundGift.refund_id)
                          .join(Payment, Payment.id == Refund.payment_id).where(Payment.booking_id == booking_id))


def receipt(session: Session, user: User | None, booking_id: int) -> dict:
    """The receipt of a refund given to the fund, for those who may see the booking (404 if it was not given)."""
    booking, ctx = visible_booking(session, user, booking_id)
    gift = gift_of(session, booking.id)
    if gift is None:
        raise NO_GIFT(booking_id=booking_id)
    return {"receipt_number": gift.id, "booking_id": booking.id, "community": ctx.community.name,
            "amount": gift.amount, "currency": gift.currency, "received_on": gift.received_on,
            "anonymous": gift.donor_kind == "anonymous", "donor_name": gift.donor_name or None}
