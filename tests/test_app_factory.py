"""The app factory: configuration from LINLI_* variables and safe defaults."""
import gc
from unittest.mock import patch

import flask_smorest
import pytest

from core import create_app, gunicorn_conf
from core.api.common import ApiBlueprint, _instance_of
from core.api.listings import ListingQuery
from tests.factories import listening


def test_secret_key_is_generated_once_and_kept_in_the_instance_folder(tmp_path, monkeypatch, database_url):
    monkeypatch.setenv("LINLI_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("LINLI_SECRET_KEY", raising=False)
    first = create_app({"DATABASE_URL": database_url})
    second = create_app({"DATABASE_URL": database_url})
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch, database_url):
    monkeypatch.setenv("LINLI_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("LINLI_SECRET_KEY", raising=False)
    monkeypatch.setenv("LINLI_ENV", "production")
    with pytest.raises(RuntimeError, match="LINLI_SECRET_KEY"):
        create_app({"DATABASE_URL": database_url})


def test_database_defaults_to_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("LINLI_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("LINLI_DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'linli.db'}"


def test_environment_variables_configure_the_app(tmp_path, monkeypatch, database_url):
    monkeypatch.setenv("LINLI_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("LINLI_HOLD_MINUTES", "7")
    monkeypatch.setenv("LINLI_SECRET_KEY", "from-the-environment")
    app = create_app({"DATABASE_URL": database_url})
    assert app.config["HOLD_MINUTES"] == 7
    assert app.config["SECRET_KEY"] == "from-the-environment"


def test_unknown_paths_and_methods_answer_json(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response.is_json
    response = client.delete("/api/v1/communities")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]


def test_a_body_that_is_not_json_is_a_415(client):
    response = client.post("/api/v1/auth/token", data="email=a&password=b",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and response.get_json()["code"] == "unsupported_media_type"


def test_the_production_server_freezes_the_masters_objects_before_each_fork():
    before = gc.get_freeze_count()
    try:
        gunicorn_conf.pre_fork(server=None, worker=None)
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()


def test_a_read_request_reads_outside_a_transaction_on_postgresql_and_deferred_on_sqlite(app, client):
    """GET and HEAD sessions: on PostgreSQL no BEGIN and ROLLBACK round trips; on SQLite no write lock."""
    seen = []

    def record(conn, cursor, statement, *rest):
        seen.append((conn.get_execution_options().get("deferred_begin", False),
                     getattr(conn.connection.dbapi_connection, "autocommit", None)))

    engine = app.extensions["linli"].db.engine
    with listening(engine, "before_cursor_execute", record):
        assert client.get("/api/v1/communities").status_code == 200
        reads, seen[:] = set(seen), []
        assert client.post("/api/v1/auth/token", json={"email": "nobody@test.example", "password": "x"}).status_code == 401
        writes = set(seen)
    if engine.dialect.name == "postgresql":
        assert reads == {(False, True)} and writes == {(False, False)}
    else:
        assert reads == {(True, None)} and writes == {(False, None)}


INIT = ListingQuery.__init__


def test_every_api_blueprint_builds_each_argument_schema_once(app, client):
    """flask-smorest hands webargs a schema class; building an instance per request copies every field again."""
    smorest = [bp for bp in app.blueprints.values() if isinstance(bp, flask_smorest.Blueprint)]
    assert {"bookings", "listings", "canteen", "workshop"} <= {bp.name for bp in smorest}
    assert all(isinstance(bp, ApiBlueprint) for bp in smorest)  # plugins' blueprints too
    built = []
    with patch.object(ListingQuery, "__init__", side_effect=lambda *a, **k: built.append(1) or INIT(*a, **k),
                      autospec=True):
        _instance_of.cache_clear()
        for page in (1, 2, 1):
            assert client.get(f"/api/v1/listings?page={page}").status_code == 200
        assert client.get("/api/v1/listings?page=0").status_code == 422  # the one instance still validates
    assert len(built) == 1


def test_the_login_limit_counts_only_logins(make_app):
    client = make_app(LOGIN_RATE_LIMIT="2 per minute").test_client()
    assert [client.get("/api/v1/communities").status_code for _ in range(5)] == [200] * 5
    attempt = {"email": "nobody@test.example", "password": "x"}
    assert [client.post("/api/v1/auth/token", json=attempt).status_code for _ in range(3)] == [401, 401, 429]
    assert client.get("/api/v1/communities").status_code == 200  # a limited login does not limit anything else


def test_apps_share_their_url_builders_and_each_builds_its_own_urls(make_app):
    """Rules with equal parts share one compiled builder across apps; URLs still take each call's values."""
    first, second = make_app(), make_app()

    def builder(app, endpoint):
        return next(app.url_map.iter_rules(endpoint))._build_unknown.__func__

    endpoint = next(rule.endpoint for rule in first.url_map.iter_rules() if "<int:" in rule.rule and not rule.defaults)
    assert builder(first, endpoint) is builder(second, endpoint)
    with second.test_request_context():
        from flask import url_for

        rule = next(first.url_map.iter_rules(endpoint))
        name = next(iter(rule.arguments))
        assert f"/{7}" in url_for(endpoint, **{name: 7}, x="y") and "x=y" in url_for(endpoint, **{name: 7}, x="y")


def test_the_api_document_is_described_when_first_read(app, client):
    """Describing the operations waits for the first reader of the document; then every operation is in it."""
    api = app.extensions["linli_api"]
    assert api._undocumented
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert not api._undocumented and "/api/v1/bookings" in paths
