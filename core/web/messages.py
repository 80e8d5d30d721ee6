"""The services' error messages in the reader's language and in plain words.

Domain services raise errors in plain English for the API's callers (they do not
import Flask or know the reader's language). A page shows the same error in the
reader's language: a message the services raise is matched here to a sentence of
the catalogue, with what varies in it (a number of places, a time) carried over.
A message this table does not know is looked up as it is, so a plugin can
translate its own fixed messages in its catalogue; failing that, the English
stays, after a translated headline (``common.headline``).

tests/test_web_messages.py checks that every pattern still matches what the core raises.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext


def N_(text: str) -> str:  # noqa: N802 - the name pybabel extracts by default
    """Mark a sentence for the catalogue; it is translated when shown."""
    return text


@dataclass(frozen=True)
class Known:
    pattern: re.Pattern
    text: str  # a catalogue sentence, with %(name)s for a named group of the pattern


def _known(pattern: str, text: str) -> Known:
    return Known(re.compile(pattern + r"$"), text)


KNOWN = [
    # booking
    _known(r"not enough places: (?P<left>\d+) left", N_("Not enough places are left: only %(left)s.")),
    _known(r"this slot has already started", N_("This time has already started. Please choose a later one.")),
    _known(r"this service is not taking bookings", N_("This service is not taking bookings at the moment.")),
    _known(r"at most (?P<limit>\d+) per resident in this slot", N_("You can book at most %(limit)s at this time.")),
    _known(r"choose how to pay", N_("Please choose how you will pay.")),
    _known(r"online payment \(Stripe\) is not configured on this platform: choose cash at the counter",
           N_("Online payment is not available here. Please choose cash at the counter.")),
    _known(r"payment method .* is not available here", N_("This way of paying is not available here.")),
    _known(r"cancellations closed at (?P<when>[\d :-]+)",
           N_("It is too late to cancel: cancelling closed at %(when)s. Please call the operator.")),
    _known(r"a booking that is (?P<state>[a-z ]+) cannot become (?P<next>[a-z ]+)",
           N_("This booking cannot be changed any more.")),
    _known(r"check-in closed 24 hours after the slot ended", N_("Check-in closed a day after this time ended.")),
    _known(r"a no-show can be recorded once the slot has started",
           N_("You can record that nobody came once the time has started.")),
    _known(r"only the resident who booked may (cancel|rate it)", N_("Only the person who booked can do this.")),
    _known(r"only a fulfilled booking can be rated; .*", N_("You can rate a service after you have been served.")),
    _known(r"this booking has already been rated", N_("You have already rated this. Thank you.")),
    _known(r"invalid (details)", N_("Some of the details are not right. Please look at the marked questions.")),
    # operators, listings, agreements
    _known(r"the operator is (?P<state>[a-z ]+): it can list services once approved",
           N_("You can offer services once the community office has approved your organisation.")),
    _known(r"the slot ends before it starts", N_("The time must end after it starts.")),
    _known(r"invalid price rules", N_("The prices are not right. Only a free price can be zero.")),
    _known(r"an operator that is (?P<state>[a-z ]+) cannot be approved", N_("This operator is approved already.")),
    _known(r"an agreement that is (?P<state>[a-z ]+) cannot be approved", N_("This agreement is in force already.")),
    _known(r"the term ends before it starts", N_("The agreement must end after it starts.")),
    _known(r"unknown space", N_("Please choose one of the community's spaces.")),
    # residents
    _known(r"(?P<attribute>[a-z_]+) is verified already", N_("This has been checked already.")),
    # fund and committee
    _known(r"(?P<period>\d{4}-\d{2}) is closed already", N_("This month is closed already.")),
    _known(r"(?P<period>\d{4}-\d{2}) is closed: its figures never change again",
           N_("This month is closed: its figures never change again.")),
    _known(r"(?P<period>\d{4}-\d{2}) has not begun: only a month that has begun can be closed",
           N_("This month has not begun yet, so it cannot be closed.")),
    _known(r".* owes (?P<owed>\d+): a transfer of (?P<amount>\d+) is more than that",
           N_("This is more than the operator owes the fund. Please check the amount.")),
    _known(r"already a member of the committee", N_("This person is on the committee already.")),
    _known(r"votes count only while the committee has an odd number of at least 3 members; (it has) (?P<size>\d+)",
           N_("Votes count only while the committee has an odd number of members, at least 3. "
              "It has %(size)s now.")),
    _known(r"you have voted on this proposal already", N_("You have voted on this proposal already.")),
    _known(r"only members of this community's committee vote", N_("Only members of the committee vote.")),
    _known(r"a proposal that is (?P<state>[a-z ]+) takes no votes", N_("This proposal is not open for votes.")),
    _known(r"a proposal that is (?P<state>[a-z ]+) cannot (become .*|be disbursed)",
           N_("This proposal cannot take this step now.")),
    _known(r"give the reason for a rejection", N_("Please write the reason for saying no.")),
    _known(r"the fund holds (?P<balance>\d+): disbursing (?P<amount>\d+) would overdraw it",
           N_("The fund does not hold enough money to pay this out.")),
    # a plugin schema's words about one answer (marshmallow's defaults)
    _known(r"Missing data for required field\.", N_("Please fill this in.")),
    _known(r"Not a valid (integer|number)\.", N_("Please write a whole number.")),
    _known(r"Not a valid (string|boolean)\.", N_("Please check this answer.")),
    _known(r"Must be one of: .*\.", N_("Please choose one of the options.")),
    _known(r"Length must be between (?P<low>\d+) and (?P<high>\d+)\.",
           N_("Please write between %(low)s and %(high)s characters.")),
    _known(r"Longer than maximum length (?P<high>\d+)\.", N_("Please write at most %(high)s characters.")),
    _known(r"Must be greater than or equal to (?P<low>-?\d+) and less than or equal to (?P<high>-?\d+)\.",
           N_("Please write a number from %(low)s to %(high)s.")),
    _known(r"Must be greater than or equal to (?P<low>-?\d+)\.", N_("Please write %(low)s or more.")),
    _known(r"Unknown field\.", N_("This question is not asked here.")),
    # who may
    _known(r"this needs the role .*", N_("Your account is not allowed to do this here.")),
    _known(r"only (this operator's|the operator's) staff.*", N_("Only the operator's own staff can do this.")),
]


def explain(message: str) -> str:
    """The service's message as a sentence for this page's reader."""
    for known in KNOWN:
        found = known.pattern.match(message)
        if found:
            return gettext(known.text, **found.groupdict())
    return gettext(message)
