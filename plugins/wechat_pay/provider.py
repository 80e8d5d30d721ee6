"""WeChat Pay (微信支付) API v3 for a directly connected merchant (直连商户): Native payments shown as a QR code.

A booking's payment is a Native order (``/v3/pay/transactions/native``) that expires with the booking's hold; the
resident scans its ``code_url`` with WeChat. The order is closed when the hold runs out or the booking is cancelled,
asked after before that, refunded through ``/v3/refund/domestic/refunds``. Where the agreement takes a donation
at payment, the order is made for profit sharing (``settle_info.profit_sharing``): WeChat keeps the money frozen
until the fund's share is split to its receiving account (分账, ``/v3/profitsharing/orders``), requested by the
core's job after the payment, and the rest unfrozen for the merchant. The daily trade bill is the statement.

A split needs WeChat's transaction id, which the core does not keep: it is asked with the order (one query more
per split, and none in the core's tables).
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import logging

from core import N_
from core.plugin_api import (
    PAYMENT_DECLINED, PROVIDER_UNAVAILABLE, Notification, PaymentProvider, PaymentStart, Reply, ShareResult,
    StatementLine,
)
from plugins.wechat_pay import bill, gateway, notices
from plugins.wechat_pay.gateway import Refused, answer
from plugins.wechat_pay.numbers import refund_number, share_number, trade_number

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
STATES = {"SUCCESS": "succeeded", "REFUND": "succeeded", "NOTPAY": "pending", "USERPAYING": "pending",
          "CLOSED": "canceled", "REVOKED": "canceled", "PAYERROR": "failed"}
SHARE_DESCRIPTION = "社区发展基金"  # shown on the fund's account statement at WeChat Pay
DECLINED = 403  # WeChat refuses this trade or this merchant (NOAUTH, RULE_LIMIT, TRADE_ERROR …)
NO_BILL = "NO_STATEMENT_EXIST"

log = logging.getLogger(__name__)


class WeChatPayProvider(PaymentProvider):
    key = "wechat_pay"
    label = N_("WeChat Pay")
    online = True
    splits_share = True
    currencies = ("CNY",)
    refunded_reason = N_("refunded in WeChat Pay")

    def is_configured(self, config) -> bool:
        return gateway.is_configured(config)

    def start(self, session, booking, operator, donation_amount: int, config) -> PaymentStart:
        """The order, described by the operator's name in the community's language (what the payer's WeChat shows,
        and the same whoever asks again: WeChat refuses a number sent again with other words)."""
        number = trade_number(booking)
        client = gateway.client(config)
        try:
            order = answer(lambda: client.pay(
                description=f"{operator.stored_name} #{booking.id}"[:120], out_trade_no=number,
                amount={"total": booking.total_amount, "currency": booking.currency},
                time_expire=booking.hold_expires_at.astimezone(SHANGHAI).isoformat(timespec="seconds"),
                attach=str(booking.id), settle_info={"profit_sharing": True} if donation_amount else None))
        except Refused as refused:
            if refused.status == DECLINED:
                raise PAYMENT_DECLINED(reason=refused.message, field="payment_method") from None
            raise PROVIDER_UNAVAILABLE() from None
        return PaymentStart(reference=number, action="qr", code_url=order["code_url"])

    def cancel(self, session, payment, config) -> None:
        """Close the order; one already paid or closed is left to its notification (or the query)."""
        client = gateway.client(config)
        try:
            answer(lambda: client.close(payment.reference))
        except Refused as refused:
            if refused.passing:
                raise PROVIDER_UNAVAILABLE() from None

    def query(self, session, payment, config) -> str | None:
        order = self._order(payment, config)
        if order is None:
            return None
        if order.get("trade_state") == "SUCCESS" and order.get("amount", {}).get("total") != payment.amount:
            log.error("WeChat Pay says order %s was paid %s, not %s: not taken as paid", payment.reference,
                      order.get("amount", {}).get("total"), payment.amount)
            return None
        return STATES.get(order.get("trade_state"))

    def refund(self, session, payment, amount: int, config) -> str:
        number = refund_number(payment)
        client = gateway.client(config)
        try:
            answer(lambda: client.refund(out_refund_no=number, out_trade_no=payment.reference, amount={
                "refund": amount, "total": payment.amount, "currency": payment.currency}))
        except Refused:
            raise PROVIDER_UNAVAILABLE() from None
        return number

    def parse_notification(self, payload: bytes, headers, config) -> Notification:
        return notices.read(payload, headers, config)

    def reply(self, result: str) -> Reply:
        return Reply('{"code": "SUCCESS", "message": "成功"}')

    def refusal(self) -> Reply:
        return Reply('{"code": "FAIL", "message": "失败"}', 400, "application/json")

    def split_share(self, session, payment, amount: int, config) -> ShareResult:
        """Split ``amount`` off to the fund's receiver and unfreeze the rest; a refusal that may pass is raised
        (the job asks again later), one that will not is a failed split the committee sees."""
        number, (kind, account) = share_number(payment), gateway.receiver(config)
        transaction_id = self._transaction_id(payment, config)
        receivers = [{"type": kind, "account": account, "amount": amount, "description": SHARE_DESCRIPTION}]
        client = gateway.client(config)
        try:
            order = answer(lambda: client.profitsharing_order(transaction_id, number, receivers, True))
        except Refused as refused:
            if refused.passing:
                raise
            return ShareResult(number, "failed", f"{refused.code}: {refused.message}")
        return _share_result(order, number, account)

    def share_state(self, session, payment, config) -> ShareResult:
        number, client = payment.share_reference, gateway.client(config)
        transaction_id = self._transaction_id(payment, config)
        try:
            order = answer(lambda: client.profitsharing_order_query(transaction_id, number))
        except Refused as refused:
            if refused.passing:
                raise
            return ShareResult(number, "failed", f"{refused.code}: {refused.message}")
        return _share_result(order, number, gateway.receiver(config)[1])

    def statement(self, day: dt.date, config) -> list[StatementLine]:
        """The trade bill of ``day`` (Shanghai's day; WeChat has it from about 10:00 the next day)."""
        client = gateway.client(config)
        try:
            found = answer(lambda: client.trade_bill(day.isoformat(), "ALL", "GZIP"))
            packed = gateway.body_of(lambda: client.download_bill(found["download_url"]))
        except Refused as refused:
            if refused.code == NO_BILL:
                return []
            raise PROVIDER_UNAVAILABLE() from None
        text = gzip.decompress(packed)
        if hashlib.new(found["hash_type"].lower(), text).hexdigest() != found["hash_value"].lower():
            log.error("WeChat Pay's bill of %s does not match its hash: not read", day)
            raise PROVIDER_UNAVAILABLE()
        return bill.statement_lines(text.decode("utf-8-sig"), day)

    def _order(self, payment, config) -> dict | None:
        """The order as WeChat Pay has it (None: it has none under this number)."""
        client = gateway.client(config)
        try:
            return answer(lambda: client.query(out_trade_no=payment.reference))
        except Refused as refused:
            if refused.passing:
                raise PROVIDER_UNAVAILABLE() from None
            return None

    def _transaction_id(self, payment, config) -> str:
        order = self._order(payment, config) or {}
        if not order.get("transaction_id"):
            raise Refused(404, "ORDER_NOT_EXIST", f"no paid order {payment.reference}")
        return order["transaction_id"]


def _share_result(order: dict, number: str, account: str) -> ShareResult:
    """A profit-sharing order as the core's split: processing, done, or our receiver's part closed (and why)."""
    ours = next((r for r in order.get("receivers", []) if r.get("account") == account), {})
    if ours.get("result") == "CLOSED":
        return ShareResult(number, "failed", str(ours.get("fail_reason", "")))
    if order.get("state") == "FINISHED":
        return (ShareResult(number, "done") if ours.get("result") == "SUCCESS"
                else ShareResult(number, "failed", "the fund's receiver is not in the split"))
    return ShareResult(number, "requested")
