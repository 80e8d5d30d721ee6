"""Production's settings: every bad one named at once at start-up (by the app, the `linli` command and gunicorn,
without a traceback), the client's address and scheme through trusted proxies only, and the pool and the workers
sized from the environment."""
from __future__ import annotations

import runpy
import subprocess
import sys

import pytest
from click.testing import CliRunner

from core import config as configuration
from core import create_app, gunicorn_conf
from core.cli import main
from core.config import ConfigurationError
from tests.factories import make_user
from tests.server import ROOT

NEVER_CONNECTED = "postgresql+psycopg://linli@127.0.0.1:1/never_connected"
BAD = {"LINLI_ENV": "production", "LINLI_DATABASE_URL": "sqlite:///linli.db", "LINLI_WEB_WORKERS": "0",
       "LINLI_DB_POOL_SIZE": "ten", "LINLI_TRUSTED_PROXIES": "-1", "LINLI_LOG_FORMAT": "xml",
       "LINLI_DB_PRE_PING": "maybe", "LINLI_REDIS_URL": "", "LINLI_RATELIMIT_STORAGE": "", "LINLI_SECRET_KEY": "",
       "LINLI_BROKER_URL": ""}
NAMED = ["LINLI_WEB_WORKERS", "LINLI_DB_POOL_SIZE", "LINLI_TRUSTED_PROXIES", "LINLI_LOG_FORMAT", "LINLI_DB_PRE_PING",
         "PostgreSQL", "LINLI_SECRET_KEY", "LINLI_REDIS_URL", "LINLI_BROKER_URL"]


def test_every_problem_is_named_at_once(monkeypatch):
    for name, value in BAD.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as refused:
        create_app()
    assert len(refused.value.problems) == len(NAMED)
    message = str(refused.value)
    assert [name for name in NAMED if name not in message] == []
    assert "\n" not in message and "sqlite:///linli.db" not in message  # one paragraph, quoting no URL


def test_a_refused_value_is_quoted_short():
    with pytest.raises(ConfigurationError) as refused:
        configuration.check(configuration.from_environment({"LINLI_WEB_THREADS": "s3cr3t" * 20}))
    assert "s3cr3t" * 4 not in str(refused.value)


def test_numbers_are_checked_against_their_ranges():
    settings = configuration.from_environment({"LINLI_HOLD_MINUTES": "0.5", "LINLI_REMINDER_HOUR": "0"})
    configuration.check(settings)
    assert (settings["HOLD_MINUTES"], settings["REMINDER_HOUR"]) == (0.5, 0)
    with pytest.raises(ConfigurationError) as refused:
        configuration.check(configuration.from_environment({"LINLI_HOLD_MINUTES": "0", "LINLI_REMINDER_HOUR": "24"}))
    assert refused.value.problems == ["LINLI_REMINDER_HOUR must be a whole number from 0 to 23, not '24'",
                                      "LINLI_HOLD_MINUTES must be a number above 0, not '0'"]


def test_the_linli_command_says_what_is_wrong_without_a_traceback():
    result = CliRunner().invoke(main, ["check"], env=BAD)
    assert result.exit_code == 1
    assert result.output.startswith("Error: Linli cannot start with this configuration: ")
    assert "Traceback" not in result.output and all(name in result.output for name in NAMED)


