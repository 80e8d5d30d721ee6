"""Alipay's open API through python-alipay-sdk: each request signed with the app's RSA2 key, each answer and
notification verified with Alipay's public key, on the configured gateway (production, the sandbox, a local fake).

Nothing here logs a key, a signature or a request's content: only the method called and what went wrong.
"""
from __future__ import annotations

import base64
import datetime as dt
import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from alipay.utils import AliPayConfig

from core.plugin_api import PROVIDER_UNAVAILABLE

log = logging.getLogger(__name__)

PRODUCTION = "https://openapi.alipay.com/gateway.do"
SHANGHAI = ZoneInfo("Asia/Shanghai")  # Alipay's timestamps, expiry times and bill days are Beijing time
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
TIMEOUT = 10  # seconds: a job retries what did not answer
OK = "10000"  # the call succeeded
BUSY = "20000"  # the service is unavailable for now: the outcome is unknown
REQUIRED = ("ALIPAY_APP_ID", "ALIPAY_APP_PRIVATE_KEY", "ALIPAY_ALIPAY_PUBLIC_KEY", "ALIPAY_NOTIFY_URL",
            "ALIPAY_ROYALTY_ACCOUNT")
USER_ID = re.compile(r"2088\d{12}")  # an Alipay user id; anything else is the account's logon name (email, phone)


@dataclass(frozen=True)
class Settings:
    """This platform's Alipay app, from ``LINLI_ALIPAY_*``."""

    app_id: str
    private_key: str
    public_key: str
    notify_url: str
    return_url: str | None
    gateway: str
    royalty_account: str

    @classmethod
    def of(cls, config) -> Settings | None:
        """The settings, or None while any required one is missing (Alipay is then not offered)."""
        if not all(str(config.get(key) or "").strip() for key in REQUIRED):
            return None
        return cls(str(config["ALIPAY_APP_ID"]).strip(), config["ALIPAY_APP_PRIVATE_KEY"],
                   config["ALIPAY_ALIPAY_PUBLIC_KEY"], config["ALIPAY_NOTIFY_URL"].strip(),
                   (config.get("ALIPAY_RETURN_URL") or "").strip() or None,
                   (config.get("ALIPAY_GATEWAY") or PRODUCTION).strip(), config["ALIPAY_ROYALTY_ACCOUNT"].strip())

    @property
    def royalty_receiver(self) -> dict:
        """The fund's account as a royalty's ``trans_in``."""
        kind = "userId" if USER_ID.fullmatch(self.royalty_account) else "loginName"
        return {"trans_in_type": kind, "trans_in": self.royalty_account}


def key_material(value: str) -> str | bytes:
    """A key given as PEM text, as the path of a PEM file, or as the bare base64 that Alipay's key tool prints."""
    text = value.strip()
    if text.startswith("-----BEGIN"):
        return text
    if len(text) < 200 and Path(text).is_file():
        return Path(text).read_text()
    return base64.b64decode(text, validate=True)  # DER, which the SDK's RSA.importKey reads as well


class Client(AliPay):
    """The SDK's client on the configured gateway, with Beijing time in its requests' timestamps."""

    def __init__(self, settings: Settings):
        super().__init__(settings.app_id, settings.notify_url, key_material(settings.private_key),
                         key_material(settings.public_key), sign_type="RSA2", config=AliPayConfig(timeout=TIMEOUT))
        self._gateway = settings.gateway
        self.settings = settings

    def build_body(self, method, biz_content=None, **kwargs):
        body = super().build_body(method, biz_content, **kwargs)
        body["timestamp"] = beijing(dt.datetime.now(dt.timezone.utc))
        return body

    def page_url(self, biz_content: dict) -> str:
        """The gateway's address with the signed query of a page pay (``alipay.trade.page.pay``)."""
        query = self.client_api("alipay.trade.page.pay", biz_content, notify_url=self.settings.notify_url,
                                return_url=self.settings.return_url)
        return f"{self.settings.gateway}?{query}"

    def call(self, method: str, biz_content: dict) -> dict:
        """Alipay's verified answer (``code``, ``sub_code``, ``sub_msg`` and the method's fields); raise
        ``PROVIDER_UNAVAILABLE`` when it cannot be reached, or answers unsigned or with a signature that fails."""
        try:
            return self.server_api(method, biz_content)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, AliPayException,
                AliPayValidationError) as error:  # no answer, or not a signed one the SDK can read
            log.warning("Alipay's %s did not answer usably: %s", method, type(error).__name__)
            raise PROVIDER_UNAVAILABLE() from None


@functools.lru_cache(maxsize=4)
def _client(settings: Settings) -> Client:
    return Client(settings)


def client(config) -> Client:
    """The client of these settings (keys are read once per set of settings)."""
    return _client(Settings.of(config))


def beijing(moment: dt.datetime) -> str:
    """A moment as Alipay writes it: Beijing time, ``yyyy-MM-dd HH:mm:ss``."""
    return moment.astimezone(SHANGHAI).strftime(TIME_FORMAT)
