"""What an operator's tools call: /healthz, /readyz (database, migrations at head, broker), /metrics behind its
token (latency by endpoint, counts read at scrape time), and the request id every request carries; then the same
under gunicorn with three workers: one scrape adds up every worker, and the access log is JSON with the id."""
from __future__ import annotations

import http.client
import json
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from core import gunicorn_conf, request_ids
from core.models import Booking, JobRun, OutboxTask
from tests.server import gunicorn
from tests.test_security import redis_url  # noqa: F401 - the fixture

TOKEN = "metrics-token-for-the-tests"
NOWHERE = "postgresql+psycopg://linli@127.0.0.1:1/never_answers"
"""A database that does not answer (nothing listens on port 1)."""


@pytest.fixture
def app(make_app):
    return make_app(METRICS_TOKEN=TOKEN)


def scrape(client, token=TOKEN) -> dict[tuple, float]:
    """The samples of one scrape, keyed by name and labels."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return samples(response.get_data(as_text=True))


def samples(text: str) -> dict[tuple, float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def requests_of(found: dict, endpoint: str, status: str, method: str = "GET") -> float:
    key = ("linli_http_request_duration_seconds_count", (("endpoint", endpoint), ("method", method),
                                                         ("status", status)))
    return found.get(key, 0)


def test_the_operators_routes_are_outside_the_api_and_its_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert not [path for path in paths if path.endswith(("healthz", "readyz", "metrics"))]


# --- health and readiness -------------------------------------------------------------------------------

def test_healthz_answers_without_asking_the_database(make_app):
    response = make_app(DATABASE_URL=NOWHERE).test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_readyz_is_ready_on_a_database_at_the_migrations_heads(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "failed": [], "checks": {
        "database": "ok", "migrations": "ok", "broker": "not configured"}}


def test_readyz_names_a_database_that_does_not_answer(make_app):
    response = make_app(DATABASE_URL=NOWHERE).test_client().get("/readyz")
    assert response.status_code == 503 and response.is_json
    body = response.get_json()
    assert body["status"] == "unavailable" and body["failed"] == ["database"]
    assert body["checks"]["migrations"].startswith("not checked")
    assert "never_answers" not in response.get_data(as_text=True)  # the public answer quotes no address


def test_readyz_names_migrations_not_at_head(make_app, tmp_path):
    behind = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'never-migrated.db'}").test_client().get("/readyz")
    assert behind.status_code == 503
    assert behind.get_json()["failed"] == ["migrations"]
    assert "linli db upgrade" in behind.get_json()["checks"]["migrations"]


def test_readyz_pings_the_broker_when_one_is_configured(make_app, redis_url):  # noqa: F811
    assert make_app(BROKER_URL=redis_url).test_client().get("/readyz").get_json()["checks"]["broker"] == "ok"
    down = make_app(BROKER_URL="redis://127.0.0.1:1/0").test_client().get("/readyz")
    assert down.status_code == 503 and down.get_json()["failed"] == ["broker"]


# --- metrics ----------------------------------------------------------------------------------------------

def test_metrics_are_a_404_without_a_configured_token(make_app):
    app = make_app(METRICS_TOKEN=None)
    assert app.test_client().get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404
    assert "linli_metrics" not in app.extensions  # and nothing is measured that nobody may read


@pytest.mark.parametrize("authorization", [None, f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer "])
def test_metrics_refuse_a_missing_or_wrong_token(client, authorization):
    response = client.get("/metrics", headers={"Authorization": authorization} if authorization else {})
    assert response.status_code == 401 and response.get_json()["code"] == "metrics_token_refused"
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")


def test_request_latency_is_labelled_by_endpoint_never_by_path(client):
    client.get("/api/v1/communities")
    client.get("/api/v1/bookings/987654")  # anonymous: a 401
    client.get("/no/such/page/876543")
    found = scrape(client)
    assert requests_of(found, "communities.list_communities", "2xx") == 1
    assert requests_of(found, "unmatched", "4xx") == 1
    assert sum(value for (name, labels), value in found.items() if name.endswith("_count")
               and dict(labels)["status"] == "4xx" and dict(labels)["endpoint"].startswith("bookings.")) == 1
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).get_data(as_text=True)
    assert "987654" not in text and "876543" not in text


def test_bookings_are_counted_by_status_when_scraped(demo, client, db):
    counted = {status: count for status, count in db.execute(
        select(Booking.status, func.count()).group_by(Booking.status))}
    found = scrape(client)
    assert found[("linli_database_up", ())] == 1
    for status in ("confirmed", "cancelled", "pending_payment"):
        assert found[("linli_bookings", (("status", status),))] == counted.get(status, 0)
    slot = demo.slots("Community lunch")[0]
    assert demo.api("senior68").post("/bookings", {"slot_id": slot["id"], "payment_method": "cash"}).status_code == 201
    assert scrape(client)[("linli_bookings", (("status", "confirmed"),))] == counted.get("confirmed", 0) + 1


def test_the_queue_and_the_jobs_failures_are_counted_when_scraped(client, db):
    db.add_all([OutboxTask(task="deliver", status=status) for status in ("pending", "pending", "failed", "done")]
               + [JobRun(name=name, status=status) for name, status in (
                   ("expire_holds", "failed"), ("expire_holds", "failed"), ("expire_holds", "ok"), ("check", "ok"))])
    db.commit()
    found = scrape(client)
    assert {status: found[("linli_queue_tasks", (("status", status),))] for status in ("pending", "running", "failed")} \
        == {"pending": 2, "running": 0, "failed": 1}
    assert ("linli_queue_tasks", (("status", "done"),)) not in found  # history, not depth
    assert found[("linli_job_failures", (("name", "expire_holds"),))] == 2
    assert found[("linli_job_failures", (("name", "check"),))] == 0  # a job that ran has a series before it fails


def test_a_database_down_still_gives_the_request_metrics(make_app):
    client = make_app(DATABASE_URL=NOWHERE, METRICS_TOKEN=TOKEN).test_client()
    client.get("/healthz")
    found = scrape(client)
    assert found[("linli_database_up", ())] == 0
    assert requests_of(found, "operations.healthz", "2xx") == 1


# --- request ids ----------------------------------------------------------------------------------------

def test_every_response_carries_its_request_id_taken_from_a_sane_header_or_made(client):
    made = client.get("/healthz").headers["X-Request-ID"]
    assert len(made) == 32 and made != client.get("/healthz").headers["X-Request-ID"]
    assert client.get("/healthz", headers={"X-Request-ID": "lb-7f3a-01"}).headers["X-Request-ID"] == "lb-7f3a-01"
    for insane in ("two words", "x" * 65, "quote\"d", "line\\nbreak", "-leading-dash"):
        replaced = client.get("/api/v1/communities", headers={"X-Request-ID": insane}).headers["X-Request-ID"]
        assert replaced != insane and request_ids.SANE.fullmatch(replaced)
    assert request_ids.CURRENT.get() is None  # forgotten once the request is over


@pytest.mark.parametrize("form", ["json", "text"])
def test_the_linli_command_logs_in_the_configured_form(tmp_path, form):
    linli = Path(sys.executable).parent / "linli"
    environment = {"PATH": "/usr/bin:/bin", "LINLI_INSTANCE_PATH": str(tmp_path), "LINLI_LOG_FORMAT": form,
                   "LINLI_DATABASE_URL": f"sqlite:///{tmp_path / 'linli.db'}"}
    upgraded = subprocess.run([str(linli), "db", "upgrade"], env=environment, capture_output=True, text=True,
                              timeout=120)
    assert upgraded.returncode == 0, upgraded.stderr
    lines = [line for line in upgraded.stderr.splitlines() if "Running upgrade" in line]
    assert lines
    if form == "json":
        assert all(json.loads(line)["logger"] == "alembic.runtime.migration" for line in lines)
    else:
        assert all(" INFO alembic.runtime.migration [-] Running upgrade" in line for line in lines)


# --- under gunicorn ---------------------------------------------------------------------------------------

def get(port: int, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_gunicorn_workers_add_up_in_one_scrape_and_log_json_access_lines(database_url, tmp_path):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    settings = {"LINLI_METRICS_TOKEN": TOKEN, "LINLI_LOG_FORMAT": "json", "TMPDIR": str(temporary)}
    with gunicorn(database_url, tmp_path, workers=3, env=settings, config=True) as server:
        for _ in range(30):
            assert get(server.port, "/healthz")[0] == 200
        status, _ = get(server.port, "/api/v1/listings?q=13812345678", {"X-Request-ID": "trace-0042"})
        assert status == 200
        scrapes = [samples(get(server.port, "/metrics", {"Authorization": f"Bearer {TOKEN}"})[1].decode())
                   for _ in range(3)]
        [folder] = temporary.glob("linli-metrics-*")  # made by the master for this run
        measured_by = list(folder.glob("histogram_*.db"))
    assert len(measured_by) > 1  # several workers measured
    assert [requests_of(found, "operations.healthz", "2xx") for found in scrapes] == [30, 30, 30]
    assert not folder.exists()  # removed when gunicorn stopped

    log = (tmp_path / "gunicorn.log").read_text()
    lines = [json.loads(line) for line in log.splitlines()]  # every line is one JSON object
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    search = next(line for line in access if line["request_id"] == "trace-0042")
    assert (search["method"], search["path"], search["status"]) == ("GET", "/api/v1/listings", 200)
    assert sum(line["path"] == "/healthz" for line in access) == 30
    assert all(line["request_id"] for line in access)
    assert "13812345678" not in log  # no query string reaches the log


def test_an_operators_metrics_folder_is_emptied_at_start(tmp_path, monkeypatch):
    """What a previous run left there would be counted again by every scrape."""
    from prometheus_client import values

    (tmp_path / "histogram_1.db").write_bytes(b"left by a previous run")
    (tmp_path / "notes.txt").write_text("not ours")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    try:
        gunicorn_conf.on_starting(server=None)
        assert values.ValueClass is not values.MutexValue  # the workers will write to the folder
    finally:
        monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
        values.ValueClass = values.get_value_class()  # this process measures in memory again
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]
