"""Which bank transfer cleared which month's donations due: the oldest dues first.

An operator's transfer pays what it owes, whenever it arrives: a transfer
received in December for November's cash donations clears November's arrears,
even after November was closed, and the December books show no more than
December's dues as received. The ledger keeps every entry where it was posted
(the transfer on the day it arrived); this module only says, for the committee's
reconciliation, which months' dues each transfer settled.

The months' dues are what the operator came to owe in each month (the
``donations_receivable`` postings of the month other than transfers, refunds and
corrections included); the transfers, taken in the order they arrived, fill the
oldest month still owing first. Since a transfer never exceeds what is owed when
it is recorded, they are all placed; should dues shrink afterwards (a refund), a
transfer's remainder counts in the month it was posted, as it did before.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import String, cast, literal, select
from sqlalchemy.orm import Session

from core import ledger
from core.models import FundTransfer, JournalEntry, JournalLine

OWED = {"owed": ("donations_receivable", JournalEntry.kind != "transfer")}


@dataclass(frozen=True)
class Cleared:
    """Part of a transfer that settled dues of ``period``."""

    operator_id: int
    period: str
    amount: int
    transfer_id: int
    received_on: dt.date
    reference: str

    def as_json(self) -> dict:
        return {"period": self.period, "amount": self.amount, "transfer_id": self.transfer_id,
                "received_on": self.received_on.isoformat(), "reference": self.reference}


def fifo(owed: dict[str, int], transfers: list[tuple]) -> list[tuple[str, int, tuple]]:
    """``(period, amount, transfer)`` for each part of each transfer ``(amount, posted_period, …)``, placed on the
    oldest ``owed`` period still owing; a remainder beyond every due stays in the transfer's posted period."""
    owing = sorted([period, amount] for period, amount in owed.items() if amount > 0)
    parts = []
    for transfer in transfers:
        left = transfer[0]
        while left and owing:
            take = min(left, owing[0][1])
            parts.append((owing[0][0], take, transfer))
            left -= take
            owing[0][1] -= take
            if not owing[0][1]:
                owing.pop(0)
        if left:
            parts.append((transfer[1], left, transfer))
    return parts


def clearing(session: Session, community_id: int, operator_id: int | None = None) -> list[Cleared]:
    """Every part of every transfer of the community (or of one operator), with the month whose dues it settled."""
    where = [JournalLine.operator_id == operator_id] if operator_id is not None else []
    owed: dict[int, dict[str, int]] = defaultdict(dict)
    for op, period, amount in ledger.totals(session, community_id, OWED, [JournalLine.operator_id,
                                                                          JournalEntry.period], *where):
        if op is not None:
            owed[op][period] = int(amount)
    query = (select(FundTransfer.amount, JournalEntry.period, FundTransfer.operator_id, FundTransfer.id,
                    FundTransfer.received_on, FundTransfer.reference)
             .join(JournalEntry, (JournalEntry.community_id == FundTransfer.community_id)
                   & (JournalEntry.source == literal("transfer:") + cast(FundTransfer.id, String)))
             .where(FundTransfer.community_id == community_id)
             .order_by(FundTransfer.received_on, FundTransfer.id))
    if operator_id is not None:
        query = query.where(FundTransfer.operator_id == operator_id)
    transfers: dict[int, list[tuple]] = defaultdict(list)
    for row in session.execute(query):
        transfers[row.operator_id].append(tuple(row))
    return [Cleared(op, period, amount, transfer[3], transfer[4], transfer[5])
            for op, own in transfers.items() for period, amount, transfer in fifo(owed[op], own)]
