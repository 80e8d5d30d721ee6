"""The search's remembered totals and pages: exact after every catalog write, worked out once per catalog version."""
import contextlib

from sqlalchemy import select

from core.listings import CatalogMemo
from core.models import Community
from tests.factories import listening, make_community, make_listing, make_operator, make_slot, make_user

DAY = "2030-01-01"
SLOT = {"starts_at": f"{DAY}T11:30:00+08:00", "ends_at": f"{DAY}T13:00:00+08:00", "capacity": 5}


@contextlib.contextmanager
def statements(app):
    """The SQL statements the app's engine sends inside the block."""
    sent: list[str] = []
    with listening(app.extensions["linli"].db.engine, "before_cursor_execute",
                   lambda conn, cursor, statement, *rest: sent.append(statement)):
        yield sent
    sent[:] = [s for s in sent if s.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]


def test_a_remembered_search_follows_every_write_to_listings_slots_and_operators(api, db):
    community = make_community(db, slug="hp")
    operator = make_operator(db, community)
    staff = make_user(db, "operator_staff", community, operator)
    office = make_user(db, "community_staff", community)
    db.commit()
    as_staff, as_office = api(staff), api(office)

    def found(word="lunch"):
        page = api().get(f"/listings?community=hp&q={word}&date={DAY}").get_json()
        return page["total"], [item["title"] for item in page["items"]]

    first = as_staff.post("/listings", {"operator_id": operator.id, "title": "Lunch"}).get_json()
    as_staff.post(f"/listings/{first['id']}/slots", SLOT)
    assert found() == found() == (1, ["Lunch"])
    second = as_staff.post("/listings", {"operator_id": operator.id, "title": "Lunch too"}).get_json()
    assert found() == (1, ["Lunch"])  # no slot that day yet
    as_staff.post(f"/listings/{second['id']}/slots", SLOT)
    assert found() == (2, ["Lunch", "Lunch too"])
    as_staff.patch(f"/listings/{second['id']}", {"is_active": False})
    assert found() == (1, ["Lunch"])
    as_staff.patch(f"/listings/{second['id']}", {"is_active": True, "title": "Dinner"})
    assert found() == (1, ["Lunch"]) and found("dinner") == (1, ["Dinner"])
    # The office suspends the operator with one conditional UPDATE, which the ORM's flush does not see.
    assert as_office.post(f"/operators/{operator.id}/suspend", {"reason": "Food safety"}).status_code == 200
    assert found() == (0, [])
    assert as_office.post(f"/operators/{operator.id}/reinstate", {"reason": "Inspected"}).status_code == 200
    assert found() == (1, ["Lunch"])
    db.get(type(operator), operator.id).status = "suspended"
    db.commit()
    assert found() == (0, [])


def test_a_repeated_search_reads_only_the_community_and_a_booking_leaves_it_alone(app, api, db):
    community = make_community(db, slug="hp")
    listing = make_listing(db, make_operator(db, community), title="Lunch")
    slot = make_slot(db, listing)
    resident = make_user(db, "resident", community)
    db.commit()
    search = "/listings?community=hp&q=lunch"
    with statements(app) as first:
        assert api().get(search).get_json()["total"] == 1
    with statements(app) as again:
        repeated = api().get(search)
    assert repeated.get_json()["items"][0]["title"] == "Lunch" and repeated.mimetype == "application/json"
    assert len(first) == 3 and len(again) == 1 and "FROM communities" in again[0]
    with statements(app) as next_page:
        assert api().get(search + "&page=2").get_json() == {"items": [], "page": 2, "per_page": 50, "total": 1}
    assert len(next_page) == 2 and not any("count(" in s.lower() for s in next_page)  # the total is remembered
    version = db.scalar(select(Community.catalog_version).where(Community.id == community.id))
    booked = api(resident).post("/bookings", {"slot_id": slot.id, "quantity": 1, "payment_method": "cash"})
    assert booked.status_code == 201
    db.expire_all()
    assert db.scalar(select(Community.catalog_version).where(Community.id == community.id)) == version


def test_each_reader_gets_the_page_in_their_language(api, db):
    community = make_community(db, slug="hp")
    make_listing(db, make_operator(db, community), title="社区午餐", translations={"en": {"title": "Community lunch"}})
    db.commit()
    title = lambda language: api().get("/listings?community=hp", headers={"Accept-Language": language}
                                       ).get_json()["items"][0]["title"]
    assert [title("en"), title("zh-CN"), title("en"), title("zh-CN")] == ["Community lunch", "社区午餐"] * 2


def test_remembered_searches_are_bounded_by_weight_least_recently_used_out_first(db):
    community = make_community(db)
    db.commit()
    memo = CatalogMemo(budget=2)
    worked = []
    counted = lambda key: memo.remember(community, (key,), lambda: worked.append(key) or len(worked))
    assert [counted("a"), counted("b"), counted("a"), counted("c")] == [1, 2, 1, 3]
    assert [counted("a"), counted("b")] == [1, 4]  # "b" was the least recently used when "c" came
    assert memo.remember(community, ("heavy",), lambda: "x" * 3, len) == "xxx"
    assert memo.remember(community, ("heavy",), lambda: "y" * 3, len) == "yyy"  # heavier than all: never kept
    assert counted("a") == 1
