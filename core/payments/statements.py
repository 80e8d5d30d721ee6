"""Providers' own statements, matched against what Linli recorded.

Every night the statements of the last days are imported from each configured provider that gives one
(``has_statements``); importing a day again replaces its lines, so a day read before it ended is completed the next
night. The reconciliation then compares, per operator and month, the payments, refunds and fund-share splits Linli
recorded with the lines under the same reference: ``matched``, ``amount_differs``, or ``missing`` from the
statement — said only once the statements of its day and the next are in (a payment near midnight may be listed
on the next day; until then it is ``awaiting``). A line whose reference Linli does not know belongs to no
community: ``linli check`` names it to the administrators.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, exists, func, literal, select
from sqlalchemy.orm import Session

from core import ledger
from core.db import utcnow
from core.models import Community, Operator, Payment, ProviderStatement, ProviderStatementLine, Refund
from core.payments.base import PaymentProvider

log = logging.getLogger(__name__)

KINDS = ("payment", "refund", "share")
MISMATCHES = ("missing", "amount_differs")
STATEMENT_ZONE = ZoneInfo("Asia/Shanghai")
"""Whose days the nightly import counts in: the Chinese providers' (WeChat Pay's and Alipay's statements)."""
UNKNOWN_RECENT = dt.timedelta(days=31)
"""How long ``linli check`` names a line Linli does not know (every night meanwhile), counted from its import."""


def import_day(session: Session, provider: PaymentProvider, day: dt.date, config) -> int:
    """Replace the provider's statement of ``day`` by what it says now; return the number of lines kept (lines under
    one reference and kind are added up: a reference listed twice is seen as a different amount)."""
    merged: dict[tuple[str, str], list[int]] = {}
    for line in provider.statement(day, config):
        if line.kind not in KINDS:
            raise ValueError(f"{provider.key} gave a statement line of an unknown kind {line.kind!r}")
        total = merged.setdefault((line.kind, line.reference[:120]), [0, 0])
        total[0] += line.amount
        total[1] += line.fee
    session.execute(delete(ProviderStatementLine).where(ProviderStatementLine.provider == provider.key,
                                                        ProviderStatementLine.day == day))
    now = utcnow()
    session.add_all(ProviderStatementLine(provider=provider.key, day=day, kind=kind, reference=reference,
                                          amount=amount, fee=fee, imported_at=now)
                    for (kind, reference), (amount, fee) in merged.items())
    statement = session.get(ProviderStatement, (provider.key, day)) or ProviderStatement(provider=provider.key, day=day)
    statement.line_count, statement.imported_at = len(merged), now
    session.add(statement)
    session.flush()
    return len(merged)


def _days_around(start: dt.datetime, end: dt.datetime) -> tuple[dt.date, dt.date]:
    """The statement days that may list what happened between ``start`` and ``end``: a day more on each side, for
    a provider whose day is not the community's."""
    return start.date() - dt.timedelta(days=1), end.date() + dt.timedelta(days=1)


def _line_totals(start: dt.datetime, end: dt.datetime):
    line, (first, last) = ProviderStatementLine, _days_around(start, end)
    return (select(line.provider, line.kind, line.reference, func.sum(line.amount).label("amount"),
                   func.sum(line.fee).label("fee"))
            .where(line.day >= first, line.day <= last)
            .group_by(line.provider, line.kind, line.reference).subquery())


def _recorded(session: Session, community: Community, period: str, providers: list[str]):
    """(operator, provider, kind, reference, amount, when, line amount, line fee) of each payment, refund and split
    done of the month by the providers whose statements Linli imports, with its statement line's if any."""
    start, end = ledger.month_window(community, period)
    lines = _line_totals(start, end)
    ours = and_(Payment.operator_id == Operator.id, Operator.community_id == community.id,
                Payment.provider.in_(providers))

    def line_of(kind, reference):
        return and_(lines.c.provider == Payment.provider, lines.c.kind == kind, lines.c.reference == reference)

    def with_line(kind, reference, amount, when, source, *where):
        return (select(Payment.operator_id, Payment.provider, literal(kind), reference, amount, when,
                       lines.c.amount, lines.c.fee)
                .select_from(source).join(Operator, ours)
                .outerjoin(lines, line_of(kind, reference))
                .where(when >= start, when < end, *where))

    paid = with_line("payment", Payment.reference, Payment.amount, Payment.paid_at, Payment,
                     Payment.status == "succeeded")
    refunded = with_line("refund", Refund.reference, Refund.amount, Refund.created_at,
                         Refund.__table__.join(Payment.__table__, Payment.id == Refund.payment_id),
                         Refund.reference.not_like("manual-%"))
    shared = with_line("share", Payment.share_reference, Payment.share_amount, Payment.paid_at, Payment,
                       Payment.share_status == "done", Payment.share_reference.is_not(None))
    for query in (paid, refunded, shared):
        yield from session.execute(query)


