"""The double-entry ledger: balanced, append-only, hash-chained per community.

Design. One journal holds two sets of books in one chart: each operator's
(revenue, the cash it holds, the donations it gives and owes) and the fund's
(its cash, what operators owe it, its donation income and disbursements). Every
entry is a list of debit and credit lines of positive integer amounts; debits
equal credits per currency, or the entry is refused. Nothing is updated or
deleted: a correction is a new entry that reverses another. Each entry names its
``source`` (e.g. ``payment:42``), unique per community, so a retried webhook or a
re-run settlement can never post twice.

Each community's entries form a chain: entry n stores the hash of entry n-1 and
its own hash over that and its canonical content, so editing any stored amount,
account or date of any entry is found by :func:`verify`. Posting locks the
community's :class:`LedgerHead` row, which keeps the chain linear under
concurrent postings. An entry belongs to the period (``YYYY-MM``) of its
effective date in the community's time zone; a closed period takes no new
entries — a late one lands on the first day of the next open period, marked
with ``late_from``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, Text, bindparam, case, cast, func, literal, or_, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from core import memos
from core.db import INSERTS
from core.errors import N_, invalid
from core.models import ClosedPeriod, Community, JournalEntry, JournalLine, LedgerHead

GENESIS = "0" * 64
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
"""The days the books cover: an entry dated outside them could never be settled, reconciled or reported."""
SEPARATOR = "\x1f"
# account -> its normal side; the operator's books, then the fund's
ACCOUNTS = {
    "payments_clearing": "D",     # money collected online, held for operators (per operator)
    "operator_cash": "D",         # cash an operator took at the counter
    "operator_revenue": "C",      # an operator's gross revenue
    "refunds": "D",               # revenue given back
    "operator_donations": "D",    # what an operator gave to the fund (its expense)
    "donations_payable": "C",     # what an operator still owes the fund
    "donations_receivable": "D",  # the fund's claim on an operator
    "donation_income": "C",       # the fund's income from an operator
    "fund_cash": "D",             # money the fund holds
    "fund_disbursed": "D",        # money the fund paid out for approved proposals
    "in_kind_items": "D",         # donated goods at declared value (never cash)
    "in_kind_income": "C",
    "gift_income": "C",           # money given to the fund by residents, companies, the government
}


DATE_OUT_OF_RANGE = invalid("date_out_of_range", N_("Please give a date between %(first)s and %(last)s."))


class UnbalancedEntry(RuntimeError):
    """A posting that cannot balance: a bug in the code that posts it, never the user's input."""


@dataclass(frozen=True)
class Line:
    account: str
    side: str
    amount: int
    operator_id: int | None = None


def debit(account: str, amount: int, operator_id: int | None = None) -> Line:
    return Line(account, "D", amount, operator_id)


def credit(account: str, amount: int, operator_id: int | None = None) -> Line:
    return Line(account, "C", amount, operator_id)


def moved(from_account: str, to_account: str, amount: int, operator_id: int | None = None,
          to_operator_id: int | None = None) -> list[Line]:
    """A debit of ``to_account`` and a credit of ``from_account`` of the same amount."""
    return [debit(to_account, amount, to_operator_id if to_operator_id is not None else operator_id),
            credit(from_account, amount, operator_id)]


def check_balanced(lines: list[Line]) -> None:
    for line in lines:
        if line.account not in ACCOUNTS:
            raise UnbalancedEntry(f"unknown account {line.account!r}")
        if type(line.amount) is not int or line.amount <= 0 or line.side not in ("D", "C"):
            raise UnbalancedEntry(f"a line is a positive integer debit or credit, not {line}")
    debits = sum(line.amount for line in lines if line.side == "D")
    credits = sum(line.amount for line in lines if line.side == "C")
    if debits != credits:
        raise UnbalancedEntry(f"debits {debits} != credits {credits}")


