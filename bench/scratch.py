"""A scratch schema (and, if need be, a scratch database) on the benchmark's PostgreSQL.

The benchmark never touches an existing schema: it creates ``bench_<pid>_<time>``
inside the database ``LINLI_BENCH_DATABASE_URL`` names (creating that database
first if it does not exist), points every connection at it with
``options=-csearch_path=...`` in the URL, and drops it (and a database it created)
at the end, even after an error or Ctrl+C.
"""
from __future__ import annotations

import os
import time

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/linli_bench"


class Scratch:
    def __init__(self, url: str | None = None):
        self.base_url: URL = make_url(url or os.environ.get("LINLI_BENCH_DATABASE_URL") or DEFAULT_URL)
        if not self.base_url.drivername.startswith("postgresql"):
            raise SystemExit("the benchmark runs on PostgreSQL: LINLI_BENCH_DATABASE_URL must be a postgresql URL")
        host = self.base_url.host or "127.0.0.1"
        if not (host.startswith("127.") or host in ("localhost", "::1")):
            raise SystemExit(f"the benchmark only talks to a local PostgreSQL (loopback), not {host}")
        self.schema = f"bench_{os.getpid()}_{int(time.time())}"
        self.created_database = False

    @property
    def url(self) -> URL:
        """The URL every benchmark connection uses: the scratch schema first on the search path."""
        return self.base_url.update_query_dict({"options": f"-csearch_path={self.schema}"})

    @property
    def url_string(self) -> str:
        return self.url.render_as_string(hide_password=False)

    def _admin(self, database: str | None = None):
        url = self.base_url if database is None else self.base_url.set(database=database)
        return create_engine(url, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)

    def create(self) -> None:
        engine = self._admin()
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as e:
            if "does not exist" not in str(e):
                raise
            engine.dispose()
            maintenance = self._admin("postgres")
            with maintenance.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.base_url.database}"'))
            maintenance.dispose()
            self.created_database = True
            engine = self._admin()
        with engine.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        engine.dispose()

    def migrate(self) -> None:
        """Linli's tables in the scratch schema, by its own migrations."""
        from core import create_app, migrate

        app = create_app({"DATABASE_URL": self.url_string, "SECRET_KEY": "bench"})
        migrate.upgrade(app)
        app.extensions["linli"].db.engine.dispose()

    def drop(self) -> None:
        try:
            if self.created_database:
                maintenance = self._admin("postgres")
                with maintenance.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{self.base_url.database}" WITH (FORCE)'))
                maintenance.dispose()
            else:
                engine = self._admin()
                with engine.connect() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
                engine.dispose()
        except Exception as e:  # noqa: BLE001 - cleanup must not hide the run's own outcome
            print(f"warning: could not drop the scratch schema {self.schema}: {e}", flush=True)
