"""Month-end in a process of its own: settle a period, then reconcile it; print the timings as JSON.

``python bench/monthend.py COMMUNITY_SLUG PERIOD`` with ``LINLI_DATABASE_URL`` set.
The parent reads this process's peak memory (max RSS) from ``os.wait4``.
"""
from __future__ import annotations

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> None:
    slug, period = sys.argv[1], sys.argv[2]
    started = time.perf_counter()
    from core import create_app, fund, settlement
    from core.api.common import community_by_ref
    from core.db import commit

    app = create_app()
    linli = app.extensions["linli"]
    ready = time.perf_counter()
    with app.app_context():
        session = linli.db.sessionmaker()
        community = community_by_ref(session, slug)
        t0 = time.perf_counter()
        statements = settlement.settle(session, linli.plugins.operator_types, community, period)
        commit(session)
        t1 = time.perf_counter()
        report = fund.reconciliation(session, community, period)
        t2 = time.perf_counter()
        session.close()
    print(json.dumps({
        "startup_s": round(ready - started, 3), "settle_s": round(t1 - t0, 3), "reconcile_s": round(t2 - t1, 3),
        "settle_and_reconcile_s": round(t2 - t0, 3), "operators": len(statements),
        "gross_revenue_amount": sum(s["gross_revenue_amount"] for s in statements),
        "donation_due_amount": sum(s["donation_due_amount"] for s in statements),
        "variance_amount": sum(r["variance_amount"] for r in report["operators"]),
    }))


if __name__ == "__main__":
    main()
