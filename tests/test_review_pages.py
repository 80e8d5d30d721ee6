"""Community staff's monthly review pages: inspect, score, read the breakdown, adjust, set the weights — in Chinese."""
from __future__ import annotations

import html

from sqlalchemy import select

from core import ledger
from core.models import Community, Operator, OperatorScore
from core.score_rule import previous

ZH = {"Accept-Language": "zh-CN"}
BASE = "/communities/heping/reviews"


def setting_up(db):
    community = db.scalar(select(Community).where(Community.slug == "heping"))
    canteen = db.scalar(select(Operator).where(Operator.community_id == community.id, Operator.type == "canteen"))
    return community, canteen, previous(ledger.period_of(ledger.local_today(community)))


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_staff_inspect_score_and_read_the_breakdown_in_chinese(demo, web, db):
    from tests.test_chinese_pages import english_words

    community, canteen, last = setting_up(db)
    staff = web("staff")
    staff.get("/lang/zh_Hans")
    form = f"{BASE}/operators/{canteen.id}/inspection"
    assert staff.get(form, headers=ZH).status_code == 200
    refused = staff.post(form, {"period": last, "score": "7.25", "notes": "x"}, headers=ZH)
    assert refused.status_code == 422 and "最多一位小数" in page_text(refused)
    assert staff.post(form, {"period": last, "score": "5.5", "notes": "灶台有油污"}).status_code == 303
    staff.get(f"{BASE}?period={last}")
    assert staff.post(f"{BASE}/evaluate", {"period": last}).status_code == 303

    page = staff.get(f"{BASE}?period={last}", headers=ZH)
    text = page_text(page)
    assert page.status_code == 200 and "月度考评" in text and "低于 6.0" in text
    assert "检查得分：5.5" in text and "本月没有数据：不计入" in text
    assert english_words(page.get_data(as_text=True)) - {"Heping", "Canteen"} == set()
    for path in (form, f"{BASE}/settings", f"{BASE}/operators/{canteen.id}/{last}/adjust"):
        other = staff.get(path, headers=ZH)
        assert other.status_code == 200 and english_words(other.get_data(as_text=True)) == set(), path


def test_an_adjustment_needs_its_reason_and_shows_on_the_review(demo, web, db):
    community, canteen, last = setting_up(db)
    staff = web("staff")
    staff.post(f"{BASE}/operators/{canteen.id}/inspection", {"period": last, "score": "4"})
    staff.get(BASE)
    staff.post(f"{BASE}/evaluate", {"period": last})
    adjust = f"{BASE}/operators/{canteen.id}/{last}/adjust"
    staff.get(adjust)
    assert staff.post(adjust, {"score": "6.5", "reason": ""}).status_code == 422
    assert staff.post(adjust, {"score": "6.5", "reason": "Power cut for a week"}).status_code == 303
    db.rollback()
    row = db.scalar(select(OperatorScore).where(OperatorScore.operator_id == canteen.id))
    assert (row.computed_tenths, row.score_tenths, row.adjust_reason) == (40, 65, "Power cut for a week")
    assert "Adjusted from 4.0: Power cut for a week" in page_text(staff.get(f"{BASE}?period={last}"))


def test_the_settings_form_saves_and_refuses_star_lines_out_of_order(demo, web, db):
    staff = web("staff")
    path = f"{BASE}/settings"
    staff.get(path)
    good = {"answer_days": "5", "ratings": "40", "complaints": "20", "fulfilment": "20", "inspection": "20",
            "donations": "0", "five": "9.5", "four": "8", "three": "6"}
    assert staff.post(path, good).status_code == 303
    assert staff.post(path, {**good, "four": "9.5"}).status_code == 422
    assert staff.post(path, {**good, "answer_days": "90"}).status_code == 422
    db.rollback()
    stored = db.scalar(select(Community.accountability).where(Community.slug == "heping"))
    assert stored["answer_days"] == 5 and stored["star_lines"] == {"5": 95, "4": 80, "3": 60}


def test_the_review_is_for_community_staff_only(demo, web):
    assert web("canteen").get(BASE).status_code == 403
    assert web("committee1").get(f"{BASE}/settings").status_code == 403
    assert web("staff").get(f"{BASE}/operators/999999/inspection").status_code == 404
