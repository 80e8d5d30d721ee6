"""Every demo resident's price for every demo listing (SPEC §5, §9.3)."""
import pytest

LISTINGS = ["Community lunch", "Home cleaning, 2 hours", "Maternity-nanny training course", "Neighbourhood fair",
            "Hand-sewing piece-work"]
EXPECTED = {  # resident: one (tier, unit_amount, rule) per listing, in the order above
    "elder92": [("free", 0, "age_90_plus"), ("paid", 12000, "anyone"), ("free", 0, "anyone"),
                ("free", 0, "resident"), ("free", 0, "anyone")],
    "senior68": [("low_cost", 500, "age_60_plus"), ("paid", 12000, "anyone"), ("free", 0, "anyone"),
                 ("free", 0, "resident"), ("free", 0, "anyone")],
    "student": [("low_cost", 800, "student"), ("paid", 12000, "anyone"), ("free", 0, "anyone"),
                ("free", 0, "resident"), ("free", 0, "anyone")],
    "adult": [("paid", 1000, "anyone"), ("paid", 12000, "anyone"), ("free", 0, "anyone"),
              ("free", 0, "resident"), ("free", 0, "anyone")],
    "lowincome": [("paid", 1000, "anyone"), ("low_cost", 6000, "low_income"), ("free", 0, "anyone"),
                  ("free", 0, "resident"), ("free", 0, "anyone")],
}


LUNCH_FOR_EVERYONE = 1000


@pytest.mark.parametrize("resident", sorted(EXPECTED))
def test_each_demo_resident_gets_the_price_the_rules_give(demo, resident):
    session = demo.api(resident)
    for title, (tier, amount, rule) in zip(LISTINGS, EXPECTED[resident]):
        slot = demo.slots(title)[0]
        response = session.post("/quotes", {"slot_id": slot["id"]})
        assert response.status_code == 200, (title, response.get_json())
        quote = response.get_json()
        assert quote == {"tier": tier, "unit_amount": amount, "extra_unit_amount": None, "total_amount": amount,
                         "quantity": 1, "currency": "CNY", "rule": rule, "volunteer_hours": 0,
                         "resident_id": quote["resident_id"], "awaiting_verification": False, "note": None}, title
        assert quote["resident_id"] == session.get("/me").get_json()["id"]


@pytest.mark.parametrize("resident", sorted(EXPECTED))
def test_a_residents_own_price_is_for_one_lunch_and_the_familys_others_at_the_price_for_everyone(demo, resident):
    """Three lunches: the resident's own at their tier (free at 92), the other two at ¥10 each."""
    tier, amount, rule = EXPECTED[resident][0]
    quote = demo.api(resident).post("/quotes", {"slot_id": demo.slots("Community lunch")[0]["id"],
                                                "quantity": 3}).get_json()
    extra = None if amount == LUNCH_FOR_EVERYONE else LUNCH_FOR_EVERYONE
    assert (quote["tier"], quote["rule"], quote["unit_amount"], quote["extra_unit_amount"], quote["total_amount"]) == (
        tier, rule, amount, extra, amount + 2 * LUNCH_FOR_EVERYONE)


@pytest.mark.parametrize("title", LISTINGS[1:])
def test_a_service_sold_one_place_at_a_time_quotes_no_more(demo, title):
    response = demo.api("adult").post("/quotes", {"slot_id": demo.slots(title)[0]["id"], "quantity": 2})
    assert response.status_code == 422 and response.get_json()["code"] == "one_place_per_booking"
    assert "quantity" in response.get_json()["errors"]


def test_a_resident_of_another_community_pays_the_paid_price(demo, db):
    from tests.factories import Api, PASSWORD, make_community, make_user

    outsider = make_user(db, "resident", make_community(db), born=__import__("datetime").date(1930, 1, 1))
    db.commit()
    token = demo.client.post("/api/v1/auth/token", json={"email": outsider.email, "password": PASSWORD}).get_json()
    session = Api(demo.client, token["token"])
    lunch = session.post("/quotes", {"slot_id": demo.slots("Community lunch")[0]["id"]}).get_json()
    fair = session.post("/quotes", {"slot_id": demo.slots("Neighbourhood fair")[0]["id"]}).get_json()
    assert (lunch["tier"], lunch["unit_amount"]) == ("paid", 1000)
    assert (fair["tier"], fair["unit_amount"]) == ("paid", 5000)


def test_quotes_are_for_residents_only(demo):
    slot = demo.slots("Community lunch")[0]
    assert demo.api("canteen").post("/quotes", {"slot_id": slot["id"]}).status_code == 403
    assert demo.client.post("/api/v1/quotes", json={"slot_id": slot["id"]}).status_code == 401
    assert demo.api("adult").post("/quotes", {"slot_id": 10**9}).status_code == 404
    assert demo.api("adult").post("/quotes", {"slot_id": slot["id"], "quantity": 0}).status_code == 422


def test_a_verified_attribute_changes_the_price_and_is_recorded(demo, db):
    from core.models import AuditEvent

    adult, staff = demo.api("adult"), demo.api("staff")
    adult_id = adult.get("/me").get_json()["id"]
    slot = demo.slots("Community lunch")[0]
    assert adult.post("/quotes", {"slot_id": slot["id"]}).get_json()["rule"] == "anyone"
    # a resident cannot verify themself
    assert adult.post(f"/residents/{adult_id}/attributes", {"attribute": "student"}).status_code == 403
    verified = staff.post(f"/residents/{adult_id}/attributes", {"attribute": "student"})
    assert verified.status_code == 201
    record = verified.get_json()["attributes"][0]
    assert record["attribute"] == "student" and record["verified_by_id"] == staff.get("/me").get_json()["id"]
    assert adult.post("/quotes", {"slot_id": slot["id"]}).get_json()["rule"] == "student"
    # checked again (e.g. a new term's student card): renewed, with who and when
    assert staff.post(f"/residents/{adult_id}/attributes", {"attribute": "student"}).status_code == 201
    assert staff.call("DELETE", f"/residents/{adult_id}/attributes/student").status_code == 200
    assert adult.post("/quotes", {"slot_id": slot["id"]}).get_json()["rule"] == "anyone"
    actions = [e.action for e in db.query(AuditEvent).filter_by(subject_id=adult_id).order_by(AuditEvent.id)]
    assert actions == ["attribute_verified", "attribute_verified", "attribute_cleared"]


def test_verify_resident_command(demo, runner, db):
    from core.models import User, VerifiedAttribute

    result = runner.invoke(args=["verify-resident", "--email", "adult@example.org", "--attribute", "disability",
                                 "--by", "staff@example.org"])
    assert result.exit_code == 0, result.output
    adult = db.query(User).filter_by(email="adult@example.org").one()
    assert [a.attribute for a in db.query(VerifiedAttribute).filter_by(user_id=adult.id)] == ["disability"]
    refused = runner.invoke(args=["verify-resident", "--email", "adult@example.org", "--attribute", "student",
                                  "--by", "adult@example.org"])
    assert refused.exit_code != 0
