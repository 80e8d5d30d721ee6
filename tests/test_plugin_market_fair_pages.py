"""The market fair's pages: coming fairs and visits, the stall map, the register, sales reports and gifts in kind."""
from sqlalchemy import func, select

from core.models import InKindDonation
from plugins.market_fair.models import SalesReport, Vendor, Visit
from tests.clock import serving
from tests.factories import make_community, make_user
from tests.pages import text
from tests.test_plugin_market_fair import fair_is_over

FAIR = "Neighbourhood fair"


def fair(demo):
    return demo.listing(FAIR), demo.slots(FAIR)[0]


def book_stall(browser_, slot_id, number=""):
    return browser_.submit(f"/book/{slot_id}", {"quantity": "1", "details-stall_number": str(number)})


def stranger(db, role="resident"):
    user = make_user(db, role, make_community(db))
    db.commit()
    return user


def test_residents_see_the_coming_fair_and_register_a_visit(demo, browser, db):
    listing, slot = fair(demo)
    service_page = f"/services/{listing['id']}"
    assert "I will come to look" not in text(browser().get(service_page))
    resident = browser("senior68")
    page = text(resident.get(service_page))
    assert "Coming fairs" in page and "40 stalls free" in page and "I will come to look (free)" in page
    registered = resident.submit(f"/market-fair/slots/{slot['id']}/visits", form_at=service_page)
    assert registered.status_code == 303 and registered.headers["Location"].endswith(service_page)
    assert "you are registered to visit the fair" in text(resident.get(service_page))
    assert "1 neighbour is coming" in text(resident.get(service_page))
    again = resident.submit(f"/market-fair/slots/{slot['id']}/visits", form_at=service_page)
    assert "registered to visit this fair already" in text(resident.get(again.headers["Location"]))
    staff = browser("fair")  # not a resident: told so, and nothing is counted
    refused = staff.submit(f"/market-fair/slots/{slot['id']}/visits", form_at=service_page)
    assert "You are not allowed to do this." in text(staff.get(refused.headers["Location"]))
    assert db.scalar(select(func.count()).select_from(Visit)) == 1
    assert browser().client.post(f"/market-fair/slots/{slot['id']}/visits").status_code == 400  # no CSRF token


def test_a_vendor_chooses_a_stall_on_the_booking_page_and_nobody_takes_it_twice(demo, browser):
    _, slot = fair(demo)
    vendor = browser("adult")
    assert "Choose your stall" in text(vendor.get(f"/book/{slot['id']}"))
    booked = book_stall(vendor, slot["id"], 7)
    assert booked.status_code == 303
    assert "Stall 7" in text(vendor.get(booked.headers["Location"]))
    second = browser("student")
    assert "Taken: 7." in text(second.get(f"/book/{slot['id']}"))
    refused = book_stall(second, slot["id"], 7)
    assert refused.status_code == 409 and "Stall 7 is taken for this fair" in text(refused)
    too_far = book_stall(second, slot["id"], 41)
    assert too_far.status_code == 422 and "This fair has stalls 1 to 40." in text(too_far)
    assert demo.client.get(f"/api/v1/market-fair/slots/{slot['id']}/stalls").get_json()["taken"] == [7]


def test_the_stall_map_shows_free_stalls_to_all_and_who_is_where_to_staff(demo, browser):
    _, slot = fair(demo)
    book_stall(browser("adult"), slot["id"], 3)
    path = f"/market-fair/slots/{slot['id']}/stalls"
    public = text(browser().get(path))
    assert "39 of 40 stalls are free" in public and "陈杰" not in public and "Who is where" not in public
    for who in ("fair", "staff"):
        page = text(browser(who).get(path))
        assert "Who is where" in page and "陈记面馆" in page and "陈杰" in page, who
    assert "Who is where" not in text(browser("canteen").get(path))
    assert browser().get(f"/market-fair/slots/{demo.slots('Community lunch')[0]['id']}/stalls").status_code == 404


