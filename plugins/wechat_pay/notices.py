"""WeChat Pay's notifications (支付/退款/分账动账通知): verified, decrypted, and said as the core's ``Notification``.

A notification is taken only when it is signed with WeChat Pay's public key of ``LINLI_WECHATPAY_PUBLIC_KEY_ID``
(the library verifies ``Wechatpay-Signature`` over the timestamp, the nonce and the body), at most five minutes
old or early, its resource decrypts with the APIv3 key (AES-256-GCM: a changed byte fails its tag), and it is
about this merchant. Anything else is ``BAD_SIGNATURE``, answered with WeChat's FAIL reply, and WeChat sends it
again later. What a paid notification says was paid travels as ``Notification.amount``: the core refuses a
success for another amount than the payment's.
"""
from __future__ import annotations

import logging
import time
from typing import Mapping

from core.plugin_api import BAD_SIGNATURE, Notification, RefundNotice, ShareResult
from plugins.wechat_pay import gateway
from plugins.wechat_pay.numbers import payment_of_share

SIGNED = ("Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial",
          "Wechatpay-Signature-Type")
TOLERANCE = 300  # seconds a notification's timestamp may be from now, either way
SHARE_STATES = {"TRANSACTION.SUCCESS": "done", "TRANSACTION.CLOSED": "failed"}

log = logging.getLogger(__name__)


def read(payload: bytes, headers: Mapping[str, str], config) -> Notification:
    """What a notification means; ``BAD_SIGNATURE`` for one that is not WeChat Pay's, stale, or not ours."""
    event = verified(payload, headers, config)
    try:
        return _meaning(event, config)
    except (KeyError, TypeError, AttributeError):  # signed by WeChat Pay, yet not what its documentation says
        log.warning("refused a WeChat Pay notification of an unknown shape (%s)", event.get("event_type"))
        raise BAD_SIGNATURE() from None


def _meaning(event: dict, config) -> Notification:
    resource, kind, event_id = event["resource"], str(event.get("event_type", "")), str(event.get("id", ""))
    if not event_id or resource.get("mchid") != config["WECHATPAY_MCHID"]:
        raise BAD_SIGNATURE()
    if "out_order_no" in resource:
        return _share(event_id, kind, resource)
    if kind == "TRANSACTION.SUCCESS" and resource.get("trade_state") == "SUCCESS":
        return Notification(event_id, kind, reference=str(resource["out_trade_no"]), status="succeeded",
                            amount=_fen(resource["amount"]["total"]))
    if kind == "REFUND.SUCCESS":
        return Notification(event_id, kind, reference=str(resource["out_trade_no"]), refunds=(
            RefundNotice(str(resource["out_refund_no"]), _fen(resource["amount"]["refund"])),))
    if kind.startswith("REFUND."):  # ABNORMAL or CLOSED: the money did not go back; the merchant platform handles it
        log.warning("WeChat Pay reports refund %s of %s as %s: handle it in the merchant platform",
                    resource.get("out_refund_no"), resource.get("out_trade_no"), kind)
    return Notification(event_id, kind)


def verified(payload: bytes, headers: Mapping[str, str], config) -> dict:
    """The notification with its resource decrypted, once its key, time and signature are checked."""
    signed = {name: str(headers.get(name) or "") for name in SIGNED}
    if signed["Wechatpay-Serial"] != config["WECHATPAY_PUBLIC_KEY_ID"]:
        raise BAD_SIGNATURE()  # another key: the library would go and download certificates to find it
    stamp = signed["Wechatpay-Timestamp"]
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) < 12) or abs(time.time() - int(stamp)) > TOLERANCE:
        raise BAD_SIGNATURE()
    client = gateway.client(config)
    try:
        event = client.callback(signed, payload.decode("utf-8"))
    except Exception as error:  # noqa: BLE001 - a body the library trips on once its signature holds
        log.warning("refused a WeChat Pay notification: %s", type(error).__name__)
        raise BAD_SIGNATURE() from None
    if not isinstance(event, dict) or not isinstance(event.get("resource"), dict):
        raise BAD_SIGNATURE()  # a signature or a ciphertext that did not verify
    return event


def _share(event_id: str, kind: str, resource: dict) -> Notification:
    """A split of the fund's share moved (分账动账通知), under the payment it was split from. WeChat sends these to
    a receiver that asked for them in its merchant platform; the merchant learns the same by asking (the sweep)."""
    state = SHARE_STATES.get(kind)
    reference = payment_of_share(str(resource["out_order_no"]))
    if state is None or reference is None:
        return Notification(event_id, kind)
    return Notification(event_id, kind, reference=reference,
                        share=ShareResult(str(resource["out_order_no"]), state, str(resource.get("fail_reason", ""))))


def _fen(value) -> int:
    """An amount WeChat Pay gives in fen: a JSON whole number, never a float or a string."""
    if type(value) is not int:
        raise BAD_SIGNATURE()
    return value
