import re
from tests.test_chinese_pages import readable, lively_demo, english_words  # noqa
def test_peek(lively_demo, web, demo):
    lunch = demo.slots("Community lunch")[2]["id"]
    clean = demo.slots("Home cleaning, 2 hours")[2]["id"]
    fair = demo.slots("Neighbourhood fair")[0]["id"]
    cases = [("senior68", "post", f"/book/{lunch}", {"quantity": "1", "details.home_delivery": "y", "payment_method": "cash"}),
             ("adult", "get", "/operators/1/today", None),
             ("adult", "get", "/communities/heping/fund", None),
             ("adult", "post", f"/book/{clean}", {"quantity": "1", "payment_method": "cash"}),
             ("adult", "post", f"/book/{fair}", {"quantity": "1", "details.stall_number": "99"}),
             ("adult", "post", f"/book/{fair}", {"quantity": "1", "details.stall_number": "abc"}),
             ("housekeeping", "post", "/housekeeping/operators/3/workers", {"name": ""}),
             ("workshop", "post", "/workshop/operators/1/jobs", {"merchant": ""}),
             ("fair", "post", "/market-fair/operators/2/vendors", {"name": ""}),
             ("canteen", "post", f"/canteen/slots/{lunch}/menu", {"dishes": ""}),
             ]
    for role, method, path, data in cases:
        v = web(role); v.get("/lang/zh_Hans")
        r = v.get(path) if method == "get" else (v.get(path), v.post(path, data))[1]
        t = re.sub(r"\s+", " ", readable(r.get_data(as_text=True)))
        print("=====", role, path, r.status_code, sorted(english_words(r.get_data(as_text=True))), t[t.find("退出登录"):][:800])
    assert 0