def period_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_window(community: Community, period: str) -> tuple[dt.datetime, dt.datetime]:
    """The instants a ``YYYY-MM`` month of the community's own time zone begins and ends (the end excluded)."""
    year, month = int(period[:4]), int(period[5:7])
    zone = ZoneInfo(community.timezone)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (dt.datetime.combine(dt.date(year, month, 1), dt.time(), zone),
            dt.datetime.combine(following, dt.time(), zone))


def local_today(community: Community) -> dt.date:
    return dt.datetime.now(ZoneInfo(community.timezone)).date()


def canonical(entry: JournalEntry, lines) -> str:
    """The text an entry's hash covers: its fields and its lines in order."""
    fields = [entry.community_id, entry.seq, entry.kind, entry.source, entry.memo, entry.effective_on.isoformat(),
              entry.period, entry.operator_id, entry.booking_id, entry.payment_id, entry.reverses_id, entry.late_from]
    text = SEPARATOR.join("" if v is None else str(v) for v in fields)
    if entry.memo_message is not None:  # entries written before it existed hash as they always did
        text += SEPARATOR + entry.memo_message
    for line in lines:
        text += "\n" + SEPARATOR.join("" if v is None else str(v) for v in (
            line.account, line.operator_id, line.side, line.amount, line.currency))
    return text


def entry_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256((prev_hash + "\n" + content).encode()).hexdigest()


def lock(session: Session, community_id: int) -> LedgerHead:
    """Lock the community's chain head until the transaction ends: postings and balance checks queue here."""
    head = session.scalar(select(LedgerHead).where(LedgerHead.community_id == community_id).with_for_update())
    if head is None:
        insert = INSERTS[session.get_bind().dialect.name]
        session.execute(insert(LedgerHead).values(community_id=community_id, seq=0, hash=GENESIS)
                        .on_conflict_do_nothing())
        head = session.scalar(select(LedgerHead).where(LedgerHead.community_id == community_id).with_for_update())
    return head


def shift_past_closed(day: dt.date, closed: set[str]) -> tuple[dt.date, str | None]:
    """The day an entry of ``day`` is posted on: itself, or the first day after the closed periods."""
    original = period_of(day)
    while period_of(day) in closed:
        day = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return day, (original if period_of(day) != original else None)


@dataclass(frozen=True)
class Posting:
    """One entry to append: what :func:`post` takes, as a value, so many can be posted at once."""

    kind: str
    source: str
    lines: list[Line]
    currency: str
    effective_on: dt.date | None = None
    memo: str = ""  # a Message (core.errors.text) is stored with its template and values too: see core.memos
    operator_id: int | None = None
    booking_id: int | None = None
    payment_id: int | None = None
    reverses_id: int | None = None


def post(session: Session, community: Community, kind: str, source: str, lines: list[Line], currency: str,
         **fields) -> JournalEntry | None:
    """Append one balanced entry; return None if ``source`` was posted already (nothing happens)."""
    posted = post_many(session, community, [Posting(kind, source, lines, currency, **fields)])
    return posted[0] if posted else None


