"""Plugins that live outside ``plugins/``, written against the public API only, as a third party would."""
