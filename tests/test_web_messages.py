"""The pages' table of service messages (core/web/messages.py) still matches what the services raise."""
import re
from pathlib import Path

import marshmallow
import pytest

from core.web.messages import KNOWN, explain

ROOT = Path(__file__).resolve().parents[1]
SOURCES = "\n".join(p.read_text() for p in (ROOT / "core").rglob("*.py") if p.name != "messages.py") + "\n".join(
    p.read_text() for p in Path(marshmallow.__file__).parent.rglob("*.py"))
LITERAL = re.compile(r"(?:\\.|[^\\()\[\]{}.*+?^$|])+")


def longest_literal(pattern: str) -> str:
    """The longest run of the pattern that is plain text (what the raising code must still say)."""
    runs = [re.sub(r"\\(.)", r"\1", run) for run in LITERAL.findall(pattern)]
    return max(runs, key=len).strip()


@pytest.mark.parametrize("known", KNOWN, ids=lambda k: k.pattern.pattern[:40])
def test_each_known_message_is_still_raised_somewhere(known):
    literal = longest_literal(known.pattern.pattern.removesuffix("$"))
    assert len(literal) >= 6 and literal in SOURCES, literal


def test_a_message_is_shown_in_the_readers_words(app):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert explain("not enough places: 2 left") == "名额不够了：只剩 2 个。"
        assert explain("Missing data for required field.") == "请填写这一项。"
        assert explain("something no table knows") == "something no table knows"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert explain("this slot has already started") == "This time has already started. Please choose a later one."


def test_plurals_are_chinese_whatever_the_number(app):
    """Flask-Babel keeps the plural rule of the last catalogue folder it loads: it must be a Chinese one."""
    from flask_babel import ngettext

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert ngettext("%(num)d place left", "%(num)d places left", 1) == "还剩 1 个名额"
        assert ngettext("%(num)d place left", "%(num)d places left", 5) == "还剩 5 个名额"
