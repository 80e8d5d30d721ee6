"""Texts through Alibaba Cloud SMS (Dysmsapi 2017-05-25, ``SendSms``) with Alibaba's own SDK.

Chinese gateways send only templates approved beforehand: each notification kind has its template code in
``ALIYUN_SMS_TEMPLATES``, whose variables are filled from the text's ``params``. A kind without a template is not
texted (the reader still finds it in the inbox). The SDK signs each request with the V3 scheme, ACS3-HMAC-SHA256.

What the gateway says decides what happens next: throttling, the gateway's own errors and an unreachable network
are worth another try (:class:`SmsGatewayBusy`); any other refusal (a wrong key, an unapproved sign or template, a
number it rejects, no balance) would be refused again, so the text is given up with the gateway's code
(:class:`SmsNotSent`). No message here holds the secret or the phone number.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from urllib.parse import urlsplit

from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_dysmsapi20170525.models import SendSmsRequest
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException, ServerException, ThrottlingException
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.exceptions import UnretryableException

from core.plugin_api import Sms, SmsNotSent, SmsProvider

REQUIRED = ("ALIYUN_SMS_ACCESS_KEY_ID", "ALIYUN_SMS_ACCESS_KEY_SECRET", "ALIYUN_SMS_SIGN_NAME", "ALIYUN_SMS_TEMPLATES")
DEFAULT_ENDPOINT = "dysmsapi.aliyuncs.com"
TRY_AGAIN = {  # the number's minute/hour/day limit, and the gateway's own troubles
    "isv.BUSINESS_LIMIT_CONTROL", "isp.SYSTEM_ERROR", "isp.GATEWAY_ERROR", "isp.UNKNOWN", "ServiceUnavailable",
    "InternalError",
}
FIX = {  # what an operator changes after a refusal that points at the settings
    "SignatureDoesNotMatch": "LINLI_ALIYUN_SMS_ACCESS_KEY_SECRET",
    "InvalidAccessKeyId.NotFound": "LINLI_ALIYUN_SMS_ACCESS_KEY_ID",
    "InvalidAccessKeyId.Inactive": "LINLI_ALIYUN_SMS_ACCESS_KEY_ID",
    "isv.SMS_SIGNATURE_ILLEGAL": "LINLI_ALIYUN_SMS_SIGN_NAME",
    "isv.SMS_TEMPLATE_ILLEGAL": "LINLI_ALIYUN_SMS_TEMPLATES",
    "isv.TEMPLATE_MISSING_PARAMETERS": "LINLI_ALIYUN_SMS_TEMPLATES",
}
CONNECT_MS, READ_MS = 5_000, 10_000
MALFORMED_TEMPLATES = ('LINLI_ALIYUN_SMS_TEMPLATES must be a JSON object of notification kind → approved template '
                       'code, e.g. {"booking_reminder": "SMS_123456789"}')

log = logging.getLogger(__name__)


class SmsGatewayBusy(Exception):
    """Aliyun could not take the text now (throttled, failing, unreachable): sending it later may work."""


class AliyunSms(SmsProvider):
    """Alibaba Cloud SMS, named ``aliyun`` in ``LINLI_SMS_PROVIDER``."""

    key = "aliyun"

    def is_configured(self, config) -> bool:
        """The key, its secret, the sign name and at least one template. A malformed template table is logged
        with its fix rather than raised, as this is asked while notifying, where texts must not stop a booking."""
        if not all(config.get(name) for name in REQUIRED):
            return False
        table = templates(config)
        if table is None:
            log.warning("Alibaba Cloud SMS is not configured: %s", MALFORMED_TEMPLATES)
        return bool(table)

    def send(self, sms: Sms, config) -> str:
        """Send ``sms`` with its kind's template; return Aliyun's BizId (its receipt id)."""
        table = templates(config)
        if table is None:
            raise SmsNotSent(MALFORMED_TEMPLATES)
        template = table.get(sms.kind)
        if template is None:
            raise SmsNotSent(f"not texted: LINLI_ALIYUN_SMS_TEMPLATES has no template for {sms.kind!r}")
        request = SendSmsRequest(phone_numbers=sms.phone, sign_name=config["ALIYUN_SMS_SIGN_NAME"],
                                 template_code=template,
                                 template_param=json.dumps(sms.params, ensure_ascii=False) if sms.params else None)
        try:
            answer = client(config).send_sms(request).body
        except AlibabaCloudException as refusal:  # an HTTP error status: the signature, the key, throttling…
            said = (refusal.data or {}).get("Message")
            busy = isinstance(refusal, (ServerException, ThrottlingException))
            raise gateway_error(refusal.code, said, refusal.request_id, busy=busy) from None
        except UnretryableException as failure:  # no answer at all; its text would show the URL, hence the number
            raise SmsGatewayBusy(f"Aliyun SMS at {endpoint(config)[1]} did not answer "
                                 f"({type(failure.inner_exception).__name__})") from None
        if answer.code != "OK":
            raise gateway_error(answer.code, answer.message, answer.request_id)
        return answer.biz_id


def gateway_error(code: str, message: str | None, request_id: str | None, busy: bool = False) -> Exception:
    """The exception for a gateway's answer other than OK: to retry (:class:`SmsGatewayBusy`) or not."""
    said = f"Aliyun SMS answered {code}: {message or 'no message'} (request {request_id})"
    if busy or code in TRY_AGAIN or code.startswith("Throttling"):
        return SmsGatewayBusy(said)
    fix = f"; check {FIX[code]}" if code in FIX else ""
    return SmsNotSent(f"{said}{fix}; not sent again")


def templates(config) -> dict[str, str] | None:
    """``ALIYUN_SMS_TEMPLATES`` as a table of notification kind → template code (JSON in the environment); None
    when it is not such a table."""
    table = config.get("ALIYUN_SMS_TEMPLATES") or {}
    if isinstance(table, str):
        try:
            table = json.loads(table)
        except ValueError:
            table = None
    if not isinstance(table, Mapping) or not all(isinstance(code, str) and code for code in table.values()):
        return None
    return dict(table)


def endpoint(config) -> tuple[str, str]:
    """(protocol, host) of ``ALIYUN_SMS_ENDPOINT``: a bare host is reached over HTTPS, a URL says its scheme."""
    value = config.get("ALIYUN_SMS_ENDPOINT") or DEFAULT_ENDPOINT
    if "://" not in value:
        return "https", value
    parts = urlsplit(value)
    return parts.scheme, parts.netloc


def client(config) -> Client:
    protocol, host = endpoint(config)
    return Client(Config(access_key_id=config["ALIYUN_SMS_ACCESS_KEY_ID"],
                         access_key_secret=config["ALIYUN_SMS_ACCESS_KEY_SECRET"], endpoint=host, protocol=protocol,
                         signature_algorithm="ACS3-HMAC-SHA256", connect_timeout=CONNECT_MS, read_timeout=READ_MS))
