"""Month-end in a process of its own: settle a period, then reconcile it; print the timings as JSON.

``python bench/monthend.py COMMUNITY_SLUG PERIOD`` with ``LINLI_DATABASE_URL`` set (run.py).
``python bench/monthend.py SLUG,SLUG,... PERIOD --evaluate``: each community in turn settled, its operators' month
scored (``core.evaluation``, as the job on the 1st does) and reconciled; the timings added up, each community's
in ``communities`` and the slowest in ``slowest`` (district.py).
The parent reads this process's peak memory (max RSS) from ``os.wait4``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SUMMED = ("settle_s", "evaluate_s", "reconcile_s", "settle_and_reconcile_s", "month_end_s", "operators", "scored",
          "gross_revenue_amount", "donation_due_amount", "variance_amount")


def close_month(linli, slug: str, period: str, evaluate: bool) -> dict:
    """One community's month-end, each step timed: settle, (evaluate,) reconcile."""
    from core import evaluation, fund, settlement
    from core.api.common import community_by_ref
    from core.db import commit

    session = linli.db.sessionmaker()
    community = community_by_ref(session, slug)
    t0 = time.perf_counter()
    statements = settlement.settle(session, linli.plugins.operator_types, community, period)
    commit(session)
    t1 = time.perf_counter()
    scores = evaluation.evaluate(session, community, period) if evaluate else None
    commit(session)
    t2 = time.perf_counter()
    report = fund.reconciliation(session, community, period)
    t3 = time.perf_counter()
    session.close()
    timings = {"settle_s": t1 - t0} | ({"evaluate_s": t2 - t1} if evaluate else {}) | {
        "reconcile_s": t3 - t2, "settle_and_reconcile_s": (t1 - t0) + (t3 - t2)}
    if evaluate:
        timings["month_end_s"] = t3 - t0
    return {key: round(value, 3) for key, value in timings.items()} | {
        "operators": len(statements), **({"scored": len(scores)} if evaluate else {}),
        "gross_revenue_amount": sum(s["gross_revenue_amount"] for s in statements),
        "donation_due_amount": sum(s["donation_due_amount"] for s in statements),
        "variance_amount": sum(r["variance_amount"] for r in report["operators"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("slugs", help="a community's slug, or several separated by commas")
    parser.add_argument("period", help="YYYY-MM")
    parser.add_argument("--evaluate", action="store_true", help="also score each operator's month")
    args = parser.parse_args()
    started = time.perf_counter()
    from core import create_app

    app = create_app()
    linli = app.extensions["linli"]
    ready = time.perf_counter()
    with app.app_context():
        closed = {slug: close_month(linli, slug, args.period, args.evaluate) for slug in args.slugs.split(",")}
    totals = {key: sum(one[key] for one in closed.values()) for key in SUMMED if key in next(iter(closed.values()))}
    result = {"startup_s": round(ready - started, 3)} | {
        key: round(value, 3) if key.endswith("_s") else value for key, value in totals.items()}
    if len(closed) > 1:
        slowest = max(closed, key=lambda slug: closed[slug].get("month_end_s", closed[slug]["settle_and_reconcile_s"]))
        result |= {"slowest": {"slug": slowest} | closed[slowest], "communities": closed}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
