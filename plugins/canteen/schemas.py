"""Details of canteen listings and bookings, and the shapes of the canteen's own API."""
import datetime as dt

from marshmallow import Schema, fields, validate

from core import N_
from core.plugin_api import NOT_BLANK, PageArgs


class CanteenListingDetails(Schema):
    meal = fields.String(load_default="lunch", validate=validate.OneOf(["breakfast", "lunch", "dinner"]))
    dishes = fields.Integer(strict=True, load_default=4, validate=validate.Range(1, 20))
    soup = fields.Boolean(load_default=True)


class CanteenBookingDetails(Schema):
    home_delivery = fields.Boolean(load_default=False)


class CanteenMenuSchema(Schema):
    slot_id = fields.Integer(dump_only=True)
    listing_id = fields.Integer(dump_only=True)
    starts_at = fields.AwareDateTime(dump_only=True, format="iso")
    ends_at = fields.AwareDateTime(dump_only=True, format="iso")
    dishes = fields.List(fields.String(validate=[validate.Length(1, 100), NOT_BLANK]), required=True,
                         validate=validate.Length(1, 20, error=N_("A menu has 1 to 20 dishes.")))
    soup = fields.String(load_default=None, allow_none=True, validate=[validate.Length(1, 100), NOT_BLANK])
    notes = fields.String(load_default="", validate=validate.Length(max=500))
    published_at = fields.AwareDateTime(dump_only=True, format="iso")


class CanteenDayQuery(PageArgs):
    date = fields.Date(validate=validate.Range(dt.date(2000, 1, 1), dt.date(2100, 12, 31)),
                       metadata={"description": "a day in the community's time zone"})


class CanteenDeliverySchema(Schema):
    booking_id = fields.Integer()
    slot_id = fields.Integer()
    starts_at = fields.AwareDateTime(format="iso")
    resident_id = fields.Integer()
    resident_name = fields.String()
    address = fields.String()
    meals = fields.Integer()
    status = fields.String()


class CanteenDeliveryListSchema(Schema):
    operator_id = fields.Integer()
    date = fields.Date()
    total_meals = fields.Integer(metadata={"description": "meals to deliver that day, on every page"})
    items = fields.List(fields.Nested(CanteenDeliverySchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
