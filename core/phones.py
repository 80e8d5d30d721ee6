"""Mainland mobile numbers as people write them (+86 138-1234-5678), stored as their 11 digits."""
from __future__ import annotations

import re

from core.errors import N_, invalid

_MOBILE = re.compile(r"1[3-9]\d{9}")
SEPARATORS = re.compile(r"[\s\-()（）]")

INVALID_PHONE = invalid("invalid_phone", N_(
    "Please write a mainland mobile number of 11 digits, e.g. 138 1234 5678 (with or without +86)."))


def normalize_phone(raw: str | None, field: str = "phone") -> str:
    """The 11 digits of a mainland mobile number written with or without +86, spaces, dashes or brackets."""
    digits = SEPARATORS.sub("", raw or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == 11 + len(prefix):
            digits = digits[len(prefix):]
            break
    if not _MOBILE.fullmatch(digits):
        raise INVALID_PHONE(field=field)
    return digits


def masked(phone: str | None) -> str:
    """A phone number as those who may not know it see it: 138****8000."""
    return f"{phone[:3]}****{phone[-4:]}" if phone and len(phone) == 11 else ""
