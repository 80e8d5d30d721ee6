"""The counter at scale: a register of 100,000 residents searched as the window searches it, and walk-in sales.

Seeded set-based like the rest (``seed.py``): residents with mainland mobile numbers (unique: the nine digits
after the prefix are ``(g * 7919 + 12345) mod 10^9``, a bijection) and Chinese names (a surname, skewed so that the
commonest is about one in ten as 王 is, and one or two given characters), in the bench community; a community staff
member and a cashier of a canteen with bearer tokens; and a lunch being served now (in its sale window), with a
capacity the walk-ins sell out. ``EXPLAIN`` shows which index serves each kind of search.
"""
from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from dataclasses import dataclass, field

from seed import timed
from sqlalchemy import create_engine, text

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
            "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = "秀英建国明华丽芳军伟敏静强磊洋艳勇杰娟涛超霞平刚桂兰玉梅志红文海云凤春生德福"
SEARCHES = ("last4", "name2", "name1")
"""The register's searches: the last four digits of a phone, the first two characters of a name (a surname and
one more), and a surname alone (the worst case: the commonest matches one resident in ten)."""


@dataclass
class Window:
    """What the counter's load needs: the register's community and its terms, the tokens, the lunch being served."""

    community_id: int
    operator_id: int
    staff_token: str
    cashier_token: str
    slot_id: int
    capacity: int
    customer_ids: list[int]
    terms: dict[str, list[str]]
    timings: dict = field(default_factory=dict)
    plans: dict = field(default_factory=dict)


CONCURRENCIES = (1, 4, 8)
WALK_IN_CONCURRENCY = 8


def seed(url: str, community_id: int, residents: int, capacity: int, log=print) -> Window:
    """The register, two staff with tokens, and a lunch in its sale window at the first canteen's; returns what the
    load needs."""
    engine = create_engine(url)
    timings: dict = {}
    run = timed(engine, timings)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)

    log(f"seeding the register: {residents} residents with phones and Chinese names")
    u0 = run("register users", """
        INSERT INTO users (email, name, password_hash, is_active, created_at)
        SELECT NULL, substr(:surnames, 1 + floor(power(((g * 37) % 1000) / 1000.0, 2) * char_length(:surnames))::int, 1)
                     || substr(:given, 1 + (g * 13) % char_length(:given), 1)
                     || CASE WHEN g % 3 = 0 THEN '' ELSE substr(:given, 1 + (g * 17 + 5) % char_length(:given), 1) END,
               '!', true, :now
        FROM generate_series(0, :n - 1) g ORDER BY g RETURNING id""",
        surnames=SURNAMES, given=GIVEN, n=residents, now=now)
    first = min(row[0] for row in u0)
    run("register grants", """
        INSERT INTO role_grants (user_id, role, community_id, operator_id)
        SELECT :u0 + g, 'resident', :c, NULL FROM generate_series(0, :n - 1) g""", u0=first, n=residents, c=community_id)
    run("register profiles", """
        INSERT INTO resident_profiles (user_id, community_id, date_of_birth, address, phone, building, status,
                                       born_verified_at, registered_at)
        SELECT :u0 + g, :c, DATE '1925-01-01' + (g * 7919) % 31000, 'Bench Road ' || g,
               '1' || (ARRAY['3','5','8','9','7'])[g % 5 + 1] || lpad(((g::bigint * 7919 + 12345) % 1000000000)::text, 9, '0'),
               (g % 40 + 1)::text, CASE WHEN g % 50 = 0 THEN 'pending' ELSE 'active' END, :now, :now
        FROM generate_series(0, :n - 1) g""", u0=first, n=residents, c=community_id, now=now)
    listing_id, operator_id = run("canteen", """
        SELECT id, operator_id FROM listings WHERE community_id = :c AND type = 'canteen' ORDER BY id LIMIT 1""",
        c=community_id)[0]
    secret = secrets.token_urlsafe(16)
    staff = _staff(run, secret, "staff@bench.example", "community_staff", community_id, None, now)
    cashier = _staff(run, secret, "cashier@bench.example", "operator_staff", community_id, operator_id, now)
    slot_id = run("serving slot", """
        INSERT INTO slots (listing_id, starts_at, ends_at, capacity, taken)
        VALUES (:l, :start, :end, :cap, 0) RETURNING id""",
        l=listing_id, start=now + dt.timedelta(hours=1), end=now + dt.timedelta(hours=2, minutes=30), cap=capacity)[0][0]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE users; ANALYZE resident_profiles; ANALYZE role_grants"))
    terms = _terms(run, community_id)
    customers = [row[0] for row in run("customers", """
        SELECT user_id FROM resident_profiles WHERE community_id = :c AND status = 'active' AND phone IS NOT NULL
        ORDER BY user_id LIMIT 2000""", c=community_id)]
    window = Window(community_id, operator_id, staff, cashier, slot_id, capacity, customers, terms, timings)
    window.plans = explain(engine, community_id, terms)
    engine.dispose()
    return window


