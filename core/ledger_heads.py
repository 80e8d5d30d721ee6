"""The chain heads an operator publishes with each backup, and the check of a restored database against them.

``verify-ledger`` proves that a chain agrees with itself; it cannot tell the real chain from one rewritten from
some entry onwards with every hash recomputed. A head kept outside the database (with the backup, in the
committee's mail) can: a restored chain must still hold that entry, at that place in the chain, with that hash.
Entries posted after the head was printed are fine — a backup taken after publishing has them.

The published form is one line per community, ``SLUG SEQ ENTRY_ID EFFECTIVE_ON HASH`` (``-`` for the entry and
date of an empty chain), after ``#`` comment lines; :func:`published` reads back what :func:`printed` writes.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.ledger import GENESIS
from core.models import Community, JournalEntry

COLUMNS = "community seq entry effective_on hash"


@dataclass(frozen=True)
class Head:
    """The last entry of one community's chain (seq 0 and the genesis hash when nothing is posted yet)."""

    community: str
    seq: int
    entry_id: int | None
    effective_on: dt.date | None
    hash: str

    def __str__(self) -> str:
        day = self.effective_on.isoformat() if self.effective_on else "-"
        return f"{self.community} {self.seq} {self.entry_id or '-'} {day} {self.hash}"


class UnreadableHeads(ValueError):
    """A published file that is not what :func:`printed` writes."""


def head(session: Session, community: Community) -> Head:
    entry = session.scalars(select(JournalEntry).where(JournalEntry.community_id == community.id)
                            .order_by(JournalEntry.seq.desc()).limit(1)).first()
    if entry is None:
        return Head(community.slug, 0, None, None, GENESIS)
    return Head(community.slug, entry.seq, entry.id, entry.effective_on, entry.hash)


def printed(heads: list[Head], now: dt.datetime) -> str:
    return "".join([f"# Linli ledger chain heads at {now.isoformat(timespec='seconds')}\n", f"# {COLUMNS}\n",
                    *(f"{h}\n" for h in heads)])


def published(text: str) -> list[Head]:
    heads = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            slug, seq, entry_id, day, hash_ = line.split()
            heads.append(Head(slug, int(seq), None if entry_id == "-" else int(entry_id),
                              None if day == "-" else dt.date.fromisoformat(day), hash_))
        except ValueError:
            raise UnreadableHeads(f"line {number} is not '{COLUMNS}': {line.strip()[:120]}") from None
    return heads


def difference(session: Session, expected: Head) -> str | None:
    """Why this database does not hold the published head ``expected``, or None if it does."""
    community = session.scalar(select(Community).where(Community.slug == expected.community))
    if community is None:
        return f"{expected.community}: no such community in this database"
    if expected.seq == 0:
        return None
    entry = session.scalar(select(JournalEntry).where(JournalEntry.community_id == community.id,
                                                      JournalEntry.seq == expected.seq))
    if entry is None:
        return (f"{expected.community}: entry {expected.seq} of the chain is missing "
                f"(this database ends at {head(session, community).seq})")
    if entry.hash != expected.hash:
        return f"{expected.community}: entry {expected.seq} has hash {entry.hash}, published {expected.hash}"
    return None
