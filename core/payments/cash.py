"""Cash at the counter: the booking is confirmed at once and staff record the cash at check-in."""
from core.errors import N_
from core.payments.base import PaymentProvider


class CashProvider(PaymentProvider):
    key = "cash"
    label = N_("Cash at the counter")
    online = False
