"""The demand board through the API: residents post and support needs, staff compile them into a service order, an
operator takes it, staff mark it delivered, the residents behind it are told and rate it; support once (also in a
race), bad input, who may do what, and who reads whose name."""
import pytest
from sqlalchemy import func, select

from core.models import AuditEvent, NeedSupport, Notification, Proposal, User
from tests.races import posting, race

HEPING = "/communities/heping"
ORDER = {"title": "Evening reading room", "scope": "Open the hall 18:00–20:00 on weekdays with a volunteer.",
         "budget_amount": 120000, "sponsor": {"kind": "subdistrict", "name": "Heping subdistrict office"}}


def posted(demo, who="senior68", title="A reading room in the evening", description="Quiet, with good light."):
    made = demo.api(who).post(f"{HEPING}/needs", {"title": title, "description": description})
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def user_id(db, local: str) -> int:
    return db.scalar(select(User.id).where(User.email == f"{local}@example.org"))


def kinds_of(db, local: str) -> set[str]:
    return set(db.scalars(select(Notification.kind).where(Notification.user_id == user_id(db, local))))


def test_the_whole_loop(demo, db):
    need = posted(demo)
    assert need["status"] == "open" and need["support_count"] == 0 and need["mine"]
    supported = demo.api("adult").post(f"/needs/{need['id']}/support")
    assert supported.status_code == 200 and supported.get_json()["support_count"] == 1
    assert supported.get_json()["supported"] and not supported.get_json()["mine"]
    staff, canteen = demo.api("staff"), demo.api("canteen")
    compiled = staff.post(f"/needs/{need['id']}/compile", ORDER)
    assert compiled.status_code == 201, compiled.get_json()
    order = compiled.get_json()
    assert (order["status"], order["need_ids"], order["sponsor"]["kind"]) == ("open", [need["id"]], "subdistrict")
    assert order["budget_amount"] == 120000 and order["currency"] == "CNY" and order["proposal_id"] is None
    again = staff.post(f"/needs/{need['id']}/compile", ORDER)
    assert again.status_code == 409 and again.get_json()["code"] == "need_not_open"
    late = demo.api("student").post(f"/needs/{need['id']}/support")
    assert late.status_code == 409 and late.get_json()["code"] == "need_not_open"
    early = demo.api("adult").post(f"/orders/{order['id']}/rating", {"stars": 5})
    assert early.status_code == 409 and early.get_json()["code"] == "order_not_delivered"
    taken = canteen.post(f"/orders/{order['id']}/take", {})
    assert taken.status_code == 200, taken.get_json()
    assert taken.get_json()["status"] == "taken" and taken.get_json()["operator_name"]
    twice = canteen.post(f"/orders/{order['id']}/take", {})
    assert twice.status_code == 409 and twice.get_json()["code"] == "order_taken"
    listing = demo.listing("Community lunch")
    delivered = staff.post(f"/orders/{order['id']}/deliver", {"listing_id": listing["id"]})
    assert delivered.status_code == 200, delivered.get_json()
    assert (delivered.get_json()["status"], delivered.get_json()["listing_id"]) == ("delivered", listing["id"])
    assert demo.api("senior68").get(f"{HEPING}/needs?status=closed").get_json()["items"][0]["id"] == need["id"]
    for local, stars in (("senior68", 5), ("adult", 4)):
        rated = demo.api(local).post(f"/orders/{order['id']}/rating", {"stars": stars})
        assert rated.status_code == 200, rated.get_json()
    assert demo.api("adult").post(f"/orders/{order['id']}/rating", {"stars": 1}).get_json()["code"] == "order_rated"
    outsider = demo.api("student").post(f"/orders/{order['id']}/rating", {"stars": 1})
    assert outsider.status_code == 403
    shown = demo.client.get(f"/api/v1/orders/{order['id']}").get_json()
    assert (shown["ratings"], shown["average_stars"]) == (2, 4.5)
    actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.subject_type.in_(["need", "service_order"]))))
    assert actions == {"need_posted", "need_supported", "order_compiled", "order_taken", "order_delivered",
                       "order_rated"}


