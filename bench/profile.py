"""Profile one request kind in-process (no gunicorn): statements per request, time per request, a pyinstrument tree.

    python bench/profile.py book      [--n 300] [--html out.html] [--cpu | --stages]
    python bench/profile.py search    [--n 300]
    python bench/profile.py walk_in   [--n 300]     # a sale at the counter (one in two to a visitor)
    python bench/profile.py register  [--n 300]     # the register searched by the last four digits
    python bench/profile.py baseline  [--n 300]     # baseline_app.py's bare booking, for comparison

Seeds the smoke dataset into a scratch schema (dropped afterwards) and drives
the app through Flask's test client, counting the SQL statements each request
sends (``before_cursor_execute``) and profiling the loop with pyinstrument
(``pip install pyinstrument``).
"""
from __future__ import annotations

import argparse
import collections
import os
import random
import secrets
import sys
import threading
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(BENCH), BENCH]

import counter  # noqa: E402
from scratch import Scratch  # noqa: E402
from seed import Sizes, seed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=("book", "search", "walk_in", "register", "baseline"))
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--html", default=None)
    parser.add_argument("--sql", action="store_true", help="print the statements of one request")
    parser.add_argument("--cpu", action="store_true",
                        help="cProfile on the request thread's CPU time (what the machine's load does not change) "
                             "instead of pyinstrument's wall-clock tree")
    parser.add_argument("--stages", action="store_true",
                        help="CPU of the request thread per stage of a booking (its token, places, rules, insert, "
                             "idempotency, commit, the app's hooks) against the whole request")
    args = parser.parse_args()
    scratch = Scratch()
    scratch.create()
    try:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        from core import create_app, migrate

        url = scratch.url_string
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
        migrate.upgrade(app)
        seeded = seed(url, Sizes.smoke(), log=lambda *a: None)
        window = counter.seed(url, seeded.community_id, Sizes.smoke().register, 100_000, log=lambda *a: None)
        statements: list[str] = []
        request_thread = threading.get_ident()  # not the in-process task runner's statements

        @event.listens_for(Engine, "before_cursor_execute")
        def _count(conn, cursor, statement, *rest):
            if threading.get_ident() == request_thread:
                statements.append(statement)

        @event.listens_for(Engine, "begin")
        def _begin(conn):
            if threading.get_ident() == request_thread:
                statements.append("BEGIN")

        @event.listens_for(Engine, "commit")
        def _commit(conn):
            if threading.get_ident() == request_thread:
                statements.append("COMMIT")
        client = app.test_client()
        if args.kind == "baseline":  # the bare transaction of baseline_app.py, measured the same way
            os.environ["BASELINE_DATABASE_URL"] = url
            import baseline_app
            baseline = baseline_app.create_app().test_client()
        rng = random.Random(1)
        booked = set()

        def fresh_booking() -> tuple[str, int]:
            """A resident and a time they have not booked yet: one booking per resident per time."""
            while (pair := (rng.choice(seeded.tokens), rng.choice(seeded.spread_slots["linli"]))) in booked:
                continue
            booked.add(pair)
            return pair

        def request():
            if args.kind == "book":
                token, slot_id = fresh_booking()
                response = client.post("/api/v1/bookings", headers={"Authorization": f"Bearer {token}",
                                                                         "Idempotency-Key": secrets.token_urlsafe(16)},
                                       json={"slot_id": slot_id, "quantity": 1, "payment_method": "cash"})
                assert response.status_code == 201, response.get_json()
            elif args.kind == "baseline":
                response = baseline.post("/book", json={"slot_id": rng.choice(seeded.spread_slots["baseline"]),
                                                        "quantity": 1, "resident_id": rng.choice(seeded.resident_ids)})
                assert response.status_code == 201, response.get_json()
            elif args.kind == "walk_in":
                sale = {"slot_id": window.slot_id, "quantity": 1}
                if rng.random() < 0.5:
                    sale["resident_id"] = rng.choice(window.customer_ids)
                response = client.post("/api/v1/bookings/walk-in", json=sale, headers={
                    "Authorization": f"Bearer {window.cashier_token}", "Idempotency-Key": secrets.token_urlsafe(16)})
                assert response.status_code == 201, response.get_json()
            elif args.kind == "register":
                response = client.get(f"/api/v1/communities/{window.community_id}/residents"
                                      f"?q={rng.choice(window.terms['last4'])}",
                                      headers={"Authorization": f"Bearer {window.staff_token}"})
                assert response.status_code == 200, response.get_json()
            else:
                response = client.get(f"/api/v1/listings?community=bench&q={rng.choice(seeded.search_terms)}"
                                      f"&date={rng.choice(seeded.search_dates)}")
                assert response.status_code == 200, response.get_json()

        for _ in range(20):
            request()
        statements.clear()
        request()
        print(f"{len(statements)} statements per {args.kind} request (BEGIN and COMMIT included, the pool's ping not)")
        if args.sql:
            for s in statements:
                print("  ", " ".join(s.split())[:200])
        kinds = collections.Counter(" ".join(s.split())[:60] for s in statements)
        for text, count in kinds.most_common():
            print(f"  {count} × {text}")
        if args.cpu:
            cpu_profile(request, args.n)
            return
        if args.stages:
            stage_cpu(app, request, args.n)
            return
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        started = time.perf_counter()
        with profiler:
            for _ in range(args.n):
                request()
        elapsed = time.perf_counter() - started
        print(f"{args.n} requests in {elapsed:.2f} s: {1000 * elapsed / args.n:.2f} ms each (in-process, profiled)")
        print(profiler.output_text(unicode=False, color=False, show_all=False))
        if args.html:
            with open(args.html, "w") as f:
                f.write(profiler.output_html())
        app.extensions["linli"].db.engine.dispose()
    finally:
        scratch.drop()


