"""The pages of operators held to account: the staff's decision page, the operator's "Our scores", and the public
scores and stars, in English and in Chinese."""
import datetime as dt

import pytest
from sqlalchemy import select

from core.models import Agreement, AuditEvent, Community, Operator, OperatorScore, User
from core.schedules import today_in
from tests.factories import make_score, make_stars
from tests.pages import text
from tests.test_chinese_pages import english_words


@pytest.fixture
def scored(app, demo, db):
    """The demo canteen with two scored months (one adjusted, one under 6) and last year's four stars."""
    community = db.scalar(select(Community).where(Community.slug == "heping"))
    canteen = db.scalar(select(Operator).where(Operator.community_id == community.id, Operator.type == "canteen"))
    staff = db.scalar(select(User).where(User.email == "staff@example.org"))
    year = today_in(community).year
    make_score(db, canteen, f"{year - 1}-11", 55, missing=("donations", "inspection"))
    make_score(db, canteen, f"{year - 1}-12", 62, adjusted=(70, "The inspection was entered twice", staff.id))
    make_stars(db, canteen, year - 1, 4)
    db.commit()
    return community, canteen, year - 1


def staff_page(community, operator) -> str:
    return f"/communities/{community.slug}/staff/operators/{operator.id}"


def test_staff_see_the_scores_explained_and_suspend_then_reinstate(scored, browser, db):
    community, canteen, year = scored
    staff = browser("staff")
    page = staff.get(staff_page(community, canteen))
    assert page.status_code == 200
    shown = text(page)
    assert "Residents' ratings" in shown and "No data this month" in shown
    assert "Staff changed the computed 6.2 to 7.0: The inspection was entered twice" in shown
    assert "Under 6" in shown and "<svg" in shown and f"★★★★ {year}" in shown
    assert "Scores and standing" in text(staff.get(f"/communities/{community.slug}/staff"))

    blank = staff.submit(staff_page(community, canteen) + "/suspend", {"suspend-reason": " "},
                         form_at=staff_page(community, canteen))
    assert blank.status_code == 422 and "Please fill this in." in text(blank)
    done = staff.submit(staff_page(community, canteen) + "/suspend", {"suspend-reason": "Food poisoning"},
                        form_at=staff_page(community, canteen))
    assert done.status_code == 303
    db.commit()
    db.expire_all()
    assert db.get(Operator, canteen.id).status == "suspended"
    page = text(staff.get(staff_page(community, canteen)))
    assert "Food poisoning" in page and "Reinstate" in page and "Suspend at once" not in page

    back = staff.submit(staff_page(community, canteen) + "/reinstate", {"reinstate-reason": "Kitchen cleaned"},
                        form_at=staff_page(community, canteen))
    assert back.status_code == 303
    db.commit()
    db.expire_all()
    assert db.get(Operator, canteen.id).status == "active"


def test_staff_confirm_an_exit_with_its_day_and_choice(scored, browser, db):
    community, canteen, _year = scored
    db.get(Operator, canteen.id).status = "exit_proposed"
    db.commit()
    staff = browser("staff")
    page = text(staff.get(staff_page(community, canteen)))
    assert "Confirm the exit" in page and "Reinstate" in page and "three months in a row" in page
    ends_on = today_in(community) + dt.timedelta(days=14)
    missing_choice = staff.submit(staff_page(community, canteen) + "/exit",
                                  {"reason": "Three months under 6", "ends_on": ends_on.isoformat()},
                                  form_at=staff_page(community, canteen))
    assert missing_choice.status_code == 422
    past = staff.submit(staff_page(community, canteen) + "/exit",
                        {"reason": "Three months under 6", "existing_bookings": "honour",
                         "ends_on": (today_in(community) - dt.timedelta(days=1)).isoformat()},
                        form_at=staff_page(community, canteen))
    assert past.status_code == 422 and "The agreement cannot end before today." in text(past)
    done = staff.submit(staff_page(community, canteen) + "/exit",
                        {"reason": "Three months under 6", "ends_on": ends_on.isoformat(),
                         "existing_bookings": "honour"}, form_at=staff_page(community, canteen))
    assert done.status_code == 303
    db.commit()
    db.expire_all()
    assert db.get(Operator, canteen.id).status == "exited"
    assert {a.status for a in db.scalars(select(Agreement).where(Agreement.operator_id == canteen.id))} == {"ended"}
    assert db.scalar(select(AuditEvent.data).where(AuditEvent.action == "operator_exited"))["ends_on"] \
        == ends_on.isoformat()
    page = text(staff.get(staff_page(community, canteen)))
    assert "Made to leave" in page and "Bookings already made are honoured" in page
    assert "Ended" in text(staff.get(f"/communities/{community.slug}/staff"))


