"""Text Linli never stores, wherever it comes from (a JSON body, a form, a spreadsheet): no Flask, so the domain
checks imported text too."""
from __future__ import annotations

import re

from core.errors import N_, invalid

# C0 controls but tab, line feed and carriage return; DEL and the C1 controls; the bidi embeddings, overrides and
# isolates, which reorder what is shown around them (a title reading backwards, an address that hides its end).
INVISIBLE_CHARACTERS = invalid("invisible_characters", N_(
    "Please remove the invisible characters from what you entered, then try again."))
INVISIBLE_CHARACTERS_HERE = N_("This contains invisible control characters: please remove them.")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def unstorable_text(value, place: str = "") -> str | None:
    """Where in a parsed body (or query) the first string a database cannot store is, else None.

    PostgreSQL refuses NUL characters in text, and an unpaired surrogate (JSON
    allows ``"\\ud800"``) has no UTF-8 form: either would fail at the database, a
    500, instead of being refused as input. Keys are checked as well as values.
    """
    return _first_string(value, place, _unstorable)


def refused_text(value, place: str = "") -> str | None:
    """Where the first string Linli never stores is (see :func:`unstorable_text`), else None: also one holding a
    control character (tab and line breaks are text) or a bidi control, which would ring a terminal's bell, clear
    it, or reorder what a page shows."""
    return _first_string(value, place, lambda text: _unstorable(text) or CONTROL_CHARACTERS.search(text) is not None)


def _unstorable(text: str) -> bool:
    return "\x00" in text or not text.isascii() and _has_surrogate(text)


def _first_string(value, place: str, bad) -> str | None:
    pending = [(place, value)]
    while pending:  # a loop, not recursion: the body may be nested as deep as the parser allowed
        where, item = pending.pop()
        if isinstance(item, str):
            if bad(item):
                return where or "json"
        elif isinstance(item, dict):
            pending += [(where, key) for key in item]  # a bad key is named by where its object is
            pending += [(f"{where}.{key}" if where else str(key), child) for key, child in item.items()]
        elif isinstance(item, list):
            pending += [(f"{where}.{index}" if where else str(index), child) for index, child in enumerate(item)]
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True
