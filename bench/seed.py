"""Seed a benchmark community with set-based SQL: no ORM, no row-by-row inserts.

Everything but the journal is ``INSERT ... SELECT FROM generate_series``: ids are
contiguous in a fresh schema, so every relation is arithmetic on ``g`` (booking
``g`` is in historical slot ``g % S`` of listing ``g % S % L`` of operator
``g % O``). The journal is hash-chained, which no set-based statement can build:
its entries and lines are generated in Python by the ledger's own ``canonical()``
and ``entry_hash()`` (so ``verify-ledger`` checks an independent implementation
of the chain) and loaded with ``COPY``.

``seed_community`` seeds one community by its slug (ids are contiguous within it, and each statement is scoped
to it), so the district benchmark (``district.py``) seeds many into one schema with the same functions. run.py's
dataset (``seed``) is one community, ``bench``:

* O operators (4 donation kinds, 4 operator types), L listings (L/O each),
  ``hist_days`` daily slots per listing in the last full month (``period``),
  14 days of future slots (on about 2 days of 3) for the search's ``date=``;
* B bookings in ``period``: 1 in 5 free, the rest paid in cash or by Stripe,
  with their payments and ledger entries (payment + donation at payment for the
  ``percent_of_revenue`` operators: exactly B entries when B is a multiple of 20);
* R residents with bearer tokens, and dedicated future slots for the load
  scenarios (a hot slot per app and concurrency, a pool of spread slots per app).
"""
from __future__ import annotations

import calendar
import datetime as dt
import json
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text

TYPES = ("canteen", "workshop", "market_fair", "housekeeping")
KINDS = (  # (kind, bps, amount, period) by operator index % 4
    ("percent_of_revenue", 1000, None, None),
    ("percent_of_profit", 1000, None, None),
    ("fixed_per_period", None, 6_000_000, "year"),
    ("fixed_per_period", None, 50_000, "month"),
)
TITLES = {
    "canteen": ("Community lunch", "Dumpling dinner", "Breakfast porridge"),
    "workshop": ("Hand-sewing piece-work", "Knitting shift", "Paper-craft assembly"),
    "market_fair": ("Neighbourhood fair stall", "Repair and haircut fair", "Weekend vegetable market"),
    "housekeeping": ("Home cleaning, 2 hours", "Elderly care visit", "Window cleaning"),
}
SEARCH_TERMS = ("lunch", "clean", "fair", "sewing", "market", "care", "dinner", "repair")
CANTEEN_RULES = [
    {"name": "age_90_plus", "when": {"min_age": 90}, "tier": "free", "amount": 0},
    {"name": "age_60_plus", "when": {"min_age": 60}, "tier": "low_cost", "amount": 500},
    {"name": "student", "when": {"attributes": ["student"]}, "tier": "low_cost", "amount": 800},
    {"name": "anyone", "when": {}, "tier": "paid", "amount": 1000},
]
OTHER_RULES = [
    {"name": "low_income", "when": {"attributes": ["low_income"]}, "tier": "low_cost", "amount": 1000},
    {"name": "anyone", "when": {}, "tier": "paid", "amount": 2000},
]
ZONE = ZoneInfo("Asia/Shanghai")  # every seeded community's time zone
CONCURRENCIES = (1, 8, 32)
APPS = ("linli", "baseline", "baseline_orm")


@dataclass
class Sizes:
    operators: int
    listings: int
    hist_days: int
    future_days: int
    bookings: int
    residents: int
    hot_capacity: int
    spread_slots: int
    register: int  # residents in the register the counter searches (bench/counter.py), with phones and names

    @classmethod
    def full(cls):
        return cls(operators=500, listings=10_000, hist_days=30, future_days=14, bookings=1_000_000,
                   residents=2_000, hot_capacity=500, spread_slots=2_000, register=100_000)

    @classmethod
    def smoke(cls):
        return cls(operators=20, listings=200, hist_days=5, future_days=7, bookings=4_000,
                   residents=100, hot_capacity=40, spread_slots=100, register=1_000)


