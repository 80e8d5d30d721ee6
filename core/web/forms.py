"""The pages' forms (WTForms): each field says in plain words what is wrong with it."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField, DateField, DecimalField, EmailField, HiddenField, IntegerField, PasswordField, RadioField, SelectField,
    SelectMultipleField, StringField, TextAreaField, TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation, ValidationError,
)

from core.booking import MAX_QUANTITY
from core.complaint_notices import CATEGORY_NAMES
from core.complaints import MAX_TEXT
from core.ledger import FIRST_DAY, LAST_DAY
from core.needs import MAX_DESCRIPTION, MAX_SCOPE, MAX_SPONSOR_NAME, MAX_TITLE, SPONSOR_NAMES
from core.pricing import ATTRIBUTES
from core.residents import ADDRESS_LENGTH, BUILDING_LENGTH, NAME_LENGTH

def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the choices of a select or radio field."""
    return [SelectChoice(value, label) for value, label in pairs]


NOT_AN_OPTION = _l("Please choose one of the options.")


class Finite:
    """A number that is a number: "NaN", "sNaN" or "Infinity" parse as decimals, and NumberRange would crash on sNaN."""

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field):
        if field.data is not None and not field.data.is_finite():
            raise StopValidation(self.message or _l("Write a number, e.g. 500 or 12.50."))


REQUIRED = DataRequired(message=_l("Please fill this in."))
CHOSEN = InputRequired(message=_l("Please choose one."))
AMOUNT_RANGE = NumberRange(min=0.01, max=100_000_000, message=_l("Write an amount above zero, e.g. 500 or 12.50."))
AMOUNT = [Finite(AMOUNT_RANGE.message), AMOUNT_RANGE]
SPENT_RANGE = NumberRange(min=0, max=100_000_000, message=_l("Write the amount spent, e.g. 500 or 12.50 (0 if none)."))
DATE_MESSAGE = _l("Write the date as YYYY-MM-DD.")
YES_NO = [("approve", _l("Approve")), ("reject", _l("Reject"))]


def in_the_books(form, field):
    """A day the books cover (2000–2100): a day near the calendar's end would overflow once made a time range."""
    if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
        raise ValidationError(_l("Choose a day between 2000 and 2100."))

TIME_MESSAGE = _l("Write the time as HH:MM, e.g. 09:30.")


class LoginForm(FlaskForm):
    """A resident logs in with their phone number (in their community), anyone with their email."""

    email = StringField(_l("Phone number or email"), validators=[REQUIRED, Length(max=254)])
    community = SelectField(_l("Community"), validate_choice=False)
    password = PasswordField(_l("Password"), validators=[REQUIRED, Length(max=1024)])


class BookForm(FlaskForm):
    quantity = IntegerField(_l("How many places"), default=1, validators=[
        InputRequired(message=_l("Write how many places you need.")),
        NumberRange(1, MAX_QUANTITY, message=_l("Choose between %(min)s and %(max)s places."))])
    payment_method = StringField(_l("How you pay"), validators=[Optional(), Length(max=32)])
    nonce = HiddenField()


class SaleForm(FlaskForm):
    """A sale at the counter. The total shown on the button travels with it: a sale is made only at that price."""

    quantity = IntegerField(_l("How many"), default=1, validators=[
        InputRequired(message=_l("Write how many places you need.")),
        NumberRange(1, MAX_QUANTITY, message=_l("Choose between %(min)s and %(max)s places."))])
    shown_total = HiddenField()
    nonce = HiddenField(validators=[DataRequired(message=_l("Please start the sale again.")), Length(max=64)])


class RateForm(FlaskForm):
    stars = RadioField(_l("How many stars?"), coerce=int, validators=[CHOSEN], invalid_choice_message=NOT_AN_OPTION,
                       choices=options([(5, _l("5 stars: very good")), (4, _l("4 stars: good")),
                                        (3, _l("3 stars: all right")), (2, _l("2 stars: not good")),
                                        (1, _l("1 star: bad"))]))
    comment = TextAreaField(_l("Anything to tell the operator? (optional)"), validators=[Optional(), Length(max=1000)])


