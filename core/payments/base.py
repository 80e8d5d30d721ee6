"""What a payment provider is: a key, whether it is paid online, and how to start and refund a payment."""
from __future__ import annotations

from dataclasses import dataclass

from core.errors import N_, ErrorCode, bad_request, invalid

PROVIDER_UNAVAILABLE = ErrorCode("provider_unavailable", 502, N_(
    "The payment service did not answer. Please try again in a moment."))
BAD_SIGNATURE = bad_request("bad_signature", N_("This notification's signature cannot be verified."))
PAYMENT_DECLINED = invalid("payment_declined", N_("The payment was declined: %(reason)s"))
"""What any provider raises when the outside service fails, a notification is not its own, or a payment is refused."""


@dataclass(frozen=True)
class PaymentStart:
    """What a page needs to let the resident pay online (e.g. Stripe's client secret)."""

    reference: str
    client_secret: str | None = None


class PaymentProvider:
    """A way to pay.

    ``online`` providers hold the places until the payment is confirmed.
    ``collects_for_fund`` providers hand the fund its donation share at payment
    (Stripe's application fee, or kept back from what is paid out to the operator);
    for the others (cash) the share is due from the operator until it pays it over.
    """

    key: str = ""
    label: str = ""  # mark it with N_ and translate it in the plugin's catalogue: residents choose by it
    online: bool = False
    collects_for_fund: bool = False

    def is_configured(self, config) -> bool:
        """Whether this platform's settings let it take payments (otherwise residents are told to pay cash)."""
        return True

    def start(self, session, booking, operator, donation_amount: int, config) -> PaymentStart | None:
        """Begin collecting the booking's total; offline providers collect later."""
        return None

    def cancel(self, session, payment, config) -> None:
        """Stop a payment that has not been made (the booking was cancelled while it was pending)."""

    def refund(self, session, payment, amount: int, config) -> str | None:
        """Return the money; give the provider's refund reference, or None if it is returned by hand."""
        return None