def test_the_fairs_staff_keep_the_vendor_register_on_its_page(demo, browser, db):
    fair_id = demo.listing(FAIR)["operator_id"]
    path = f"/market-fair/operators/{fair_id}/vendors"
    staff = browser("fair")
    assert path in text(staff.get(f"/operators/{fair_id}/today"))
    merchant = stranger(db)
    added = staff.submit(path, {"email": merchant.email.upper(), "business_name": "Li's Bakery", "tier": "local"})
    assert added.status_code == 303
    vendor = db.scalar(select(Vendor).where(Vendor.user_id == merchant.id))
    assert (vendor.business_name, vendor.tier, vendor.operator_id) == ("Li's Bakery", "local", fair_id)
    for bad, status, message in (
            ({"email": "nobody@example.org", "business_name": "X", "tier": "local"}, 422,
             "Nobody has an account with this email."),
            ({"email": merchant.email, "business_name": "", "tier": "local"}, 422, "Please fill this in."),
            ({"email": merchant.email, "business_name": "X", "tier": "royal"}, 422, "Not a valid choice"),
            ({"email": merchant.email, "business_name": "Again", "tier": "local"}, 409, "on the register already")):
        response = staff.submit(path, bad)
        assert response.status_code == status and message in text(response), bad
    change = f"/market-fair/vendors/{vendor.id}"
    moved = staff.submit(change, {"business_name": "Li's Bakery & Cakes", "tier": "outside"}, form_at=path)
    assert moved.status_code == 303
    assert "The register is updated." in text(staff.get(path))
    db.commit()
    db.expire_all()
    assert (db.get(Vendor, vendor.id).business_name, db.get(Vendor, vendor.id).tier) == ("Li's Bakery & Cakes",
                                                                                         "outside")
    staff.submit(change, {"business_name": "", "tier": "local"}, form_at=path)
    assert "Nothing was changed" in text(staff.get(path))
    db.commit()
    db.expire_all()
    assert db.get(Vendor, vendor.id).tier == "outside"
    assert db.scalar(select(func.count()).select_from(Vendor)) == 2


def test_only_the_fair_keeps_its_register_and_its_community_reads_it(demo, browser, db):
    fair_id = demo.listing(FAIR)["operator_id"]
    path = f"/market-fair/operators/{fair_id}/vendors"
    community_staff = browser("staff")
    page = text(community_staff.get(path))
    assert "陈记面馆" in page and "Put a merchant on the register" not in page
    refused = community_staff.submit(path, {"email": "adult@example.org", "business_name": "X", "tier": "local"})
    assert refused.status_code == 403
    vendor_id = db.scalar(select(Vendor.id))
    assert community_staff.submit(f"/market-fair/vendors/{vendor_id}", {"business_name": "X", "tier": "outside"},
                                  form_at=path).status_code == 403
    for who in ("adult", "canteen", "committee1"):
        assert browser(who).get(path).status_code == 403, who
    db.commit()  # end the read begun above: logging in writes a login record since
    other = stranger(db, "community_staff")
    assert browser(email=other.email, password="test-password").get(path).status_code == 403
    assert browser("fair").get(f"/market-fair/operators/{demo.listing('Community lunch')['operator_id']}/vendors") \
        .status_code == 404
    office = text(community_staff.get("/communities/heping/staff"))
    assert all(f"/market-fair/operators/{fair_id}/{page}" in office for page in ("fairs", "vendors", "sales-reports"))


