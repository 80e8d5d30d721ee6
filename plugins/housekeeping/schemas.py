"""Details of housekeeping listings and bookings, and the roster of workers."""
from marshmallow import Schema, fields, validate

SERVICES = ["cleaning", "elderly_care", "maternity_nanny", "training"]
WORKER_SERVICES = ["cleaning", "elderly_care", "maternity_nanny"]  # a training course is served by no worker


class HousekeepingListingDetails(Schema):
    service = fields.String(load_default="cleaning", validate=validate.OneOf(SERVICES))
    duration_hours = fields.Integer(strict=True, load_default=2, validate=validate.Range(1, 24 * 31))
    agency_fee_amount = fields.Integer(load_default=None, allow_none=True, strict=True,
                                       validate=validate.Range(0, 100_000_000),
                                       metadata={"description": "the centre's fee per placement; the rest of the "
                                                                "price is the worker's, and only this fee is shared"})
    trainee_allowance_amount = fields.Integer(load_default=None, allow_none=True, strict=True,
                                              validate=validate.Range(0, 1_000_000),
                                              metadata={"description": "lunch and travel paid to each trainee per "
                                                                       "day of a training course, a cost of the centre"})


class HousekeepingBookingDetails(Schema):
    address = fields.String(required=True, validate=validate.Length(3, 300))
    notes = fields.String(load_default="", validate=validate.Length(max=1000))


class WorkerSchema(Schema):
    id = fields.Integer(dump_only=True)
    operator_id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(1, 200))
    skills = fields.List(fields.String(validate=validate.OneOf(WORKER_SERVICES)), required=True,
                         validate=validate.Length(1, len(WORKER_SERVICES)))
    active = fields.Boolean(load_default=True)
    created_at = fields.DateTime(dump_only=True)


class WorkerPatchSchema(Schema):
    name = fields.String(validate=validate.Length(1, 200))
    skills = fields.List(fields.String(validate=validate.OneOf(WORKER_SERVICES)),
                         validate=validate.Length(1, len(WORKER_SERVICES)))
    active = fields.Boolean()
