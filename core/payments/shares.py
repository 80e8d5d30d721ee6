"""The fund's share split off after payment by the provider (WeChat Pay's 分账, Alipay's royalty).

Such a provider pays the operator the whole amount; the donation share is due from the operator, as for cash,
until the provider confirms that it moved the share to the fund's receiving account. A split is requested by a
task after the payment (retried with backoff when the provider does not answer), asked after by the sweep every ten
minutes while it is processing, and settled by the provider's answer or notification: ``done`` posts the share as
received by the fund; ``failed`` waits for the committee, who see it in the reconciliation and may ask again.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import donations, ledger
from core.errors import N_, text
from core.models import Community, Operator, Payment
from core.money import part_of
from core.outbox import enqueue
from core.payments.base import PaymentProvider, ShareResult

SHARE_MEMO = N_("Donation share of payment %(payment)s, split off by %(provider)s")
OPEN = ("pending", "requested")
SWEEP_BATCH = 100


def share_left(payment: Payment) -> int:
    """The donation share of what was paid and not refunded (each refund gave back its part of the share)."""
    return payment.donation_amount - part_of(payment.donation_amount, payment.refunded_amount, payment.amount)


def request(session: Session, payment: Payment, provider: PaymentProvider) -> None:
    """After a payment a splitting provider took: have its share split, by a task after the commit."""
    if provider.splits_share and payment.share_status is None and share_left(payment) > 0:
        payment.share_status = "pending"
        enqueue(session, "payments.split_share", payment_id=payment.id)


def step(session: Session, providers: dict[str, PaymentProvider], config, payment_id: int) -> None:
    """Request a pending split, or ask how a requested one went; settle what the provider answers."""
    payment = session.get(Payment, payment_id, with_for_update=True)
    provider = providers.get(payment.provider) if payment is not None else None
    if provider is None or payment.share_status not in OPEN:
        return
    if payment.share_status == "requested":
        settled(session, payment, provider, provider.share_state(session, payment, config))
        return
    amount = share_left(payment)
    if amount <= 0:
        payment.share_status = None
        return
    result = provider.split_share(session, payment, amount, config)
    payment.share_amount = amount
    settled(session, payment, provider, result)


def settled(session: Session, payment: Payment, provider: PaymentProvider, result: ShareResult) -> None:
    """What the provider said of the split: posted once when done; ``requested`` and ``failed`` are kept to be seen."""
    if payment.share_status in (None, "done"):
        return
    payment.share_reference = result.reference[:120] or payment.share_reference
    if result.status == "done":
        payment.share_status, payment.share_error = "done", None
        amount = payment.share_amount or share_left(payment)
        payment.share_amount = amount
        operator = session.get(Operator, payment.operator_id)
        ledger.post(session, session.get(Community, operator.community_id), "donation", f"share:payment:{payment.id}",
                    donations.transfer_lines(amount, operator.id), payment.currency,
                    memo=text(SHARE_MEMO, payment=payment.id, provider=text(provider.label or provider.key)),
                    operator_id=operator.id, booking_id=payment.booking_id, payment_id=payment.id)
    elif result.status == "failed":
        payment.share_status, payment.share_error = "failed", result.reason[:200] or None
    else:
        payment.share_status = "requested"


def retry(session: Session, payment: Payment) -> None:
    """The committee asks again for a split the provider refused (once its cause is fixed)."""
    if payment.share_status == "failed":
        payment.share_status, payment.share_error = "pending", None
        enqueue(session, "payments.split_share", payment_id=payment.id)


def open_splits(session: Session) -> list[int]:
    """Payments whose split is to be requested or asked after (the sweep's work), oldest first."""
    return list(session.scalars(select(Payment.id).where(Payment.share_status.in_(OPEN))
                                .order_by(Payment.id).limit(SWEEP_BATCH)))


def none_of_month() -> dict:
    return {"awaiting_amount": 0, "awaiting_count": 0, "done_amount": 0, "failed_amount": 0, "failed": []}


def of_month(session: Session, community: Community, period: str) -> dict[int, dict]:
    """Per operator: the splits of the month's payments still awaiting the provider (``awaiting_amount``), done, and
    failed (each with the provider's reason), for the reconciliation."""
    start, end = ledger.month_window(community, period)
    report: dict[int, dict] = {}
    for payment in session.scalars(select(Payment).join(Operator, Operator.id == Payment.operator_id).where(
            Operator.community_id == community.id, Payment.share_status.is_not(None),
            Payment.paid_at >= start, Payment.paid_at < end).order_by(Payment.id)):
        row = report.setdefault(payment.operator_id, none_of_month())
        amount = payment.share_amount or share_left(payment)
        if payment.share_status in OPEN:
            row["awaiting_amount"] += amount
            row["awaiting_count"] += 1
        elif payment.share_status == "done":
            row["done_amount"] += amount
        else:
            row["failed_amount"] += amount
            row["failed"].append({"payment_id": payment.id, "booking_id": payment.booking_id,
                                  "provider": payment.provider, "amount": amount, "reason": payment.share_error or ""})
    return report
