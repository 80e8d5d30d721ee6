"""The plugins of one app: the plugin manager (specs, entry points, blocked plugins, checks) and what they register."""
from __future__ import annotations

import inspect
from importlib.metadata import entry_points
from pathlib import Path

import pluggy

from core import hookspecs
from core.errors import N_, conflict
from core.operator_types import OperatorType
from core.payments import CashProvider, PaymentProvider
from core.payments.stripe import StripeProvider
from core.sms import SmsProvider

ENTRY_POINT_GROUP = "linli.plugins"
TYPE_NOT_INSTALLED = conflict("type_not_installed", N_("This kind of service (%(type)s) is not installed here."))


def make_plugin_manager(disabled: set[str] = frozenset(), extra: list = ()) -> pluggy.PluginManager:
    """Specs, then the plugins installed under ``linli.plugins``, minus the disabled ones.

    The built-in plugins register through the same entry points a third-party
    package would; ``extra`` adds plugin objects directly (tests, embedding).
    """
    pm = pluggy.PluginManager("linli")
    pm.add_hookspecs(hookspecs)
    for name in disabled:
        pm.set_blocked(name)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in disabled:
            continue
        pm.register(ep.load(), name=ep.name)
    for plugin in extra:
        pm.register(plugin)
    pm.check_pending()
    return pm


def collect(results: list, key=None) -> list:
    """Flatten a ``register_*`` hook's lists; refuse two contributions with one key."""
    flat = [item for result in results if result for item in result]
    if key is not None:
        seen = set()
        for item in flat:
            k = key(item)
            if k in seen:
                raise RuntimeError(f"two plugins register {k!r}")
            seen.add(k)
    return flat


class Plugins:
    """What the domain knows of the plugins: the hook relay for events, and the operator types and payment
    providers they registered (asked again only when a plugin was registered or blocked since)."""

    def __init__(self, pm: pluggy.PluginManager):
        self.pm = pm
        self._registered: dict[str, tuple] = {}
        self.operator_types, self.payment_providers, self.sms_providers  # noqa: B018 - refuse duplicate keys at start-up

    @property
    def hook(self):
        return self.pm.hook

    def _of_the_plugins(self, name: str, build):
        plugins = self.pm.list_name_plugin()
        cached = self._registered.get(name)
        if cached is None or cached[0] != plugins:
            self._registered[name] = cached = (plugins, build())
        return cached[1]

    @property
    def operator_types(self) -> dict[str, OperatorType]:
        """The installed operator types by key; a plugin registered at runtime counts at once."""
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

    @property
    def sms_providers(self) -> dict[str, SmsProvider]:
        """The SMS providers the plugins register (none is built in: texts need a contract with a gateway)."""
        return self._of_the_plugins("sms_providers", lambda: {
            p.key: p for p in collect(self.pm.hook.register_sms_providers(), key=lambda p: p.key)})

    def folders(self) -> list[Path]:
        """The folder of each plugin's module: its ``templates/`` extend the core's layout, its ``translations/``
        join the core's catalogue."""
        folders = []
        for plugin in self.pm.get_plugins():
            module = inspect.getmodule(plugin)
            if module and getattr(module, "__file__", None) and not module.__name__.startswith("core."):
                folders.append(Path(module.__file__).parent)
        return folders

    def type_of(self, key: str) -> OperatorType:
        """The installed type ``key``; a 409 when its plugin is not installed (its listings take no bookings)."""
        operator_type = self.operator_types.get(key)
        if operator_type is None:
            raise TYPE_NOT_INSTALLED(type=key)
        return operator_type