class ListingForm(FlaskForm):
    """A listing's own words and rules; the plugin's details and the prices are read beside it."""

    title = StringField(_l("Name of the service"), validators=[REQUIRED, Length(max=200)])
    description = TextAreaField(_l("What residents get"), validators=[Optional(), Length(max=5000)])
    cancel_cutoff_hours = IntegerField(_l("Residents may cancel until how many hours before?"), default=0, validators=[
        Optional(), NumberRange(0, 24 * 60, message=_l("Between 0 and 1,440 hours."))])
    is_active = BooleanField(_l("Residents can book this service"), default=True)


class ApplyForm(FlaskForm):
    name = StringField(_l("Name of your organisation"), validators=[REQUIRED, Length(max=200)])
    type = SelectField(_l("What kind of service?"), validators=[CHOSEN], invalid_choice_message=NOT_AN_OPTION)
    contact_email = EmailField(_l("Email the community office can reach you at"),
                               validators=[Optional(), Length(max=254)])


class AgreementForm(FlaskForm):
    space_id = SelectField(_l("Which space would you use?"), coerce=int, validators=[CHOSEN],
                           invalid_choice_message=NOT_AN_OPTION)
    starts_on = DateField(_l("From"), validators=[InputRequired(message=DATE_MESSAGE)])
    ends_on = DateField(_l("Until (optional)"), validators=[Optional()])


class SlotForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired(message=DATE_MESSAGE), in_the_books])
    starts = TimeField(_l("Starts at"), validators=[InputRequired(message=TIME_MESSAGE)])
    ends = TimeField(_l("Ends at"), validators=[InputRequired(message=TIME_MESSAGE)])
    capacity = IntegerField(_l("Places"), validators=[
        InputRequired(message=_l("Write how many places there are.")),
        NumberRange(1, 100_000, message=_l("Between 1 and 100,000 places."))])


WEEKDAYS = [(1, _l("Monday")), (2, _l("Tuesday")), (3, _l("Wednesday")), (4, _l("Thursday")), (5, _l("Friday")),
            (6, _l("Saturday")), (7, _l("Sunday"))]
REASON = [REQUIRED, Length(max=500, message=_l("At most 500 characters."))]


class ScheduleForm(FlaskForm):
    """A week set once: the days, the hours, the places, from a date (until another)."""

    weekdays = SelectMultipleField(_l("Days of the week"), coerce=int, choices=WEEKDAYS, validators=[
        DataRequired(message=_l("Please choose at least one day of the week."))])
    starts = TimeField(_l("Starts at"), validators=[InputRequired(message=TIME_MESSAGE)])
    ends = TimeField(_l("Ends at"), validators=[InputRequired(message=TIME_MESSAGE)])
    capacity = IntegerField(_l("Places"), validators=[
        InputRequired(message=_l("Write how many places there are.")),
        NumberRange(1, 100_000, message=_l("Between 1 and 100,000 places."))])
    valid_from = DateField(_l("From"), validators=[InputRequired(message=DATE_MESSAGE), in_the_books])
    valid_until = DateField(_l("Until (optional)"), validators=[Optional(), in_the_books])


class ClosureForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired(message=DATE_MESSAGE), in_the_books])
    reason = StringField(_l("Why (the residents read this)"), validators=REASON)


class PlacesForm(FlaskForm):
    capacity = IntegerField(_l("Places"), validators=[
        InputRequired(message=_l("Write how many places there are.")),
        NumberRange(1, 100_000, message=_l("Between 1 and 100,000 places."))])


class CallOffForm(FlaskForm):
    reason = StringField(_l("Why (the residents read this)"), validators=REASON)


class ProposalForm(FlaskForm):
    title = StringField(_l("Title"), validators=[REQUIRED, Length(max=200)])
    purpose = TextAreaField(_l("What the money is for"), validators=[REQUIRED, Length(max=5000)])
    requested_amount = DecimalField(_l("Amount requested"), places=2,
                                    validators=[InputRequired(message=AMOUNT_RANGE.message), *AMOUNT])
    beneficiary = StringField(_l("Who benefits"), validators=[REQUIRED, Length(max=200)])
    planned_on = DateField(_l("Planned date (optional)"), validators=[Optional(), in_the_books])


