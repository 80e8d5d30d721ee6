"""Plain, translated words for the codes the core uses: tiers, price rules, statuses, roles."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext, lazy_gettext as _l

from core.complaint_notices import CATEGORY_NAMES
from core.pricing import as_hours

TIERS = {"free": _l("Free"), "low_cost": _l("Low-cost price"), "paid": _l("Standard price")}

# A rule's name says who it is for; the reason says why this resident got it.
RULES = {
    "age_90_plus": (_l("90+ free price"), _l("because you are aged 90 or over")),
    "age_60_plus": (_l("60+ low-cost price"), _l("because you are aged 60 or over")),
    "student": (_l("Student price"), _l("because you are a verified student")),
    "low_income": (_l("Low-income price"), _l("because your low-income status is verified")),
    "disability": (_l("Disability price"), _l("because your disability status is verified")),
    "resident": (_l("Resident price"), _l("because you live in this community")),
    "anyone": (_l("Standard price"), _l("the price for everyone")),
}

STATUSES = {
    "pending_payment": _l("Waiting for payment"), "confirmed": _l("Booked"), "fulfilled": _l("Served"),
    "no_show": _l("Did not come"), "cancelled": _l("Cancelled"), "expired": _l("Expired"),
}

PROPOSAL_STATUSES = {
    "draft": _l("Draft"), "submitted": _l("Waiting for the committee"),
    "committee_approved": _l("Approved by the committee"), "rejected": _l("Rejected by the committee"),
    "charity_approved": _l("Approved by the charity"), "charity_rejected": _l("Rejected by the charity"),
    "disbursed": _l("Paid out"),
}

STATEMENT_KINDS = {"payment": _l("Payment"), "refund": _l("Refund"), "share": _l("Split of the fund's share")}

COMPLAINT_CATEGORIES = {code: _l(name) for code, name in CATEGORY_NAMES.items()}
COMPLAINT_STATUSES = {"open": _l("Waiting for the office"), "acknowledged": _l("Being handled"),
                      "resolved": _l("Answered")}

WAITLIST_STATUSES = {"waiting": _l("Waiting"), "offered": _l("A place is held for you"), "booked": _l("Booked"),
                     "declined": _l("Declined"), "lapsed": _l("Offer ran out"), "left": _l("Left the list")}

OPERATOR_STATUSES = {"pending": _l("Waiting for approval"), "active": _l("Active"),
                     "exit_proposed": _l("Exit proposed"), "suspended": _l("Suspended"), "exited": _l("Left")}

# An operator's monthly score: its parts, and the decisions of its standing (core.standing.ACTIONS).
SCORE_PARTS = {"ratings": _l("Residents' ratings"), "complaints": _l("Complaints upheld"),
               "fulfilment": _l("Bookings served as promised"), "inspection": _l("Staff inspection"),
               "donations": _l("Donations paid on time")}
STANDING_ACTIONS = {"operator_exit_proposed": _l("Exit proposed after three months under 6"),
                    "operator_suspended": _l("Suspended"), "operator_reinstated": _l("Reinstated"),
                    "operator_exited": _l("Made to leave")}
EXISTING_BOOKINGS = {"honour": _l("Bookings already made are honoured"),
                     "cancel": _l("Bookings still to come were cancelled and refunded")}

ROLES = {
    "resident": _l("Resident"), "operator_staff": _l("Operator staff"), "community_staff": _l("Community staff"),
    "committee_member": _l("Fund committee"), "charity_officer": _l("Charity officer"),
    "district_officer": _l("District officer"), "admin": _l("Administrator"),
}

RESIDENT_STATUSES = {"pending": _l("Waiting for verification"), "active": _l("Verified"), "inactive": _l("Moved away")}

# A resident's particulars, as the register's history names what changed.
PARTICULARS = {"name": _l("Full name"), "phone": _l("Mobile phone number"), "date_of_birth": _l("Date of birth"),
               "address": _l("Home address"), "building": _l("Building"), "email": _l("Email"),
               "password": _l("Password")}

ATTRIBUTES = {"student": _l("Student"), "low_income": _l("Low income (dibao)"), "disability": _l("Disability")}

PAYMENT_METHODS = {"cash": _l("Cash at the counter"), "stripe": _l("Online (card, Alipay, WeChat Pay)")}

# The built-in operator types' labels; a third-party type keeps the label its plugin gives.
OPERATOR_TYPES = {
    "Community canteen": _l("Community canteen"), "Housekeeping centre": _l("Housekeeping centre"),
    "Neighbourhood market fair": _l("Neighbourhood market fair"), "Co-prosperity workshop": _l("Co-prosperity workshop"),
}

# The built-in operator types' detail fields; a plugin may name its own with ``metadata={"label": ...}``.
DETAIL_FIELDS = {
    "home_delivery": _l("Deliver the meal to my home (residents aged 90 and over)"),
    "address": _l("Your address"), "notes": _l("Anything the staff should know"),
    "stall_number": _l("Stall number (leave empty to be given one)"),
    "meal": _l("Which meal"), "dishes": _l("How many dishes"), "soup": _l("With soup"),
    "service": _l("What kind of help"), "duration_hours": _l("How many hours"),
    "agency_fee_amount": _l("Agency fee for each placement"),
    "trainee_allowance_amount": _l("Allowance for each trainee (lunch and travel)"),
    "stalls": _l("How many stalls"), "local_merchant_amount": _l("Stall price for local merchants"),
    "product": _l("What is made"), "merchant": _l("For which merchant"), "worker": _l("Who comes to you"),
}

STAFF_DETAIL_FIELDS = {  # the same answers as the operator's staff read them on their day list
    "home_delivery": _l("Home delivery"), "address": _l("Address"), "notes": _l("Note"),
    "stall_number": _l("Stall number"),
}

CHOICES = {
    "breakfast": _l("Breakfast"), "lunch": _l("Lunch"), "dinner": _l("Dinner"), "cleaning": _l("Cleaning"),
    "elderly_care": _l("Care for an elderly person"), "maternity_nanny": _l("Maternity nanny"),
    "training": _l("Training course"),
}

ENTRY_KINDS = {"payment": _l("Payment"), "donation": _l("Donation"), "transfer": _l("Bank transfer"),
               "refund": _l("Refund"), "in_kind": _l("Gift in kind"), "disbursement": _l("Paid out"),
               "revenue": _l("Revenue"), "gift": _l("Gift")}


# Who gave to the fund; the public reads these words instead of a resident's or an anonymous donor's name.
DONOR_KINDS = {"resident": _l("A resident"), "company": _l("A company"), "government": _l("The government"),
               "anonymous": _l("Anonymous")}


AGREEMENT_STATUSES = {"pending": _l("Waiting for approval"), "active": _l("In force"), "ended": _l("Ended")}



def score_figures_said(part: dict, currency: str) -> str:
    """What a part of a monthly score came from, in a sentence of the reader's language."""
    from core.web.i18n import money
    f = part["figures"]
    if part["missing"]:
        return gettext("No figures this month: left out, its weight shared among the other parts.")
    if part["part"] == "ratings":
        return gettext("%(count)s ratings, %(stars)s stars in all", count=f["ratings"], stars=f["stars"])
    if part["part"] == "complaints":
        return gettext("%(upheld)s upheld complaints for %(bookings)s bookings", upheld=f["upheld"],
                       bookings=f["bookings"])
    if part["part"] == "fulfilment":
        return gettext("%(due)s bookings due, %(off)s called off by the operator", due=f["due"], off=f["called_off"])
    if part["part"] == "inspection":
        return gettext("Inspections: %(scores)s", scores=", ".join(f"{s:.1f}" for s in f["scores"]))
    return gettext("%(due)s due for the month before, %(paid)s paid by this month's end",
                   due=money(f["due"], currency), paid=money(f["on_time"], currency))


