"""Bad input, case by case: each gets a clear 4xx problem in the API's one shape, and changes nothing.

The shape is RFC 9457's ``application/problem+json``: ``type``, ``title``, ``status``,
``detail`` and a snake_case ``code``, with ``errors`` (a field → messages object) on a 422. Each case runs on a fresh copy
of the world (tests/world.py) as the user who may call the endpoint, so the
refusal is about the input, not the caller; every row of every table is the same
afterwards.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pytest

from tests.world import ADMIN, COMMITTEE, OPERATOR, RESIDENT, STAFF, snapshot
from tests.web_support import signed_in

API = "/api/v1"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Case:
    name: str
    who: str
    method: str
    path: str  # may name world records: {slot}, {listing}, {booking}, {operator}, {proposal}…
    json: object = None
    raw: str | bytes | None = None  # a body sent as is, with ``content_type``
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)
    query: dict | None = None
    status: int = 422


def booking(**fields):
    return {"slot_id": "{slot:canteen}", "quantity": 1, "payment_method": "cash", **fields}


def transfer(**fields):
    return {"operator_id": "{operator:canteen}", "amount": 100, "reference": "BANK-9", "received_on": "2026-01-05",
            **fields}


def slot(**fields):
    return {"starts_at": "2030-01-01T09:00:00+08:00", "ends_at": "2030-01-01T10:00:00+08:00", "capacity": 5, **fields}


def proposal(**fields):
    return {"title": "Benches", "purpose": "Rest", "requested_amount": 1000, "beneficiary": "Elders", **fields}


def cost(**fields):
    return {"period": "2026-01", "amount": 100, "description": "Rice", **fields}


def gift(**fields):
    return {"donor": "A baker", "item": "Bread", "quantity": 1, "declared_value_amount": 100,
            "received_on": "2026-01-05", **fields}


BOOKINGS, TRANSFERS = "/bookings", "/communities/heping/fund/transfers"
SLOTS, LISTING = "/listings/{listing:canteen}/slots", "/listings/{listing:canteen}"
PROPOSALS, COSTS = "/communities/heping/fund/proposals", "/operators/{operator:canteen}/costs"
IN_KIND, SPACES = "/communities/heping/fund/in-kind", "/communities/heping/spaces"
NESTED = "[" * 100_000 + "]" * 100_000

CASES = [
    # oversized bodies
    Case("a body over 1 MiB", RESIDENT, "POST", BOOKINGS, raw=json.dumps(booking(details={"x": "a" * MIB})),
         status=413),
    Case("a login over 1 MiB", RESIDENT, "POST", "/auth/token", raw=json.dumps({"email": "a" * 2 * MIB}), status=413),
    Case("JSON nested 100,000 deep", RESIDENT, "POST", BOOKINGS, raw='{"details": ' + NESTED + "}", status=400),
    # wrong content types
    Case("plain text", RESIDENT, "POST", BOOKINGS, raw="slot_id=1", content_type="text/plain", status=415),
    Case("a form", RESIDENT, "POST", BOOKINGS, raw="slot_id=1&quantity=1",
         content_type="application/x-www-form-urlencoded", status=415),
    Case("XML", OPERATOR, "PATCH", LISTING, raw="<title>x</title>", content_type="application/xml", status=415),
    Case("multipart", STAFF, "POST", SPACES, raw=b"--b\r\n\r\nx\r\n--b--", content_type="multipart/form-data; boundary=b",
         status=415),
    # malformed JSON
    Case("truncated JSON", RESIDENT, "POST", BOOKINGS, raw='{"slot_id": ', status=400),
    Case("trailing garbage", RESIDENT, "POST", BOOKINGS, raw='{"slot_id": 1}}', status=400),
    Case("invalid UTF-8", RESIDENT, "POST", BOOKINGS, raw=b'{"details": {"address": "\xff\xfe"}}', status=400),
    Case("a JSON array", RESIDENT, "POST", BOOKINGS, raw="[1, 2]"),
    Case("a JSON string", STAFF, "POST", SPACES, raw='"Library"'),
    Case("JSON null", RESIDENT, "POST", "/quotes", raw="null"),
    Case("NaN as an id", RESIDENT, "POST", BOOKINGS, raw='{"slot_id": NaN, "payment_method": "cash"}'),
    Case("Infinity as an amount", COMMITTEE, "POST", TRANSFERS, raw=json.dumps(transfer()).replace("100", "Infinity")),
    # huge numbers
    Case("an id of 31 digits", RESIDENT, "POST", BOOKINGS, json=booking(slot_id=10**30)),
    Case("a quantity of 10^20", RESIDENT, "POST", BOOKINGS, json=booking(quantity=10**20)),
    Case("two stalls in one booking", RESIDENT, "POST", BOOKINGS, json=booking(slot_id="{slot:market_fair}", quantity=2)),
    Case("a quote for two shifts", RESIDENT, "POST", "/quotes", json={"slot_id": "{slot:workshop}", "quantity": 2}),
    Case("a lunch the resident has booked already", RESIDENT, "POST", BOOKINGS, json=booking(), status=409),
    Case("an amount past 64 bits", COMMITTEE, "POST", TRANSFERS, json=transfer(amount=2**64)),
    Case("a proposal of 10^19", STAFF, "POST", PROPOSALS, json=proposal(requested_amount=10**19)),
    Case("a capacity of 10^12", OPERATOR, "POST", SLOTS, json=slot(capacity=10**12)),
    Case("a float amount 1e308", OPERATOR, "POST", COSTS, json=cost(amount=1e308)),
    Case("an id as a string", RESIDENT, "POST", BOOKINGS, json=booking(slot_id="1")),
    Case("a page past the last", RESIDENT, "GET", "/bookings", query={"page": "10000000000"}),
    # negative or fractional money
    Case("a negative transfer", COMMITTEE, "POST", TRANSFERS, json=transfer(amount=-100)),
    Case("a fractional transfer", COMMITTEE, "POST", TRANSFERS, json=transfer(amount=10.5)),
    Case("a proposal of zero", STAFF, "POST", PROPOSALS, json=proposal(requested_amount=0)),
    Case("a negative cost", OPERATOR, "POST", COSTS, json=cost(amount=-1)),
    Case("a gift worth 99.99", STAFF, "POST", IN_KIND, json=gift(declared_value_amount=99.99)),
    Case("a negative price rule", OPERATOR, "PATCH", LISTING, json={"price_rules": [
        {"name": "anyone", "when": {}, "tier": "paid", "amount": -500}]}),
    Case("a fractional price rule", OPERATOR, "PATCH", LISTING, json={"price_rules": [
        {"name": "anyone", "when": {}, "tier": "paid", "amount": 5.5}]}),
    Case("a negative piece rate", OPERATOR, "POST", "/workshop/operators/{operator:workshop}/jobs", json={
        "merchant": "M", "product": "P", "unit_rate_amount": -1, "merchant_price_amount": 2, "quantity": 1,
        "due_on": "2030-01-01"}),
    # dates out of range
    Case("year 0", COMMITTEE, "POST", TRANSFERS, json=transfer(received_on="0000-01-01")),
    Case("year 99999", COMMITTEE, "POST", TRANSFERS, json=transfer(received_on="99999-01-01")),
    Case("month 13", OPERATOR, "POST", SLOTS, json=slot(starts_at="2030-13-01T09:00:00+08:00")),
    Case("30 February", OPERATOR, "POST", "/operators/{operator:canteen}/agreements", json={
        "space_id": "{space}", "starts_on": "2026-02-30"}),
    Case("a time without its offset", OPERATOR, "POST", SLOTS, json=slot(starts_at="2030-01-01T09:00:00")),
    Case("an end before the start", OPERATOR, "POST", SLOTS, json=slot(ends_at="2030-01-01T08:00:00+08:00")),
    Case("a period 2026-13", COMMITTEE, "GET", "/communities/heping/fund/reconciliation", query={"period": "2026-13"}),
    Case("a period in the path 2026-00", COMMITTEE, "POST", "/communities/heping/fund/periods/2026-00/close"),
    Case("a search day in year 10000", RESIDENT, "GET", "/listings", query={"date": "10000-01-01"}),
    Case("a cost of period 1-1", OPERATOR, "POST", COSTS, json=cost(period="1-1")),
    Case("a search on the last day Python knows", RESIDENT, "GET", "/listings", query={"date": "9999-12-31"}),
    Case("a search on the first day Python knows", RESIDENT, "GET", "/listings", query={"date": "0001-01-01"}),
    Case("a slot ending in year 10000 in UTC", OPERATOR, "POST", SLOTS, json=slot(
        starts_at="9999-12-31T20:00:00+08:00", ends_at="9999-12-31T23:59:00-14:00")),
    Case("a slot starting before year 1 in UTC", OPERATOR, "POST", SLOTS, json=slot(
        starts_at="0001-01-01T00:00:00+14:00", ends_at="0001-01-01T10:00:00+14:00")),
    Case("a gift dated in year 1", STAFF, "POST", IN_KIND, json=gift(received_on="0001-01-01")),
    Case("a transfer dated 9999-12-31", COMMITTEE, "POST", TRANSFERS, json=transfer(received_on="9999-12-31")),
    Case("an agreement until 9999", OPERATOR, "POST", "/operators/{operator:canteen}/agreements", json={
        "space_id": "{space}", "starts_on": "2026-01-01", "ends_on": "9999-12-31"}),
    # unknown fields
    Case("an unknown field", RESIDENT, "POST", BOOKINGS, json=booking(price=0)),
    Case("an unknown detail", RESIDENT, "POST", BOOKINGS, json=booking(
        slot_id="{slot:housekeeping}", details={"address": "Heping Road 1", "tip": 5})),
    Case("a read-only field", OPERATOR, "POST", "/listings", json={"operator_id": "{operator:canteen}",
                                                                   "title": "X", "community_id": 1}),
    Case("privilege in a login", RESIDENT, "POST", "/auth/token", json={"email": "adult@example.org",
                                                                      "password": "demo-password", "is_admin": True}),
    # unicode edge cases
    Case("a NUL byte in a name", STAFF, "POST", SPACES, json={"name": "Hall\x00"}),
    Case("a NUL byte in a search", RESIDENT, "GET", "/listings", query={"q": "lunch\x00"}),
    Case("a lone surrogate", STAFF, "POST", SPACES, raw='{"name": "Hall \\ud800"}'),
    Case("a lone surrogate in a detail", RESIDENT, "POST", BOOKINGS, raw=json.dumps(booking(
        slot_id="{slot:housekeeping}")).replace('"cash"', '"cash", "details": {"address": "Road \\udfff 1"}')),
    Case("right-to-left override in an email", RESIDENT, "POST", "/operators", json={
        "community": "heping", "name": "Shop", "type": "canteen", "contact_email": "a\u202e@example.org"}),
    Case("a bell in a title", OPERATOR, "PATCH", LISTING, json={"title": "Lunch\u0007"}),
    Case("a clear-screen escape in an address", RESIDENT, "POST", BOOKINGS, json=booking(
        slot_id="{slot:housekeeping}", details={"address": "Road 1\u001b[2J"})),
    Case("a right-to-left override in a title", OPERATOR, "PATCH", LISTING, json={"title": "\u202eLunch"}),
    Case("a bidi isolate in a proposal", STAFF, "POST", PROPOSALS, json=proposal(title="\u2066Benches\u2069")),
    Case("a C1 control in a name", STAFF, "POST", SPACES, json={"name": "Hall\u0085"}),
    Case("DEL in a search", RESIDENT, "GET", "/listings", query={"q": "lunch\u007f"}),
    Case("an emoji as an id", RESIDENT, "POST", BOOKINGS, json=booking(slot_id="\U0001F600")),
    Case("201 emoji in a title of 200", OPERATOR, "PATCH", LISTING, json={"title": "\U0001F35C" * 201}),
    Case("a 10,000-character title", OPERATOR, "PATCH", LISTING, json={"title": "x" * 10_000}),
    Case("a 300-character Idempotency-Key", RESIDENT, "POST", BOOKINGS, json=booking(),
         headers={"Idempotency-Key": "k" * 300}),
    Case("Arabic-Indic digits as an id", RESIDENT, "GET", "/bookings/\u0661", status=404),
    Case("a 100-character community", RESIDENT, "GET", "/communities/" + "c" * 100, status=404),
    Case("a NUL in a path", COMMITTEE, "GET", "/communities/heping%00/fund", status=404),
    Case("a token with a NUL", RESIDENT, "GET", "/me", headers={"Authorization": "Bearer abc\x00def"}, status=401),
]


def filled(value, ids):
    """Replace ``"{record}"`` strings (whole or inside paths) with the world's ids."""
    if isinstance(value, str):
        whole = value[1:-1] if value.startswith("{") and value.endswith("}") else None
        return ids[whole] if whole in ids else _format(value, ids)
    if isinstance(value, dict):
        return {k: filled(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [filled(v, ids) for v in value]
    return value


def _format(text: str, ids) -> str:
    for name, ident in ids.items():
        text = text.replace("{" + name + "}", str(ident))
    return text


def send(client, case: Case, token: str, ids: dict):
    headers = {"Authorization": f"Bearer {token}", **case.headers}
    path = API + _format(case.path, ids)
    if case.raw is not None:
        body = _format(case.raw, ids) if isinstance(case.raw, str) else case.raw
        return client.open(path, method=case.method, data=body, content_type=case.content_type, headers=headers,
                           query_string=case.query)
    return client.open(path, method=case.method, json=filled(case.json, ids) if case.json is not None else None,
                       headers=headers, query_string=case.query)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gets_a_clear_4xx_and_changes_nothing(world, case):
    app, built = world
    engine = app.extensions["linli"].db.engine
    before = snapshot(engine)
    response = send(app.test_client(), case, built.tokens[case.who], built.ids)
    body = json.loads(response.get_data(as_text=True) or "null")
    assert response.status_code == case.status, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/problem+json", response.mimetype
    assert isinstance(body, dict) and body.get("status") == case.status, body
    assert re.fullmatch(r"[a-z][a-z0-9_]*", body.get("code") or ""), body
    assert body["type"].endswith("/" + body["code"]) and all(isinstance(body.get(k), str) and body[k]
                                                             for k in ("title", "detail")), body
    if case.status == 422:
        assert isinstance(body.get("errors"), dict) and body["errors"], body
    assert snapshot(engine) == before


EDGES_OF_THE_CALENDAR = [(OPERATOR, "/operators/{operator:canteen}/today?date=9999-12-31"),
                         (OPERATOR, "/operators/{operator:canteen}/today?date=0001-01-01"),
                         (RESIDENT, "/?date=9999-12-31"), (RESIDENT, "/?date=0001-01-01"),
                         (COMMITTEE, "/communities/heping/fund/ledger?page=100000000000000000000")]


@pytest.mark.parametrize("who, path", EDGES_OF_THE_CALENDAR, ids=[p for _, p in EDGES_OF_THE_CALENDAR])
def test_pages_asked_for_a_day_or_page_out_of_range_show_a_sensible_one(world, who, path):
    """A day near the end of Python's calendar overflowed into a 500, and a huge page the database's offset."""
    app, built = world
    client = signed_in(app, built.users[who])
    assert client.get(_format(path, built.ids)).status_code == 200


PAGES = [("POST", "/login", {"email": "adult@example.org\x00", "password": "demo-password"}),
         ("GET", "/?community=heping%00", None), ("GET", "/communities/heping%00/transparency", None)]


@pytest.mark.parametrize("method, path, form", PAGES, ids=[f"{m} {p}" for m, p, _ in PAGES])
def test_a_nul_character_on_a_page_is_refused_as_input(world, method, path, form):
    app, _built = world
    client = app.test_client()
    data = None
    if form is not None:
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True))
        data = {**form, "csrf_token": token.group(1)}
    response = client.open(path, method=method, data=data)
    assert response.status_code == 422 and "invisible characters" in response.get_data(as_text=True)