def _staff(run, secret: str, email: str, role: str, community_id: int, operator_id: int | None, now) -> str:
    """A user with one role and a bearer token (``secret.id``, stored hashed as the app stores tokens)."""
    uid = run(f"user {email}", """
        INSERT INTO users (email, name, password_hash, is_active, created_at) VALUES (:e, :e, '!', true, :now)
        RETURNING id""", e=email, now=now)[0][0]
    run(f"grant {email}", """
        INSERT INTO role_grants (user_id, role, community_id, operator_id) VALUES (:u, :r, :c, :o)""",
        u=uid, r=role, c=community_id, o=operator_id)
    run(f"token {email}", """
        INSERT INTO api_tokens (user_id, token_hash, created_at, expires_at, revoked_at)
        VALUES (:u, encode(sha256(convert_to(:t, 'UTF8')), 'hex'), :now, :now + interval '2 days', NULL)""",
        u=uid, t=f"{secret}.{uid}", now=now)
    return f"{secret}.{uid}"


def _terms(run, community_id: int) -> dict[str, list[str]]:
    """What the window types, sampled from 200 residents of the register (so a common surname is typed as often as
    it is borne): the last four digits and the first characters of names, the commonest first (the one ``EXPLAIN``
    shows: the most rows to count and sort)."""
    sample = run("terms", """
        SELECT right(p.phone, 4), left(u.name, 2), left(u.name, 1) FROM resident_profiles p
        JOIN users u ON u.id = p.user_id WHERE p.community_id = :c AND p.phone IS NOT NULL
        ORDER BY md5(p.user_id::text) LIMIT 200""", c=community_id)
    return {kind: [term for term, times in Counter(row[n] for row in sample).most_common() for _ in range(times)]
            for n, kind in enumerate(SEARCHES)}


def measure(load, window: Window, port: int, duration: float, warm_up: float, log=print) -> dict:
    """The register searched at each concurrency, then walk-ins selling out the lunch being served."""
    common = {"host": "127.0.0.1", "port": port}
    path = f"/api/v1/communities/{window.community_id}/residents"
    every_term = [term for kind in SEARCHES for term in window.terms[kind]]
    load(common | {"scenario": "register", "concurrency": 8, "duration_s": warm_up, "token": window.staff_token,
                   "path": path, "terms": every_term})
    scenarios: dict = {}
    for kind in SEARCHES:
        for c in CONCURRENCIES:
            log(f"linli: register search by {kind}, concurrency {c}")
            scenarios.setdefault(f"register_{kind}", {})[f"c{c}"] = load(common | {
                "scenario": "register", "concurrency": c, "duration_s": duration, "token": window.staff_token,
                "path": path, "terms": window.terms[kind]})
    log(f"linli: walk-in sales, concurrency {WALK_IN_CONCURRENCY}, until the lunch is sold out")
    scenarios["walk_in"] = {f"c{WALK_IN_CONCURRENCY}": load(common | {
        "scenario": "walk_in", "concurrency": WALK_IN_CONCURRENCY, "duration_s": 60, "stop_on": 409,
        "max_requests": window.capacity * 3, "token": window.cashier_token, "slot_ids": [window.slot_id],
        "customer_ids": window.customer_ids})}
    return scenarios


def summary(scenarios: dict) -> dict:
    """The JSON's headline figures: the register's p99 by search and concurrency, the walk-ins' rate and p99."""
    walk_in = scenarios["walk_in"][f"c{WALK_IN_CONCURRENCY}"]
    return {"register_search_p99_ms": {kind: {c: run["p99_ms"] for c, run in scenarios[f"register_{kind}"].items()}
                                       for kind in SEARCHES},
            "walk_in_rps_c8": walk_in["rps"], "walk_in_p99_ms_c8": walk_in["p99_ms"]}


def sold_out(url: str, window: Window) -> dict:
    """The lunch sold at the window: its capacity, places taken, and places its bookings hold."""
    engine = create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(text("""
            SELECT s.capacity, s.taken, coalesce(sum(b.quantity), 0), count(b.id) FILTER (WHERE b.resident_id IS NULL)
            FROM slots s LEFT JOIN bookings b ON b.slot_id = s.id AND b.status = 'fulfilled'
            WHERE s.id = :s GROUP BY s.id"""), {"s": window.slot_id}).one()
    engine.dispose()
    return {"capacity": row[0], "taken": row[1], "sold": int(row[2]), "to_visitors": row[3]}


def explain(engine, community_id: int, terms: dict[str, list[str]]) -> dict[str, list[str]]:
    """The plans of the register's own queries (``core.residents.search``, its page and the count ``paginate``
    adds), for the commonest term of each kind: which indexes serve them, and what the worst term costs."""
    from sqlalchemy import func, select
    from sqlalchemy.dialects import postgresql

    from core import residents

    plans = {}
    with engine.connect() as conn:
        for kind in SEARCHES:
            query = residents.search(community_id, terms[kind][0])
            for part, statement in (("page", query.limit(50)),
                                    ("count", select(func.count()).select_from(query.order_by(None).subquery()))):
                sql = statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
                plans[f"{kind} {part} ({terms[kind][0]})"] = [row[0] for row in conn.exec_driver_sql(
                    f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {sql}")]
    return plans
