"""What each reader is offered instead of a door that refuses them (core/web/permissions.py): staff book for a
resident through 代办, the office reads proposals without the committee's reconciliation and ledger, the fair's
map links a sales report only to who may write it. tests/test_no_dead_links.py walks every page; these say what
takes the refused link's place."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.pages import text
from tests.test_web_pages import lunch_slot


def book_links(page: str) -> set[str]:
    return set(re.findall(r'href="(/book/\d+)"', page))


def chooser_links(page: str) -> set[str]:
    return set(re.findall(r'href="(/act-for\?next=[^"]+)"', page))


def service_page(demo, visitor, title: str = "Community lunch") -> str:
    return text(visitor.get(f"/services/{demo.listing(title)['id']}"))


@pytest.mark.parametrize("who", [None, "senior68", "admin"])
def test_residents_and_visitors_are_offered_the_booking_itself(demo, browser, who):
    page = service_page(demo, browser(who))
    assert f"/book/{lunch_slot(demo)['id']}" in book_links(page) and not chooser_links(page)


@pytest.mark.parametrize("who", ["committee1", "charity"])
def test_who_neither_books_nor_acts_is_offered_neither(demo, browser, who):
    page = service_page(demo, browser(who))
    assert not book_links(page) and not chooser_links(page)
    assert "Times you can book" in page  # the times and places left are still there to read


def test_operator_staff_book_for_a_resident_only_at_their_own_operator(demo, browser):
    canteen = browser("canteen")
    assert chooser_links(service_page(demo, canteen)) and not book_links(service_page(demo, canteen))
    workshop_page = service_page(demo, canteen, "Hand-sewing piece-work")
    assert not book_links(workshop_page) and not chooser_links(workshop_page)


def test_staff_choose_the_resident_then_land_on_the_time_they_chose(demo, web):
    slot = lunch_slot(demo)["id"]
    staff = web("staff")
    offered = f"/act-for?next=/book/{slot}"
    assert chooser_links(service_page(demo, staff)) >= {offered}
    chooser = text(staff.get(offered + "&q=0092"))
    assert f'name="next" value="/book/{slot}"' in chooser and "王奶奶" in chooser
    elder = demo.api("elder92").get("/me").get_json()["id"]
    started = staff.post(f"/act-for/{elder}", {"next": f"/book/{slot}"})
    assert started.status_code == 303 and started.headers["Location"].endswith(f"/book/{slot}")
    booking_page = staff.get(f"/book/{slot}")
    assert booking_page.status_code == 200 and "You are acting for 王奶奶" in text(booking_page)
    assert f"/book/{slot}" in book_links(service_page(demo, staff))  # acting, the times are theirs to book


@pytest.mark.parametrize("elsewhere", ["//evil.example/book/1", "https://evil.example/", "javascript:alert(1)"])
def test_acting_starts_only_on_a_page_of_this_site(demo, web, elsewhere):
    staff = web("staff")
    elder = demo.api("elder92").get("/me").get_json()["id"]
    started = staff.post(f"/act-for/{elder}", {"next": elsewhere})
    assert started.status_code == 303 and started.headers["Location"].endswith("/")
    assert f'value="{elsewhere}"' not in text(staff.get(f"/act-for?next={quote(elsewhere, safe='')}"))


def test_the_office_reads_proposals_without_the_committees_reconciliation_and_ledger(demo, browser):
    fund_tabs = re.compile(r'href="/communities/heping/fund/(reconciliation|ledger)"')
    office = text(browser("staff").get("/communities/heping/fund/proposals"))
    committee = text(browser("committee1").get("/communities/heping/fund/proposals"))
    assert "Proposals" in office and not fund_tabs.search(office)
    assert sorted(set(fund_tabs.findall(committee))) == ["ledger", "reconciliation"]


def test_the_stall_map_links_a_sales_report_only_for_who_may_write_it(demo, browser):
    fair = demo.slots("Neighbourhood fair")[0]["id"]
    stall = demo.api("adult").post("/bookings", {"slot_id": fair, "quantity": 1, "payment_method": "cash",
                                                 "details": {}})
    assert stall.status_code == 201, stall.get_json()
    report = f'href="/market-fair/bookings/{stall.get_json()["id"]}/sales-report"'
    office, fair_staff = (text(browser(who).get(f"/market-fair/slots/{fair}/stalls")) for who in ("staff", "fair"))
    assert "陈杰" in office and "Not yet" in office and report not in office
    assert report in fair_staff
    assert browser("staff").get(f"/market-fair/bookings/{stall.get_json()['id']}/sales-report").status_code == 403
    assert "Book a stall" not in office and "Book a stall" in text(browser("adult").get(
        f"/market-fair/slots/{fair}/stalls"))
