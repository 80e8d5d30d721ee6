"""Races that mean something: threads released together by a barrier, and a check that their calls overlapped.

A race test is marked ``postgres``: on PostgreSQL each thread's connection runs
its own transaction beside the others, so a read-then-write without its lock
loses; on SQLite writers take turns and nothing can race. Each attempt's start
and end are recorded, and a race whose attempts never ran at the same moment
fails, since it proved nothing.
"""
from __future__ import annotations

import threading
import time


def race(attempts: list, threads: int | None = None) -> list:
    """Run the zero-argument ``attempts`` from ``threads`` threads released at once; return their results in order."""
    threads = min(threads or len(attempts), len(attempts))
    results, spans, failures = [None] * len(attempts), [], []
    todo, lock, barrier = iter(range(len(attempts))), threading.Lock(), threading.Barrier(threads)

    def run():
        barrier.wait(timeout=60)
        while failures == [] and (index := _next(todo, lock)) is not None:
            started = time.monotonic()
            try:
                results[index] = attempts[index]()
            except BaseException as failure:  # re-raised in the test's thread
                failures.append(failure)
            spans.append((started, time.monotonic()))

    runners = [threading.Thread(target=run) for _ in range(threads)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join(120)
    assert not any(runner.is_alive() for runner in runners), "a racer is still running after two minutes"
    if failures:
        raise failures[0]
    assert most_at_once(spans) > 1, "the attempts never overlapped: nothing raced"
    return results


def _next(todo, lock) -> int | None:
    with lock:
        return next(todo, None)


def most_at_once(spans: list[tuple[float, float]]) -> int:
    """The most spans (start, end) running at one moment."""
    moments = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    running = most = 0
    for _, change in moments:  # at a tie an end sorts first: touching spans do not overlap
        running += change
        most = max(most, running)
    return most


def posting(app, path: str, body: dict | None = None, token: str | None = None, headers: dict | None = None):
    """An attempt that POSTs ``body`` to ``/api/v1`` + ``path`` from a client of its own; it returns (status, JSON)."""
    sent = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}

    def attempt():
        response = app.test_client().post("/api/v1" + path, json=body or {}, headers=sent)
        return response.status_code, response.get_json()

    return attempt
