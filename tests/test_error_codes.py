"""Errors are codes, text is a translation: every code and every schema message speaks Chinese and English.

The API answers problem+json in the reader's language; the pages say the same sentence,
found by its template, never by matching English text.
"""
import re
import string

import pytest
from flask_babel import get_translations
from marshmallow import Schema, class_registry, fields, validate

from core.errors import CODES, Message
from core.validation import TEMPLATES
from tests.factories import make_community, make_user

CHINESE = re.compile(r"[\u4e00-\u9fff]")
PERCENT = re.compile(r"%\((\w+)\)[sd]")


def placeholders(template: str) -> set[str]:
    braces = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return set(PERCENT.findall(template)) | braces


@pytest.fixture
def chinese(app):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        yield get_translations().ugettext


def ours() -> dict:
    """The codes the core and the built-in plugins declare (a test's own plugin may declare more)."""
    return {code: kind for code, kind in CODES.items() if kind.module.startswith(("core.", "plugins."))}


def test_every_error_code_is_snake_case_with_an_english_sentence(app):
    assert len(ours()) > 100  # the core's and the four plugins' codes are all declared
    for code, kind in ours().items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", code), code
        assert PERCENT.sub("X", kind.template)[:1].isupper(), (code, kind.template)
        assert 400 <= kind.status < 600, code


def test_every_error_code_has_a_chinese_sentence_with_the_same_values(app, chinese):
    missing = [(code, kind.template) for code, kind in ours().items()
               if not CHINESE.search(chinese(kind.template))
               or placeholders(chinese(kind.template)) != placeholders(kind.template)]
    assert missing == []


def schemas_of_the_app() -> list[type[Schema]]:
    """Every marshmallow schema of the core and the plugins (the registry knows each class that was defined)."""
    return [cls for classes in class_registry._registry.values() for cls in classes
            if cls.__module__.startswith(("core.", "plugins."))]


def fields_of(field: fields.Field):
    yield field
    for inner in (getattr(field, "inner", None), getattr(field, "value_field", None)):
        if inner is not None:
            yield from fields_of(inner)


def templates_of(field: fields.Field) -> set[str]:
    """The templates a field can answer with: its own messages and its validators'."""
    found = {m for m in field.error_messages.values() if isinstance(m, str)}
    for validator in field.validators:
        if isinstance(validator, validate.Range | validate.Length):
            found |= {validator.error} if validator.error else {
                validator.message_min, validator.message_max, validator.message_all}
            found |= {validator.message_equal} if isinstance(validator, validate.Length) else set()
        elif getattr(validator, "error", None):
            found.add(validator.error)
    return found


def test_every_message_a_schema_can_give_is_translated(app, chinese):
    templates = set()
    for schema in schemas_of_the_app():
        for field in schema().fields.values():
            for each in fields_of(field):
                templates |= templates_of(each)
    templates |= {m for m in Schema.error_messages.values()}
    assert len(templates) > 20
    untranslated = sorted(t for t in templates if not CHINESE.search(chinese(t)))
    assert untranslated == [], "mark them in core.validation.TEMPLATES (or with N_) and translate them"
    assert not set(TEMPLATES) - {t for t in TEMPLATES if CHINESE.search(chinese(t))}


def test_a_schema_message_remembers_its_template_and_is_said_in_chinese(app, client, db, api):
    """A Range's message in plain words ("Please write a number from 1 to 1000."), in the reader's language."""
    user = make_user(db, "resident", make_community(db))
    db.commit()
    resident = api(user)
    body = {"slot_id": 1, "quantity": 5000}
    english = resident.post("/quotes", body, headers={"Accept-Language": "en"})
    chinese = resident.post("/quotes", body, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert english.status_code == chinese.status_code == 422
    assert english.get_json()["errors"]["quantity"] == ["Please write a number from 1 to 1000."]
    assert chinese.get_json()["errors"]["quantity"] == ["请填 1 到 1000 之间的数。"]
    assert chinese.get_json()["code"] == english.get_json()["code"] == "validation_failed"


def test_a_domain_error_is_a_problem_in_the_readers_language(demo):
    lunch = demo.slots("Community lunch")[0]
    adult = demo.api("adult")
    body = {"slot_id": lunch["id"], "quantity": 101, "payment_method": "cash"}
    english = adult.post("/bookings", body, headers={"Accept-Language": "en-GB"})
    chinese = adult.post("/bookings", body, headers={"Accept-Language": "zh-CN"})
    assert english.status_code == chinese.status_code == 409
    assert english.mimetype == "application/problem+json"
    assert english.get_json() == {
        "type": "/api/v1/problems/slot_full", "title": "That cannot be done now.", "status": 409,
        "detail": "Not enough places are left: only 100.", "code": "slot_full",
        "errors": {"quantity": ["Not enough places are left: only 100."]}}
    assert chinese.get_json()["detail"] == "名额不够了：只剩 100 个。"
    assert chinese.get_json()["errors"] == {"quantity": ["名额不够了：只剩 100 个。"]}


def test_a_problems_type_is_its_own_document(client):
    english = client.get("/api/v1/problems/slot_full").get_json()
    assert english == {"code": "slot_full", "status": 409, "title": "That cannot be done now.",
                       "detail": "Not enough places are left: only %(left)s."}
    chinese = client.get("/api/v1/problems/slot_full", headers={"Accept-Language": "zh"}).get_json()
    assert chinese["detail"] == "名额不够了：只剩 %(left)s 个。"
    unknown = client.get("/api/v1/problems/no_such_code")
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "unknown_problem"


def test_a_plugins_error_is_said_from_its_own_catalogue(demo):
    """The canteen's refusal of home delivery to a 68-year-old, in Chinese (the plugin's own catalogue)."""
    lunch = demo.slots("Community lunch")[0]
    refused = demo.api("senior68").post("/bookings", {"slot_id": lunch["id"], "payment_method": "cash",
                                                      "details": {"home_delivery": True}},
                                        headers={"Accept-Language": "zh-CN"})
    assert refused.status_code == 422 and refused.get_json()["code"] == "home_delivery_for_90_plus"
    assert refused.get_json()["errors"] == {"details": {"home_delivery": ["送餐上门只为 90 岁及以上的居民提供。"]}}


def test_a_message_whose_translation_lost_a_value_falls_back_to_english():
    message = Message("Only %(left)s left.", {"left": 3})
    assert message == "Only 3 left."
    assert message.translated(lambda template: "只剩。%(gone)s") == "Only 3 left."
    assert message.translated(lambda template: "只剩 %(left)s 个。") == "只剩 3 个。"
