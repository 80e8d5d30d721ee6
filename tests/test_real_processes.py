"""Linli runs by itself, from real processes: gunicorn, a Celery worker and the scheduler (beat) on PostgreSQL and
Redis, an SMTP server and a Stripe-like API on 127.0.0.1 — and after the bookings, no request at all.

A payment hold runs out and its places come back (its PaymentIntent cancelled); the confirmation and the day-before
reminder arrive in the inbox and by email. Then the worker is killed (SIGKILL, its whole process group) in the
middle of sending an email, and started again: the email arrives once, no notification is lost or doubled.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import pytest
import redis
from sqlalchemy import create_engine, func, make_url, select, text

from core.models import Booking, Notification, OutboxTask, Slot
from tests.conftest import CONFIGURED_URL
from tests.mail_support import Mailbox, free_port, serve
from tests.server import ROOT, gunicorn

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(420)]

LINLI = str(Path(sys.executable).parent / "linli")
SHANGHAI = ZoneInfo("Asia/Shanghai")


class SlowMailbox(Mailbox):
    """Takes its time over the mail of ``slow_for``: long enough to kill the sender in the middle of it. A message
    whose sender is gone before the server answers is not delivered (aiosmtpd cancels the handler)."""

    def __init__(self):
        super().__init__()
        self.slow_for: set[str] = set()
        self.receiving = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler name
        if self.slow_for & set(envelope.rcpt_tos):
            self.receiving.set()
            await asyncio.sleep(6)
        return await super().handle_DATA(server, session, envelope)

    def to(self, address: str) -> list:
        with self._arrived:
            return [m for m, rcpt in zip(self.messages, self.recipients) if address in rcpt]


class FakeStripe(BaseHTTPRequestHandler):
    """PaymentIntents as Stripe's API answers them, and the cancellations asked of it."""

    cancelled: list[str] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        form = dict(parse_qsl(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()))
        if self.path.endswith("/cancel"):
            intent = self.path.split("/")[3]
            FakeStripe.cancelled.append(intent)
            body = {"id": intent, "object": "payment_intent", "status": "canceled"}
        else:
            intent = f"pi_{form['metadata[booking_id]']}"
            body = {"id": intent, "object": "payment_intent", "status": "requires_payment_method",
                    "amount": int(form["amount"]), "currency": form["currency"], "client_secret": intent + "_secret"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def database(tmp_path):
    """A database of its own, at the latest schema with the demo data, made by the `linli` command."""
    name = f"linli_processes_{os.getpid()}"
    url = make_url(CONFIGURED_URL).set(database=name).render_as_string(hide_password=False)
    admin = create_engine(CONFIGURED_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    env = {**os.environ, "LINLI_DATABASE_URL": url, "LINLI_INSTANCE_PATH": str(tmp_path)}
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run([LINLI, *command], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def broker():
    """A Redis database of its own for Celery's queues, emptied before and after."""
    base = os.environ.get("LINLI_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
    url = base.rsplit("/", 1)[0] + "/10"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def stripe_api():
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), FakeStripe)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeStripe.cancelled = []
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def mailbox():
    box = SlowMailbox()
    server = serve(box, free_port())
    yield box
    server.stop()


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    """A `linli` process in a process group of its own (a Celery worker forks its pool: all of it dies together)."""
    with open(log, "ab") as out:
        return subprocess.Popen([LINLI, *command], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for(what, condition, timeout: float, logs: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.5)
    tails = "\n".join(f"== {log.name}\n{log.read_text()[-3000:]}" for log in sorted(logs.glob("*.log")))
    pytest.fail(f"waited {timeout} s for {what}\n{tails}")


def tomorrow_lunch(server) -> int:
    listings = server.request("GET", "/listings?community=heping&type=canteen")[1]["items"]
    slots = server.request("GET", f"/listings/{listings[0]['id']}/slots?per_page=100")[1]["items"]
    tomorrow = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=1)
    return next(s["id"] for s in slots if dt.datetime.fromisoformat(s["starts_at"]).date() == tomorrow)


def cleaning(server) -> int:
    listings = server.request("GET", "/listings?community=heping&type=housekeeping")[1]["items"]
    listing = next(item for item in listings if item["title"] == "Home cleaning, 2 hours")
    return server.request("GET", f"/listings/{listing['id']}/slots")[1]["items"][0]["id"]


def token(server, who: str) -> str:
    return server.request("POST", "/auth/token", body={"email": f"{who}@example.org",
                                                      "password": "demo-password"})[1]["token"]


def test_holds_expire_and_messages_arrive_with_no_request_and_a_killed_worker_loses_none(
        database, broker, stripe_api, mailbox, tmp_path):
    env = {**os.environ, "LINLI_DATABASE_URL": database, "LINLI_BROKER_URL": broker, "LINLI_SMTP_URL": mailbox.url,
           "LINLI_MAIL_FROM": "Linli <linli@example.org>", "LINLI_HOLD_MINUTES": "0.1", "LINLI_REMINDER_HOUR": "0",
           "LINLI_TASK_LEASE_SECONDS": "8", "LINLI_STRIPE_SECRET_KEY": "sk_test_processes",
           "LINLI_STRIPE_API_BASE": stripe_api, "LINLI_SECRET_KEY": "test-secret",
           "LINLI_INSTANCE_PATH": str(tmp_path), "C_FORCE_ROOT": "1"}
    engine = create_engine(database)
    worker = start(["worker", "--concurrency", "1"], env, tmp_path / "worker.log")
    scheduler = start(["scheduler"], env, tmp_path / "scheduler.log")
    try:
        with gunicorn(database, tmp_path, workers=2, env=env) as server:
            senior, adult = token(server, "senior68"), token(server, "adult")
            status, lunch = server.request("POST", "/bookings", senior, {
                "slot_id": tomorrow_lunch(server), "quantity": 1, "payment_method": "cash"})
            assert status == 201 and lunch["status"] == "confirmed", lunch
            slot = cleaning(server)
            status, held = server.request("POST", "/bookings", adult, {
                "slot_id": slot, "payment_method": "stripe", "details": {"address": "Heping Road 1"}})
            assert status == 201 and held["status"] == "pending_payment", held

            # From here on, no request: the worker and the scheduler do the rest.
            def expired():
                with engine.connect() as conn:
                    return (conn.scalar(select(Booking.status).where(Booking.id == held["id"])) == "expired"
                            and conn.scalar(select(Slot.taken).where(Slot.id == slot)) == 0)

            wait_for("the hold to run out", expired, 150, tmp_path)
            wait_for("the PaymentIntent to be cancelled", lambda: FakeStripe.cancelled == [f"pi_{held['id']}"],
                     60, tmp_path)

            def senior_told():
                with engine.connect() as conn:
                    kinds = conn.scalars(select(Notification.kind).where(
                        Notification.key.like(f"%:{lunch['id']}"))).all()
                return sorted(kinds) == ["booking_confirmed", "booking_reminder"] and len(
                    mailbox.to("senior68@example.org")) == 2

            wait_for("the confirmation and the reminder, in the inbox and by email", senior_told, 150, tmp_path)
            subjects = sorted(m["Subject"] for m in mailbox.to("senior68@example.org"))
            assert any("社区午餐" in subject for subject in subjects), subjects

            # The worker dies in the middle of sending an email.
            mailbox.slow_for = {"lowincome@example.org"}
            status, another = server.request("POST", "/bookings", token(server, "lowincome"), {
                "slot_id": tomorrow_lunch(server), "quantity": 1, "payment_method": "cash"})
            assert status == 201, another
            assert mailbox.receiving.wait(60), (tmp_path / "worker.log").read_text()[-3000:]
            stop(worker, signal.SIGKILL)
            assert mailbox.to("lowincome@example.org") == []
            worker = start(["worker", "--concurrency", "1"], env, tmp_path / "worker.log")

            def all_delivered():
                with engine.connect() as conn:
                    left = conn.scalar(select(func.count()).select_from(OutboxTask)
                                       .where(OutboxTask.status != "done"))
                    told = conn.scalars(select(Notification.kind).where(
                        Notification.key.like(f"%:{another['id']}"))).all()
                return left == 0 and sorted(told) == ["booking_confirmed", "booking_reminder"] and len(
                    mailbox.to("lowincome@example.org")) == 2

            wait_for("the killed worker's email to be sent again", all_delivered, 150, tmp_path)
            time.sleep(2)  # a duplicate, if there were one, would have arrived by now: everything is done
            mails = mailbox.to("lowincome@example.org")
            assert len(mails) == 2 and len({m["Message-ID"] for m in mails}) == 2
            with engine.connect() as conn:
                assert conn.scalar(select(func.count()).select_from(OutboxTask)
                                   .where(OutboxTask.attempts > 1)) >= 1  # the killed one was taken over
    finally:
        stop(worker)
        stop(scheduler)
        engine.dispose()
