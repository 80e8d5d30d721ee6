"""The plugin seam: runtime plugins, disabled plugins, duplicate keys, and a core that imports no plugin."""
import pathlib
import re

import pytest
from marshmallow import Schema, fields

from core import OperatorType, hookimpl
from core.plugins import ENTRY_POINT_GROUP

BUILT_IN = {"canteen", "housekeeping", "market_fair", "workshop"}


class LaundryDetails(Schema):
    kilos = fields.Integer(required=True)


class LaundryPlugin:
    """A third-party operator type that exists only in this test."""

    @hookimpl
    def register_operator_types(self):
        return [OperatorType(key="laundry", label="Laundry", listing_schema=LaundryDetails,
                             default_price_rules=[{"name": "anyone", "when": {}, "tier": "paid", "amount": 300}])]


def type_keys(client):
    return {t["key"] for t in client.get("/api/v1/operator-types").get_json()}


def test_the_four_built_in_plugins_are_installed_through_entry_points(client):
    from importlib.metadata import entry_points

    assert {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)} >= BUILT_IN
    assert type_keys(client) >= BUILT_IN


def test_a_plugin_registered_at_runtime_adds_an_operator_type(app, client, db, api):
    from tests.factories import make_community, make_operator, make_user

    assert "laundry" not in type_keys(client)
    app.extensions["linli"].plugins.pm.register(LaundryPlugin())
    assert "laundry" in type_keys(client)

    community = make_community(db)
    operator = make_operator(db, community, type_key="laundry")
    staff = make_user(db, "operator_staff", community, operator)
    db.commit()
    as_staff = api(staff)
    bad = as_staff.post("/listings", {"operator_id": operator.id, "title": "Wash", "details": {}})
    assert bad.status_code == 422 and "kilos" in bad.get_json()["errors"]["details"]
    good = as_staff.post("/listings", {"operator_id": operator.id, "title": "Wash", "details": {"kilos": 5}})
    assert good.status_code == 201
    assert good.get_json()["price_rules"][0]["amount"] == 300


@pytest.mark.parametrize("disabled", sorted(BUILT_IN))
def test_disabling_one_built_in_plugin_leaves_the_others_working(make_app, disabled):
    app = make_app(DISABLED_PLUGINS=disabled)
    keys = {t["key"] for t in app.test_client().get("/api/v1/operator-types").get_json()}
    assert keys == BUILT_IN - {disabled}
    from core import demo

    assert demo.seed(app)
    listings = app.test_client().get("/api/v1/listings").get_json()["items"]
    assert {item["type"] for item in listings} == BUILT_IN - {disabled}


def test_two_plugins_with_one_operator_type_key_are_refused(make_app):
    class Impostor:
        @hookimpl
        def register_operator_types(self):
            return [OperatorType(key="canteen", label="Another canteen")]

    with pytest.raises(RuntimeError, match="canteen"):
        make_app(PLUGINS=[Impostor()])


def test_a_misspelled_hook_implementation_is_caught_at_start_up(make_app):
    from pluggy import PluginValidationError

    class Misspelled:
        @hookimpl
        def register_operator_typo(self):
            return []

    with pytest.raises(PluginValidationError):
        make_app(PLUGINS=[Misspelled()])


def test_the_core_never_imports_a_plugin():
    core = pathlib.Path(__file__).parent.parent / "core"
    pattern = re.compile(r"^\s*(from|import)\s+plugins\b", re.MULTILINE)
    offenders = [str(p) for p in core.rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


def test_every_hook_is_documented():
    from core import hookspecs

    hooks = [getattr(hookspecs, name) for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), "linli_spec")]
    assert len(hooks) >= 10
    assert all(hook.__doc__ and len(hook.__doc__.strip()) > 20 for hook in hooks)
