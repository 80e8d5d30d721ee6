"""Details of workshop listings (shifts; bookings take no details), and the shapes of the workshop's own API."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core import N_, text
from core.plugin_api import DAY, ID, MONTH, NOT_BLANK, RAW, PageArgs
from plugins.workshop.models import JOB_STATUSES

MAX_CONTRACT_AMOUNT = 10_000_000_000  # ¥100 million: more is a typing mistake, not a piece-work order


class WorkshopListingDetails(Schema):
    product = fields.String(load_default="", validate=validate.Length(max=200))
    merchant = fields.String(load_default="", validate=validate.Length(max=200))


class WorkshopJobSchema(Schema):
    id = fields.Integer(dump_only=True)
    operator_id = fields.Integer(dump_only=True)
    merchant = fields.String(required=True, validate=[validate.Length(1, 200), NOT_BLANK])
    product = fields.String(required=True, validate=[validate.Length(1, 200), NOT_BLANK])
    unit_rate_amount = fields.Integer(required=True, strict=True, validate=validate.Range(1, 1_000_000),
                                      metadata={"description": "the worker's wage per piece, in minor units"})
    merchant_price_amount = fields.Integer(required=True, strict=True, validate=validate.Range(1, 1_000_000),
                                           metadata={"description": "what the merchant pays per piece"})
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(1, 1_000_000),
                              metadata={"description": "pieces ordered"})
    due_on = fields.Date(required=True, validate=DAY)
    currency = fields.String(dump_only=True)
    completed = fields.Integer(dump_only=True, metadata={"description": "pieces recorded so far"})
    remaining = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True, metadata={"enum": list(JOB_STATUSES)})
    delivered_on = fields.Date(dump_only=True, allow_none=True)
    revenue_amount = fields.Integer(dump_only=True, allow_none=True,
                                    metadata={"description": "pieces delivered × the merchant's price, once delivered"})
    created_at = fields.AwareDateTime(dump_only=True, format="iso")

    @validates_schema
    def _contract_size(self, data, **_):
        if data.get("quantity", 0) * data.get("merchant_price_amount", 0) > MAX_CONTRACT_AMOUNT:
            raise ValidationError(text(N_("Pieces × price may come to at most %(most)s."), most=MAX_CONTRACT_AMOUNT),
                                  "merchant_price_amount")


class WorkshopJobQuery(PageArgs):
    status = fields.String(validate=validate.OneOf(JOB_STATUSES))


class WorkshopPiecesSchema(Schema):
    id = fields.Integer(dump_only=True)
    job_id = fields.Integer(dump_only=True)
    slot_id = fields.Integer(required=True, strict=True, validate=ID,
                             metadata={"description": "the shift"})
    worker_id = fields.Integer(required=True, strict=True, validate=ID,
                               metadata={"description": "the resident who booked the shift"})
    pieces = fields.Integer(required=True, strict=True, validate=validate.Range(1, 1_000_000))
    booking_id = fields.Integer(dump_only=True)
    worker = fields.Function(lambda record: record.worker.name, dump_only=True)
    recorded_at = fields.AwareDateTime(dump_only=True, format="iso")


class WorkshopWageQuery(Schema):
    period = fields.String(required=True, validate=MONTH, metadata={"description": "YYYY-MM, community time"})


class WorkshopWageCsvQuery(WorkshopWageQuery):
    raw = RAW


class WorkshopWageLineSchema(Schema):
    date = fields.Date()
    slot_id = fields.Integer()
    job_id = fields.Integer()
    merchant = fields.String()
    product = fields.String()
    pieces = fields.Integer()
    unit_rate_amount = fields.Integer()
    amount = fields.Integer()


class WorkshopWorkerWagesSchema(Schema):
    worker_id = fields.Integer()
    worker = fields.String()
    pieces = fields.Integer()
    amount = fields.Integer()
    lines = fields.List(fields.Nested(WorkshopWageLineSchema))


class WorkshopWageSheetSchema(Schema):
    operator_id = fields.Integer()
    period = fields.String()
    currency = fields.String()
    workers = fields.List(fields.Nested(WorkshopWorkerWagesSchema))
    total_pieces = fields.Integer()
    total_amount = fields.Integer()
