"""A third-party plugin: a bike repair stand (an operator type) and AcmePay (an online payment provider).

It imports nothing of Linli but ``core`` and ``core.plugin_api``, as a package installed beside Linli would.
AcmePay tells the platform about a payment with a JSON notification signed by HMAC-SHA256 of its body.
"""
import hashlib
import hmac

from flask import current_app, request
from markupsafe import escape
from marshmallow import Schema, fields, validate

from core import N_, OperatorType, hookimpl, invalid
from core.plugin_api import (
    BAD_SIGNATURE, NOT_BLANK, ApiBlueprint, PaymentProvider, PaymentStart, booking_payments, commit,
    payment_by_reference, public, session,
)

E_BIKES_REFUSED = invalid("e_bikes_refused", N_("This stand does not repair e-bikes."))


class RepairDetails(Schema):
    e_bikes = fields.Boolean(load_default=True)


class BikeDetails(Schema):
    bike = fields.String(required=True, validate=[validate.Length(1, 100), NOT_BLANK])
    electric = fields.Boolean(load_default=False)


class BikeRepair(OperatorType):
    key, label = "bike_repair", "Bike repair stand"
    listing_schema, booking_schema = RepairDetails, BikeDetails
    default_price_rules = [{"name": "anyone", "when": {}, "tier": "paid", "amount": 3000}]  # noqa: RUF012

    def validate_booking(self, session, ctx, resident, person, quantity, details):
        if details["electric"] and not ctx.listing.details["e_bikes"]:
            raise E_BIKES_REFUSED(field="details.electric")

    def booking_placed(self, session, booking, ctx):
        booking.details = {**booking.details, "ticket": f"BIKE-{booking.id:05d}"}

    def page_fragment(self, page, listing, slot, booking, user):
        if booking is not None:
            return f'<p class="ticket">{escape(booking.details["ticket"])}</p>'
        return None


class AcmePay(PaymentProvider):
    key, label, online = "acmepay", N_("AcmePay"), True

    def is_configured(self, config) -> bool:
        return bool(config.get("ACMEPAY_SECRET"))

    def start(self, session, booking, operator, donation_amount, config) -> PaymentStart:
        return PaymentStart(reference=f"acme-{booking.id}")


def signature(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


blp = ApiBlueprint("acmepay", __name__, url_prefix="/acmepay", description="AcmePay's notifications")


class Notification(Schema):
    reference = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["paid", "failed"]))


@blp.route("/notify", methods=["POST"])
@blp.arguments(Notification)
@blp.response(200, Schema.from_dict({"result": fields.String()}, name="AcmeAnswer"))
@public
def notify(data):
    """AcmePay's word on a payment, verified by its signature (a bad one is a 400 and changes nothing)."""
    given = request.headers.get("X-Acme-Signature", "")
    if not hmac.compare_digest(given, signature(request.get_data(), current_app.config["ACMEPAY_SECRET"])):
        raise BAD_SIGNATURE()
    db = session()
    payment = payment_by_reference(db, AcmePay.key, data["reference"])
    if payment is None:
        return {"result": "ignored"}
    if data["status"] == "paid":
        booking_payments().succeeded(db, payment, AcmePay())
    else:
        booking_payments().failed(db, payment, "failed")
    commit(db)
    return {"result": "processed"}


class BikeRepairPlugin:
    @hookimpl
    def register_operator_types(self):
        return [BikeRepair()]

    @hookimpl
    def register_payment_providers(self):
        return [AcmePay()]

    @hookimpl
    def register_blueprints(self):
        return [blp]
