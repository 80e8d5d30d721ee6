"""Linli's benchmark: bookings and search under gunicorn against a baseline, the counter, and month-end at scale.

    python bench/run.py            # full: 10,000 listings, 1,000,000 bookings and ledger entries (minutes)
    python bench/run.py --smoke    # the same steps on tiny data, in seconds (CI)

PostgreSQL is ``LINLI_BENCH_DATABASE_URL`` (default
postgresql+psycopg://postgres@127.0.0.1:5432/linli_bench); the run works in a
scratch schema it creates and drops. It prints one JSON document (see
bench/README.md) and exits 1 when the oversell check fails (or a server answered
5xx, or month-end or verify-ledger failed).
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import redis

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path[:0] = [ROOT, BENCH]

import counter  # noqa: E402
from scratch import Scratch  # noqa: E402
from seed import APPS, CONCURRENCIES, Sizes, seed  # noqa: E402

from core import gunicorn_conf  # noqa: E402

# Both apps are served with Linli's production settings, argued in bench/README.md.
GUNICORN_CONF = gunicorn_conf.__file__


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    """A long-running command in its own process group, its output in a log file."""

    def __init__(self, name: str, command: list[str], env: dict, cwd: str):
        self.name = name
        self.log = tempfile.NamedTemporaryFile("w+", prefix=f"bench-{name}-", suffix=".log", delete=False)
        self.process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env}, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        if self.log.closed:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the master stops its workers gracefully
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # the group this run started
                self.process.wait()
        self.log.close()
        os.unlink(self.log.name)


class Server(Service):
    """A gunicorn serving one WSGI app on a loopback port, in its own process group."""

    def __init__(self, name: str, app: str, env: dict, cwd: str, args):
        self.port = free_port()
        command = [sys.executable, "-m", "gunicorn", "--config", GUNICORN_CONF, "--bind", f"127.0.0.1:{self.port}",
                   "--workers", str(args.workers), "--worker-class", args.worker_class,
                   "--no-control-socket", "--log-level", "warning"]
        if args.worker_class == "gthread":
            command += ["--threads", str(args.threads)]
        super().__init__(name, command + [app], env, cwd)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/operator-types", timeout=2).read()
                return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                time.sleep(0.2)
        self.log.flush()
        self.log.seek(0)
        output = self.log.read()[-3000:]
        self.stop()
        raise RuntimeError(f"{self.name} did not start:\n{output}")


def load(spec: dict) -> dict:
    """Run the load generator in its own process; return its JSON."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
    try:
        out = subprocess.run([sys.executable, os.path.join(BENCH, "load.py"), f.name], capture_output=True,
                             text=True, timeout=float(spec["duration_s"]) + 150, check=True)
    finally:
        os.unlink(f.name)
    return json.loads(out.stdout)


def run_measured(command: list[str], env: dict, timeout: float) -> tuple[float, int, int, str]:
    """Run a command: (wall seconds, exit status, peak RSS in KiB of that process, stdout)."""
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        return elapsed, process.returncode, usage.ru_maxrss, out.read()


def check_statuses(label: str, scenario: str, run: dict) -> list[str]:
    """A load run's failures: any 5xx or connection error, or a status the scenario never answers."""
    failures = []
    bad = {s: n for s, n in run["statuses"].items() if s.startswith("5")}
    if bad or run["errors"]:
        failures.append(f"{label}: server errors {bad} {run['errors']}")
    expected = {"200"} if scenario == "search" or scenario.startswith("register") else {"201", "409"}
    if set(run["statuses"]) - expected:
        failures.append(f"{label}: unexpected statuses {run['statuses']}")
    return failures


def month_end(arguments: list[str], env: dict, failures: list[str], **context) -> dict:
    """bench/monthend.py with ``arguments`` in its own process: its JSON, wall time, exit status and peak memory."""
    wall, status, rss_kib, out = run_measured([sys.executable, os.path.join(BENCH, "monthend.py"), *arguments], env,
                                              timeout=1200)
    monthend = {"wall_s": round(wall, 2), "exit": status, "peak_rss_mb": round(rss_kib / 1024, 1)} | context
    try:
        monthend |= json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        monthend["output"] = out[-2000:]
    if status != 0:
        failures.append(f"month-end failed with status {status}")
    return monthend


