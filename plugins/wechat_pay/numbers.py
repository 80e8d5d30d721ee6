"""The merchant's numbers by which WeChat Pay knows Linli's payments, refunds and splits (商户订单号, 退款单号, 分账单号).

Each is derived from what it numbers, so that a request sent again (after no answer) is the same request to WeChat
Pay, which answers it with what it did the first time instead of doing it twice. A split's number carries its
payment's, as WeChat's notification of a split names only the split.
"""
from __future__ import annotations

import datetime as dt
import re

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
SHARE = re.compile(r"^S(\d{1,4})-(.+)$")


def trade_number(booking) -> str:
    """The booking's id and the microsecond it was made (in hex): unique even where the id of a booking that was
    rolled back is used again. At most 2 + 10 + 1 + 14 characters of the 32 WeChat allows."""
    made = (booking.created_at - EPOCH) // dt.timedelta(microseconds=1)
    return f"LL{booking.id}-{made:x}"


def refund_number(payment) -> str:
    """The payment's number and how much of it was refunded before this refund."""
    return f"R{payment.refunded_amount}-{payment.reference}"


def share_number(payment) -> str:
    """The payment's number and the attempt: a split WeChat closed is asked again under a new number."""
    before = SHARE.match(payment.share_reference or "")
    return f"S{int(before.group(1)) + 1 if before else 1}-{payment.reference}"


def payment_of_share(number: str) -> str | None:
    """The payment's number in a split's number (None: not one of ours)."""
    found = SHARE.match(number)
    return found.group(2) if found else None
