"""A payment provider for testing the seam itself: QR codes, signed notifications, splits and statements.

It keeps its state in memory (``LocalPay.state``: payments, refunds, splits, what to answer next) and signs its
notifications with HMAC-SHA256 over the body, so the core's route, dedupe and application run as for a real
provider. The real providers (``plugins/wechat_pay``, ``plugins/alipay``) are tested against fake servers of
their own that sign as the real services do.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from dataclasses import dataclass, field

import pytest

from core import hookimpl
from core.plugin_api import (
    BAD_SIGNATURE, PROVIDER_UNAVAILABLE, Notification, PaymentProvider, PaymentStart, RefundNotice, Reply,
    ShareResult, StatementLine,
)

SECRET = "local-pay-test-secret"


@dataclass
class LocalState:
    paid: dict[str, str] = field(default_factory=dict)  # reference -> succeeded / pending / canceled
    refunds: list[tuple[str, int]] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    splits: list[tuple[str, int]] = field(default_factory=list)  # (payment reference, amount) requested
    split_answer: str = "done"  # done, requested, failed, down (raise)
    down: bool = False
    statement: list[StatementLine] = field(default_factory=list)
    numbers: itertools.count = field(default_factory=lambda: itertools.count(1))


class LocalPay(PaymentProvider):
    key = "localpay"
    label = "LocalPay"
    online = True
    splits_share = True
    has_statements = True
    currencies = ("CNY",)

    def __init__(self):
        self.state = LocalState()

    def is_configured(self, config) -> bool:
        return bool(config.get("LOCALPAY"))

    def start(self, session, booking, operator, donation_amount, config) -> PaymentStart:
        if self.state.down:
            raise PROVIDER_UNAVAILABLE()
        reference = f"lp-{booking.id}-{next(self.state.numbers)}"
        self.state.paid[reference] = "pending"
        return PaymentStart(reference, action="qr", code_url=f"weixin://wxpay/bizpayurl?pr={reference}")

    def cancel(self, session, payment, config) -> None:
        if self.state.paid.get(payment.reference) == "pending":
            self.state.paid[payment.reference] = "canceled"
        self.state.closed.append(payment.reference)

    def query(self, session, payment, config) -> str | None:
        return self.state.paid.get(payment.reference)

    def refund(self, session, payment, amount, config) -> str:
        reference = f"lr-{payment.reference}-{len(self.state.refunds) + 1}"
        self.state.refunds.append((reference, amount))
        return reference

    def parse_notification(self, payload, headers, config) -> Notification:
        expected = hmac.new(SECRET.encode(), payload, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("X-Local-Signature", "")):
            raise BAD_SIGNATURE()
        event = json.loads(payload)
        share = event.get("share")
        return Notification(event["id"], event["type"], reference=event.get("reference"), status=event.get("status"),
                            refunds=tuple(RefundNotice(r, a) for r, a in event.get("refunds", ())),
                            share=ShareResult(share["reference"], share["status"]) if share else None)

    def reply(self, result: str) -> Reply:
        return Reply("OK", content_type="text/plain")

    def refusal(self) -> Reply:
        return Reply("FAIL", 400, "text/plain")

    def split_share(self, session, payment, amount, config) -> ShareResult:
        if self.state.split_answer == "down":
            raise ConnectionError("the provider did not answer")
        self.state.splits.append((payment.reference, amount))
        return ShareResult(f"split-{payment.reference}", self.state.split_answer,
                           "receiver not bound" if self.state.split_answer == "failed" else "")

    def share_state(self, session, payment, config) -> ShareResult:
        return ShareResult(payment.share_reference, self.state.split_answer)

    def statement(self, day, config) -> list[StatementLine]:
        return [line for line in self.state.statement if line.day == day]


class LocalPayPlugin:
    def __init__(self):
        self.provider = LocalPay()

    @hookimpl
    def register_payment_providers(self):
        return [self.provider]


def signed(event: dict) -> tuple[bytes, dict]:
    body = json.dumps(event).encode()
    return body, {"X-Local-Signature": hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
                  "Content-Type": "application/json"}


@pytest.fixture
def localpaid(platform):
    """The demo platform (tests/stripe_support.py) with LocalPay installed and configured: (app, world, provider)."""
    plugin = LocalPayPlugin()
    app, world = platform(PLUGINS=[plugin], LOCALPAY="on")
    return app, world, plugin.provider
