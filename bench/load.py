"""A small closed-loop HTTP/1.1 load generator: asyncio, raw sockets, loopback only, bounded.

Run as its own process (``python bench/load.py SPEC.json``) so that its CPU is not
the server's. ``concurrency`` clients each send one request, wait for the whole
answer, and send the next, until ``duration_s`` has passed, ``max_requests`` were
sent, or (``stop_on``) a response with that status arrives (a sold-out slot).
Connections are kept alive when the server allows it and reopened when it closes
them (gunicorn's sync workers close after each response). It prints one JSON
object: counts per status, requests/s, and latency percentiles in milliseconds.

SPEC: {"host", "port", "concurrency", "duration_s", "max_requests", "stop_on",
"scenario": "book" | "baseline" | "baseline_orm" | "search" | "register" | "walk_in", plus the scenario's data:
tokens, resident_ids, slot_ids, community, terms, dates; for the counter's scenarios (bench/counter.py) ``token``,
``path`` and ``terms`` (register), ``token`` and ``customer_ids`` (walk_in: one sale in two to a visitor)}.
Two optional keys spread the load (bench/district.py): ``ports``, several servers, client ``n`` sending to
``ports[n % len(ports)]``; ``communities``, a list of {community, tokens, slot_ids}, one picked at random for each
request (a resident books a slot of their own community).
"""
from __future__ import annotations

import asyncio
import ipaddress
import json
import random
import secrets
import sys
import time
from urllib.parse import quote

HARD_LIMIT_S = 120  # whatever the spec says, no run lasts longer


def percentile(ordered: list[float], p: float) -> float | None:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return None
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


BASELINE_PATHS = {"baseline": "/book", "baseline_orm": "/book-orm"}


def make_request(spec: dict, rng: random.Random, client: int, sent: int) -> tuple[bytes, str]:
    """The bytes of the ``sent``-th request of this scenario (and a label of the request kind).

    Bookings go to the residents in turn: a resident holds one booking per time, so the hot slot's places go to as
    many residents (a resident seen twice would be refused as already booked, not for want of places).
    """
    if "communities" in spec:
        spec = spec | rng.choice(spec["communities"])
    scenario = spec["scenario"]
    host = f"{spec['host']}:{spec['port']}"
    if scenario == "search":
        path = (f"/api/v1/listings?community={spec['community']}&q={rng.choice(spec['terms'])}"
                f"&date={rng.choice(spec['dates'])}")
        return (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\r\n").encode(), "search"
    if scenario == "register":
        path = f"{spec['path']}?q={quote(rng.choice(spec['terms']))}"
        return (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {spec['token']}\r\n"
                f"Accept: application/json\r\n\r\n").encode(), scenario
    slot = rng.choice(spec["slot_ids"])
    if scenario == "walk_in":
        sale = {"slot_id": slot, "quantity": 1}
        if rng.random() < 0.5:
            sale["resident_id"] = rng.choice(spec["customer_ids"])
        body, path = json.dumps(sale).encode(), "/api/v1/bookings/walk-in"
        auth = f"Authorization: Bearer {spec['token']}\r\nIdempotency-Key: {secrets.token_urlsafe(16)}\r\n"
    elif scenario == "book":
        token = spec["tokens"][sent % len(spec["tokens"])]
        body = json.dumps({"slot_id": slot, "quantity": 1, "payment_method": "cash"}).encode()
        path = "/api/v1/bookings"
        auth = f"Authorization: Bearer {token}\r\nIdempotency-Key: {secrets.token_urlsafe(16)}\r\n"
    elif scenario in BASELINE_PATHS:
        body = json.dumps({"slot_id": slot, "quantity": 1,
                           "resident_id": rng.choice(spec["resident_ids"])}).encode()
        path, auth = BASELINE_PATHS[scenario], ""
    else:
        raise ValueError(f"unknown scenario {scenario!r}")
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return head + body, scenario


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """(status, keep-alive) of one response, its body read and dropped."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, keep = 0, lines[0].startswith("HTTP/1.1")
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection":
            keep = value != "close"
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, keep


async def run(spec: dict) -> dict:
    host = spec["host"]
    if not ipaddress.ip_address(host).is_loopback:
        raise SystemExit(f"load goes to loopback addresses only, not {host}")
    concurrency = int(spec["concurrency"])
    duration = min(float(spec["duration_s"]), HARD_LIMIT_S)
    budget = int(spec.get("max_requests", 1_000_000))
    stop_on = spec.get("stop_on")
    ports = spec.get("ports") or [spec["port"]]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: dict[str, int] = {}
    state = {"sent": 0, "stop": False}
    started = time.perf_counter()
    deadline = started + duration

    async def client(n: int) -> None:
        rng = random.Random(spec.get("seed", 1) * 1000 + n)
        reader = writer = None
        while not state["stop"] and time.perf_counter() < deadline and state["sent"] < budget:
            state["sent"] += 1
            payload, _ = make_request(spec, rng, n, state["sent"])
            t0 = time.perf_counter()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, ports[n % len(ports)])
                writer.write(payload)
                await writer.drain()
                async with asyncio.timeout(60):
                    status, keep = await read_response(reader)
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as e:
                errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
                if writer is not None:
                    writer.close()
                reader = writer = None
                continue
            latencies.append(time.perf_counter() - t0)
            statuses[status] = statuses.get(status, 0) + 1
            if stop_on is not None and status == stop_on:
                state["stop"] = True
            if not keep:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(client(n) for n in range(concurrency)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)

    def ms(value):
        return None if value is None else round(value * 1000, 2)

    return {
        "scenario": spec["scenario"], "concurrency": concurrency, "requests": len(latencies),
        "statuses": {str(k): v for k, v in sorted(statuses.items())}, "errors": errors,
        "elapsed_s": round(elapsed, 3), "rps": round(len(latencies) / elapsed, 1) if elapsed else None,
        "p50_ms": ms(percentile(ordered, 50)), "p95_ms": ms(percentile(ordered, 95)),
        "p99_ms": ms(percentile(ordered, 99)), "max_ms": ms(ordered[-1] if ordered else None),
    }


def main() -> None:
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    print(json.dumps(asyncio.run(run(spec))))


if __name__ == "__main__":
    main()