class OutcomeForm(FlaskForm):
    """Community staff report what a funded project did: for how many people, the money spent, a few photos."""

    done = TextAreaField(_l("What was done"), validators=[REQUIRED, Length(max=5000)])
    beneficiaries = IntegerField(_l("How many people it served"), validators=[
        InputRequired(message=_l("Write how many people it served: 0 or more.")),
        NumberRange(0, 10_000_000, message=_l("Write how many people it served: 0 or more."))])
    spent_amount = DecimalField(_l("Money spent"), places=2, validators=[
        InputRequired(message=SPENT_RANGE.message), Finite(SPENT_RANGE.message), SPENT_RANGE])
    photos = MultipleFileField(_l("Photos (optional)"))


class VoteForm(FlaskForm):
    decision = RadioField(_l("Your vote"), choices=options(YES_NO), invalid_choice_message=NOT_AN_OPTION,
                          validators=[CHOSEN])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=2000)])


class CharityDecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=options(YES_NO), invalid_choice_message=NOT_AN_OPTION,
                          validators=[CHOSEN])
    reason = TextAreaField(_l("Reason (required to reject)"), validators=[Optional(), Length(max=2000)])


class DisburseForm(FlaskForm):
    reference = StringField(_l("Payment reference"), validators=[REQUIRED, Length(max=120)])


class NoteForm(FlaskForm):
    operator_id = HiddenField(validators=[REQUIRED])
    note = TextAreaField(_l("Explain the difference"), validators=[REQUIRED, Length(max=2000)])


class TransferForm(FlaskForm):
    operator_id = SelectField(_l("From which operator"), coerce=int, validators=[CHOSEN],
                              invalid_choice_message=NOT_AN_OPTION)
    amount = DecimalField(_l("Amount received"), places=2, validators=[InputRequired(message=AMOUNT_RANGE.message), *AMOUNT])
    reference = StringField(_l("Bank reference"), validators=[REQUIRED, Length(max=120)])
    received_on = DateField(_l("Received on"), validators=[InputRequired(message=DATE_MESSAGE), in_the_books])


class GiftForm(FlaskForm):
    """Money given to the fund; the service refuses an empty name unless the donor stays anonymous."""

    donor_kind = RadioField(_l("Who gave"), validators=[CHOSEN], invalid_choice_message=NOT_AN_OPTION,
                            choices=options([("resident", _l("A resident")),
                                             ("company", _l("A company or organisation")),
                                             ("government", _l("The government (e.g. the sub-district)")),
                                             ("anonymous", _l("Someone who stays anonymous"))]))
    donor_name = StringField(_l("Name of the donor"), validators=[Optional(), Length(max=200)])
    amount = DecimalField(_l("Amount received"), places=2,
                          validators=[InputRequired(message=AMOUNT_RANGE.message), *AMOUNT])
    reference = StringField(_l("Bank or receipt reference"), validators=[REQUIRED, Length(max=120)])
    received_on = DateField(_l("Received on"), validators=[InputRequired(message=DATE_MESSAGE), in_the_books])


class CostForm(FlaskForm):
    """A cost of the operator's month: the profit share is worked out on revenue minus these."""

    period = StringField(_l("Month (YYYY-MM)"), validators=[REQUIRED])
    amount = DecimalField(_l("Amount"), places=2, validators=[InputRequired(message=AMOUNT_RANGE.message), *AMOUNT])
    description = StringField(_l("What it was for (e.g. rice and oil, gas, wages)"),
                              validators=[REQUIRED, Length(max=300, message=_l("At most 300 characters."))])


class MemberForm(FlaskForm):
    email = EmailField(_l("Email of the new member"), validators=[REQUIRED, Length(max=254)])


class AttributeForm(FlaskForm):
    attribute = SelectField(_l("What you checked"), choices=options((a, a) for a in ATTRIBUTES), validators=[CHOSEN],
                            invalid_choice_message=NOT_AN_OPTION)
    expires_on = DateField(_l("Last day it holds (optional)"), validators=[Optional(), in_the_books])


class Particulars(FlaskForm):
    """What the register holds about a resident, as the office or the resident writes it."""

    name = StringField(_l("Full name"), validators=[REQUIRED, Length(max=NAME_LENGTH)])
    phone = StringField(_l("Mobile phone number"), validators=[REQUIRED, Length(max=32)])
    date_of_birth = DateField(_l("Date of birth"), validators=[InputRequired(message=DATE_MESSAGE)])
    address = StringField(_l("Home address"), validators=[REQUIRED, Length(max=ADDRESS_LENGTH)])
    building = StringField(_l("Building (optional)"), validators=[Optional(), Length(max=BUILDING_LENGTH)])