def post_many(session: Session, community: Community, postings: list[Posting]) -> list[JournalEntry]:
    """Append balanced entries in order, under one lock and one flush; a source posted before is skipped.

    Every posting is checked before anything is added, so one bad posting adds none.
    """
    postings = [replace(p, lines=[line for line in p.lines if line.amount != 0]) for p in postings]
    postings = [p for p in postings if p.lines]
    for p in postings:
        check_balanced(p.lines)
        if p.effective_on is not None and not FIRST_DAY <= p.effective_on <= LAST_DAY:
            raise DATE_OUT_OF_RANGE(first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat(), field="effective_on")
    if not postings:
        return []
    head = lock(session, community.id)
    seen = set(session.scalars(select(JournalEntry.source).where(
        JournalEntry.community_id == community.id, JournalEntry.source.in_({p.source for p in postings}))))
    closed = set(session.scalars(select(ClosedPeriod.period).where(ClosedPeriod.community_id == community.id)))
    today = local_today(community)
    entries = []
    for p in postings:
        if p.source in seen:
            continue
        seen.add(p.source)
        day, late_from = shift_past_closed(p.effective_on or today, closed)
        entry = JournalEntry(community_id=community.id, seq=head.seq + 1, kind=p.kind, source=p.source,
                             memo=str(p.memo), memo_message=memos.stored(p.memo), effective_on=day, period=period_of(day), operator_id=p.operator_id,
                             booking_id=p.booking_id, payment_id=p.payment_id, reverses_id=p.reverses_id,
                             late_from=late_from, prev_hash=head.hash)
        rows = [JournalLine(account=line.account, operator_id=line.operator_id, side=line.side, amount=line.amount,
                            currency=p.currency) for line in p.lines]
        entry.hash = entry_hash(head.hash, canonical(entry, rows))
        entry.lines = rows
        entries.append(entry)
        head.seq, head.hash = entry.seq, entry.hash
    session.add_all(entries)
    session.flush()
    return entries


def head_hash(session: Session, community_id: int) -> str:
    head = session.get(LedgerHead, community_id)
    return head.hash if head else GENESIS


def reverse(session: Session, community: Community, original: JournalEntry, source: str, memo: str) -> JournalEntry | None:
    """A new entry with every line of ``original`` on the other side."""
    lines = [Line(line.account, "C" if line.side == "D" else "D", line.amount, line.operator_id)
             for line in original.lines]
    return post(session, community, "reversal", source, lines, original.lines[0].currency, memo=memo,
                operator_id=original.operator_id, booking_id=original.booking_id, payment_id=original.payment_id,
                reverses_id=original.id)


def signed(normal: str = "D"):
    """SQL: a line's amount, positive on the account's normal side."""
    sign = 1 if normal == "D" else -1
    return case((JournalLine.side == "D", JournalLine.amount * sign), else_=-JournalLine.amount * sign)


def balances(session: Session, community_id: int, accounts: list[str], period: str | None = None,
             by_operator: bool = False) -> dict:
    """Balances on each account's normal side: ``{account: amount}`` or ``{(account, operator_id): amount}``."""
    group = [JournalLine.account] + ([JournalLine.operator_id] if by_operator else [])
    query = (select(*group, JournalLine.side, func.sum(JournalLine.amount))
             .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
             .where(JournalEntry.community_id == community_id, JournalLine.account.in_(accounts))
             .group_by(*group, JournalLine.side))
    if period is not None:
        query = query.where(JournalEntry.period == period)
    totals: dict = defaultdict(int)
    for *key, side, amount in session.execute(query):
        account = key[0]
        totals[tuple(key) if by_operator else account] += int(amount) * (1 if side == ACCOUNTS[account] else -1)
    return dict(totals)


def totals(session: Session, community_id: int, figures: dict[str, tuple], by: list, *where) -> list:
    """Rows of ``by`` and each figure ``name: (account, *conditions)``: the account's lines meeting the
    conditions, summed on its normal side (0 if none).

    One scan of the community's lines computes every figure (a ``FILTER`` each), however many there are.
    """
    return totals_where(session, figures, by, JournalEntry.community_id == community_id, *where)


def totals_where(session: Session, figures: dict[str, tuple], by: list, *where) -> list:
    """:func:`totals` of the lines ``where`` selects: several communities' at once (grouped by community)."""
    columns = [func.coalesce(func.sum(signed(ACCOUNTS[account])).filter(JournalLine.account == account, *conditions),
                             0).label(name) for name, (account, *conditions) in figures.items()]
    query = (select(*by, *columns)
             .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
             .where(JournalLine.account.in_({account for account, *_ in figures.values()}), *where)
             .group_by(*by))
    return session.execute(query).all()


