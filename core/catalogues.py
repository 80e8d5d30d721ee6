"""The core's and the plugins' message catalogues, read without Flask: how a job says a message in a person's
language (an email, a text), where no request says who reads.

The pages and the API read the same catalogues through Flask-Babel (``core.web.i18n.say``).
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable

from babel.support import NullTranslations, Translations

from core.errors import Message
from core.plugins import Plugins

CORE_CATALOGUE = Path(__file__).parent / "translations"


def translator(plugins: Plugins, language: str) -> Callable[[str], str]:
    """``translate(template)`` in ``language``: the core's catalogue, then each plugin's."""
    folders = (CORE_CATALOGUE, *(folder / "translations" for folder in plugins.folders()))
    return _catalogue(tuple(str(folder) for folder in folders if folder.is_dir()), language).ugettext


@functools.lru_cache(maxsize=16)
def _catalogue(folders: tuple[str, ...], language: str) -> NullTranslations:
    merged = NullTranslations()
    for folder in folders:
        found = Translations.load(folder, [language])
        if isinstance(found, Translations):
            merged = found if not isinstance(merged, Translations) else merged.merge(found)
    return merged


def said(message, translate: Callable[[str], str]) -> str:
    """A message in the language of ``translate``; any other text as it is."""
    return message.translated(translate) if isinstance(message, Message) else str(message)