def _imported_days(session: Session, community: Community, period: str, providers: list[str]) -> set:
    first, last = _days_around(*ledger.month_window(community, period))
    return set(session.execute(select(ProviderStatement.provider, ProviderStatement.day).where(
        ProviderStatement.provider.in_(providers), ProviderStatement.day >= first, ProviderStatement.day <= last)))


def recent_days(now: dt.datetime) -> list[dt.date]:
    """The days the nightly import reads: yesterday, and the day before again (to complete what was read of it)."""
    today = now.astimezone(STATEMENT_ZONE).date()
    return [today - dt.timedelta(days=2), today - dt.timedelta(days=1)]


def periods_to_check(now: dt.datetime) -> list[str]:
    """The months the lines of the nightly import may speak of: those of its days, and this one (a payment of today
    may be on a statement of yesterday's in another time zone)."""
    today = now.astimezone(STATEMENT_ZONE).date()
    return sorted({ledger.period_of(day) for day in (*recent_days(now), today)})


def nightly(session: Session, providers: dict[str, PaymentProvider], config, now: dt.datetime) -> tuple[list, list]:
    """Import yesterday's and the day before's statements (the latter completed) of each configured provider that
    gives one; return the providers imported and those that did not answer (tried again the next night)."""
    imported, failed = [], []
    for provider in sorted(providers.values(), key=lambda p: p.key):
        if not (provider.has_statements and provider.is_configured(config)):
            continue
        try:
            with session.begin_nested():
                for day in recent_days(now):
                    import_day(session, provider, day, config)
            imported.append(provider.key)
        except Exception:  # noqa: BLE001 - whatever a provider's library raises: the others are still imported
            log.exception("the statement of %s could not be imported", provider.key)
            failed.append(provider.key)
    return imported, failed


def matches(session: Session, community: Community, period: str) -> dict[int, dict]:
    """Per operator of the community: what Linli recorded of the month against the providers' statements."""
    providers = list(session.scalars(select(ProviderStatement.provider).distinct()))
    report: dict[int, dict] = defaultdict(_empty)
    if not providers:
        return report
    imported, zone = _imported_days(session, community, period, providers), ZoneInfo(community.timezone)
    for operator_id, provider, kind, reference, amount, when, line_amount, fee in _recorded(
            session, community, period, providers):
        day = when.astimezone(zone).date()
        row, sign = report[operator_id], -1 if kind == "refund" else 1
        if line_amount is None:
            known = {(provider, day), (provider, day + dt.timedelta(days=1))} <= imported
            status = "missing" if known else "awaiting"
        else:
            status = "matched" if int(line_amount) == amount else "amount_differs"
            row["fee_amount"] += int(fee)
            if kind != "share":
                row["statement_amount"] += sign * int(line_amount)
        if kind != "share":
            row["recorded_amount"] += sign * amount
        row[f"{status}_count"] += 1
        if status in MISMATCHES:
            row["mismatches"].append({"provider": provider, "kind": kind, "reference": reference, "status": status,
                                      "day": day.isoformat(), "recorded_amount": amount,
                                      "statement_amount": None if line_amount is None else int(line_amount)})
    return report


def _empty() -> dict:
    return {"recorded_amount": 0, "statement_amount": 0, "fee_amount": 0, "matched_count": 0, "awaiting_count": 0,
            "missing_count": 0, "amount_differs_count": 0, "mismatches": []}


def mismatch_digest(report: dict[int, dict]) -> str | None:
    """A short name of the set of mismatches of a report (None: there is none), so the same ones are told once."""
    found = sorted(f"{m['provider']}:{m['kind']}:{m['reference']}:{m['status']}:{m['statement_amount']}"
                   for row in report.values() for m in row["mismatches"])
    return hashlib.sha256("\n".join(found).encode()).hexdigest()[:16] if found else None


def unknown_lines(session: Session, now: dt.datetime) -> list[str]:
    """Lines imported lately whose reference Linli does not know, for ``linli check``: money a provider took or
    gave back that no community's books hold."""
    line = ProviderStatementLine
    known = {
        "payment": exists().where(Payment.provider == line.provider, Payment.reference == line.reference),
        "refund": exists().where(Payment.provider == line.provider, Refund.payment_id == Payment.id,
                                 Refund.reference == line.reference),
        "share": exists().where(Payment.provider == line.provider, Payment.share_reference == line.reference),
    }
    found = []
    for kind, is_known in known.items():
        query = (select(line.provider, line.day, line.reference, line.amount)
                 .where(line.kind == kind, line.imported_at >= now - UNKNOWN_RECENT, ~is_known)
                 .order_by(line.provider, line.day, line.reference))
        found += [f"{provider} statement of {day}: {kind} {reference} of {amount} is not known to Linli"
                  for provider, day, reference, amount in session.execute(query)]
    return found

