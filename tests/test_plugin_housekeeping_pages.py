"""The housekeeping centre's pages: the roster kept by its staff, and the worker shown on a resident's booking."""
from sqlalchemy import func, select

from plugins.housekeeping.models import Worker
from tests.factories import make_community, make_user
from tests.pages import text

CLEANING = "Home cleaning, 2 hours"


def centre_id(demo):
    return demo.listing(CLEANING)["operator_id"]


def roster_path(demo):
    return f"/housekeeping/operators/{centre_id(demo)}/workers"


def test_a_resident_books_a_cleaning_on_the_page_and_sees_the_worker_sent(demo, browser):
    slot = demo.slots(CLEANING)[0]
    resident = browser("adult")
    form_page = text(resident.get(f"/book/{slot['id']}"))
    assert "sends a trained worker" in form_page
    booked = resident.submit(f"/book/{slot['id']}", {"quantity": "1", "payment_method": "cash",
                                                     "details-address": "Heping Road 9, flat 302"})
    assert booked.status_code == 303, text(booked)
    page = text(resident.get(booked.headers["Location"]))
    assert "Who comes" in page and "刘桂芳, trained in Home cleaning, comes to Heping Road 9, flat 302." in page
    assert "{'id'" not in page  # the worker is shown by name, not as raw data


def test_a_placement_page_says_what_the_agency_fee_is(demo, browser):
    page = text(browser().get(f"/services/{demo.listing('Maternity-nanny package, 26 days')['id']}"))
    assert "CN¥3,000.00 is the centre's agency fee" in page
    assert "agency fee" not in text(browser().get(f"/services/{demo.listing(CLEANING)['id']}"))
    assert "Who comes" not in text(browser().get(f"/services/{demo.listing('Community lunch')['id']}"))


def test_the_centres_staff_keep_the_roster_from_the_desk(demo, browser, db):
    staff = browser("housekeeping")
    assert roster_path(demo) in text(staff.get(f"/operators/{centre_id(demo)}/today"))
    page = text(staff.get(roster_path(demo)))
    assert all(name in page for name in ("刘桂芳", "孙美丽", "周秀英", "吴兰英"))
    added = staff.client.post(roster_path(demo), data={"csrf_token": staff.token(roster_path(demo)),
                                                       "name": "Zheng Hong", "skills": ["cleaning", "elderly_care"],
                                                       "active": "y"})
    assert added.status_code == 303
    zheng = db.scalar(select(Worker).where(Worker.name == "Zheng Hong"))
    assert (zheng.skills, zheng.active, zheng.operator_id) == (["cleaning", "elderly_care"], True, centre_id(demo))
    edit = f"/housekeeping/workers/{zheng.id}"
    assert 'value="Zheng Hong"' in text(staff.get(edit))
    off = staff.client.post(edit, data={"csrf_token": staff.token(edit), "name": "Zheng Hong",
                                        "skills": ["elderly_care"]})  # the unticked box: off duty
    assert off.status_code == 303
    db.commit()  # a fresh read of what the page wrote
    db.expire_all()
    assert (db.get(Worker, zheng.id).skills, db.get(Worker, zheng.id).active) == (["elderly_care"], False)
    assert "Off duty" in text(staff.get(roster_path(demo)))


def test_a_bad_worker_is_a_form_error_and_changes_nothing(demo, browser, db):
    staff = browser("housekeeping")
    count = db.scalar(select(func.count()).select_from(Worker))
    for bad, message in (({"name": "", "skills": ["cleaning"]}, "Write the worker's name."),
                         ({"name": "No skills"}, "Choose at least one."),
                         ({"name": "Juggler", "skills": ["juggling"]}, "Not a valid choice"),
                         ({"name": "x" * 201, "skills": ["cleaning"]}, "At most 200 characters.")):
        response = staff.client.post(roster_path(demo), data={"csrf_token": staff.token(roster_path(demo)), **bad})
        assert response.status_code == 422, bad
        assert message.lower() in text(response).lower(), bad
    db.commit()
    assert db.scalar(select(func.count()).select_from(Worker)) == count


def test_only_the_centre_keeps_its_roster_and_its_community_reads_it(demo, browser, db):
    worker_id = db.scalar(select(Worker.id).where(Worker.name == "孙美丽"))
    community_staff = browser("staff")
    page = community_staff.get(roster_path(demo))
    assert page.status_code == 200 and "孙美丽" in text(page) and "Add a trained worker" not in text(page)
    refused = community_staff.client.post(roster_path(demo), data={
        "csrf_token": community_staff.token(roster_path(demo)), "name": "Intruder", "skills": ["cleaning"]})
    assert refused.status_code == 403
    assert community_staff.get(f"/housekeeping/workers/{worker_id}").status_code == 403
    assert roster_path(demo) in text(community_staff.get("/communities/heping/staff"))
    for who in ("adult", "canteen", "fair", "committee1"):
        visitor = browser(who)
        assert visitor.get(roster_path(demo)).status_code == 403, who
        assert visitor.get(f"/housekeeping/workers/{worker_id}").status_code == 403, who
    db.commit()  # end the read begun above: logging in writes a login record since
    elsewhere = make_user(db, "community_staff", make_community(db))
    db.commit()
    assert browser(email=elsewhere.email, password="test-password").get(roster_path(demo)).status_code == 403
    assert browser().get(roster_path(demo)).status_code == 302
    staff = browser("housekeeping")
    assert staff.get(f"/housekeeping/operators/{demo.listing('Community lunch')['operator_id']}/workers") \
        .status_code == 404
    assert staff.get("/housekeeping/workers/999999").status_code == 404
    assert db.scalar(select(func.count()).select_from(Worker).where(Worker.name == "Intruder")) == 0