def oversell_check(url: str, hot_slots: dict[str, dict[int, int]]) -> dict:
    """From the database: places held beyond capacity per slot, summed; and whether ``taken`` agrees."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(text("""
            WITH held AS (SELECT slot_id, sum(quantity) AS places FROM bookings
                          WHERE status IN ('pending_payment', 'confirmed', 'fulfilled', 'no_show') GROUP BY slot_id)
            SELECT count(*) FILTER (WHERE coalesce(h.places, 0) > s.capacity OR s.taken > s.capacity),
                   coalesce(sum(greatest(coalesce(h.places, 0) - s.capacity, 0)), 0),
                   coalesce(sum(greatest(s.taken - s.capacity, 0)), 0),
                   count(*) FILTER (WHERE s.taken <> coalesce(h.places, 0)),
                   count(*)
            FROM slots s LEFT JOIN held h ON h.slot_id = s.id""")).one()
        hot = {app: {str(c): conn.execute(text("SELECT capacity, taken FROM slots WHERE id = :i"),
                                          {"i": slot}).one()._asdict()
                     for c, slot in by_c.items()} for app, by_c in hot_slots.items()}
    engine.dispose()
    return {"slots_checked": row[4], "slots_over_capacity": row[0], "places_beyond_capacity": int(row[1]),
            "taken_beyond_capacity": int(row[2]), "slots_where_taken_differs_from_bookings": row[3],
            "hot_slots": hot}


@contextlib.contextmanager
def scratch_run(failures: list[str], services: list[Service], clean_up=lambda: None):
    """The URL of a fresh scratch schema with Linli's tables. An error, Ctrl+C or SIGTERM inside ends the run as a
    failure in the JSON, not a traceback; in any case the services are stopped, ``clean_up()`` runs and the
    schema is dropped."""
    scratch = Scratch()
    previous_term = signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        scratch.create()
        log(f"scratch schema {scratch.schema}; migrating")
        scratch.migrate()
        yield scratch.url_string
    except KeyboardInterrupt:
        failures.append("interrupted")
    except Exception as e:  # noqa: BLE001 - reported in the JSON, and the run fails
        import traceback

        traceback.print_exc()
        failures.append(f"{type(e).__name__}: {e}")
    finally:
        for service in services:
            service.stop()
        clean_up()
        scratch.drop()
        signal.signal(signal.SIGTERM, previous_term)


def reported(result: dict, failures: list[str], started: float) -> int:
    """Print the run's JSON; the exit status: 1 when a check failed."""
    result["total_s"] = round(time.perf_counter() - started, 1)
    result["failures"] = failures
    print(json.dumps(result, indent=2))
    return 1 if failures else 0


def add_gunicorn_options(parser: argparse.ArgumentParser) -> None:
    """--workers, --worker-class, --threads: override core/gunicorn_conf.py's production settings."""
    parser.add_argument("--workers", type=int, default=gunicorn_conf.workers)
    parser.add_argument("--worker-class", default=gunicorn_conf.worker_class, choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread only)")


def gunicorn_settings(args) -> dict:
    return {"config": os.path.relpath(GUNICORN_CONF, ROOT), "workers": args.workers, "worker_class": args.worker_class,
            "threads": args.threads if args.worker_class == "gthread" else 1}


