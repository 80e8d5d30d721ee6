"""Details of workshop listings (shifts); shift bookings take no details."""
from marshmallow import Schema, fields, validate


class WorkshopListingDetails(Schema):
    product = fields.String(load_default="", validate=validate.Length(max=200))
    merchant = fields.String(load_default="", validate=validate.Length(max=200))
