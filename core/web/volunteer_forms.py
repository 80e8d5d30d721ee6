"""The time bank's forms: register a volunteer, make a task, assign it, redeem hours (core/web/volunteering.py)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TimeField
from wtforms.validators import InputRequired, Length

from core.time_bank import MAX_REASON, MAX_SKILLS, MAX_TITLE
from core.web.forms import CHOSEN, DATE_MESSAGE, NOT_AN_OPTION, REQUIRED, TIME_MESSAGE, in_the_books, options

TASK_KIND_NAMES = {"delivery": _l("Delivery"), "fair": _l("Market fair"), "visit": _l("Visit"), "other": _l("Other")}
TASK_STATUS_NAMES = {"open": _l("Not assigned"), "assigned": _l("Assigned"), "done": _l("Done, to be confirmed"),
                     "confirmed": _l("Confirmed"), "cancelled": _l("Cancelled")}
HOURS_KIND_NAMES = {"credit": _l("Task confirmed"), "redeem": _l("Redeemed"), "correction": _l("Correction"),
                    "reward": _l("Reward used"), "reward_returned": _l("Reward given back")}
HOURS_HINT = _l("Hours, e.g. 1.5")


class VolunteerForm(FlaskForm):
    user_id = SelectField(_l("Resident"), coerce=int, validators=[CHOSEN], invalid_choice_message=NOT_AN_OPTION)
    skills = StringField(_l("What they can do"), validators=[Length(max=MAX_SKILLS)])
    availability = StringField(_l("When they are free"), validators=[Length(max=1000)])
    consent = BooleanField(_l("The resident agrees to be registered and to have their hours kept"))


class TaskForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=options(TASK_KIND_NAMES.items()), validators=[CHOSEN],
                       invalid_choice_message=NOT_AN_OPTION)
    title = StringField(_l("What is to be done"), validators=[REQUIRED, Length(max=MAX_TITLE)])
    day = DateField(_l("Day"), validators=[InputRequired(message=DATE_MESSAGE), in_the_books])
    starts = TimeField(_l("Starts at"), validators=[InputRequired(message=TIME_MESSAGE)])
    hours = StringField(HOURS_HINT, validators=[REQUIRED, Length(max=12)])


class AssignForm(FlaskForm):
    volunteer_id = SelectField(_l("Volunteer"), coerce=int, validators=[CHOSEN], invalid_choice_message=NOT_AN_OPTION)


class RedeemForm(FlaskForm):
    hours = StringField(HOURS_HINT, validators=[REQUIRED, Length(max=12)])
    reason = StringField(_l("Exchanged for"), validators=[REQUIRED, Length(max=MAX_REASON)])