def production_env(url: str, broker: str, redis_url: str) -> dict:
    """The environment Linli is served with: production, a fresh secret, its Redis and broker, an instance folder."""
    return {"LINLI_ENV": "production", "LINLI_SECRET_KEY": secrets.token_urlsafe(32), "LINLI_REDIS_URL": redis_url,
            "LINLI_BROKER_URL": broker, "LINLI_DATABASE_URL": url,
            "LINLI_INSTANCE_PATH": tempfile.mkdtemp(prefix="bench-instance-")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny data and short runs (CI)")
    parser.add_argument("--duration", type=float, default=None, help="seconds per measured run")
    add_gunicorn_options(parser)
    parser.add_argument("--skip-load", action="store_true", help="only seed and month-end (development)")
    parser.add_argument("--skip-monthend", action="store_true", help="no month-end and verify-ledger (development)")
    parser.add_argument("--sizes", default="", help="development: override sizes, e.g. bookings=100000,listings=1000")
    parser.add_argument("--before", metavar="DIR", default=None,
                        help="also serve the Linli of DIR (a checkout of an earlier commit, same schema) as the app "
                             "linli_before, interleaved with the others: old and new measured in one run")
    args = parser.parse_args()
    apps = APPS if args.before is None else ("linli", "linli_before", *APPS[1:])
    sizes = Sizes.smoke() if args.smoke else Sizes.full()
    for item in filter(None, args.sizes.split(",")):
        name, _, value = item.partition("=")
        setattr(sizes, name, int(value))
    duration = args.duration or (1.0 if args.smoke else 10.0)
    command = " ".join(["python", "bench/run.py", *sys.argv[1:]])
    started = time.perf_counter()
    failures: list[str] = []
    result: dict = {
        "mode": ("smoke" if args.smoke else "full") + (f" (sizes {args.sizes})" if args.sizes else ""),
        "command": command,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "gunicorn": gunicorn_settings(args),
    }
    servers: list[Server] = []
    with scratch_run(failures, servers) as url:
        t0 = time.perf_counter()
        seeded = seed(url, sizes, log=log, apps=apps)
        result["dataset"] = seeded.counts | {"period": seeded.period}
        result["seed_s"] = round(time.perf_counter() - t0, 1)
        result["seed_steps_s"] = seeded.timings
        log(f"seeded in {result['seed_s']} s: {seeded.counts}")
        window = counter.seed(url, seeded.community_id, sizes.register, sizes.hot_capacity, log=log)
        result["dataset"]["register"] = sizes.register
        result["seed_steps_s"] |= window.timings
        result["register_plans"] = window.plans

        if not args.skip_load:
            # Production counts logins in Redis; the load sends seeded tokens, so no request reaches it. It tells
            # a worker of the tasks its commits wrote through the broker; no worker runs here (it would take the
            # web's cores): what is measured is the web's share, the outbox's rows and the nudges.
            broker = os.environ.get("LINLI_BENCH_BROKER_URL") or "redis://127.0.0.1:6379/3"
            redis.Redis.from_url(broker).flushdb()
            production = production_env(url, broker, os.environ.get("LINLI_REDIS_URL") or "redis://127.0.0.1:6379/0")
            linli = Server("linli", "core:create_app()", production, ROOT, args)
            servers.append(linli)
            baseline = Server("baseline", "baseline_app:create_app()", {"BASELINE_DATABASE_URL": url}, BENCH, args)
            servers.append(baseline)
            ports = {"linli": linli.port, "baseline": baseline.port, "baseline_orm": baseline.port}
            if args.before:  # its own source first on the path, ahead of this checkout's editable install
                before = os.path.abspath(args.before)
                servers.append(Server("linli_before", "core:create_app()", production | {"PYTHONPATH": before},
                                      before, args))
                ports["linli_before"] = servers[-1].port
            for server in servers:
                server.wait_ready()
            common = {"host": "127.0.0.1", "tokens": seeded.tokens, "resident_ids": seeded.resident_ids,
                      "community": seeded.community_slug, "terms": seeded.search_terms, "dates": seeded.search_dates}
            scenario_of = {"linli": "book", "linli_before": "book", "baseline": "baseline",
                           "baseline_orm": "baseline_orm"}
            searched = [name for name in apps if name.startswith("linli")]
            for app_name in apps:  # warm every worker up: imports, connection pools, statement caches
                load(common | {"port": ports[app_name], "scenario": scenario_of[app_name], "concurrency": 8,
                               "duration_s": 0.5 if args.smoke else 2.0,
                               "slot_ids": seeded.spread_slots[app_name]})
            for app_name in searched:
                load(common | {"port": ports[app_name], "scenario": "search", "concurrency": 8,
                               "duration_s": 0.5 if args.smoke else 2.0})
            scenarios: dict = {app_name: {"hot": {}, "spread": {}} for app_name in apps}
            for app_name in searched:
                scenarios[app_name]["search"] = {}
            for c in CONCURRENCIES:
                for app_name in apps:  # interleaved, so that a noisy neighbour hits every app alike
                    log(f"{app_name}: hot slot, concurrency {c}")
                    scenarios[app_name]["hot"][f"c{c}"] = load(common | {
                        "port": ports[app_name], "scenario": scenario_of[app_name], "concurrency": c,
                        "duration_s": 60, "max_requests": sizes.hot_capacity * 3, "stop_on": 409,
                        "slot_ids": [seeded.hot_slots[app_name][c]]})
                    log(f"{app_name}: spread bookings, concurrency {c}")
                    scenarios[app_name]["spread"][f"c{c}"] = load(common | {
                        "port": ports[app_name], "scenario": scenario_of[app_name], "concurrency": c,
                        "duration_s": duration, "slot_ids": seeded.spread_slots[app_name]})
                for app_name in searched:
                    log(f"{app_name}: search, concurrency {c}")
                    scenarios[app_name]["search"][f"c{c}"] = load(common | {
                        "port": ports[app_name], "scenario": "search", "concurrency": c, "duration_s": duration})
            scenarios["linli"] |= counter.measure(load, window, linli.port, duration, 0.5 if args.smoke else 2.0, log)
            for server in servers:
                server.stop()
            servers.clear()
            redis.Redis.from_url(broker).flushdb()  # the nudges no worker took
            result["scenarios"] = scenarios
            for app_name, by_scenario in scenarios.items():
                for name, by_c in by_scenario.items():
                    for c, run in by_c.items():
                        failures += check_statuses(f"{app_name} {name} {c}", name, run)
            spread = scenarios["linli"]["spread"]["c32"]["rps"]
            result["booking_rps_c32"] = spread
            for baseline_name in APPS[1:]:  # baseline_rps_c32, booking_vs_baseline_c32, and the ORM one's
                base = scenarios[baseline_name]["spread"]["c32"]["rps"]
                result[f"{baseline_name}_rps_c32"] = base
                result[f"booking_vs_{baseline_name}_c32"] = round(spread / base, 3) if base else None
                if args.before:
                    before = scenarios["linli_before"]["spread"]["c32"]["rps"]
                    result[f"before_booking_vs_{baseline_name}_c32"] = round(before / base, 3) if base else None
            result["search_p99_ms"] = scenarios["linli"]["search"]["c8"]["p99_ms"]
            if args.before:
                result["before_search_p99_ms"] = scenarios["linli_before"]["search"]["c8"]["p99_ms"]
            result["search_p99_ms_by_concurrency"] = {c: r["p99_ms"] for c, r in
                                                      scenarios["linli"]["search"].items()}
            result |= counter.summary(scenarios["linli"])

        check = oversell_check(url, seeded.hot_slots)
        result["oversell"] = check["places_beyond_capacity"] + check["taken_beyond_capacity"]
        result["oversell_check"] = check
        if result["oversell"]:
            failures.append(f"oversold: {result['oversell']} places beyond capacity")
        if not args.skip_load:
            for app_name, by_c in check["hot_slots"].items():
                for c, slot in by_c.items():
                    if slot["taken"] != slot["capacity"]:
                        failures.append(f"{app_name} hot slot c{c}: {slot['taken']} of {slot['capacity']} sold")
            check["counter_slot"] = sold = counter.sold_out(url, window)
            if not sold["taken"] == sold["sold"] == sold["capacity"]:
                failures.append(f"the counter's lunch: {sold['sold']} sold, {sold['taken']} taken of {sold['capacity']}")

        if not args.skip_monthend:
            env = {"LINLI_DATABASE_URL": url, "LINLI_SECRET_KEY": "bench", "LINLI_INSTANCE_PATH": tempfile.gettempdir()}
            log(f"month-end: settle and reconcile {seeded.period}")
            result["monthend"] = month_end([seeded.community_slug, seeded.period], env, failures,
                                           bookings=seeded.counts["bookings"], operators=seeded.counts["operators"])
            log("verify-ledger")
            linli_cli = os.path.join(os.path.dirname(sys.executable), "linli")
            wall, status, rss_kib, out = run_measured([linli_cli, "verify-ledger", "--community",
                                                       seeded.community_slug], env, timeout=1800)
            result["verify_ledger"] = {"wall_s": round(wall, 2), "exit": status, "peak_rss_mb": round(rss_kib / 1024, 1),
                                       "entries": seeded.counts["journal_entries"], "output": out.strip()[-500:]}
            if status != 0:
                failures.append(f"verify-ledger failed with status {status}: {out.strip()[-300:]}")
    return reported(result, failures, started)


if __name__ == "__main__":
    sys.exit(main())
