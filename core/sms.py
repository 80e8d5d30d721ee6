"""What an SMS provider is: a key, whether this platform's settings configure it, and how to send one text.

Chinese SMS gateways (Aliyun, Tencent Cloud) send only pre-approved templates: a provider gets the message's
``kind`` (to pick its template), its values, and the whole text (for gateways that take free text).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sms:
    """One text to one phone: ``kind`` names the event (``booking_reminder``…), ``params`` its values as strings,
    ``text`` the sentence in the reader's language."""

    phone: str  # 11 digits, a mainland mobile number
    kind: str
    text: str
    params: dict[str, str] = field(default_factory=dict)


class SmsNotSent(Exception):
    """A text that will never go as asked (no template for its kind, a number or a key the gateway refuses):
    sending it again changes nothing, so its delivery records why and stops. Its message names the cause for the
    jobs page and the log, and never holds a secret."""


class SmsProvider:
    """A way to send texts. ``send`` returns the provider's message id, raises :class:`SmsNotSent` when the text
    can never go, and raises anything else on a failure worth retrying (throttling, the gateway down)."""

    key: str = ""

    def is_configured(self, config) -> bool:
        return False

    def send(self, sms: Sms, config) -> str:
        raise NotImplementedError