def test_who_asked_or_supported_is_told_at_each_step_once(demo, db):
    need = posted(demo)
    other = posted(demo, who="lowincome", title="Help with phones")
    demo.api("adult").post(f"/needs/{need['id']}/support")
    order = demo.api("staff").post(f"/needs/{need['id']}/compile", ORDER | {"need_ids": [other["id"]]}).get_json()
    assert sorted(order["need_ids"]) == sorted([need["id"], other["id"]])
    demo.api("canteen").post(f"/orders/{order['id']}/take", {})
    demo.api("staff").post(f"/orders/{order['id']}/deliver", {})
    steps = {"order_compiled", "order_taken", "order_delivered"}
    for local in ("senior68", "adult", "lowincome"):
        assert steps <= kinds_of(db, local), local
    assert not steps & kinds_of(db, "student")  # neither asked nor supported
    for kind in steps:
        assert db.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == kind, Notification.user_id == user_id(db, "adult"))) == 1
    zh = demo.api("adult").get("/me/notifications", headers={"Accept-Language": "en"}).get_json()["items"]
    assert any(item["title"] == f"Done: {ORDER['title']}" for item in zh)


def test_a_fund_sponsor_drafts_a_fund_proposal(demo, db):
    need = posted(demo)
    body = ORDER | {"sponsor": {"kind": "fund"}}
    order = demo.api("staff").post(f"/needs/{need['id']}/compile", body).get_json()
    proposal = db.get(Proposal, order["proposal_id"])
    assert (proposal.status, proposal.requested_amount, proposal.title) == ("draft", 120000, ORDER["title"])
    assert order["sponsor"]["name"] == "The community fund"
    demo.api("canteen").post(f"/orders/{order['id']}/take", {})
    delivered = demo.api("staff").post(f"/orders/{order['id']}/deliver", {"proposal_id": proposal.id}).get_json()
    assert delivered["proposal_id"] == proposal.id and delivered["status"] == "delivered"


def test_support_once_and_not_ones_own(demo, db):
    need = posted(demo)
    own = demo.api("senior68").post(f"/needs/{need['id']}/support")
    assert own.status_code == 409 and own.get_json()["code"] == "own_need"
    adult = demo.api("adult")
    assert adult.post(f"/needs/{need['id']}/support").status_code == 200
    twice = adult.post(f"/needs/{need['id']}/support")
    assert twice.status_code == 409 and twice.get_json()["code"] == "already_supported"
    assert db.scalar(select(func.count()).select_from(NeedSupport)) == 1


def test_the_board_sorts_by_support_or_newest_and_names_nobody_in_public(demo, db):
    first = posted(demo, title="Older, supported")
    second = posted(demo, who="adult", title="Newer, alone")
    demo.api("student").post(f"/needs/{first['id']}/support")
    by_support = demo.client.get(f"/api/v1{HEPING}/needs").get_json()["items"]
    assert [n["id"] for n in by_support] == [first["id"], second["id"]]
    newest = demo.client.get(f"/api/v1{HEPING}/needs?sort=new").get_json()["items"]
    assert [n["id"] for n in newest] == [second["id"], first["id"]]
    senior_name = db.scalar(select(User.name).where(User.email == "senior68@example.org"))
    for reader in (demo.client.get(f"/api/v1{HEPING}/needs"), demo.api("adult").get(f"{HEPING}/needs")):
        assert senior_name not in reader.get_data(as_text=True) and "resident_name" not in reader.get_data(as_text=True)
    staff_view = demo.api("staff").get(f"{HEPING}/needs").get_json()["items"]
    assert {n["resident_name"] for n in staff_view} >= {senior_name}


