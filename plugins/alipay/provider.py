"""Alipay as a payment provider: the resident pays on Alipay's cashier page (``alipay.trade.page.pay``); trades are
queried, closed and refunded by the app's signed calls; Alipay's form-encoded notifications are verified with its
public key; the fund's share is split off by a royalty settle (``alipay.trade.order.settle``); the day's statement
is the trade bill (:mod:`plugins.alipay.bills`).

References: a trade's ``out_trade_no`` is ``L<booking>T<created, µs>`` (unique across databases sharing one app,
at most 32 letters and digits); a refund's ``out_request_no`` adds ``R<refunded before>`` (the same request
again if the answer was lost); a royalty's adds ``S<attempt>`` (a new attempt after a refusal only).
"""
from __future__ import annotations

import binascii
import datetime as dt
from urllib.parse import parse_qsl

from core import N_
from core.plugin_api import (
    BAD_SIGNATURE, PAYMENT_DECLINED, PROVIDER_UNAVAILABLE, Notification, PaymentProvider, PaymentStart, Reply,
    ShareResult, major_units, minor_units,
)
from plugins.alipay import bills
from plugins.alipay.gateway import BUSY, OK, Settings, beijing, client

KEY = "alipay"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
TRADE_STATES = {"TRADE_SUCCESS": "succeeded", "TRADE_FINISHED": "succeeded", "WAIT_BUYER_PAY": "pending",
                "TRADE_CLOSED": "canceled"}
NOT_SCANNED = "ACQ.TRADE_NOT_EXIST"  # a page pay's trade exists once the resident opened the cashier
UNKNOWN_OUTCOME = "ACQ.SYSTEM_ERROR"
MAX_FIELDS = 60  # a notification has about 30
SETTLE_STATES = {"SUCCESS": "done", "FAIL": "failed"}  # anything else is still processing


class AlipayProvider(PaymentProvider):
    key = KEY
    label = N_("Alipay")
    online = True
    splits_share = True
    currencies = ("CNY",)
    refunded_reason = N_("refunded in Alipay")

    def is_configured(self, config) -> bool:
        return Settings.of(config) is not None

    def start(self, session, booking, operator, donation_amount: int, config) -> PaymentStart:
        """Nothing to ask Alipay yet: the resident is sent to our own address, which signs the page pay when
        followed (a signed page pay is longer than a payment keeps, and its timestamp is fresh)."""
        reference = trade_number(booking)
        return PaymentStart(reference, action="redirect", redirect_url=f"{config['BASE_URL'].rstrip('/')}"
                                                                       f"/alipay/pay/{reference}")

    def cashier_url(self, payment, booking, config) -> str:
        """Alipay's cashier for this payment, signed now; it stops taking the money when the hold runs out."""
        biz = {"out_trade_no": payment.reference, "total_amount": major_units(payment.amount),
               "subject": f"邻里 Linli #{booking.id}", "product_code": "FAST_INSTANT_TRADE_PAY",
               "time_expire": beijing(booking.hold_expires_at)}
        if payment.donation_amount:  # the fund's share stays in the trade until it is split off
            biz["extend_params"] = {"royalty_freeze": "true"}
        return client(config).page_url(biz)

    def cancel(self, session, payment, config) -> None:
        """Close the trade; one never opened does not exist, one already paid is left to its notification."""
        answer = client(config).call("alipay.trade.close", {"out_trade_no": payment.reference})
        if answer.get("code") not in (OK, "40004"):
            raise PROVIDER_UNAVAILABLE()

    def query(self, session, payment, config) -> str | None:
        answer = client(config).call("alipay.trade.query", {"out_trade_no": payment.reference})
        if answer.get("code") == OK:
            return TRADE_STATES.get(answer.get("trade_status"))
        return "pending" if answer.get("sub_code") == NOT_SCANNED else None

    def refund(self, session, payment, amount: int, config) -> str:
        """Alipay refunds at once (``fund_change``); the same ``out_request_no`` again only repeats the answer."""
        number = f"{payment.reference}R{payment.refunded_amount}"
        answer = client(config).call("alipay.trade.refund", {
            "out_trade_no": payment.reference, "refund_amount": major_units(amount), "out_request_no": number})
        if answer.get("code") != OK:
            raise PAYMENT_DECLINED(reason=answer.get("sub_msg") or answer.get("msg") or "")
        return number

    def parse_notification(self, payload: bytes, headers, config) -> Notification:
        """An asynchronous notification (``trade_status_sync``), verified as Alipay signs it: every field but
        ``sign`` and ``sign_type``, sorted, RSA2 with Alipay's key; it must be for this app."""
        fields = signed_fields(payload)
        settings = Settings.of(config)
        if not verified(client(config), fields) or fields.get("app_id") != settings.app_id:
            raise BAD_SIGNATURE()
        try:
            return meaning(fields)
        except (KeyError, ValueError):
            raise BAD_SIGNATURE() from None

    def reply(self, result: str) -> Reply:
        return Reply("success", 200, "text/plain")

    def refusal(self) -> Reply:
        return Reply("fail", 400, "text/plain")

    def split_share(self, session, payment, amount: int, config) -> ShareResult:
        """A royalty of ``amount`` to the fund's account, finishing the trade's royalties (the rest is released)."""
        alipay = client(config)
        number = f"{payment.reference}S{attempt(payment)}"
        answer = alipay.call("alipay.trade.order.settle", {
            "out_request_no": number, "trade_no": trade_no(alipay, payment),
            "royalty_parameters": [{"royalty_type": "transfer", **alipay.settings.royalty_receiver,
                                    "amount": major_units(amount), "desc": f"Linli payment {payment.id}"}],
            "extend_params": {"royalty_finish": "true"}})
        if answer.get("code") == OK:
            return ShareResult(number, "done")
        if answer.get("code") == BUSY or answer.get("sub_code") == UNKNOWN_OUTCOME:
            return ShareResult(number, "requested")
        return ShareResult(number, "failed", answer.get("sub_msg") or answer.get("msg") or "")

    def share_state(self, session, payment, config) -> ShareResult:
        alipay = client(config)
        number = payment.share_reference
        answer = alipay.call("alipay.trade.order.settle.query",
                             {"out_request_no": number, "trade_no": trade_no(alipay, payment)})
        if answer.get("code") != OK:
            return ShareResult(number, "requested" if answer.get("code") == BUSY else "failed",
                               answer.get("sub_msg") or answer.get("msg") or "")
        details = answer.get("royalty_detail_list") or [{}]
        states = {SETTLE_STATES.get(d.get("state"), "requested") for d in details}
        status = "failed" if "failed" in states else "requested" if "requested" in states else "done"
        reason = next((d.get("error_desc") or d.get("error_code") or "" for d in details if d.get("state") == "FAIL"),
                      "")
        return ShareResult(number, status, reason)

    def statement(self, day: dt.date, config) -> list:
        return bills.statement(client(config), day)


