"""Roles and scope: nobody acts on another operator's or another community's data."""
import datetime as dt

from tests.factories import make_community, make_listing, make_operator, make_user


def test_operator_staff_cannot_edit_another_operators_listing(db, api):
    community = make_community(db)
    mine, theirs = make_operator(db, community), make_operator(db, community)
    listing = make_listing(db, theirs)
    staff = make_user(db, "operator_staff", community, mine)
    db.commit()
    as_staff = api(staff)
    assert as_staff.patch(f"/listings/{listing.id}", {"title": "Mine now"}).status_code == 403
    assert as_staff.post("/listings", {"operator_id": theirs.id, "title": "X"}).status_code == 403
    assert as_staff.post(f"/listings/{listing.id}/slots", {
        "starts_at": "2030-01-01T09:00:00+08:00", "ends_at": "2030-01-01T10:00:00+08:00", "capacity": 3,
    }).status_code == 403
    db.refresh(listing)
    assert listing.title == "A service"


def test_operator_staff_edits_own_listing(db, api):
    community = make_community(db)
    operator = make_operator(db, community)
    listing = make_listing(db, operator)
    staff = make_user(db, "operator_staff", community, operator)
    db.commit()
    response = api(staff).patch(f"/listings/{listing.id}", {"title": "Lunch"})
    assert response.status_code == 200 and response.get_json()["title"] == "Lunch"


def test_community_staff_of_one_community_cannot_act_on_another(db, api):
    home, elsewhere = make_community(db), make_community(db)
    pending = make_operator(db, elsewhere, status="pending")
    staff = make_user(db, "community_staff", home)
    db.commit()
    as_staff = api(staff)
    assert as_staff.post(f"/operators/{pending.id}/approve").status_code == 403
    assert as_staff.get(f"/operators/{pending.id}/agreements").status_code == 403
    assert as_staff.post(f"/communities/{elsewhere.slug}/spaces", {"name": "Mine"}).status_code == 403
    db.refresh(pending)
    assert pending.status == "pending"


def test_community_staff_approve_operators_and_agreements(db, api):
    community = make_community(db)
    applicant = make_user(db, "resident", community, born=dt.date(1980, 1, 1))
    staff = make_user(db, "community_staff", community)
    db.commit()
    as_applicant = api(applicant)
    created = as_applicant.post("/operators", {"community": community.slug, "name": "Fresh Foods",
                                               "type": "market_fair"})
    assert created.status_code == 201 and created.get_json()["status"] == "pending"
    operator_id = created.get_json()["id"]
    # the applicant cannot approve itself, nor list before approval
    assert as_applicant.post(f"/operators/{operator_id}/approve").status_code == 403
    assert as_applicant.post("/listings", {"operator_id": operator_id, "title": "Stall"}).status_code == 409
    space_id = api().get(f"/communities/{community.slug}/spaces").get_json()["items"][0]["id"]
    proposal = as_applicant.post(f"/operators/{operator_id}/agreements",
                                 {"space_id": space_id, "starts_on": "2026-12-01"})
    assert proposal.status_code == 201
    assert proposal.get_json()["status"] == "pending"
    assert proposal.get_json()["donation"] == {"kind": "percent_of_revenue", "bps": 500}

    as_staff = api(staff)
    assert as_staff.post(f"/operators/{operator_id}/approve").get_json()["status"] == "active"
    assert as_staff.post(f"/operators/{operator_id}/approve").status_code == 409
    approved = as_staff.post(f"/operators/{operator_id}/agreements/{proposal.get_json()['id']}/approve")
    assert approved.status_code == 200 and approved.get_json()["status"] == "active"
    assert as_applicant.post("/listings", {"operator_id": operator_id, "title": "Stall"}).status_code == 201


def test_anonymous_users_read_but_do_not_write(db, api):
    community = make_community(db)
    operator = make_operator(db, community)
    listing = make_listing(db, operator)
    db.commit()
    anonymous = api()
    assert anonymous.get(f"/listings/{listing.id}").status_code == 200
    assert anonymous.patch(f"/listings/{listing.id}", {"title": "x"}).status_code == 401
    assert anonymous.post("/operators", {"community": community.slug, "name": "x", "type": "canteen"}).status_code == 401
