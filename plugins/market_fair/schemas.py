"""Details of market-fair listings and stall bookings."""
from marshmallow import Schema, fields, validate


class FairListingDetails(Schema):
    stalls = fields.Integer(load_default=40, validate=validate.Range(1, 1000))


class StallBookingDetails(Schema):
    stall_number = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(1, 1000))