def stage_cpu(app, request, n: int) -> None:
    """CPU of this thread per request and per stage, unprofiled: each stage's function wrapped in a timer (stages
    nest: the token's user is inside the API's first hook)."""
    import functools

    from core import auth, db
    from core import booking as bookings
    from core.api import bookings as api_bookings, common, idempotency

    spent: collections.Counter = collections.Counter()

    def timed(label, f):
        @functools.wraps(f)
        def timer(*args, **kwargs):
            started = time.thread_time()
            try:
                return f(*args, **kwargs)
            finally:
                spent[label] += time.thread_time() - started
        return timer

    common.user_for_token = timed("the token's user, grants, profile, attributes", auth.user_for_token)
    for module, name, label in ((bookings, "take_with_context", "the places taken with the slot's context"),
                                (bookings, "vet", "rules, price, the type's checks"),
                                (bookings, "place", "the booking's INSERT with its task, the type's hook"),
                                (idempotency, "begin", "idempotency: begin"),
                                (idempotency, "finish", "idempotency: the answer stored")):
        setattr(module, name, timed(label, getattr(module, name)))
    api_bookings.commit = timed("COMMIT and what waits for it", db.commit)
    api_bookings.BOOKING.dump = timed("the answer's dump", api_bookings.BOOKING.dump)
    for funcs in (*app.before_request_funcs.values(), *app.after_request_funcs.values()):
        funcs[:] = [timed(f"hook {f.__name__}", f) for f in funcs]
    app.wsgi_app = timed("the app (Flask's wsgi_app), all of the above inside", app.wsgi_app)
    started = time.thread_time()
    for _ in range(n):
        request()
    whole = time.thread_time() - started
    print(f"{n} requests: {1000 * whole / n:.2f} ms of CPU each (this thread, the test client included)")
    for label, seconds in spent.most_common():
        print(f"  {1000 * seconds / n:6.3f} ms  {label}")


def cpu_profile(request, n: int) -> None:
    """CPU per request of this thread (the in-process task runner's thread is not counted), and where it goes."""
    here = sys.path[:]
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != BENCH]  # this file shadows the stdlib's profile
    import cProfile
    import pstats
    sys.path[:] = here

    started = time.thread_time()
    for _ in range(n):
        request()
    print(f"{n} requests: {1000 * (time.thread_time() - started) / n:.2f} ms of CPU each (this thread, unprofiled)")
    profiler = cProfile.Profile(time.thread_time)
    started = time.thread_time()
    profiler.runcall(lambda: [request() for _ in range(n)])
    spent = time.thread_time() - started
    print(f"{n} requests: {1000 * spent / n:.2f} ms of CPU each (this thread, cProfile's own cost included)")
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    main()
