"""Each plugin ships its own Simplified Chinese catalogue: complete, compiled, and shown on its pages."""
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.pages import text

PLUGINS = Path(__file__).parent.parent / "plugins"
NAMES = ["canteen", "housekeeping", "market_fair", "workshop"]  # the plugins with pages
CATALOGUED = [*NAMES, "wechat_pay"]  # and those whose only words are a label or a memo
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}


def catalogue(name):
    folder = PLUGINS / name / "translations" / "zh_Hans" / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as po, (folder / "messages.mo").open("rb") as mo:
        return read_po(po), read_mo(mo)


def as_text(string):
    """A translation as one text: the single form Chinese has of a plural."""
    return string[0] if isinstance(string, (tuple, list)) else string


def key(message_id):
    return message_id[0] if isinstance(message_id, (tuple, list)) else message_id


@pytest.mark.parametrize("name", CATALOGUED)
def test_every_string_of_a_plugins_pages_is_translated_and_compiled(name):
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    wanted = {key(found[2]) for found in extract_from_dir(PLUGINS / name, method_map, keywords=KEYWORDS)}
    po, mo = catalogue(name)
    translated = {key(m.id): as_text(m.string) for m in po if m.id and as_text(m.string)}
    assert wanted - set(translated) == set()  # run the update of README's "Translations" after adding strings
    compiled = {key(m.id): as_text(m.string) for m in mo if m.id}
    assert compiled == translated  # the .mo is compiled from this .po


CHINESE_PAGES = {
    "canteen": ("/canteen/operators/{operator}/menus", "canteen", "接下来各餐的菜单"),
    "housekeeping": ("/housekeeping/operators/{operator}/workers", "housekeeping", "受训服务人员名册"),
    "market_fair": ("/market-fair/operators/{operator}/vendors", "fair", "摊主名册"),
    "workshop": ("/workshop/operators/{operator}/wages", "workshop", "工资表"),
}
LISTINGS = {"canteen": "Community lunch", "housekeeping": "Home cleaning, 2 hours", "market_fair": "Neighbourhood fair",
            "workshop": "Hand-sewing piece-work"}


@pytest.mark.parametrize("name", NAMES)
def test_a_plugins_page_speaks_chinese_to_a_chinese_reader(demo, browser, name):
    path, account, words = CHINESE_PAGES[name]
    reader = browser(account)
    reader.get("/lang/zh_Hans")
    page = text(reader.get(path.format(operator=demo.listing(LISTINGS[name])["operator_id"])))
    assert words in page
    assert words not in text(browser(account).get(path.format(operator=demo.listing(LISTINGS[name])["operator_id"])))
