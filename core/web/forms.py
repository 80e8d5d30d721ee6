"""The pages' forms (WTForms): each field says in plain words what is wrong with it."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField, DecimalField, EmailField, HiddenField, IntegerField, PasswordField, RadioField, SelectField, StringField,
    TextAreaField, TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from core.booking import MAX_QUANTITY
from core.ledger import FIRST_DAY, LAST_DAY
from core.models import ATTRIBUTES

REQUIRED = DataRequired(message=_l("Please fill this in."))
CHOSEN = InputRequired(message=_l("Please choose one."))
AMOUNT = NumberRange(min=0.01, max=100_000_000, message=_l("Write an amount above zero, e.g. 500 or 12.50."))
DATE_MESSAGE = _l("Write the date as YYYY-MM-DD.")


def in_the_books(form, field):
    """A day the books cover (2000–2100): a day near the calendar's end would overflow once made a time range."""
    if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
        raise ValidationError(_l("Choose a day between 2000 and 2100."))

TIME_MESSAGE = _l("Write the time as HH:MM, e.g. 09:30.")


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[REQUIRED, Length(max=254)])
    password = PasswordField(_l("Password"), validators=[REQUIRED, Length(max=1024)])


class BookForm(FlaskForm):
    quantity = IntegerField(_l("How many places"), default=1, validators=[
        InputRequired(message=_l("Write how many places you need.")),
        NumberRange(1, MAX_QUANTITY, message=_l("Choose between %(min)s and %(max)s places."))])
    payment_method = StringField(_l("How you pay"), validators=[Optional(), Length(max=32)])
    nonce = HiddenField()


class SlotForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired(message=DATE_MESSAGE), in_the_books])
    starts = TimeField(_l("Starts at"), validators=[InputRequired(message=TIME_MESSAGE)])
    ends = TimeField(_l("Ends at"), validators=[InputRequired(message=TIME_MESSAGE)])
    capacity = IntegerField(_l("Places"), validators=[
        InputRequired(message=_l("Write how many places there are.")),
        NumberRange(1, 100_000, message=_l("Between 1 and 100,000 places."))])


class ProposalForm(FlaskForm):
    title = StringField(_l("Title"), validators=[REQUIRED, Length(max=200)])
    purpose = TextAreaField(_l("What the money is for"), validators=[REQUIRED, Length(max=5000)])
    requested_amount = DecimalField(_l("Amount requested"), places=2,
                                    validators=[InputRequired(message=AMOUNT.message), AMOUNT])
    beneficiary = StringField(_l("Who benefits"), validators=[REQUIRED, Length(max=200)])
    planned_on = DateField(_l("Planned date (optional)"), validators=[Optional(), in_the_books])


class VoteForm(FlaskForm):
    decision = RadioField(_l("Your vote"), choices=[("approve", _l("Approve")), ("reject", _l("Reject"))],
                          validators=[CHOSEN])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=2000)])


class CharityDecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[("approve", _l("Approve")), ("reject", _l("Reject"))],
                          validators=[CHOSEN])
    reason = TextAreaField(_l("Reason (required to reject)"), validators=[Optional(), Length(max=2000)])


class DisburseForm(FlaskForm):
    reference = StringField(_l("Payment reference"), validators=[REQUIRED, Length(max=120)])


class NoteForm(FlaskForm):
    operator_id = HiddenField(validators=[REQUIRED])
    note = TextAreaField(_l("Explain the difference"), validators=[REQUIRED, Length(max=2000)])


class TransferForm(FlaskForm):
    operator_id = SelectField(_l("From which operator"), coerce=int, validators=[CHOSEN])
    amount = DecimalField(_l("Amount received"), places=2, validators=[InputRequired(message=AMOUNT.message), AMOUNT])
    reference = StringField(_l("Bank reference"), validators=[REQUIRED, Length(max=120)])
    received_on = DateField(_l("Received on"), validators=[InputRequired(message=DATE_MESSAGE), in_the_books])


class MemberForm(FlaskForm):
    email = EmailField(_l("Email of the new member"), validators=[REQUIRED, Length(max=254)])


class AttributeForm(FlaskForm):
    attribute = SelectField(_l("What you checked"), choices=[(a, a) for a in ATTRIBUTES], validators=[CHOSEN])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token travels."""
