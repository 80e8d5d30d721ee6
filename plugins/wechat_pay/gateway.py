"""The WeChat Pay API v3 as this plugin reaches it: its settings, a client of the ``wechatpayv3`` library, its answers.

The library signs each request (``WECHATPAY2-SHA256-RSA2048`` with the merchant's API key), verifies the signature
of each answer and notification against WeChat Pay's public key, and decrypts notifications (AES-256-GCM with the
APIv3 key). It is given the public key and its id (微信支付公钥, from the merchant platform), so that it never
downloads platform certificates; and no logger, as it would log the Authorization header and whole bodies.
It has no setting for the address it calls: its gateway is set on the client once built (the version is pinned
below 3 in pyproject.toml for this).
"""
from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from wechatpayv3 import WeChatPay, WeChatPayType

from core.plugin_api import PROVIDER_UNAVAILABLE

REQUIRED = ("WECHATPAY_MCHID", "WECHATPAY_APPID", "WECHATPAY_APIV3_KEY", "WECHATPAY_CERT_SERIAL_NO",
            "WECHATPAY_PRIVATE_KEY", "WECHATPAY_PUBLIC_KEY", "WECHATPAY_PUBLIC_KEY_ID", "WECHATPAY_NOTIFY_URL",
            "WECHATPAY_SHARE_RECEIVER")
RECEIVER_TYPES = ("MERCHANT_ID", "PERSONAL_OPENID")
TIMEOUT = (5, 15)  # seconds to connect, to read
TRY_AGAIN = {"SYSTEM_ERROR", "FREQUENCY_LIMITED", "ORDER_NOT_READY"}
"""WeChat Pay's codes for a refusal that may not hold a moment later (ORDER_NOT_READY: a split asked for too soon
after the payment)."""

log = logging.getLogger(__name__)


@dataclass
class Refused(Exception):
    """WeChat Pay answered with an error (its HTTP status, code and message), or did not answer (status 0)."""

    status: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"WeChat Pay answered {self.status} {self.code}: {self.message}"

    @property
    def passing(self) -> bool:
        """Worth asking again later: no answer, WeChat's own trouble, throttling, or not ready yet."""
        return self.status == 0 or self.status >= 500 or self.status == 429 or self.code in TRY_AGAIN


def is_configured(config) -> bool:
    """Every setting given, and the fund's receiver written as ``TYPE:account``."""
    return all(config.get(name) for name in REQUIRED) and receiver(config) is not None


def receiver(config) -> tuple[str, str] | None:
    """The fund's receiving account of splits (分账接收方) as (type, account): ``MERCHANT_ID:1900000109`` or
    ``PERSONAL_OPENID:oUpF8uMuAJO_M2pxb1Q9zNjWeS6o``; None when written otherwise."""
    kind, _, account = str(config.get("WECHATPAY_SHARE_RECEIVER") or "").partition(":")
    return (kind, account.strip()) if kind in RECEIVER_TYPES and account.strip() else None


def client(config) -> WeChatPay:
    """The library's client for these settings (built once per set of settings: it loads two keys)."""
    settings = tuple(str(config[name]) for name in REQUIRED)
    try:
        return _client(settings, config["WECHATPAY_API_BASE"].rstrip("/"))
    except Exception as error:  # noqa: BLE001 - an unreadable file or a key the library cannot load
        log.error("WeChat Pay cannot be used: %s loading its keys; LINLI_WECHATPAY_PRIVATE_KEY and "
                  "LINLI_WECHATPAY_PUBLIC_KEY must name readable PEM files", type(error).__name__)
        raise PROVIDER_UNAVAILABLE() from None


@functools.lru_cache(maxsize=8)
def _client(settings: tuple[str, ...], api_base: str) -> WeChatPay:
    mchid, appid, apiv3_key, serial_no, private_key, public_key, public_key_id, notify_url, _ = settings
    wechat = WeChatPay(wechatpay_type=WeChatPayType.NATIVE, mchid=mchid, appid=appid, apiv3_key=apiv3_key,
                       cert_serial_no=serial_no, private_key=Path(private_key).read_text(encoding="ascii"),
                       public_key=Path(public_key).read_text(encoding="ascii"), public_key_id=public_key_id,
                       notify_url=notify_url, timeout=TIMEOUT)
    wechat._core._gate_way = api_base  # noqa: SLF001 - the library's only way to another address (2.0.x)
    return wechat


def answer(request: Callable[[], tuple[int, str | bytes]]) -> dict:
    """Make a request of the library and give WeChat Pay's JSON answer (empty for 204); raise :class:`Refused`."""
    body = body_of(request)
    return json.loads(body) if body else {}


def body_of(request: Callable[[], tuple[int, str | bytes]]) -> str | bytes:
    """The body of a successful answer, as the library gives it (text for JSON, bytes for a file)."""
    try:
        status, body = request()
    except Exception as error:  # noqa: BLE001 - no answer, a timeout, or an answer whose signature did not verify
        log.warning("WeChat Pay did not answer usably: %s", type(error).__name__)
        raise Refused(0, "NO_ANSWER", type(error).__name__) from None
    if 200 <= status < 300:
        return body
    try:
        said = json.loads(body)
        code, message = str(said.get("code", "")), str(said.get("message", ""))
    except (ValueError, AttributeError, TypeError):
        code, message = "", ""
    refused = Refused(status, code or "UNKNOWN", message[:200])
    log.warning("%s", refused)
    raise refused
