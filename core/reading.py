"""The reader's language, for the few texts a record carries in several languages (titles and names).

A listing's title, an operator's or a space's name are stored in the community's
own language; a record may also carry ``translations`` (``{"en": {"title": "Community
lunch"}}``). Each request, page or API alike, says who reads (:data:`READER`, set from
the reader's language); commands and domain code leave it unset and read what is
stored. :func:`translated` makes such a field an attribute that reads — and writes —
the text in the reader's language, while the class attribute stays the stored column
for queries (``Listing.title == "社区午餐"``).
"""
from __future__ import annotations

from contextvars import ContextVar

from sqlalchemy.ext.hybrid import hybrid_property

READER: ContextVar[str | None] = ContextVar("reader_language", default=None)
"""The language of the one reading now (``en``, ``zh_Hans``), or None: the text as stored."""


def _language() -> str | None:
    """The reader's language as a translation's key: its primary tag (``zh_Hans`` reads ``zh``)."""
    reader = READER.get()
    return reader.split("_")[0].split("-")[0].lower() if reader else None


def translated(field: str) -> hybrid_property:
    """``title = translated("title")`` beside ``stored_title = mapped_column("title", …)`` and ``translations``."""
    stored = f"stored_{field}"

    def read(record):
        found = (record.translations or {}).get(_language() or "", {}).get(field)
        return found if found else getattr(record, stored)

    def write(record, value):
        """An edit changes the text its editor reads: the translation they see, else the stored text."""
        language, translations = _language(), dict(record.translations or {})
        if language and translations.get(language, {}).get(field):
            translations[language] = {**translations[language], field: value}
            record.translations = translations
        else:
            setattr(record, stored, value)

    return hybrid_property(read, write, expr=lambda cls: getattr(cls, stored))
