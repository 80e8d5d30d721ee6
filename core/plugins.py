"""The plugin manager of one app: specs, entry points, blocked plugins, checks."""
from __future__ import annotations

from importlib.metadata import entry_points

import pluggy

from core import hookspecs

ENTRY_POINT_GROUP = "linli.plugins"


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