class ResidentForm(Particulars):
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Length(max=254)])
    password = PasswordField(_l("Password to log in with (optional)"), validators=[Optional(), Length(max=1024)])


class SignUpForm(Particulars):
    community = SelectField(_l("Your community"), validators=[CHOSEN], invalid_choice_message=NOT_AN_OPTION)
    password = PasswordField(_l("Choose a password"), validators=[REQUIRED, Length(max=1024)])


class HelperForm(FlaskForm):
    contact = StringField(_l("Their email or mobile phone number"), validators=[REQUIRED, Length(max=254)])


class NotificationPreferencesForm(FlaskForm):
    """Besides the inbox: emails, texts, and the language they are written in."""

    email = BooleanField(_l("By email"))
    sms = BooleanField(_l("By text message to my mobile phone"))
    language = RadioField(_l("Language of my messages"), validators=[CHOSEN], invalid_choice_message=NOT_AN_OPTION,
                          choices=options([("zh_Hans", "中文"), ("en", "English")]))


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token travels."""


class CancelForm(FlaskForm):
    """Cancelling a booking; a paid one's refund may go to the community fund instead, in the resident's name or not."""

    donate_refund = BooleanField(_l("Give my refund to the community fund"))
    anonymous = BooleanField(_l("Give it anonymously"))


class ComplaintForm(FlaskForm):
    """A resident's complaint about a booking: what it is about, what happened, and a photo if they took one."""

    category = RadioField(_l("What is it about?"), validators=[CHOSEN], invalid_choice_message=NOT_AN_OPTION,
                          choices=options([(code, _l(name)) for code, name in CATEGORY_NAMES.items()]))
    text = TextAreaField(_l("What happened?"), validators=[REQUIRED, Length(max=MAX_TEXT)])
    photo = FileField(_l("A photo (optional)"))


class ResolveForm(FlaskForm):
    upheld = RadioField(_l("Your decision"), validators=[CHOSEN], invalid_choice_message=NOT_AN_OPTION,
                        choices=options([("yes", _l("Upheld: the resident is right")),
                                         ("no", _l("Not upheld"))]))
    note = TextAreaField(_l("Note to the resident (they read it)"), validators=[REQUIRED, Length(max=MAX_TEXT)])


class ReplyForm(FlaskForm):
    text = TextAreaField(_l("Your answer (you can answer once)"), validators=[REQUIRED, Length(max=MAX_TEXT)])


class HandlingForm(FlaskForm):
    """How the resident rates the handling of their complaint: the stars of a rating, without a comment."""

    stars = RateForm.stars


class NeedForm(FlaskForm):
    """A resident's need on the demand board: a short title and, if they like, more words."""

    title = StringField(_l("What do you need?"), validators=[REQUIRED, Length(max=MAX_TITLE)])
    description = TextAreaField(_l("Tell us more (optional)"), validators=[Optional(), Length(max=MAX_DESCRIPTION)])


class CompileForm(FlaskForm):
    """Community staff turn residents' needs into a service order: what it covers, its budget and who pays."""

    title = StringField(_l("Title of the service order"), validators=[REQUIRED, Length(max=MAX_TITLE)])
    scope = TextAreaField(_l("What it covers"), validators=[REQUIRED, Length(max=MAX_SCOPE)])
    budget = DecimalField(_l("Budget"), places=2, validators=[InputRequired(message=AMOUNT_RANGE.message), *AMOUNT])
    sponsor_kind = RadioField(_l("Who pays?"), validators=[CHOSEN], invalid_choice_message=NOT_AN_OPTION,
                              choices=options([(kind, _l(label)) for kind, label in SPONSOR_NAMES.items()]))
    sponsor_name = StringField(_l("Name of who pays (not needed for the fund)"),
                               validators=[Optional(), Length(max=MAX_SPONSOR_NAME)])
    more = SelectMultipleField(_l("More needs in this order"), coerce=int, validate_choice=False)


class DeliverForm(FlaskForm):
    """The order is done: which listing it led to (one of the taking operator's), if any."""

    listing_id = SelectField(_l("The service it led to"), coerce=int, validate_choice=False)