@dataclass(frozen=True)
class Problem:
    entry_id: int | None
    message: str

    def __str__(self) -> str:
        return f"entry {self.entry_id}: {self.message}" if self.entry_id else self.message


def _joined(columns):
    """SQL for ``SEPARATOR.join("" if v is None else str(v) for v in columns)``, as :func:`canonical` writes it."""
    return func.concat_ws(SEPARATOR, *(func.coalesce(cast(c, Text), "") for c in columns))


_ENTRY_TEXT = _joined([
    JournalEntry.community_id, JournalEntry.seq, JournalEntry.kind, JournalEntry.source, JournalEntry.memo,
    func.to_char(JournalEntry.effective_on, "YYYY-MM-DD"), JournalEntry.period, JournalEntry.operator_id,
    JournalEntry.booking_id, JournalEntry.payment_id, JournalEntry.reverses_id, JournalEntry.late_from])
_MEMO_TEXT = func.coalesce(literal(SEPARATOR) + JournalEntry.memo_message, "")  # nothing when there is none
_LINE_TEXT = func.concat("\n", _joined([JournalLine.account, JournalLine.operator_id, JournalLine.side,
                                         JournalLine.amount, JournalLine.currency]))
_CONTENT = func.concat(JournalEntry.prev_hash, "\n", _ENTRY_TEXT, _MEMO_TEXT,
                       func.string_agg(_LINE_TEXT, aggregate_order_by(cast("", Text), JournalLine.id)))

# The entries of one community's chain whose seq is in (after, upto] (None: unbounded), each with the hash of
# its stored content computed by the database: :func:`entry_hash` over :func:`canonical`, byte for byte (a test
# compares them on real entries), and the seq and hash of the entry before it in the part.
_HASHED = (
    select(JournalEntry.id, JournalEntry.seq, JournalEntry.prev_hash, JournalEntry.hash,
           func.encode(func.sha256(func.convert_to(_CONTENT, "UTF8")), "hex").label("content_hash"))
    .outerjoin(JournalLine, JournalLine.entry_id == JournalEntry.id)
    .where(JournalEntry.community_id == bindparam("community"),
           or_(bindparam("after", type_=Integer).is_(None), JournalEntry.seq > bindparam("after", type_=Integer)),
           or_(bindparam("upto", type_=Integer).is_(None), JournalEntry.seq <= bindparam("upto", type_=Integer)))
    .group_by(JournalEntry.id)).subquery()
_IN_ORDER = {"order_by": _HASHED.c.seq}
_LINKED = select(_HASHED, func.lag(_HASHED.c.seq).over(**_IN_ORDER).label("before_seq"),
                 func.lag(_HASHED.c.hash).over(**_IN_ORDER).label("before_hash"),
                 func.lead(_HASHED.c.seq).over(**_IN_ORDER).label("next_seq")).subquery()
CHAIN_SQL = select(*_HASHED.c).order_by(_HASHED.c.seq)
SUSPECTS_SQL = (
    select(*(_LINKED.c[name] for name in ("id", "seq", "prev_hash", "hash", "content_hash", "before_seq",
                                           "before_hash")))
    .where(or_(_LINKED.c.before_seq.is_(None), _LINKED.c.next_seq.is_(None),  # the ends of the part
               _LINKED.c.content_hash != _LINKED.c.hash, _LINKED.c.prev_hash != _LINKED.c.before_hash,
               _LINKED.c.seq != _LINKED.c.before_seq + 1))
    .order_by(_LINKED.c.seq))
PARALLEL_FROM = 100_000
"""A chain of this many entries is checked in two parts at once: the hashing is the work, and there are two cores."""


