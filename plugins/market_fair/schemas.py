"""Details of market-fair listings and stall bookings, and the fair's own records."""
from marshmallow import Schema, fields, validate

from core.plugin_api import DAY, ID, NOT_BLANK

DEFAULT_STALLS = 40
LOCAL_MERCHANT_AMOUNT = 2000
VENDOR_TIERS = ["local", "outside"]
AMOUNT = validate.Range(0, 1_000_000_000)


class FairListingDetails(Schema):
    stalls = fields.Integer(strict=True, load_default=DEFAULT_STALLS, validate=validate.Range(1, 1000),
                            metadata={"description": "stalls on the plaza, numbered 1 to stalls"})
    local_merchant_amount = fields.Integer(load_default=LOCAL_MERCHANT_AMOUNT, strict=True,
                                           validate=validate.Range(1, 100_000_000),
                                           metadata={"description": "the low-cost stall price for local merchants "
                                                                    "on the register, where others pay the paid price"})


class StallBookingDetails(Schema):
    stall_number = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(1, 1000))


class StallMapSchema(Schema):
    slot_id = fields.Integer()
    stalls = fields.Integer()
    taken = fields.List(fields.Integer(), metadata={"description": "stall numbers held by live bookings"})
    free = fields.Integer(metadata={"description": "how many stalls are still free"})


class VendorSchema(Schema):
    id = fields.Integer(dump_only=True)
    operator_id = fields.Integer(dump_only=True)
    user_id = fields.Integer(required=True, strict=True, validate=ID,
                             metadata={"description": "the merchant's account"})
    business_name = fields.String(required=True, validate=[validate.Length(1, 200), NOT_BLANK])
    tier = fields.String(load_default="local", validate=validate.OneOf(VENDOR_TIERS),
                         metadata={"description": "local merchants pay the low-cost price, outside merchants the paid"})
    created_at = fields.DateTime(dump_only=True)


class VendorPatchSchema(Schema):
    business_name = fields.String(validate=[validate.Length(1, 200), NOT_BLANK])
    tier = fields.String(validate=validate.OneOf(VENDOR_TIERS))


class VisitSchema(Schema):
    id = fields.Integer()
    slot_id = fields.Integer()
    user_id = fields.Integer()
    created_at = fields.DateTime()


class VisitCountSchema(Schema):
    slot_id = fields.Integer()
    visits = fields.Integer(metadata={"description": "residents registered to visit this fair"})


class SalesReportSchema(Schema):
    id = fields.Integer(dump_only=True)
    booking_id = fields.Integer(dump_only=True)
    sales_amount = fields.Integer(required=True, strict=True, validate=AMOUNT)
    pledged_bps = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10_000),
                                 metadata={"description": "the share of sales pledged to the fund, in basis points"})
    pledged_amount = fields.Integer(dump_only=True)
    currency = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class GiftSchema(Schema):
    id = fields.Integer(dump_only=True)
    operator_id = fields.Integer(dump_only=True)
    donor = fields.String(required=True, validate=[validate.Length(1, 200), NOT_BLANK])
    item = fields.String(required=True, validate=[validate.Length(1, 200), NOT_BLANK])
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(1, 1_000_000))
    declared_value_amount = fields.Integer(required=True, strict=True, validate=AMOUNT)
    currency = fields.String(dump_only=True)
    received_on = fields.Date(load_default=None, validate=DAY, metadata={"description": "defaults to the day of the fair"})