def donation_rule(agreement, currency: str) -> str:
    """The agreement's donation rule in words: "10% of profit", "CN¥50,000.00 a year"."""
    from core.web.i18n import money, percent

    kind = agreement.donation_kind
    if kind == "percent_of_revenue":
        return gettext("%(percent)s of revenue", percent=percent(agreement.donation_bps or 0))
    if kind == "percent_of_profit":
        return gettext("%(percent)s of profit", percent=percent(agreement.donation_bps or 0))
    amount = money(agreement.donation_amount or 0, currency)
    if kind == "per_booking":
        return gettext("%(amount)s for each booking served", amount=amount)
    if agreement.donation_period == "month":
        return gettext("%(amount)s a month", amount=amount)
    return gettext("%(amount)s a year", amount=amount)


# The ledger's accounts and sides, for the committee's and the auditor's tables (core/ledger.py ACCOUNTS).
ACCOUNTS = {
    "payments_clearing": _l("Paid online, held for the operator"), "operator_cash": _l("Operator's cash"),
    "operator_revenue": _l("Operator's revenue"), "refunds": _l("Refunds"),
    "operator_donations": _l("Operator's donations"), "donations_payable": _l("Donations the operator owes"),
    "donations_receivable": _l("Donations owed to the fund"), "donation_income": _l("Donations to the fund"),
    "fund_cash": _l("Money the fund holds"), "fund_disbursed": _l("Paid out by the fund"),
    "in_kind_items": _l("Gifts in kind"), "in_kind_income": _l("Gifts in kind received"),
    "gift_income": _l("Gifts of money received"),
}
SIDES = {"D": _l("debit"), "C": _l("credit")}


