"""What a plugin declares about an operator type, and validation of its details."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

from marshmallow import RAISE, Schema, ValidationError

from core.errors import Invalid


class NoDetails(Schema):
    """A type whose listings or bookings take no details: any field is unknown."""

    class Meta:
        unknown = RAISE


@dataclass(frozen=True)
class OperatorType:
    key: str
    label: str
    description: str = ""
    listing_schema: type[Schema] = NoDetails
    booking_schema: type[Schema] = NoDetails
    default_price_rules: list[dict] = field(default_factory=list)
    default_donation: dict = field(default_factory=lambda: {"kind": "percent_of_revenue", "bps": 0})
    max_per_resident_per_slot: int | None = None

    def public(self) -> dict:
        return {
            "key": self.key, "label": self.label, "description": self.description,
            "default_price_rules": self.default_price_rules, "default_donation": self.default_donation,
        }


def load_details(schema: type[Schema], raw, field_name: str) -> dict:
    """Details validated by the plugin's schema; unknown fields are an error (422)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise Invalid(f"{field_name} must be an object", {field_name: ["must be an object"]})
    try:
        return _strict(schema).load(raw)
    except ValidationError as e:
        raise Invalid(f"invalid {field_name}", {field_name: e.messages}) from None


@functools.cache
def _strict(schema: type[Schema]) -> Schema:
    """One strict instance per plugin schema, built once: building one copies every field, and a schema keeps no
    state between loads."""
    return schema(unknown=RAISE)
