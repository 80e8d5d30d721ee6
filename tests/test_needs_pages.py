"""The demand board's pages, read in Chinese: a resident posts a wish and a neighbour supports it with one button;
the office makes a service order; an operator takes it; the office marks it delivered; the resident rates it; the
public reads what was asked and what was done, without names."""
from __future__ import annotations

from sqlalchemy import select

from core.models import Need, ServiceOrder, User
from tests.test_complaint_pages import chinese, text_of

BOARD = "/communities/heping/needs"


def test_the_loop_through_the_pages_in_chinese(demo, web, db):
    senior = chinese(web, "senior68")
    board = text_of(senior.get(BOARD))
    assert "提出心愿" in board and "还没有心愿" in board
    posted = senior.post(BOARD, {"title": "晚上开放阅览室", "description": "安静，光线好。"})
    assert posted.status_code == 303, text_of(posted)[:400]
    need = db.scalar(select(Need))
    adult = chinese(web, "adult")
    assert "我也需要" in text_of(adult.get(BOARD))
    assert adult.post(f"/needs/{need.id}/support", {}).status_code == 303
    page = text_of(adult.get(BOARD))
    assert "1 位邻居支持" in page and "您已支持" in page
    staff = chinese(web, "staff")
    senior_name = db.scalar(select(User.name).where(User.email == "senior68@example.org"))
    assert f"提出人：{senior_name}" in text_of(staff.get(BOARD))
    assert "由谁出资" in text_of(staff.get(f"/needs/{need.id}/compile"))
    made = staff.post(f"/needs/{need.id}/compile", {"title": "晚间阅览室", "scope": "工作日 18:00–20:00 开放",
                                                    "budget": "1200.00", "sponsor_kind": "subdistrict",
                                                    "sponsor_name": "和平街道办"})
    assert made.status_code == 303, text_of(made)[:600]
    db.rollback()  # a new read: the pages committed in their own sessions
    order = db.scalar(select(ServiceOrder))
    assert (order.budget_amount, order.sponsor_kind) == (120000, "subdistrict")
    canteen = chinese(web, "canteen")
    assert "承接这个订单" in text_of(canteen.get(f"/orders/{order.id}"))
    assert canteen.post(f"/orders/{order.id}/take", {}).status_code == 303
    page = text_of(staff.get(f"/orders/{order.id}"))
    assert "承办中" in page and "标记为已完成" in page
    assert staff.post(f"/orders/{order.id}/deliver", {"listing_id": "0"}).status_code == 303
    db.rollback()
    assert db.get(ServiceOrder, order.id).status == "delivered"
    assert "效果怎么样" in text_of(adult.get(f"/orders/{order.id}"))
    assert adult.post(f"/orders/{order.id}/rate", {"stars": "5"}).status_code == 303
    assert "效果怎么样" not in text_of(adult.get(f"/orders/{order.id}"))
    public = chinese(web, None)
    listing = text_of(public.get("/communities/heping/orders"))
    assert "晚间阅览室" in listing and "和平街道办" in listing and senior_name not in listing
    shown = text_of(public.get(f"/orders/{order.id}"))
    assert "晚上开放阅览室" in shown and senior_name not in shown and "居民评价" in shown
    assert senior_name not in text_of(public.get(BOARD))
    assert 'href="/communities/heping/orders"' in text_of(public.get("/communities/heping/transparency"))


def test_a_bad_wish_shows_the_field_and_saves_nothing(demo, web, db):
    senior = chinese(web, "senior68")
    answer = senior.post(BOARD, {"title": "", "description": "x"})
    assert answer.status_code == 422 and 'class="field has-error"' in text_of(answer)
    assert db.scalar(select(Need)) is None


def test_only_the_office_makes_an_order(demo, web, db):
    chinese(web, "senior68").post(BOARD, {"title": "修自行车", "description": ""})
    need = db.scalar(select(Need))
    refused = chinese(web, "adult").get(f"/needs/{need.id}/compile")
    assert refused.status_code == 403