def test_the_operator_reads_its_scores_trend_stars_and_decisions_without_staff_names(scored, browser, db, demo):
    community, canteen, year = scored
    demo.api("staff").post(f"/operators/{canteen.id}/suspend", {"reason": "Food safety check"})
    page = browser("canteen").get(f"/operators/{canteen.id}/scores")
    assert page.status_code == 200
    shown = text(page)
    assert "Our scores" in shown and "Suspended" in shown and "Food safety check" in shown
    assert f"★★★★ {year}" in shown and "<svg" in shown and "Monthly score, last 12 months" in shown
    assert "Community staff" in shown
    assert db.scalar(select(User.name).where(User.email == "staff@example.org")) not in shown
    assert browser("housekeeping").get(f"/operators/{canteen.id}/scores").status_code in (403, 404)


def test_the_public_reads_scores_and_stars_and_listings_show_the_stars(scored, browser):
    community, canteen, year = scored
    visitor = browser()
    transparency = text(visitor.get(f"/communities/{community.slug}/transparency"))
    assert "How the operators are doing" in transparency
    page = visitor.get(f"/communities/{community.slug}/operators")
    assert page.status_code == 200
    shown = text(page)
    assert "7.0" in shown and "adjusted" in shown and f"★★★★ {year}" in shown
    assert "entered twice" not in shown
    record = visitor.get(f"/communities/{community.slug}/operators/{canteen.id}")
    assert record.status_code == 200
    assert f"/communities/{community.slug}/operators/{canteen.id}" in page.get_data(as_text=True)  # linked
    shown = text(record)
    assert "Staff changed the computed 6.2 to 7.0." in shown and "<svg" in shown and f"★★★★ {year}" in shown
    assert "entered twice" not in shown and "Community staff" not in shown
    home = text(visitor.get("/?community=heping"))
    assert f"★★★★ {year}" in home
    listing = next(item for item in visitor.client.get("/api/v1/listings?per_page=200").get_json()["items"]
                   if item["operator_id"] == canteen.id)
    assert f"★★★★ {year}" in text(visitor.get(f"/services/{listing['id']}"))


def test_the_public_record_is_only_of_operators_that_serve_or_served_here(scored, browser, db):
    community, canteen, _year = scored
    visitor = browser()
    pending = Operator(community_id=canteen.community_id, stored_name="Not yet", type="canteen", status="pending")
    db.add(pending)
    db.commit()
    assert visitor.get(f"/communities/{community.slug}/operators/{pending.id}").status_code == 404
    assert visitor.get(f"/communities/{community.slug}/operators/999999").status_code == 404
    other = db.scalar(select(Community).where(Community.slug != community.slug))
    if other is not None:
        assert visitor.get(f"/communities/{other.slug}/operators/{canteen.id}").status_code == 404
    for status in ("suspended", "exited"):
        db.get(Operator, canteen.id).status = status
        db.commit()
        assert visitor.get(f"/communities/{community.slug}/operators/{canteen.id}").status_code == 200


@pytest.mark.parametrize("who, path", [
    ("staff", "/communities/heping/staff/operators/{id}"),
    ("canteen", "/operators/{id}/scores"),
    (None, "/communities/heping/operators"),
    (None, "/communities/heping/operators/{id}"),
])
def test_the_pages_read_in_chinese(scored, browser, db, who, path):
    _community, canteen, _year = scored
    db.get(Operator, canteen.id).status = "exit_proposed"
    for score in db.scalars(select(OperatorScore).where(OperatorScore.adjusted_at.is_not(None))):
        score.adjust_reason = "检查记录重复"  # what staff write is shown as written
    db.commit()
    visitor = browser(who)
    visitor.get("/lang/zh_Hans")
    visitor.get("/")  # the welcome said at login, read
    page = visitor.get(path.format(id=canteen.id))
    assert page.status_code == 200
    markup = page.get_data(as_text=True)
    assert not english_words(markup), english_words(markup)
    assert "★★★★" in markup
