"""The Chinese catalogue covers every string the core's pages show, and the compiled file matches it.

The strings are extracted the way README.md says (babel.cfg, keywords ``_l`` and
``lazy_gettext`` besides Babel's own), so a string added to a template or to
core/web without a translation fails here rather than showing English to a
Chinese reader.
"""
import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "core" / "translations" / "zh_Hans" / "LC_MESSAGES"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def extracted() -> dict:
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        found.setdefault(message, filename)
    return found


@pytest.fixture(scope="module")
def chinese():
    with open(CATALOGUE / "messages.po", "rb") as po:
        return read_po(po, locale="zh_Hans")


def test_every_extracted_string_has_a_chinese_translation(chinese):
    missing = []
    for message, filename in extracted().items():
        entry = chinese.get(message if isinstance(message, str) else message[0])
        text = entry.string if entry else None
        if not entry or not (text if isinstance(text, str) else all(text)) or entry.fuzzy:
            missing.append(f"{filename}: {message!r}")
    assert missing == [], "untranslated — run the pybabel commands of README.md:\n" + "\n".join(missing)


def test_translations_keep_every_placeholder(chinese):
    wrong = []
    for entry in chinese:
        if not entry.id:
            continue
        source = entry.id[-1] if isinstance(entry.id, tuple) else entry.id
        texts = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        for text in texts:
            if set(PLACEHOLDER.findall(source)) != set(PLACEHOLDER.findall(text)):
                wrong.append((source, text))
    assert wrong == []


def test_the_compiled_catalogue_is_the_one_in_the_po_file(chinese):
    with open(CATALOGUE / "messages.mo", "rb") as mo:
        compiled = read_mo(mo)
    fresh = io.BytesIO()
    write_mo(fresh, chinese)
    fresh.seek(0)
    rebuilt: Catalog = read_mo(fresh)
    as_pairs = lambda catalog: sorted((str(m.id), str(m.string)) for m in catalog if m.id)  # noqa: E731
    assert as_pairs(compiled) == as_pairs(rebuilt), "run: pybabel compile -d core/translations"


# Words a template may show untranslated: the brand and the ledger's ordinal sign.
UNTRANSLATED = {"Linli"}
JINJA = re.compile(r"\{%\s*block main_class\s*%\}.*?\{%\s*endblock\s*%\}|\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.S)
TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S)
SHOWN_ATTRIBUTE = re.compile(r'\b(aria-label|title|placeholder|alt)="([^"]*)"')


@pytest.mark.parametrize("template", sorted((ROOT / "core" / "templates").rglob("*.html")),
                         ids=lambda p: str(p.relative_to(ROOT / "core" / "templates")))
def test_templates_show_no_unmarked_words(template):
    source = template.read_text()
    text = TAG.sub(" ", JINJA.sub(" ", source))
    words = set(re.findall(r"[A-Za-z]{2,}", text)) - UNTRANSLATED
    attributes = [value for _name, value in SHOWN_ATTRIBUTE.findall(source)
                  if re.search(r"[A-Za-z]{2,}", JINJA.sub("", value))]
    assert (words, attributes) == (set(), [])


UNMARKED_CALL = re.compile(r"\b(?:flash|NotFound|Invalid|Forbidden|Conflict|Unauthorized)\(\s*f?(\"[^\"]*\"|'[^']*')")


@pytest.mark.parametrize("module", sorted((ROOT / "core" / "web").glob("*.py")), ids=lambda p: p.name)
def test_page_code_marks_what_it_tells_people(module):
    """A message a page shows goes through gettext; a literal with words in it (outside {…}) is a miss."""
    literals = [text for text in UNMARKED_CALL.findall(module.read_text())
                if re.search(r"[A-Za-z]{2,}", re.sub(r"\{[^}]*\}", "", text))]
    assert literals == []
