"""A walk through the site's pages as one visitor, by the Flask test client: GET only.

Every same-site link a page shows (``<a href>``, and a ``<form method="get">`` without its fields) is opened once,
so what a page offers is tried as the visitor who sees it. Links that change something are never followed: the
pages change state only by POST, and the language switch (which changes the session) is left alone. A link to
a file (CSV, JSON) is opened but not read.

The walk is bounded: at most ``limit`` requests, and at most ``per_route`` of the same route with the same query
names (a month's "previous month" link would otherwise walk back for ever). It takes every page's first link of a
kind before any page's second, so a service's fortieth time does not crowd out the other services' first ones.
"""
from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urldefrag, urljoin, urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

SKIPPED_ENDPOINTS = {"static", "web_public.switch_language"}


@dataclass(frozen=True)
class Visit:
    """One link opened: the page that showed it (None for the start), the link, and the answer's status."""

    page: str | None
    link: str
    status: int


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.found.append(values["href"])
        elif tag == "form" and (values.get("method") or "get").lower() == "get":
            self.found.append(values.get("action") or "")


def same_site(page: str, href: str) -> str | None:
    """A link as an absolute path with its query and without its fragment; None when it leaves the site."""
    parts = urlsplit(urldefrag(urljoin("http://localhost" + page, href.strip())).url)
    if parts.scheme not in ("http", "https") or parts.netloc != "localhost":
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def links_of(page: str, html: str) -> list[str]:
    """The same-site links of a page."""
    parser = _Links()
    parser.feed(html)
    return [link for link in (same_site(page, href) for href in parser.found) if link is not None]


def crawl(app, client, start: str = "/", limit: int = 300, per_route: int = 20):
    """Yield a :class:`Visit` for every link opened, from ``start``: a page's links in the order of their rank
    among the links of their kind on that page, then in the order found."""
    adapter = app.url_map.bind("localhost")
    seen, routes = {start}, Counter()
    queue = [(0, 0, None, start)]
    opened = 0
    while queue and opened < limit:
        _rank, _order, page, link = heapq.heappop(queue)
        route = _route(adapter, link)
        if route[0] in SKIPPED_ENDPOINTS or routes[route] >= per_route:
            continue
        routes[route] += 1
        response = client.get(link)
        opened += 1
        yield Visit(page, link, response.status_code)
        if response.status_code in (301, 302, 303, 307, 308):
            found = [same_site(link, response.headers["Location"])]
        elif response.mimetype == "text/html":
            found = links_of(link, response.get_data(as_text=True))
        else:
            found = []
        ranks = Counter()
        for target in found:
            if target is not None and target not in seen:
                seen.add(target)
                kind = _route(adapter, target)
                heapq.heappush(queue, (ranks[kind], len(seen), link, target))
                ranks[kind] += 1


def _route(adapter, link: str) -> tuple[str, frozenset]:
    """The endpoint a GET of the link reaches and its query's names (a link no GET route answers is opened too:
    it is a dead link)."""
    parts = urlsplit(link)
    try:
        endpoint, _values = adapter.match(parts.path, method="GET")
    except RequestRedirect:
        endpoint = "(redirect)"
    except HTTPException as error:
        endpoint = f"({error.code})"
    return endpoint, frozenset(name for name, _value in parse_qsl(parts.query, keep_blank_values=True))