@pytest.mark.parametrize("text", ["Lunch\u0007", "\u001b[2JLunch", "\u202eLunch", "Lunch\u0085", "\u2067Lunch"])
def test_control_and_bidi_characters_are_refused_by_field_and_tabs_and_line_breaks_kept(world, text):
    app, built = world
    engine = app.extensions["linli"].db.engine
    before = snapshot(engine)
    operator, resident = (send_json(app, built, who) for who in (OPERATOR, RESIDENT))
    title = operator("PATCH", LISTING, {"title": text})
    assert title.status_code == 422 and "title" in title.get_json()["errors"], title.get_json()
    address = resident("POST", BOOKINGS, booking(slot_id="{slot:housekeeping}", details={"address": text}))
    assert address.status_code == 422 and "address" in address.get_json()["errors"]["details"], address.get_json()
    assert address.get_json()["code"] == "invisible_characters"
    assert snapshot(engine) == before
    kept = operator("PATCH", LISTING, {"description": "Rice\tsoup\r\nand tea\n"})
    assert kept.status_code == 200 and kept.get_json()["description"] == "Rice\tsoup\r\nand tea\n"


def send_json(app, built, who):
    client = app.test_client()
    return lambda method, path, body: send(client, Case("", who, method, path, json=body), built.tokens[who], built.ids)


