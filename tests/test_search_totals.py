"""The search's remembered totals: exact after every catalog write, counted once per catalog version."""
import contextlib

from sqlalchemy import select

from core.listings import SearchTotals
from core.models import Community, Listing
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


def test_a_remembered_total_follows_every_write_to_listings_slots_and_operators(api, db):
    community = make_community(db, slug="hp")
    operator = make_operator(db, community)
    staff = make_user(db, "operator_staff", community, operator)
    db.commit()
    as_staff = api(staff)
    total = lambda: api().get(f"/listings?community=hp&q=lunch&date={DAY}").get_json()["total"]
    first = as_staff.post("/listings", {"operator_id": operator.id, "title": "Lunch"}).get_json()
    as_staff.post(f"/listings/{first['id']}/slots", SLOT)
    assert total() == total() == 1
    second = as_staff.post("/listings", {"operator_id": operator.id, "title": "Lunch too"}).get_json()
    assert total() == 1  # no slot that day yet
    as_staff.post(f"/listings/{second['id']}/slots", SLOT)
    assert total() == 2
    as_staff.patch(f"/listings/{second['id']}", {"is_active": False})
    assert total() == 1
    as_staff.patch(f"/listings/{second['id']}", {"is_active": True, "title": "Dinner"})
    assert total() == 1
    db.get(type(operator), operator.id).status = "suspended"
    db.commit()
    assert total() == 0


def test_a_repeated_search_counts_once_and_a_booking_leaves_the_count_alone(app, api, db):
    community = make_community(db, slug="hp")
    listing = make_listing(db, make_operator(db, community), title="Lunch")
    slot = make_slot(db, listing)
    resident = make_user(db, "resident", community)
    db.commit()
    search = "/listings?community=hp&q=lunch"
    with statements(app) as first:
        assert api().get(search).get_json()["total"] == 1
    with statements(app) as again:
        assert api().get(search).get_json()["total"] == 1
    assert len(again) == len(first) - 1 and not any("count(" in s.lower() for s in again)
    version = db.scalar(select(Community.catalog_version).where(Community.id == community.id))
    booked = api(resident).post("/bookings", {"slot_id": slot.id, "quantity": 1, "payment_method": "cash"})
    assert booked.status_code == 201
    db.expire_all()
    assert db.scalar(select(Community.catalog_version).where(Community.id == community.id)) == version


def test_remembered_totals_are_bounded_least_recently_used_out_first(app, db):
    community = make_community(db)
    db.commit()
    totals, query = SearchTotals(size=2), select(Listing).where(Listing.community_id == community.id)
    counted = lambda *filters: _counts(app, lambda: totals.total(db, community, query, *filters))
    assert [counted("a"), counted("b"), counted("a"), counted("c")] == [1, 1, 0, 1]
    assert [counted("a"), counted("b")] == [0, 1]  # "b" was the least recently used when "c" came


def _counts(app, call) -> int:
    with statements(app) as sent:
        assert call() == 0
    return sum("count(" in s.lower() for s in sent)
