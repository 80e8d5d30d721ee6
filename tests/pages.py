"""A browser for the page tests: a cookie session of its own, logging in and posting forms with their CSRF token.

The app enforces CSRF under TESTING as in production, so a form is posted with
the token of the page that shows it, as a browser would.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pytest

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
DEMO_PASSWORD = "demo-password"


@dataclass
class Browser:
    client: object

    def get(self, path, **kwargs):
        return self.client.get(path, **kwargs)

    def token(self, path) -> str:
        """The CSRF token of the form on the page at ``path``."""
        page = self.client.get(path)
        assert page.status_code == 200, (path, page.status_code)
        found = TOKEN.search(page.get_data(as_text=True))
        assert found, f"no form with a CSRF token on {path}"
        return html.unescape(found.group(1))

    def submit(self, path, data=None, form_at=None):
        """Post ``data`` to ``path`` with the token of the form shown at ``form_at`` (default: ``path``)."""
        token = self.token(form_at or path)
        return self.client.post(path, data={**(data or {}), "csrf_token": token})

    def log_in(self, email, password=DEMO_PASSWORD) -> Browser:
        response = self.submit("/login", {"email": email, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)
        return self


def text(response) -> str:
    """The page's text with its markup unescaped, for plain assertions."""
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def browser(app):
    """``browser()`` is an anonymous visitor; ``browser("canteen")`` is that demo account, logged in."""

    def open_as(local: str | None = None, email: str | None = None, password: str = DEMO_PASSWORD) -> Browser:
        visitor = Browser(app.test_client())
        if local or email:
            visitor.log_in(email or f"{local}@example.org", password)
        return visitor

    return open_as
