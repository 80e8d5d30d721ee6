"""The app factory: configuration, database, plugins, API, pages and CLI wired together."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import pluggy
from flask import Flask

from core import config as configuration
from core.db import Database
from core.listings import SearchTotals
from core.operator_types import OperatorType
from core.payments import CashProvider, PaymentProvider
from core.payments.stripe import StripeProvider
from core.plugins import collect, make_plugin_manager
from core.request_session import close_session


@dataclass
class Linli:
    """What one app holds: its database, its plugin manager and what the plugins registered."""

    db: Database
    pm: pluggy.PluginManager
    search_totals: SearchTotals = field(default_factory=SearchTotals)
    _registered: dict = field(default_factory=dict, repr=False)

    @property
    def hook(self):
        return self.pm.hook

    def _of_the_plugins(self, name: str, build):
        """What ``build()`` collects from the plugins, asked again only when a plugin was (un)registered since."""
        plugins = self.pm.list_name_plugin()
        cached = self._registered.get(name)
        if cached is None or cached[0] != plugins:
            self._registered[name] = cached = (plugins, build())
        return cached[1]

    @property
    def operator_types(self) -> dict[str, OperatorType]:
        """The installed operator types; a plugin registered at runtime counts at once."""
        return self._of_the_plugins("operator_types", lambda: {
            t.key: t for t in collect(self.pm.hook.register_operator_types(), key=lambda t: t.key)})

    @property
    def payment_providers(self) -> dict[str, PaymentProvider]:
        """Cash and Stripe, then whatever the plugins register (a provider key is unique)."""
        def build():
            built_in = [CashProvider(), StripeProvider()]
            plugged = collect(self.pm.hook.register_payment_providers())
            return {p.key: p for p in collect([built_in, plugged], key=lambda p: p.key)}

        return self._of_the_plugins("payment_providers", build)


def build_app(overrides: dict | None = None) -> Flask:
    overrides = dict(overrides or {})
    app = Flask("core", instance_path=os.environ.get("LINLI_INSTANCE_PATH") or None, instance_relative_config=True)
    app.config.update(configuration.from_environment())
    app.config.update({k: v for k, v in overrides.items() if k not in ("PLUGINS",)})
    production = app.config["ENV"] == "production"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = configuration.instance_secret_key(app.instance_path, production)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = configuration.default_database_url(app.instance_path)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        MAX_CONTENT_LENGTH=1024 * 1024,
    )

    disabled = {name.strip() for name in str(app.config["DISABLED_PLUGINS"]).split(",") if name.strip()}
    pm = make_plugin_manager(disabled, overrides.get("PLUGINS", ()))
    linli = Linli(db=Database(app.config["DATABASE_URL"]), pm=pm)
    app.extensions["linli"] = linli
    linli.operator_types, linli.payment_providers  # noqa: B018 - refuse duplicate keys at start-up
    app.teardown_appcontext(close_session)

    from core.api import init_api, register_plugin_blueprint
    from core.security import init_security, limit_logins

    init_security(app)
    init_api(app)
    from core.web import init_web

    init_web(app)
    limit_logins(app, "auth.login", "web_auth.login")
    for blueprint in collect(pm.hook.register_blueprints()):
        register_plugin_blueprint(app, blueprint)
    from core.cli import register_commands

    register_commands(app, collect(pm.hook.register_cli_commands()))
    return app