def chain(session: Session, community_id: int):
    """``(id, seq, prev_hash, hash, content_hash)`` of each entry in chain order, streamed.

    PostgreSQL hashes the content itself, so only five short columns per entry reach Python;
    elsewhere (SQLite) the entries and their lines are read and hashed here.
    """
    if session.get_bind().dialect.name == "postgresql":
        yield from session.execute(CHAIN_SQL, {"community": community_id, "after": None, "upto": None},
                                   execution_options={"yield_per": 10_000})
        return
    entries = session.execute(select(JournalEntry).where(JournalEntry.community_id == community_id)
                              .order_by(JournalEntry.seq).execution_options(yield_per=1000)).scalars()
    for entry in entries:
        yield entry.id, entry.seq, entry.prev_hash, entry.hash, entry_hash(entry.prev_hash, canonical(entry, entry.lines))


def in_one_snapshot(session: Session, *queries):
    """Run each ``query(connection)`` at once on a connection of its own, all seeing one snapshot.

    PostgreSQL only: one more connection exports its snapshot and holds it while each of the others imports it
    (as ``pg_dump -j`` does), so the parts of one check see one state of the database even while others post.
    """
    from psycopg import sql  # the PostgreSQL driver, there whenever this runs

    def connect():
        return session.get_bind().connect().execution_options(isolation_level="REPEATABLE READ")

    with connect() as exporter:
        snapshot = exporter.scalar(select(func.pg_export_snapshot()))

        def run(query):
            with connect() as connection:
                connection.connection.cursor().execute(
                    sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
                return query(connection)

        with ThreadPoolExecutor(len(queries)) as pool:
            return list(pool.map(run, queries))


def suspects(session: Session, community_id: int) -> tuple[list, tuple[int, str] | None]:
    """The entries that may break the chain, in order, as ``(id, seq, prev_hash, hash, content_hash, before_seq,
    before_hash)`` (``before_*`` None: take the entry before from the previous row), and the chain head.

    On PostgreSQL the database hashes and links every entry and returns only the suspects and the ends of each
    part; elsewhere every entry is read and hashed here.
    """
    def head_of(connection):
        row = connection.execute(select(LedgerHead.seq, LedgerHead.hash)
                                 .where(LedgerHead.community_id == community_id)).first()
        return tuple(row) if row else None

    if session.get_bind().dialect.name != "postgresql":
        rows = [(*row, None, None) for row in chain(session, community_id)]
        return rows, head_of(session)
    last = session.scalar(select(func.max(JournalEntry.seq)).where(JournalEntry.community_id == community_id)) or 0
    bounds = [None, last // 2, None] if last >= PARALLEL_FROM else [None, None]

    def part(after, upto):
        def query(connection):
            # One long query: compiling it (JIT) costs more than it saves, and its sort fits in memory.
            connection.execute(select(func.set_config("jit", "off", True), func.set_config("work_mem", "64MB", True)))
            return connection.execute(SUSPECTS_SQL, {"community": community_id, "after": after, "upto": upto}).all()
        return query

    *parts, head = in_one_snapshot(session, *(part(a, b) for a, b in zip(bounds, bounds[1:])), head_of)
    return [row for rows in parts for row in rows], head


def verify(session: Session, community_id: int) -> list[Problem]:
    """Recompute the chain; every entry whose content or link no longer matches is a problem, first first."""
    problems = []
    previous = (0, GENESIS)
    rows, head = suspects(session, community_id)
    for entry_id, seq, prev_hash, stored_hash, content_hash, before_seq, before_hash in rows:
        if before_seq is None:  # the first row of a part: the entry before is the previous row
            before_seq, before_hash = previous
        if seq != before_seq + 1:
            problems.append(Problem(entry_id, f"sequence {seq} where {before_seq + 1} was expected"))
        if prev_hash != before_hash:
            problems.append(Problem(entry_id, "does not link to the entry before it"))
        if content_hash != stored_hash:
            problems.append(Problem(entry_id, "its stored content no longer matches its hash"))
        previous = (seq, stored_hash)
    if head is not None and head != previous:
        problems.append(Problem(None, "the chain head does not match the last entry"))
    return problems
