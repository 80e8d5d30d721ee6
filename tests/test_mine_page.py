"""The resident's menu at a phone's width: their own pages behind one entry, "Mine" (我的), whose page lists each
as a big link; nobody loses a page, and those who are not residents keep "My details" in the menu."""
from __future__ import annotations

import re

from tests.test_inbox_pages import chinese
from tests.test_notifications_api import tell

MENU = re.compile(r'<nav aria-label="[^"]*">(.*?)</nav>', re.S)
LINK = re.compile(r'<a(?: class="[^"]*")? href="([^"]+)"[^>]*>([^<]*)</a>')
OWN_PAGES = ["/my/bookings", "/my/waitlist", "/my/complaints", "/my/volunteering", "/my/notifications",
             "/my/details"]


def menu_of(response) -> list[tuple[str, str]]:
    return LINK.findall(MENU.search(response.get_data(as_text=True)).group(1))


def test_a_residents_menu_has_mine_and_its_page_leads_to_each_of_their_pages(demo, db, web):
    tell(db, "elder92", 2)
    elder = web("elder92")
    menu = menu_of(elder.get("/"))
    assert ("/my", "Mine") in menu
    assert not {url for url, _label in menu} & (set(OWN_PAGES) - {"/my/notifications"})
    assert len(menu) <= 4, menu  # services, messages, mine, the wishes board
    page = elder.get("/my")
    assert page.status_code == 200
    links = LINK.findall(page.get_data(as_text=True).split('data-testid="mine"')[1])
    assert [url for url, _label in links] == OWN_PAGES
    assert [label for _url, label in links][:4] == ["My bookings", "My waiting lists", "My complaints",
                                                    "My volunteering"]
    assert ("/my/notifications", "2 new messages") in links and links[-1][1] == "My details"
    for url in OWN_PAGES:
        assert elder.get(url).status_code == 200, url


def test_those_who_are_not_residents_keep_my_details_in_the_menu_and_have_no_mine(demo, web):
    for local in ("staff", "canteen", "charity"):
        reader = web(local)
        menu = menu_of(reader.get("/"))
        assert ("/my/details", "My details") in menu and "/my" not in {url for url, _ in menu}, local
        assert reader.get("/my").status_code in (302, 403), local
    assert web().get("/my").status_code == 302  # a visitor: to the login page


def test_mine_in_chinese(demo, web):
    elder = chinese(web)
    assert ("/my", "我的") in menu_of(elder.get("/"))
    assert "<h1>我的</h1>" in elder.get("/my").get_data(as_text=True)