def test_a_vendor_reports_sales_after_the_fair_and_the_pledge_is_due_to_the_fund(demo, browser, db):
    listing, slot = fair(demo)
    vendor = browser("adult")
    booking_page = book_stall(vendor, slot["id"], 9).headers["Location"]
    booking_id = int(booking_page.rstrip("/").split("/")[-1])
    report = f"/market-fair/bookings/{booking_id}/sales-report"
    assert "Sales are reported after the fair" in text(vendor.get(report))
    fair_is_over(db, slot["id"])
    assert "Report your sales" in text(vendor.get(booking_page))
    for bad, message in (({"sales_amount": "865.435", "pledged_bps": "5"}, "Write at most two decimals"),
                         ({"sales_amount": "-1", "pledged_bps": "5"}, "Write an amount of 0 or more"),
                         ({"sales_amount": "abc", "pledged_bps": "5"}, "Not a valid decimal value"),
                         ({"sales_amount": "sNaN", "pledged_bps": "5"}, "Write a number"),
                         ({"sales_amount": "100", "pledged_bps": "101"}, "Between 0 and 100 percent."),
                         ({"sales_amount": "100", "pledged_bps": "2.555"}, "At most two decimals")):
        response = vendor.submit(report, bad)
        assert response.status_code == 422 and message in text(response), bad
    assert db.scalar(select(func.count()).select_from(SalesReport)) == 0
    for who in ("student", "canteen", "staff"):
        assert browser(who).get(report).status_code == 403, who
    assert browser("fair").get(report).status_code == 200  # the fair's staff may report for a vendor
    before = demo.api("committee1").get("/communities/heping/fund").get_json()["receivable_amount"]
    sent = vendor.submit(report, {"sales_amount": "865.43", "pledged_bps": "5"})
    assert sent.status_code == 303
    page = text(vendor.get(report))
    assert "CN¥43.27 is pledged to the community fund" in page and "(5% of sales)" in page
    after = demo.api("committee1").get("/communities/heping/fund").get_json()["receivable_amount"]
    assert after - before == 4_327
    assert "You reported CN¥865.43 of sales and pledged CN¥43.27" in text(vendor.get(booking_page))
    again = vendor.submit(f"/market-fair/bookings/{booking_id}/sales-report", {"sales_amount": "1", "pledged_bps": "1"},
                          form_at=f"/book/{demo.slots('Community lunch')[0]['id']}")
    db.commit()
    assert again.status_code == 409 and db.scalar(select(func.count()).select_from(SalesReport)) == 1
    fair_id = listing["operator_id"]
    for who in ("fair", "staff"):
        listed = text(browser(who).get(f"/market-fair/operators/{fair_id}/sales-reports"))
        assert "陈杰" in listed and "CN¥865.43" in listed and "CN¥43.27" in listed, who
    assert browser("adult").get(f"/market-fair/operators/{fair_id}/sales-reports").status_code == 403


def test_a_gift_in_kind_is_recorded_on_the_fairs_page_apart_from_cash(demo, browser, db):
    _, slot = fair(demo)
    path, staff = f"/market-fair/slots/{slot['id']}/in-kind", browser("fair")
    assert path in text(staff.get(f"/market-fair/operators/{demo.listing(FAIR)['operator_id']}/fairs"))
    before = demo.api("committee1").get("/communities/heping/fund").get_json()
    with serving(slot):  # given at the fair, recorded that day
        recorded = staff.submit(path, {"donor": "Heping Fruit Shop", "item": "Boxes of oranges", "quantity": "12",
                                       "declared_value_amount": "360"})
        assert recorded.status_code == 303
        page = text(staff.get(path))
    assert "Recorded: 12 × Boxes of oranges from Heping Fruit Shop, at CN¥360.00." in page
    after = demo.api("committee1").get("/communities/heping/fund").get_json()
    assert after["in_kind_amount"] - before["in_kind_amount"] == 36_000
    assert after["balance_amount"] == before["balance_amount"]
    db.commit()
    gift = db.scalar(select(InKindDonation))
    assert gift.received_on.isoformat() == slot["starts_at"][:10]  # the day of the fair
    db.commit()
    for who in ("staff", "committee2"):
        given = {"donor": "A neighbour", "item": "Books", "quantity": "30", "declared_value_amount": "0",
                 "received_on": "2026-03-07"}
        assert browser(who).submit(path, given).status_code == 303, who
    staff = browser("fair")  # today again: the cookie signed on the fair's day would not be valid before it
    rice = {"donor": "A", "item": "Rice", "quantity": "1", "declared_value_amount": "5"}
    for bad, message in (({**rice, "donor": ""}, "Please fill this in."), ({**rice, "quantity": "0"}, "Between 1 and"),
                         ({**rice, "declared_value_amount": "5.001"}, "two decimals"),
                         ({**rice, "received_on": "2026-02-30"}, "Not a valid date value")):
        response = staff.submit(path, bad)
        assert response.status_code == 422 and message in text(response), bad
    for who in ("adult", "canteen", "charity"):
        assert browser(who).get(path).status_code == 403, who
    other = stranger(db, "community_staff")
    assert browser(email=other.email, password="test-password").get(path).status_code == 403
    assert browser().get(path).status_code == 302
    db.commit()
    assert db.scalar(select(func.count()).select_from(InKindDonation)) == 3
