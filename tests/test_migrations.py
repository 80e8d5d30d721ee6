"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from core.db import Base, in_schema_of


def test_migrated_schema_matches_the_models(app):
    engine = app.extensions["linli"].db.engine
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_object": in_schema_of(conn.dialect.name)})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_upgrading_twice_changes_nothing(app):
    from core import migrate

    engine = app.extensions["linli"].db.engine
    before = sorted(inspect(engine).get_table_names())
    migrate.upgrade(app)
    assert sorted(inspect(engine).get_table_names()) == before
    assert {"communities", "users", "bookings", "slots", "listings", "agreements"} <= set(before)


def test_cli_upgrades_a_fresh_sqlite_database(tmp_path):
    from core import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}", "SECRET_KEY": "x"})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "bookings" in inspect(app.extensions["linli"].db.engine).get_table_names()