def trade_number(booking) -> str:
    return f"L{booking.id}T{(booking.created_at - EPOCH) // dt.timedelta(microseconds=1)}"


def attempt(payment) -> int:
    """The royalty's attempt: a new one only after Alipay refused the last (whose number the payment keeps)."""
    last = (payment.share_reference or "").rpartition("S")[2]
    return int(last) + 1 if last.isdigit() else 1


def trade_no(alipay, payment) -> str:
    """Alipay's own number of the trade, which royalties are made on."""
    answer = alipay.call("alipay.trade.query", {"out_trade_no": payment.reference})
    if answer.get("code") != OK or not answer.get("trade_no"):
        raise PROVIDER_UNAVAILABLE()
    return answer["trade_no"]


def signed_fields(payload: bytes) -> dict[str, str]:
    """The notification's form fields (blank ones are not signed); a body that is no such form is refused."""
    try:
        pairs = parse_qsl(payload.decode("utf-8"), keep_blank_values=True, strict_parsing=True,
                          max_num_fields=MAX_FIELDS)
    except ValueError:  # not UTF-8, not a form, too many fields
        raise BAD_SIGNATURE() from None
    if len({name for name, _ in pairs}) != len(pairs):
        raise BAD_SIGNATURE()  # a field twice: which one was signed?
    return {name: value for name, value in pairs if value}


def verified(alipay, fields: dict[str, str]) -> bool:
    signature, sign_type = fields.pop("sign", None), fields.pop("sign_type", None)
    if not signature or sign_type != "RSA2":
        return False
    try:
        return alipay.verify(fields, signature)
    except (ValueError, binascii.Error):
        return False


def meaning(fields: dict[str, str]) -> Notification:
    """A trade's news: paid, closed, or refunded (``refund_fee`` is the trade's running total of refunds, posted
    under the refund's ``out_biz_no`` when Linli has not posted it already)."""
    reference, event = fields["out_trade_no"], (fields["notify_id"], fields.get("notify_type", "trade_status_sync"))
    amount = minor_units(fields["total_amount"])
    if "refund_fee" in fields:
        total = minor_units(fields["refund_fee"])
        return Notification(*event, reference=reference, refunded_total=total, amount=amount,
                            total_reference=fields.get("out_biz_no") or f"{reference}:refunded:{total}")
    status = TRADE_STATES.get(fields.get("trade_status", ""))
    return Notification(*event, reference=reference, status=None if status == "pending" else status, amount=amount)