@pytest.mark.parametrize("body, field", [
    ({"title": "", "description": "x"}, "title"),
    ({"title": "   ", "description": "x"}, "title"),
    ({"title": "x" * 121, "description": "x"}, "title"),
    ({"title": "Fine", "description": "x" * 2001}, "description"),
    ({"description": "no title"}, "title"),
])
def test_a_bad_need_is_refused_and_changes_nothing(demo, db, body, field):
    answer = demo.api("senior68").post(f"{HEPING}/needs", body)
    assert answer.status_code == 422 and field in answer.get_json()["errors"], answer.get_json()
    assert demo.client.get(f"/api/v1{HEPING}/needs").get_json()["total"] == 0


@pytest.mark.parametrize("change, field", [
    ({"budget_amount": 0}, "budget_amount"),
    ({"budget_amount": "12"}, "budget_amount"),
    ({"sponsor": {"kind": "bank"}}, "sponsor"),
    ({"sponsor": {"kind": "company"}}, "sponsor"),
    ({"scope": " "}, "scope"),
    ({"need_ids": [999999]}, None),
])
def test_a_bad_order_is_refused_and_changes_nothing(demo, db, change, field):
    need = posted(demo)
    answer = demo.api("staff").post(f"/needs/{need['id']}/compile", ORDER | change)
    assert answer.status_code in (404, 422), answer.get_json()
    if field:
        assert field in answer.get_json()["errors"], answer.get_json()
    assert demo.client.get(f"/api/v1{HEPING}/orders").get_json()["total"] == 0
    assert demo.client.get(f"/api/v1{HEPING}/needs").get_json()["items"][0]["status"] == "open"


def test_who_may_do_what(demo, db):
    need = posted(demo)
    for local in ("canteen", "committee1"):  # not residents: they do not post or support
        assert demo.api(local).post(f"{HEPING}/needs", {"title": "x"}).status_code == 403
        assert demo.api(local).post(f"/needs/{need['id']}/support").status_code == 403
    assert demo.client.post(f"/api/v1/needs/{need['id']}/support").status_code == 401
    for local in ("adult", "canteen"):
        assert demo.api(local).post(f"/needs/{need['id']}/compile", ORDER).status_code == 403
    order = demo.api("staff").post(f"/needs/{need['id']}/compile", ORDER).get_json()
    for local in ("adult", "staff"):  # an operator takes, not a resident nor the office
        assert demo.api(local).post(f"/orders/{order['id']}/take", {}).status_code == 403
    assert demo.api("adult").post(f"/orders/{order['id']}/deliver", {}).status_code == 403
    early = demo.api("staff").post(f"/orders/{order['id']}/deliver", {})
    assert early.status_code == 409 and early.get_json()["code"] == "order_not_taken"
    assert demo.api("canteen").post(f"/orders/{order['id']}/take", {}).status_code == 200
    foreign = demo.api("canteen").post(f"/orders/{order['id']}/deliver", {"listing_id": 999999})
    assert foreign.status_code == 422 and foreign.get_json()["code"] == "unknown_listing"
    assert demo.api("canteen").post(f"/orders/{order['id']}/deliver", {}).status_code == 200


@pytest.mark.postgres
def test_concurrent_supports_by_one_resident_count_once(app, demo, db):
    need = posted(demo)
    adult = demo.api("adult")
    answers = race([posting(app, f"/needs/{need['id']}/support", {}, adult.token) for _ in range(6)])
    assert sorted(status for status, _ in answers) == [200] + [409] * 5
    assert db.scalar(select(func.count()).select_from(NeedSupport)) == 1


@pytest.mark.postgres
def test_concurrent_takes_give_the_order_to_one(app, demo, db):
    need = posted(demo)
    order = demo.api("staff").post(f"/needs/{need['id']}/compile", ORDER).get_json()
    canteen = demo.api("canteen")
    answers = race([posting(app, f"/orders/{order['id']}/take", {}, canteen.token) for _ in range(4)])
    assert sorted(status for status, _ in answers) == [200, 409, 409, 409]
