"""Details of canteen listings and bookings."""
from marshmallow import Schema, fields, validate


class CanteenListingDetails(Schema):
    meal = fields.String(load_default="lunch", validate=validate.OneOf(["breakfast", "lunch", "dinner"]))
    dishes = fields.Integer(load_default=4, validate=validate.Range(1, 20))
    soup = fields.Boolean(load_default=True)


class CanteenBookingDetails(Schema):
    home_delivery = fields.Boolean(load_default=False)
