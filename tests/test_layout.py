"""Pages fit a phone (390 px) and a desktop (1280 px) in both languages: nothing wider than the screen, every
control big enough to tap, and chart words at a reading size that stay inside the chart."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.models import Operator
from plugins.housekeeping.models import Worker
from tests.test_notifications_api import tell
from tests.web_support import PHONE, log_in, screenshot

DESKTOP = {"width": 1280, "height": 800}
TAP, BOX, CHART_TEXT = 44, 24, 20

# What the page measures: the page's overflow, controls under the tap size, chart words too big or cut off.
MEASURE = """([tap, box, chartText]) => {
  const name = el => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.classList[0] || ''}`
                     + `[${el.type || ''}] `
                     + (el.innerText || el.value || el.name || '').trim().slice(0, 30);
  const small = [];
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, button, textarea')) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
    if (el.type === 'checkbox' || el.type === 'radio') {
      const label = el.closest('label') || (el.id && document.querySelector(`label[for="${el.id}"]`));
      const tall = label ? label.getBoundingClientRect().height : r.height;
      if (r.height < box || r.width < box || tall < tap) small.push(`${name(el)}: ${r.height}px, label ${tall}px`);
    } else if (r.height < tap) small.push(`${name(el)}: ${r.height}px`);
  }
  const chart = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    const frame = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll('text')) {
      const size = parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a;
      const r = t.getBoundingClientRect();
      if (size > chartText) chart.push(`${t.textContent}: ${size.toFixed(1)}px`);
      if (r.left < frame.left - 0.5 || r.right > frame.right + 0.5) chart.push(`${t.textContent}: cut off`);
    }
  }
  const hidden = [...document.querySelectorAll('main *')]  // cut off inside a box that scrolls or clips sideways
    .filter(el => getComputedStyle(el).overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1)
    .map(el => `${name(el)}: ${el.scrollWidth} px in ${el.clientWidth} px`);
  return {width: document.documentElement.clientWidth, scroll: document.documentElement.scrollWidth,
          small, chart, hidden, charts: document.querySelectorAll('svg.chart').length};
}"""


def operator_id(db, kind: str) -> int:
    return db.scalar(select(Operator.id).where(Operator.type == kind))


def money_came_in(demo) -> None:
    """The month settled and the workshop's fixed donation (CN¥4,166.66) paid, so the fund pages draw charts."""
    community = demo.client.get("/api/v1/communities/heping").get_json()["id"]
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    committee = demo.api("committee1")
    statements = committee.post(f"/communities/{community}/settlements/{today:%Y-%m}").get_json()
    for owed in (s for s in statements if s["outstanding_amount"]):
        recorded = committee.post(f"/communities/{community}/fund/transfers", {
            "operator_id": owed["operator_id"], "amount": owed["outstanding_amount"],
            "reference": f"BANK-{owed['operator_id']}", "received_on": today.isoformat()})
        assert recorded.status_code == 201, recorded.get_json()


def pages_by_role(demo, db) -> dict[str, list[str]]:
    """A representative page set for each demo role (``None``: a visitor); the workshop's pages carry the largest
    amounts (a CN¥18,000.00 job)."""
    lunch = demo.listing("Community lunch")
    slot = demo.slots("Community lunch")[-1]
    canteen, home, fair, workshop = (operator_id(db, kind) for kind in ("canteen", "housekeeping", "market_fair",
                                                                        "workshop"))
    worker = db.scalar(select(Worker.id).where(Worker.operator_id == home))
    return {
        "elder92": ["/", f"/services/{lunch['id']}", f"/book/{slot['id']}", "/my/bookings", "/my/notifications",
                    "/my/notification-preferences"],
        "canteen": [f"/operators/{canteen}/today", f"/operators/{canteen}/listings",
                    f"/operators/{canteen}/statement"],
        "housekeeping": [f"/housekeeping/operators/{home}/workers", f"/housekeeping/workers/{worker}"],
        "fair": [f"/market-fair/operators/{fair}/vendors"],
        "workshop": [f"/workshop/operators/{workshop}/jobs", f"/operators/{workshop}/statement"],
        "committee1": ["/communities/heping/fund", "/communities/heping/fund/reconciliation"],
        None: ["/communities/heping/transparency"],
    }


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_pages_fit_a_phone_and_a_desktop_with_big_enough_controls(browse, demo, db, locale):
    money_came_in(demo)
    tell(db, "elder92", 2)  # her inbox with new messages, and the menu saying so
    problems, charts = [], 0
    for role, paths in pages_by_role(demo, db).items():
        page = browse(locale=locale, viewport=PHONE)
        if role:
            log_in(page, role)
        for path in paths:
            page.goto(path)
            for viewport in (PHONE, DESKTOP):
                page.set_viewport_size(viewport)
                found = page.evaluate(MEASURE, [TAP, BOX, CHART_TEXT])
                where = f"{path} at {viewport['width']} px ({role}, {locale})"
                if found["scroll"] > found["width"]:
                    problems.append(f"{where}: {found['scroll']} px wide")
                problems += [f"{where}: too small {item}" for item in found["small"]]
                problems += [f"{where}: cut off {item}" for item in found["hidden"]]
                problems += [f"{where}: chart {item}" for item in found["chart"]
                             if viewport is DESKTOP or "cut off" in item]  # words scale down on a phone
                charts += found["charts"]
                screenshot(page, f"layout-{locale}-{viewport['width']}-{path.strip('/').replace('/', '-') or 'home'}")
            page.set_viewport_size(PHONE)
    assert charts, "no chart was measured"
    assert not problems, "\n".join(problems)


def test_a_years_chart_with_large_amounts_and_long_names_fits_a_phone_and_a_desktop(browse):
    """Twelve months, amounts to CN¥180,000.00 and long operator names: labels inside the chart, months apart."""
    from core.web.charts import PALETTE, Series, bar_chart

    months = [f"2026-{m:02d}" for m in range(1, 13)]
    names = ["和平社区共富工坊（来料加工）", "Heping Co-prosperity Workshop", "和平食堂", "Heping Home Services"]
    series = [Series(name, [1_800_000 * (k + 1) + m * 1000 for m in range(12)], PALETTE[k])
              for k, name in enumerate(names)]
    chart = bar_chart("A year", months, series, lambda amount: f"CN¥{amount / 100:,.2f}", stacked=True)
    page = browse()
    page.goto("/")
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        page.evaluate("svg => { document.querySelector('main').innerHTML = svg; }", str(chart))
        found = page.evaluate(MEASURE, [TAP, BOX, CHART_TEXT])
        assert found["scroll"] <= found["width"]
        assert not [item for item in found["chart"] if "cut off" in item or viewport is DESKTOP], found["chart"]
        labels = page.evaluate("""() => [...document.querySelectorAll('svg.chart text')]
            .filter(t => /^2026-/.test(t.textContent)).map(t => t.getBoundingClientRect())
            .map(r => [r.left, r.right])""")
        assert 3 <= len(labels) < 12 and all(a[1] < b[0] for a, b in zip(labels, labels[1:]))
    screenshot(page, "layout-a-years-chart")