@dataclass
class Seeded:
    community_id: int
    community_slug: str
    period: str
    today: str
    tokens: list[str]
    resident_ids: list[int]
    hot_slots: dict[str, dict[int, int]]      # app -> concurrency -> slot id
    spread_slots: dict[str, list[int]]        # app -> slot ids
    search_terms: list[str]
    search_dates: list[str]
    counts: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


def previous_period(today: dt.date) -> tuple[str, dt.date, int]:
    first = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return f"{first.year:04d}-{first.month:02d}", first, calendar.monthrange(first.year, first.month)[1]


def timed(engine, timings: dict):
    """``run(label, sql, **params)``: one statement in a transaction of its own, its seconds kept under ``label``
    (``run.add(label, seconds)`` for a step that is not one statement)."""

    def run(label, sql, **params):
        started = time.perf_counter()
        with engine.begin() as conn:
            result = conn.execute(text(sql), params)
            rows = result.all() if result.returns_rows else None
        add(label, time.perf_counter() - started)
        return rows

    def add(label, seconds):
        """Seconds of a step run once per community add up under its label."""
        timings[label] = round(timings.get(label, 0) + seconds, 2)

    run.add = add
    return run


def seed(url: str, sizes: Sizes, log=print, apps: tuple[str, ...] = APPS) -> Seeded:
    """run.py's dataset: one community, ``bench``, with a month of history, and the load scenarios' slots."""
    today = dt.datetime.now(ZONE).date()
    period, first_day, month_days = previous_period(today)
    engine = create_engine(url)
    timings = {}
    run = timed(engine, timings)
    seeded = seed_community(engine, run, "bench", "Bench Community", sizes, first_day,
                            min(sizes.hist_days, month_days), today, log=log)
    canteen = canteen_listings(run, seeded.community_id)
    bench_day = today + dt.timedelta(days=3)
    hot: dict[str, dict[int, int]] = {}
    spread: dict[str, list[int]] = {}
    with engine.begin() as conn:
        for app in apps:
            hot[app] = {}
            for n, concurrency in enumerate(CONCURRENCIES):
                hot[app][concurrency] = conn.execute(text("""
                    INSERT INTO slots (listing_id, starts_at, ends_at, capacity, taken)
                    VALUES (:l, :start, :end, :cap, 0) RETURNING id"""),
                    {"l": canteen[n], "start": local_utc(bench_day, 18), "end": local_utc(bench_day, 19),
                     "cap": sizes.hot_capacity}).scalar_one()
            spread[app] = spread_slots(conn, canteen, bench_day, sizes.spread_slots)
    counts = finish(engine, timings)
    assert counts["journal_entries"] == seeded.entries
    return Seeded(community_id=seeded.community_id, community_slug="bench", period=period, today=today.isoformat(),
                  tokens=seeded.tokens, resident_ids=seeded.resident_ids, hot_slots=hot, spread_slots=spread,
                  search_terms=list(SEARCH_TERMS), search_dates=search_dates(today), counts=counts, timings=timings)


