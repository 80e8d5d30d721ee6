"""What a payment provider is: a key, what it needs, and how it starts, closes, queries, refunds and splits a payment.

One seam for every provider, Stripe and cash in the core, WeChat Pay and Alipay as plugins: the core decides what a
payment means for the booking and the ledger; a provider only talks to its outside service, in its own dialect
(signatures, fen or yuan strings, its notification format) and answers in these few dataclasses.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping

from core.errors import N_, ErrorCode, bad_request, invalid

PROVIDER_UNAVAILABLE = ErrorCode("provider_unavailable", 502, N_(
    "The payment service did not answer. Please try again in a moment."))
BAD_SIGNATURE = bad_request("bad_signature", N_("This notification's signature cannot be verified."))
PAYMENT_DECLINED = invalid("payment_declined", N_("The payment was declined: %(reason)s"))
"""What any provider raises when the outside service fails, a notification is not its own, or a payment is refused."""

ACTIONS = ("qr", "redirect", "client")
"""How the resident pays: scan a QR code (``code_url``), go to the provider's page (``redirect_url``), or in this
page with the provider's script (``client_secret``)."""


@dataclass(frozen=True)
class PaymentStart:
    """What the resident's page needs to pay online, and the provider's reference of the payment."""

    reference: str
    action: str = "client"
    code_url: str | None = None
    redirect_url: str | None = None
    client_secret: str | None = None

    @property
    def url(self) -> str | None:
        """The address the page shows as a QR code or sends the resident to (kept with the payment)."""
        return self.code_url if self.action == "qr" else self.redirect_url if self.action == "redirect" else None


@dataclass(frozen=True)
class RefundNotice:
    """A refund the provider reports: its own reference and the amount, in minor units."""

    reference: str
    amount: int


@dataclass(frozen=True)
class Notification:
    """What a verified notification says. ``event_id`` is unique per provider: a redelivery is recognised by it.

    ``status``: the payment ``succeeded``, ``failed`` or was ``canceled`` (None: no news of the payment itself).
    ``refunds``: refunds made (a refund before the success implies the success); ``refunded_total``: the provider's
    running total of refunds, when it may not list them all (the rest is posted under ``total_reference``).
    ``share``: the fate of a fund-share split (``done`` or ``failed``) under its reference.
    ``amount``: what the provider says was paid, in minor units, where it says it: a success for another amount
    than the payment's is refused (as WeChat Pay and Alipay ask merchants to check, against forged notifications).
    """

    event_id: str
    event_type: str
    reference: str | None = None
    status: str | None = None
    refunds: tuple[RefundNotice, ...] = ()
    refunded_total: int | None = None
    total_reference: str | None = None
    share: ShareResult | None = None
    amount: int | None = None


@dataclass(frozen=True)
class ShareResult:
    """A split of the fund's share: the provider's reference and ``requested`` (still processing), ``done`` or
    ``failed`` (with the provider's reason)."""

    reference: str
    status: str
    reason: str = ""


@dataclass(frozen=True)
class Reply:
    """The HTTP answer a provider expects to a notification (its own format: JSON, plain ``success``…)."""

    body: str
    status: int = 200
    content_type: str = "application/json"


@dataclass(frozen=True)
class StatementLine:
    """One line of the provider's own statement of a day: a ``payment``, ``refund`` or ``share`` of ``amount``
    minor units under the reference Linli knows it by (the payment's, the refund's or the split's), and the
    provider's ``fee``."""

    day: dt.date
    kind: str
    reference: str
    amount: int
    fee: int = 0


class PaymentProvider:
    """A way to pay.

    ``online`` providers hold the places until the payment is confirmed.
    ``collects_for_fund`` providers hand the fund its donation share at payment
    (Stripe's application fee, or kept back from what is paid out to the operator);
    ``splits_share`` providers pay the operator and split the fund's share off afterwards (WeChat Pay's 分账,
    Alipay's royalty): the share is due until the split is confirmed, requested and retried by a job;
    for the others (cash) the share is due from the operator until it pays it over.
    """

    key: str = ""
    label: str = ""  # mark it with N_ and translate it in the plugin's catalogue: residents choose by it
    online: bool = False
    collects_for_fund: bool = False
    splits_share: bool = False
    currencies: tuple[str, ...] | None = None  # the currencies it takes (None: any)
    refunded_reason: str = N_("refunded by the payment service")  # a refund reported by the provider, in the books

    def is_configured(self, config) -> bool:
        """Whether this platform's settings let it take payments (otherwise residents are told to pay cash)."""
        return True

    def start(self, session, booking, operator, donation_amount: int, config) -> PaymentStart | None:
        """Begin collecting the booking's total; offline providers collect later."""
        return None

    def cancel(self, session, payment, config) -> None:
        """Close a payment that has not been made (the booking was cancelled, or its hold ran out); one already
        made is left to its notification (or :meth:`query`)."""

    def query(self, session, payment, config) -> str | None:
        """The payment's state at the provider: ``succeeded``, ``pending``, ``failed``, ``canceled`` (None: unknown)."""
        return None

    def refund(self, session, payment, amount: int, config) -> str | None:
        """Return the money; give the provider's refund reference, or None if it is returned by hand."""
        return None

    def parse_notification(self, payload: bytes, headers: Mapping[str, str], config) -> Notification:
        """Verify a notification and say what it means; raise ``BAD_SIGNATURE`` for one that is not the provider's."""
        raise BAD_SIGNATURE()

    def reply(self, result: str) -> Reply:
        """The answer to a notification that was taken (``result``: processed, duplicate, ignored)."""
        return Reply(f'{{"result": "{result}"}}')

    def refusal(self) -> Reply | None:
        """The provider's own failure reply to a notification refused; None: the problem+json of the error."""
        return None

    def split_share(self, session, payment, amount: int, config) -> ShareResult:
        """Ask the provider to move ``amount`` of the payment to the fund's receiving account (idempotent under the
        payment's reference); raise to have it retried later."""
        raise NotImplementedError

    def share_state(self, session, payment, config) -> ShareResult:
        """Ask the provider how a requested split went."""
        raise NotImplementedError

    def statement(self, day: dt.date, config) -> list[StatementLine]:
        """The provider's statement of ``day`` (in Shanghai's day for the Chinese providers)."""
        return []