def test_gunicorn_says_what_is_wrong_without_a_traceback(tmp_path):
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", "python:core.gunicorn_conf", "--no-control-socket",
                "--bind", "127.0.0.1:0", "core:create_app()"]
    refused = subprocess.run(gunicorn, cwd=ROOT, env={"PATH": "/usr/bin:/bin", **BAD}, capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert all(name in refused.stderr for name in NAMED), refused.stderr


# --- behind a proxy ---------------------------------------------------------------------------------------

FORWARDED_HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


@pytest.mark.parametrize("proxies, hsts", [(1, True), (0, False)])
def test_hsts_is_sent_when_a_trusted_proxy_received_https(make_app, proxies, hsts):
    response = make_app(TRUSTED_PROXIES=proxies).test_client().get("/healthz", headers=FORWARDED_HTTPS)
    assert ("Strict-Transport-Security" in response.headers) is hsts


def guesses(client, address: str, times: int) -> list[int]:
    return [client.post("/api/v1/auth/token", json={"email": f"guess-{n}@example.org", "password": "wrong"},
                        headers={"X-Forwarded-For": address}).status_code for n in range(times)]


def test_behind_a_trusted_proxy_logins_are_limited_per_client(make_app):
    client = make_app(TRUSTED_PROXIES=1, LOGIN_ADDRESS_RATE_LIMIT="2 per minute").test_client()
    assert guesses(client, "203.0.113.1", 3) == [401, 401, 429]
    assert guesses(client, "203.0.113.2", 1) == [401]  # another client behind the same proxy has its own count


def test_without_a_trusted_proxy_a_forwarded_address_is_ignored(make_app):
    client = make_app(TRUSTED_PROXIES=0, LOGIN_ADDRESS_RATE_LIMIT="2 per minute").test_client()
    assert guesses(client, "203.0.113.1", 2) == [401, 401]
    assert guesses(client, "203.0.113.2", 1) == [429]  # a header anyone can send buys no new attempts


def test_a_login_page_served_through_a_trusted_proxy_checks_its_form_against_the_public_address(make_app, db):
    """Over HTTPS the CSRF check compares the page a browser came from with this host: the proxy's, not ours."""
    from tests.test_security import csrf_token

    client = make_app(TRUSTED_PROXIES=1).test_client()
    user = make_user(db, "admin")
    db.commit()
    client.environ_base.update({"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "linli.example"})
    response = client.post("/login", data={"email": user.email, "password": "test-password",
                                           "csrf_token": csrf_token(client)},
                           headers={"Referer": "https://linli.example/login"})
    assert response.status_code == 303
    assert "Strict-Transport-Security" in response.headers


# --- sizes from the environment ----------------------------------------------------------------------------

def test_the_pool_is_sized_from_the_environment(make_app):
    pool = make_app(DATABASE_URL=NEVER_CONNECTED, DB_POOL_SIZE="3", DB_MAX_OVERFLOW="0",
                    DB_PRE_PING="false").extensions["linli"].db.engine.pool
    assert (pool.size(), pool._max_overflow, bool(pool.dispatch.checkout)) == (3, 0, False)  # no test of rested ones


def test_the_pool_follows_the_threads_by_default(make_app):
    app = make_app(DATABASE_URL=NEVER_CONNECTED, WEB_THREADS=8)
    pool = app.extensions["linli"].db.engine.pool
    assert (pool.size(), pool._max_overflow, bool(pool.dispatch.checkout)) == (10, 10, True)
    assert make_app(DATABASE_URL=NEVER_CONNECTED).extensions["linli"].db.engine.pool.size() == 5


def gunicorn_settings(monkeypatch, **environment) -> dict:
    """core/gunicorn_conf.py as gunicorn reads it, under these LINLI_* variables."""
    for name, value in environment.items():
        monkeypatch.setenv(f"LINLI_{name}", value)
    return runpy.run_path(gunicorn_conf.__file__)


def test_gunicorn_runs_two_sync_workers_per_core_by_default(monkeypatch):
    monkeypatch.delenv("LINLI_WEB_WORKERS", raising=False)
    monkeypatch.delenv("LINLI_WEB_THREADS", raising=False)
    settings = gunicorn_settings(monkeypatch)
    assert settings["workers"] == 2 * configuration.usable_cores()
    assert (settings["threads"], settings["worker_class"], settings["preload_app"]) == (1, "sync", True)


def test_gunicorn_takes_workers_and_threads_from_the_environment(monkeypatch):
    settings = gunicorn_settings(monkeypatch, WEB_WORKERS="3", WEB_THREADS="4", LOG_FORMAT="text")
    assert (settings["workers"], settings["threads"], settings["worker_class"]) == (3, 4, "gthread")
    assert settings["logconfig_dict"]["formatters"]["linli"]["()"] == "core.logs.TextLines"


@pytest.mark.parametrize("name, value", [("WEB_WORKERS", "0"), ("WEB_WORKERS", "four"), ("WEB_THREADS", "0"),
                                         ("WEB_THREADS", "1.5")])
def test_gunicorn_refuses_a_bad_number(monkeypatch, name, value):
    with pytest.raises(SystemExit) as refused:
        gunicorn_settings(monkeypatch, **{name: value})
    assert f"LINLI_{name} must be a whole number of at least 1, not '{value}'" in str(refused.value.code)
