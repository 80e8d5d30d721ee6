"""The fair's page forms: amounts typed in yuan (the community's currency) and percentages, as people write them."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, EmailField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from core.plugin_api import Finite, refuse_field

REQUIRED = DataRequired(message=_l("Please fill this in."))
TEXT = Length(max=200, message=_l("At most 200 characters."))
MONEY = [InputRequired(message=_l("Write an amount, e.g. 800 or 12.50.")), Finite(),
         NumberRange(min=0, max=10_000_000, message=_l("Write an amount of 0 or more, e.g. 800 or 12.50."))]
TIERS = [SelectChoice("local", _l("Local merchant: the low-cost stall price")),
         SelectChoice("outside", _l("Outside merchant: the standard stall price"))]


def basis_points(field) -> int:
    """The field's percentage in basis points; a form error for more than two decimals."""
    bps = Decimal(field.data) * 100
    if bps != bps.to_integral_value():
        raise refuse_field(field, _l("At most two decimals, e.g. 2.5."))
    return int(bps)


class VendorForm(FlaskForm):
    email = EmailField(_l("Email of the merchant's account"), validators=[REQUIRED, Length(max=254)])
    business_name = StringField(_l("Business name"), validators=[REQUIRED, TEXT])
    tier = SelectField(_l("Kind of merchant"), choices=TIERS, default="local")


class VendorChangeForm(FlaskForm):
    business_name = StringField(_l("Business name"), validators=[REQUIRED, TEXT])
    tier = SelectField(_l("Kind of merchant"), choices=TIERS)


class SalesForm(FlaskForm):
    sales_amount = DecimalField(_l("What you sold at the fair"), places=2, validators=MONEY)
    pledged_bps = DecimalField(_l("Share you give to the community fund, in percent"), places=2, validators=[
        InputRequired(message=_l("Write a percentage, e.g. 5.")), Finite(),
        NumberRange(min=0, max=100, message=_l("Between 0 and 100 percent."))])



class GiftForm(FlaskForm):
    donor = StringField(_l("Who gave it"), validators=[REQUIRED, TEXT])
    item = StringField(_l("What was given"), validators=[REQUIRED, TEXT])
    quantity = IntegerField(_l("How many"), default=1, validators=[
        InputRequired(message=_l("Write how many, e.g. 12.")),
        NumberRange(1, 1_000_000, message=_l("Between 1 and 1,000,000."))])
    declared_value_amount = DecimalField(_l("Declared value of all of it"), places=2, validators=MONEY)
    received_on = DateField(_l("Received on (empty: the day of the fair)"), validators=[Optional()])