def local_utc(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A time of day in the communities' zone, as the naive UTC the tables store."""
    local = dt.datetime.combine(day, dt.time(hour, minute), ZONE)
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def search_dates(today: dt.date) -> list[str]:
    return [(today + dt.timedelta(days=k)).isoformat() for k in range(1, 8)]


@dataclass
class Community:
    """What the load needs of one seeded community."""

    community_id: int
    slug: str
    tokens: list[str]
    resident_ids: list[int]
    entries: int


def seed_community(engine, run, slug: str, name: str, sizes: Sizes, first_day: dt.date, days: int, today: dt.date,
                   log=print) -> Community:
    """One community: operators, listings, ``days`` of daily slots from ``first_day`` with ``sizes.bookings``
    bookings spread over them (paid, with the ledger's entries), future slots, and residents with tokens."""
    O, L, R = sizes.operators, sizes.listings, sizes.residents
    S = L * days
    assert L % O == 0 and O % 4 == 0 and sizes.bookings % 20 == 0, "sizes keep the arithmetic exact"
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    log(f"seeding {slug}: {O} operators, {L} listings, {S} past slots, {sizes.bookings} bookings, {R} residents")
    community_id = run("community", """
        INSERT INTO communities (slug, name, currency, timezone, created_at)
        VALUES (:slug, :name, 'CNY', 'Asia/Shanghai', :now) RETURNING id""", slug=slug, name=name, now=now)[0][0]
    space_id = run("space", """
        INSERT INTO spaces (community_id, name, kind, area_m2) VALUES (:c, 'Bench hall', 'room', 500)
        RETURNING id""", c=community_id)[0][0]
    # operators and their agreements: kind by index % 4, type by (index // 4) % 4
    run("operators", """
        INSERT INTO operators (community_id, name, type, status, contact_email, created_at)
        SELECT :c, 'Bench operator ' || g, (CAST(:types AS text[]))[(g / 4) % 4 + 1], 'active',
               'op' || g || '@' || :slug || '.example', :now
        FROM generate_series(0, :n - 1) g ORDER BY g""", c=community_id, n=O, types=list(TYPES), now=now, slug=slug)
    op0 = run("op0", "SELECT min(id), max(id) FROM operators WHERE community_id = :c", c=community_id)[0]
    assert op0[1] - op0[0] + 1 == O
    op0 = op0[0]
    run("agreements", """
        INSERT INTO agreements (operator_id, space_id, starts_on, ends_on, donation_kind, donation_bps, donation_amount,
                                donation_period, status, created_at)
        SELECT :op0 + g, :space, DATE '2026-01-01', NULL,
               (ARRAY['percent_of_revenue','percent_of_profit','fixed_per_period','fixed_per_period'])[g % 4 + 1],
               (ARRAY[1000, 1000, NULL, NULL])[g % 4 + 1], (ARRAY[NULL, NULL, 6000000, 50000])[g % 4 + 1],
               (ARRAY[NULL, NULL, 'year', 'month'])[g % 4 + 1], 'active', :now
        FROM generate_series(0, :n - 1) g""", op0=op0, space=space_id, n=O, now=now)

    # listings: listing j belongs to operator j % O
    run("listings", """
        INSERT INTO listings (operator_id, community_id, type, title, description, details, price_rules,
                              cancel_cutoff_minutes, is_active, created_at)
        SELECT :op0 + (j % :o), :c, (CAST(:types AS text[]))[((j % :o) / 4) % 4 + 1],
               (CASE ((j % :o) / 4) % 4 WHEN 0 THEN CAST(:t0 AS text[]) WHEN 1 THEN CAST(:t1 AS text[]) WHEN 2 THEN CAST(:t2 AS text[]) ELSE CAST(:t3 AS text[]) END)[(j / :o) % 3 + 1]
                 || ' #' || j,
               'Service ' || j || ' of bench operator ' || (j % :o)
                 || ': friendly neighbourhood staff, fair prices for residents, free for those who need it most.',
               CAST('{}' AS json),
               CASE ((j % :o) / 4) % 4 WHEN 0 THEN CAST(:canteen AS json) ELSE CAST(:other AS json) END,
               0, true, :now
        FROM generate_series(0, :l - 1) j ORDER BY j""",
        op0=op0, o=O, c=community_id, l=L, types=list(TYPES), now=now,
        t0=list(TITLES["canteen"]), t1=list(TITLES["workshop"]), t2=list(TITLES["market_fair"]),
        t3=list(TITLES["housekeeping"]), canteen=json.dumps(CANTEEN_RULES), other=json.dumps(OTHER_RULES))
    l0 = run("l0", "SELECT min(id) FROM listings WHERE community_id = :c", c=community_id)[0][0]

    # past slots: slot s is listing s % L on day s / L of the period, 11:30-13:00 local
    run("past slots", """
        INSERT INTO slots (listing_id, starts_at, ends_at, capacity, taken)
        SELECT :l0 + (s % :l), :start + (s / :l) * interval '1 day', :end + (s / :l) * interval '1 day', 10, 0
        FROM generate_series(0, :n - 1) s ORDER BY s""",
        l0=l0, l=L, n=S, start=local_utc(first_day, 11, 30), end=local_utc(first_day, 13))
    slot0 = run("slot0", "SELECT min(id) FROM slots WHERE listing_id = :l0", l0=l0)[0][0]
    # future slots: on about two days of three per listing, for the search's date filter
    run("future slots", """
        INSERT INTO slots (listing_id, starts_at, ends_at, capacity, taken)
        SELECT :l0 + j, :start + k * interval '1 day', :end + k * interval '1 day', 50, 0
        FROM generate_series(0, :l - 1) j, generate_series(1, :f) k WHERE (j + k) % 3 <> 0""",
        l0=l0, l=L, f=sizes.future_days, start=local_utc(today, 11, 30), end=local_utc(today, 13))

    # residents: users, grants, profiles (born 1930-2010), some verified students, bearer tokens
    secret = secrets.token_urlsafe(16)
    run("residents", """
        INSERT INTO users (email, name, password_hash, is_active, created_at)
        SELECT 'resident' || g || '@' || :slug || '.example', 'Bench resident ' || g, '!no-login', true, :now
        FROM generate_series(0, :r - 1) g ORDER BY g""", r=R, now=now, slug=slug)
    u0 = run("u0", "SELECT id FROM users WHERE email = 'resident0@' || :slug || '.example'", slug=slug)[0][0]
    run("grants", """
        INSERT INTO role_grants (user_id, role, community_id, operator_id)
        SELECT :u0 + g, 'resident', :c, NULL FROM generate_series(0, :r - 1) g""", u0=u0, r=R, c=community_id)
    run("profiles", """
        INSERT INTO resident_profiles (user_id, community_id, date_of_birth, address)
        SELECT :u0 + g, :c, DATE '1930-01-01' + (g * 7919) % 29000, 'Bench Road ' || g
        FROM generate_series(0, :r - 1) g""", u0=u0, r=R, c=community_id)
    run("attributes", """
        INSERT INTO verified_attributes (user_id, attribute, verified_by_id, verified_at)
        SELECT :u0 + g, 'student', NULL, :now FROM generate_series(0, :r - 1) g WHERE g % 10 = 3""",
        u0=u0, r=R, now=now)
    run("tokens", """
        INSERT INTO api_tokens (user_id, token_hash, created_at, expires_at, revoked_at)
        SELECT :u0 + g, encode(sha256(convert_to(:secret || '.' || (:u0 + g), 'UTF8')), 'hex'), :now,
               :now + interval '2 days', NULL
        FROM generate_series(0, :r - 1) g""", u0=u0, r=R, secret=secret, now=now)
    tokens = [f"{secret}.{u0 + g}" for g in range(R)]

    # bookings of the past days: booking g in past slot g % S (operator g % O); 1 in 5 free,
    # the others low-cost or paid, half in cash, half by Stripe; all fulfilled
    run("bookings", """
        INSERT INTO bookings (slot_id, resident_id, operator_id, quantity, tier, unit_amount, total_amount, currency,
                              rule, status, payment_method, details, hold_expires_at, created_at, updated_at)
        SELECT :slot0 + (g % :s), :u0 + (g % :r), :op0 + (g % :o), 1,
               CASE WHEN g % 5 = 0 THEN 'free' WHEN g % 3 = 0 THEN 'low_cost' ELSE 'paid' END,
               CASE WHEN g % 5 = 0 THEN 0 WHEN g % 3 = 0 THEN 500 ELSE 1000 END,
               CASE WHEN g % 5 = 0 THEN 0 WHEN g % 3 = 0 THEN 500 ELSE 1000 END, 'CNY',
               CASE WHEN g % 5 = 0 THEN 'age_90_plus' WHEN g % 3 = 0 THEN 'age_60_plus' ELSE 'anyone' END,
               'fulfilled', CASE WHEN g % 5 = 0 THEN NULL WHEN g % 2 = 0 THEN 'cash' ELSE 'stripe' END,
               CAST('{}' AS json), NULL, :start + ((g % :s) / :l) * interval '1 day',
               :start + ((g % :s) / :l) * interval '1 day'
        FROM generate_series(0, :b - 1) g ORDER BY g""",
        slot0=slot0, s=S, u0=u0, r=R, op0=op0, o=O, l=L, b=sizes.bookings, start=local_utc(first_day, 10))
    run("slot taken", """
        UPDATE slots SET taken = held.places
        FROM (SELECT slot_id, sum(quantity) AS places FROM bookings WHERE slot_id >= :slot0 GROUP BY slot_id) held
        WHERE slots.id = held.slot_id""", slot0=slot0)
    run("payments", """
        INSERT INTO payments (booking_id, operator_id, provider, reference, status, amount, currency, donation_amount,
                              refunded_amount, created_at, paid_at)
        SELECT b.id, b.operator_id, b.payment_method, 'bench-' || b.id, 'succeeded', b.total_amount, 'CNY',
               CASE WHEN (b.operator_id - :op0) % 4 = 0 THEN b.total_amount / 10 ELSE 0 END, 0,
               b.created_at, b.created_at
        FROM bookings b WHERE b.total_amount > 0 AND b.slot_id >= :slot0 ORDER BY b.id""", op0=op0, slot0=slot0)

    started = time.perf_counter()
    entries = _seed_journal(engine, community_id)
    run.add("journal (python chain + COPY)", time.perf_counter() - started)
    return Community(community_id, slug, tokens, [u0 + g for g in range(R)], entries)


def canteen_listings(run, community_id: int) -> list[int]:
    """The community's canteen listings (operators with (i // 4) % 4 == 0): where the load books."""
    return [r[0] for r in run("canteen listings", """
        SELECT l.id FROM listings l WHERE l.community_id = :c AND l.type = 'canteen' ORDER BY l.id""",
        c=community_id)]


def spread_slots(conn, canteen: list[int], day: dt.date, n: int) -> list[int]:
    """``n`` future slots of ample capacity over the canteen listings, an hour apart per listing, from 7:00."""
    return list(conn.execute(text("""
        INSERT INTO slots (listing_id, starts_at, ends_at, capacity, taken)
        SELECT (CAST(:ls AS int[]))[i % cardinality(CAST(:ls AS int[])) + 1], :start + (i / cardinality(CAST(:ls AS int[]))) * interval '1 hour',
               :end + (i / cardinality(CAST(:ls AS int[]))) * interval '1 hour', 100000, 0
        FROM generate_series(0, :n - 1) i RETURNING id"""),
        {"ls": canteen, "start": local_utc(day, 7), "end": local_utc(day, 8), "n": n}).scalars())


def finish(engine, timings: dict) -> dict:
    """VACUUM ANALYZE the seeded tables; return their row counts."""
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    timings["vacuum analyze"] = round(time.perf_counter() - started, 2)
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in (
            "operators", "listings", "slots", "bookings", "payments", "journal_entries", "journal_lines", "users")}
    engine.dispose()
    return counts