def rule_label(rule: str, tier: str, volunteer_tenths: int = 0) -> str:
    """A friendly name for the price rule that decided; a reward is named by the hours it asks for, an unknown rule
    by its tier."""
    if volunteer_tenths:
        return gettext("Volunteers with %(hours)s hours", hours=as_hours(volunteer_tenths))
    if rule in RULES:
        return str(RULES[rule][0])
    return str(TIERS.get(tier, tier))


def rule_reason(rule: str) -> str:
    return str(RULES[rule][1]) if rule in RULES else ""


def hours_used(tenths: int, spent: bool = False) -> str:
    """What a reward costs in volunteer hours: "uses 10 volunteer hours" on a price, "10 volunteer hours used" on a
    booking that spent them."""
    if spent:
        return gettext("%(hours)s volunteer hours used", hours=as_hours(tenths))
    return gettext("uses %(hours)s volunteer hours", hours=as_hours(tenths))


def label(table: dict, code: str | None) -> str:
    """The translated word for ``code``, or the code itself made readable."""
    if code is None:
        return ""
    return str(table[code]) if code in table else code.replace("_", " ")


def payment_method_label(code: str | None) -> str:
    """How a booking is paid, in words: the core's own, else the provider's label from its plugin's catalogue."""
    if code in PAYMENT_METHODS:
        return str(PAYMENT_METHODS[code])
    provider = current_app.extensions["linli"].plugins.payment_providers.get(code or "")
    return gettext(provider.label) if provider is not None and provider.label else label({}, code)


def type_label(operator_type) -> str:
    if operator_type is None:
        return ""
    known = OPERATOR_TYPES.get(operator_type.label)
    return str(known) if known else operator_type.label


def choice_label(value: str) -> str:
    """One of a detail field's choices in plain words; another plugin's choice as its catalogue has it."""
    return str(CHOICES[value]) if value in CHOICES else gettext(value.replace("_", " ").capitalize())


def detail_label(name: str) -> str:
    return str(DETAIL_FIELDS[name]) if name in DETAIL_FIELDS else name.replace("_", " ").capitalize()


def staff_detail_label(name: str) -> str | None:
    """A booking detail's name for the operator's staff, where it differs from the question the resident read."""
    return str(STAFF_DETAIL_FIELDS[name]) if name in STAFF_DETAIL_FIELDS else None


def register_globals(app) -> None:
    app.jinja_env.globals.update(
        rule_label=rule_label, rule_reason=rule_reason, hours_used=hours_used, type_label=type_label,
        tier_label=lambda code: label(TIERS, code), status_label=lambda code: label(STATUSES, code),
        proposal_status_label=lambda code: label(PROPOSAL_STATUSES, code),
        operator_status_label=lambda code: label(OPERATOR_STATUSES, code),
        role_label=lambda code: label(ROLES, code), attribute_label=lambda code: label(ATTRIBUTES, code),
        payment_label=lambda code: payment_method_label(code) if code else gettext("Nothing to pay"),
        entry_kind_label=lambda code: label(ENTRY_KINDS, code), detail_label=detail_label,
        donor_kind_label=lambda code: label(DONOR_KINDS, code),
        agreement_status_label=lambda code: label(AGREEMENT_STATUSES, code),
        resident_status_label=lambda code: label(RESIDENT_STATUSES, code), donation_rule=donation_rule,
        account_label=lambda code: label(ACCOUNTS, code), side_label=lambda code: label(SIDES, code),
        score_part_label=lambda code: label(SCORE_PARTS, code),
        score_figures_said=score_figures_said,
        standing_action_label=lambda code: label(STANDING_ACTIONS, code),
        existing_bookings_label=lambda code: label(EXISTING_BOOKINGS, code),
        complaint_category_label=lambda code: label(COMPLAINT_CATEGORIES, code),
        complaint_status_label=lambda code: label(COMPLAINT_STATUSES, code),
        waitlist_status_label=lambda code: label(WAITLIST_STATUSES, code),
    )
