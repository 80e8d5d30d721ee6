"""Ledger memos that every reader can read in their language.

An entry's ``memo`` is English, as it always was; an entry posted with a
:class:`~core.errors.Message` memo also stores that message's template and
values (``memo_message``, JSON written one way only, so the entry's hash can
cover it), and the pages say it again from the reader's catalogue, as they do
errors. A value may itself be a Message (a refund's reason, a donation's rule),
said in the reader's language too. Entries written before keep only their
English memo.
"""
from __future__ import annotations

import json

from core.errors import Message


def _plain(value):
    if isinstance(value, Message):
        return {"template": value.template, "params": {k: _plain(v) for k, v in value.params.items()}}
    return value if isinstance(value, (int, str)) and not isinstance(value, bool) else str(value)


def stored(memo) -> str | None:
    """The JSON that stores a Message memo (None for plain text): keys sorted, no spaces, Chinese kept as it is."""
    if not isinstance(memo, Message) or memo.brace:
        return None
    return json.dumps(_plain(memo), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def as_json(memo_message: str | None) -> dict | None:
    """The stored message as the API gives it: ``{template, params}``, nested for a value that is a message; None
    for an entry written before memos had one."""
    return json.loads(memo_message) if memo_message else None


def message(value):
    """The Message of :func:`as_json`'s ``{template, params}`` (a value that is not one stays as it is)."""
    if isinstance(value, dict):
        return Message(value["template"], {k: message(v) for k, v in value["params"].items()})
    return value
