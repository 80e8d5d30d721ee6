"""The app factory: configuration, database, plugins, API, pages and CLI wired together."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import Rule

from core import config as configuration
from core.db import Database, Pool
from core.listings import CatalogMemo
from core.payments.service import BookingPayments
from core.plugins import Plugins, collect, make_plugin_manager
from core.queue import Queue
from core.request_session import close_session


@dataclass
class Linli:
    """What one app holds: its database, its plugins, and the services built on them."""

    db: Database
    plugins: Plugins
    payments: BookingPayments
    catalog_memo: CatalogMemo = field(default_factory=CatalogMemo)
    queue: Queue | None = None


class Route(Rule):
    """werkzeug's rule, its URL builders compiled once per process rather than once per app.

    werkzeug compiles two Python functions for every rule it binds; with two hundred routes that was most of the
    cost of building an app, which every test and every worker does. A builder depends only on the rule's parsed
    parts (the converters are looked up on the rule it is bound to when it runs), so rules with equal parts share
    one; a rule with defaults, whose builder has them folded in, is compiled as before.
    """

    _builders: dict = {}

    def _compile_builder(self, append_unknown: bool = True):
        if self.defaults:
            return super()._compile_builder(append_unknown)
        key = (tuple(self._trace), append_unknown)
        if key not in self._builders:
            self._builders[key] = super()._compile_builder(append_unknown)
        return self._builders[key]


class App(Flask):
    url_rule_class = Route


def build_app(overrides: dict | None = None) -> Flask:
    overrides = dict(overrides or {})
    app = App("core", instance_path=os.environ.get("LINLI_INSTANCE_PATH") or None, instance_relative_config=True)
    app.config.update(configuration.from_environment())
    app.config.update({k: v for k, v in overrides.items() if k not in ("PLUGINS",)})
    configuration.check(app.config)  # every problem at once, before anything is built
    production = app.config["ENV"] == "production"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = configuration.instance_secret_key(app.instance_path)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = configuration.default_database_url(app.instance_path)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    _trust_proxies(app, app.config["TRUSTED_PROXIES"])

    disabled = {name.strip() for name in str(app.config["DISABLED_PLUGINS"]).split(",") if name.strip()}
    pm = make_plugin_manager(disabled, overrides.get("PLUGINS", ()))
    plugins = Plugins(pm)
    pool = Pool(app.config["DB_POOL_SIZE"], app.config["DB_MAX_OVERFLOW"], app.config["DB_PRE_PING"])
    database = Database(app.config["DATABASE_URL"], pool)
    database.sessionmaker.configure(info={**database.sessionmaker.kw["info"],  # what the domain reads of the config
                                          "waitlist_offer_minutes": app.config["WAITLIST_OFFER_MINUTES"]})
    app.extensions["linli"] = Linli(db=database, plugins=plugins, payments=BookingPayments(plugins, app.config))
    app.teardown_appcontext(close_session)
    from core.jobs import CORE_TASKS

    tasks = collect([CORE_TASKS, *pm.hook.register_tasks()], key=lambda task: task.name)
    app.extensions["linli"].queue = Queue(app, {task.name: task for task in tasks})

    from core.api import init_api, register_plugin_blueprint
    from core.operations import init_operations
    from core.security import init_security, limit_logins
    from core.web import init_web

    init_operations(app)  # first: the request id, before any other hook may log
    init_security(app)
    init_api(app)
    init_web(app)
    limit_logins(app, "auth.login", "web_auth.login")
    for blueprint in collect(pm.hook.register_blueprints()):
        register_plugin_blueprint(app, blueprint)
    from core.cli import register_commands

    register_commands(app, collect(pm.hook.register_cli_commands()))
    return app


def _trust_proxies(app: Flask, proxies: int) -> None:
    """Behind ``proxies`` proxies (``LINLI_TRUSTED_PROXIES``), take the client's address, scheme and host from their
    X-Forwarded-* headers: the login limiter then counts per client, not per proxy, and a request that reached the
    proxy over HTTPS is secure (HSTS, secure cookies). With none trusted, such headers are ignored: anyone can
    send them."""
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)