def _seed_journal(engine, community_id: int) -> int:
    """Every payment's ledger entries in the community (its payments are the last ones seeded), chained by the
    ledger's own canonical() and entry_hash(), loaded by COPY; returns how many."""
    from core import donations
    from core.ledger import GENESIS, canonical, credit, debit, entry_hash, period_of

    entries_tsv = tempfile.TemporaryFile("w+", encoding="utf-8")  # on disk: a million entries stay out of RAM
    lines_tsv = tempfile.TemporaryFile("w+", encoding="utf-8")
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat(sep=" ")
    previous, seq, line_id = GENESIS, 0, 0
    raw = engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cursor:  # ids go on after the communities seeded before
            entry0, line0 = cursor.execute("SELECT (SELECT coalesce(max(id), 0) FROM journal_entries), "
                                           "(SELECT coalesce(max(id), 0) FROM journal_lines)").fetchone()
        with raw.driver_connection.cursor(name="payments") as cursor:
            cursor.itersize = 50_000
            cursor.execute("SELECT p.id, p.booking_id, p.operator_id, p.provider, p.amount, p.donation_amount, "
                           "p.paid_at FROM payments p JOIN operators o ON o.id = p.operator_id "
                           "WHERE o.community_id = %s ORDER BY p.id", (community_id,))
            for pid, bid, op, provider, amount, donation, paid_at in cursor:
                day = paid_at.replace(tzinfo=dt.timezone.utc).astimezone(ZONE).date()
                period = period_of(day)
                online = provider == "stripe"
                account = "payments_clearing" if online else "operator_cash"
                postings = [("payment", f"payment:{pid}", f"{provider} payment for booking {bid}",
                             [debit(account, amount, op), credit("operator_revenue", amount, op)])]
                if donation:
                    postings.append(("donation", f"donation:payment:{pid}", f"donation share of payment {pid}",
                                     donations.received_lines(donation, op, account) if online
                                     else donations.due_lines(donation, op)))
                for kind, source, memo, lines in postings:
                    seq += 1
                    entry = SimpleNamespace(community_id=community_id, seq=seq, kind=kind, source=source, memo=memo,
                                            effective_on=day, period=period, operator_id=op, booking_id=bid,
                                            payment_id=pid, reverses_id=None, late_from=None, memo_message=None)
                    rows = [SimpleNamespace(account=ln.account, operator_id=ln.operator_id, side=ln.side,
                                            amount=ln.amount, currency="CNY") for ln in lines]
                    digest = entry_hash(previous, canonical(entry, rows))
                    entries_tsv.write(f"{entry0 + seq}\t{community_id}\t{seq}\t{kind}\t{source}\t{memo}\t"
                                      f"{day.isoformat()}\t{period}\t{op}\t{bid}\t{pid}\t\\N\t\\N\t{now}\t{previous}\t{digest}\n")
                    for row in rows:
                        line_id += 1
                        lines_tsv.write(f"{line0 + line_id}\t{entry0 + seq}\t{row.account}\t{row.operator_id}\t"
                                        f"{row.side}\t{row.amount}\tCNY\n")
                    previous = digest
        raw.driver_connection.commit()
        with raw.driver_connection.cursor() as cursor:
            for table, columns, buffer in (
                    ("journal_entries", "id, community_id, seq, kind, source, memo, effective_on, period, operator_id, "
                                        "booking_id, payment_id, reverses_id, late_from, created_at, prev_hash, hash",
                     entries_tsv),
                    ("journal_lines", "id, entry_id, account, operator_id, side, amount, currency", lines_tsv)):
                buffer.seek(0)
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    while chunk := buffer.read(1 << 20):
                        copy.write(chunk)
                buffer.close()
            for table, last in (("journal_entries", entry0 + seq), ("journal_lines", line0 + line_id)):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", (max(last, 1),))
            cursor.execute("INSERT INTO ledger_heads (community_id, seq, hash) VALUES (%s, %s, %s)",
                           (community_id, seq, previous))
        raw.driver_connection.commit()
    finally:
        raw.close()
    return seq