def test_a_new_time_in_year_one_is_refused_on_the_form(world):
    app, built = world
    client = signed_in(app, built.users[OPERATOR], lang="en")
    path = _format("/operators/{operator:canteen}/listings/{listing:canteen}/slots/new", built.ids)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(path).get_data(as_text=True))
    response = client.post(path, data={"day": "0001-01-01", "starts": "09:00", "ends": "10:00", "capacity": "5",
                                       "csrf_token": token.group(1)})
    assert response.status_code == 422 and "between 2000 and 2100" in response.get_data(as_text=True)


HOSTILE_QUERY = {"page": "99999999999999999999", "per_page": "-1", "date": "9999-12-31", "period": "9999-12",
                 "q": "x" * 5000, "type": "'; DROP TABLE slots; --", "community": "c" * 100,
                 "quantity": "99999999999999999999", "next": "//evil.example/", "status": "nonsense",
                 "upcoming": "maybe", "format": "xml"}


def page_routes():
    from tests.test_authorization_matrix import MAP

    return [(endpoint, rule) for endpoint, method, rule in MAP if method == "GET" and not rule.startswith(API)
            and endpoint != "static"]


@pytest.mark.parametrize("endpoint, rule", page_routes(), ids=[rule for _, rule in page_routes()])
def test_no_page_answers_a_hostile_query_with_a_500(world, endpoint, rule):
    """Every page, opened by the admin (who passes every gate, so the deepest code runs) with hostile parameters."""
    from tests.test_authorization_matrix import POLICY, records, url_for

    app, built = world
    client = signed_in(app, built.users[ADMIN])
    kind = POLICY[endpoint].kind if endpoint in POLICY else None
    response = client.get(url_for(rule, records(built.ids, endpoint, kind), endpoint), query_string=HOSTILE_QUERY)
    assert response.status_code < 500
    assert "evil.example" not in response.headers.get("Location", "")
