"""Details of housekeeping listings and bookings."""
from marshmallow import Schema, fields, validate


class HousekeepingListingDetails(Schema):
    service = fields.String(load_default="cleaning",
                            validate=validate.OneOf(["cleaning", "elderly_care", "maternity_nanny", "training"]))
    duration_hours = fields.Integer(load_default=2, validate=validate.Range(1, 24 * 31))
    agency_fee_amount = fields.Integer(load_default=None, allow_none=True, strict=True,
                                       validate=validate.Range(0, 100_000_000))


class HousekeepingBookingDetails(Schema):
    address = fields.String(required=True, validate=validate.Length(3, 300))
    notes = fields.String(load_default="", validate=validate.Length(max=1000))
