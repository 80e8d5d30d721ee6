"""The district benchmark (issue 28): many communities on one PostgreSQL, two app servers, the worker and scheduler.

    python bench/district.py                    # 50 communities, 100,000 residents, a year of bookings (minutes)
    python bench/district.py --communities 10   # a smaller district: communities as big, the residents split over 10
    python bench/district.py --smoke            # 3 tiny communities, two months (about a minute)

It seeds every community into one scratch schema with seed.py's functions, serves Linli from two gunicorn masters
(production settings, as run.py) with `linli worker` and `linli scheduler` on a broker of its own, sends bookings
and searches at concurrency 32 across the communities and both masters, first to 1, then 10, then all of them
(the cost per request should not grow), samples the connections PostgreSQL holds meanwhile, checks that nothing
was oversold, and closes the last full month of every community (settle, evaluate, reconcile) in one process.
Progress goes to stderr, one JSON document to stdout (see bench/README.md); exit status 1 when a check failed.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import threading
import time

import redis
from sqlalchemy import create_engine, text

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(BENCH), BENCH]

from run import (  # noqa: E402
    ROOT, Server, Service, add_gunicorn_options, check_statuses, gunicorn_settings, load, log, month_end,
    oversell_check, production_env, reported, scratch_run,
)
from seed import (  # noqa: E402
    SEARCH_TERMS, ZONE, Sizes, canteen_listings, finish, previous_period, search_dates, seed_community, spread_slots,
    timed,
)

BROKER = "redis://127.0.0.1:6379/15"  # the broker and the login limiter: a Redis database of the benchmark's own
CONCURRENCY = 32
STEPS = (1, 10, 50)  # how many communities the load reaches, run after run


def district_sizes(smoke: bool, days: int, residents: int) -> Sizes:
    """One community's sizes: two bookings a day per listing (one slot a day, of 10 places) every day of the
    history, rounded up to a multiple of 20 as seed_community wants."""
    listings = 8 if smoke else 24
    return Sizes(operators=4 if smoke else 8, listings=listings, hist_days=days, future_days=14,
                 bookings=-(-2 * listings * days // 20) * 20, residents=residents, hot_capacity=0,
                 spread_slots=20 if smoke else 200, register=0)


def history(today: dt.date, months: int) -> tuple[str, dt.date, int]:
    """The last full month, and the first day and number of days of the ``months`` that end with it."""
    period, first_of_last, _ = previous_period(today)
    first = first_of_last
    for _ in range(months - 1):
        first = previous_period(first)[1]
    return period, first, (today.replace(day=1) - first).days


def seed_district(url: str, smoke: bool, communities: int, residents: int) -> tuple[dict, list[dict]]:
    """Every community in turn; returns the dataset's description and what the load needs of each community."""
    today = dt.datetime.now(ZONE).date()
    months = 2 if smoke else 12
    period, first_day, days = history(today, months)
    sizes = district_sizes(smoke, days, residents // communities)
    engine = create_engine(url)
    timings: dict = {}
    run = timed(engine, timings)
    seeded = []
    for index in range(1, communities + 1):
        one = seed_community(engine, run, f"d{index:02d}", f"District community {index}", sizes, first_day, days,
                             today, log=log)
        with engine.begin() as conn:
            slots = spread_slots(conn, canteen_listings(run, one.community_id), today + dt.timedelta(days=3),
                                 sizes.spread_slots)
        seeded.append({"community": one.slug, "tokens": one.tokens, "slot_ids": slots})
    counts = finish(engine, timings)
    dataset = {"communities": communities, "per_community": sizes.__dict__,
               "history": {"from": first_day.isoformat(), "days": days, "months": months}, "period": period,
               "counts": counts, "seed_steps_s": timings}
    return dataset, seeded


class ConnectionSampler:
    """Within ``with``: the peak of PostgreSQL's client connections, sampled every 0.2 s, to this database (the scratch
    schema's: the benchmark's own) and to the whole server (other work shares max_connections), and how many of
    this database's were running a statement. The sampler's own connection is one of them."""

    def __init__(self, url: str):
        self.engine = create_engine(url, pool_size=1, max_overflow=0)
        self.peak = {"database": 0, "database_active": 0, "server": 0}

    def __enter__(self):
        self.peak = dict.fromkeys(self.peak, 0)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()

    def _sample(self) -> None:
        with self.engine.connect() as conn:
            while not self.done.wait(0.2):
                row = conn.execute(text("""
                    SELECT count(*) FILTER (WHERE datname = current_database()),
                           count(*) FILTER (WHERE datname = current_database() AND state = 'active'), count(*)
                    FROM pg_stat_activity WHERE backend_type = 'client backend'""")).one()
                conn.rollback()  # a fresh snapshot of the statistics each time
                self.peak = {key: max(self.peak[key], value) for key, value in zip(self.peak, row)}


def measure(ports: list[int], seeded: list[dict], steps: list[int], rounds: int, duration: float, warm_up: float,
            sampler: ConnectionSampler, failures: list[str]) -> list[dict]:
    """Bookings, then searches, at concurrency 32 over both masters, sent to the first k communities for each k;
    ``rounds`` times over (1, 10, 50, 1, 10, 50: a noisy spell, or what a worker remembers, hits every k alike)."""
    common = {"host": "127.0.0.1", "port": ports[0], "ports": ports, "concurrency": CONCURRENCY,
              "terms": list(SEARCH_TERMS), "dates": search_dates(dt.datetime.now(ZONE).date())}
    for scenario in ("book", "search"):  # every worker: imports, pools, statement caches, the search's counts
        load(common | {"scenario": scenario, "duration_s": warm_up, "communities": seeded})
    table = []
    for n, k in enumerate(steps * rounds, start=2):
        row: dict = {"round": (n - 2) // len(steps) + 1, "communities": k}
        with sampler:
            for scenario in ("book", "search"):
                log(f"{k} communities: {scenario}, concurrency {CONCURRENCY}")
                # a seed of its own: the same one would send the residents of the run before to the same slots again
                row[scenario] = load(common | {"scenario": scenario, "duration_s": duration, "seed": n,
                                               "communities": seeded[:k]})
                failures += check_statuses(f"{k} communities {scenario}", scenario, row[scenario])
        row["connections_peak"] = sampler.peak
        table.append(row)
    return table


def postgres_limits(url: str) -> dict:
    engine = create_engine(url)
    with engine.connect() as conn:
        limits = {name: int(conn.execute(text(f"SHOW {name}")).scalar_one())
                  for name in ("max_connections", "superuser_reserved_connections")}
    engine.dispose()
    return limits


def drain(url: str, timeout: float) -> dict:
    """Wait for the worker to finish the outbox tasks the bookings made: the seconds that took after the load (None
    if it had not within ``timeout``) and the tasks by status then."""
    engine = create_engine(url)
    started = time.perf_counter()
    with engine.connect() as conn:
        while True:
            counts = dict(conn.execute(text("SELECT status, count(*) FROM outbox GROUP BY status")).all())
            conn.rollback()
            waited = time.perf_counter() - started
            busy = counts.get("pending", 0) + counts.get("running", 0)
            if not busy or waited > timeout:
                break
            time.sleep(0.5)
    engine.dispose()
    return {"drained_s": None if busy else round(waited, 1),
            "tasks": counts}


def serve(url: str, args, services: list[Service]) -> list[int]:
    """Two gunicorn masters of Linli, the worker and the scheduler (into ``services``, each as soon as it runs, so
    that a failure stops those started), all on the benchmark's broker; returns the masters' ports."""
    production = production_env(url, BROKER, BROKER)
    linli = os.path.join(os.path.dirname(sys.executable), "linli")
    for name in ("linli_a", "linli_b"):
        services.append(Server(name, "core:create_app()", production, ROOT, args))
    for name in ("worker", "scheduler"):
        services.append(Service(name, [linli, name], production, production["LINLI_INSTANCE_PATH"]))
    for server in services[:2]:
        server.wait_ready()
    return [server.port for server in services[:2]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="3 tiny communities, two months, 1 s runs")
    parser.add_argument("--communities", type=int, default=None, help="how many (default 50; smoke 3)")
    parser.add_argument("--residents", type=int, default=None, help="in all (default 100,000; smoke 300)")
    parser.add_argument("--duration", type=float, default=None, help="seconds per measured run (default 10)")
    parser.add_argument("--rounds", type=int, default=2, help="times the 1, 10, 50 communities are measured")
    add_gunicorn_options(parser)
    args = parser.parse_args()
    communities = args.communities or (3 if args.smoke else 50)
    steps = sorted({k for k in STEPS if k < communities} | {communities})
    duration = args.duration or (1.0 if args.smoke else 10.0)
    started = time.perf_counter()
    result: dict = {
        "mode": "smoke" if args.smoke else "full", "command": " ".join(["python", "bench/district.py", *sys.argv[1:]]),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_at_start": os.getloadavg()},
        "gunicorn": gunicorn_settings(args) | {"masters": 2}, "concurrency": CONCURRENCY,
    }
    failures: list[str] = []
    services: list[Service] = []
    with scratch_run(failures, services, clean_up=lambda: redis.Redis.from_url(BROKER).flushdb()) as url:
        t0 = time.perf_counter()
        result["dataset"], seeded = seed_district(url, args.smoke, communities,
                                                  args.residents or (300 if args.smoke else 100_000))
        result["seed_s"] = round(time.perf_counter() - t0, 1)
        log(f"seeded in {result['seed_s']} s: {result['dataset']['counts']}")

        redis.Redis.from_url(BROKER).flushdb()
        ports = serve(url, args, services)
        sampler = ConnectionSampler(url)
        result["scaling"] = measure(ports, seeded, steps, args.rounds, duration, 0.5 if args.smoke else 2.0, sampler,
                                    failures)
        log("waiting for the worker to finish the outbox")
        result["outbox_after_load"] = drain(url, timeout=30 if args.smoke else 180)
        if result["outbox_after_load"]["tasks"].get("failed"):
            failures.append(f"outbox tasks failed: {result['outbox_after_load']['tasks']}")
        for service in services:
            if service.process.poll() is not None:
                failures.append(f"{service.name} stopped during the load (exit {service.process.returncode})")
            service.stop()
        services.clear()
        sampler.engine.dispose()
        redis.Redis.from_url(BROKER).flushdb()
        result |= summary(result["scaling"], postgres_limits(url))

        check = oversell_check(url, {})
        result["oversell"] = check["places_beyond_capacity"] + check["taken_beyond_capacity"]
        result["oversell_check"] = check
        if result["oversell"]:
            failures.append(f"oversold: {result['oversell']} places beyond capacity")

        period = result["dataset"]["period"]
        log(f"month-end of the district: settle, evaluate and reconcile {period} in {communities} communities")
        env = {"LINLI_DATABASE_URL": url, "LINLI_SECRET_KEY": "bench", "LINLI_INSTANCE_PATH": tempfile.gettempdir()}
        result["monthend"] = month_end([",".join(c["community"] for c in seeded), period, "--evaluate"], env,
                                       failures, bookings=result["dataset"]["counts"]["bookings"])
    result["machine"]["load_average_at_end"] = os.getloadavg()
    return reported(result, failures, started)


def summary(scaling: list[dict], limits: dict) -> dict:
    """The headline: each step's throughput and p99 side by side, and whether connections ran short."""
    peak = max(row["connections_peak"]["server"] for row in scaling)
    short = peak >= limits["max_connections"] - limits["superuser_reserved_connections"]
    return {
        "scaling_table": [{"round": row["round"], "communities": row["communities"],
                           **{f"{scenario}_{key}": row[scenario][key] for scenario in ("book", "search")
                              for key in ("rps", "p50_ms", "p99_ms")},
                           "connections_peak": row["connections_peak"]["database"]} for row in scaling],
        "connections": {"peak_database": max(row["connections_peak"]["database"] for row in scaling),
                        "peak_server": peak, **limits, "ran_short": short,
                        "pgbouncer": "needed: the connections ran short" if short else "not needed"},
    }


if __name__ == "__main__":
    sys.exit(main())
