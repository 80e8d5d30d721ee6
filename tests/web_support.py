"""Web page test support: a form-posting client that carries the CSRF token, a live server and a browser.

The browser is Debian's Chromium (/usr/bin/chromium) driven by Playwright's sync
API; the live server is a werkzeug thread on 127.0.0.1 over the test's own app, so
each browser test has its own fresh database like every other test.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class WebSession:
    """The test client as a person at a browser: it reads the CSRF token off the last page it opened."""

    client: object
    token: str | None = None

    def get(self, path: str, **kwargs):
        response = self.client.get(path, **kwargs)
        found = TOKEN.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def post(self, path: str, data: dict | None = None, csrf: bool = True, **kwargs):
        """Post a form, with the page's CSRF token unless ``csrf=False``; open ``path`` first if no token yet."""
        if csrf and self.token is None:
            self.get(path)
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.token)
        return self.client.post(path, data=form, **kwargs)

    def login(self, email: str, password: str):
        self.get("/login")
        response = self.post("/login", {"email": email, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        self.get("/")  # logging in starts a new session, with a new token
        return self


def signed_in(app, user_id: int, **values):
    """A test client logged in as the user without the form: a live login record, named by its session cookie."""
    from core.auth import issue_token
    from core.models import User
    from core.web.common import LOGIN_KEY

    with app.extensions["linli"].db.sessionmaker() as session:
        token, _row = issue_token(session, session.get(User, user_id), 1)
        session.commit()
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie.update({LOGIN_KEY: token, **values})
    return client


@pytest.fixture
def web(app):
    """``web()`` is a visitor; ``web("senior68")`` a demo account logged in (each with its own cookies)."""

    def visit(local: str | None = None, password: str = "demo-password") -> WebSession:
        session = WebSession(app.test_client())
        if local is not None:
            session.login(local if "@" in local else f"{local}@example.org", password)
        return session

    return visit


@pytest.fixture
def live_server(app, demo):
    """The test's app with the demo data, served on 127.0.0.1 for the browser; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browse(chromium, live_server):
    """``browse(locale="en-US")`` opens a phone-sized page on the live server (``viewport=TABLET`` a tablet's);
    pages close after the test."""
    contexts = []

    def open_page(locale: str = "en-US", viewport: dict = PHONE):
        context = chromium.new_context(viewport=viewport, locale=locale, base_url=live_server)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def log_in(page, local: str) -> None:
    page.goto("/login")
    page.fill("#email", f"{local}@example.org")
    page.fill("#password", "demo-password")
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def screenshot(page, name: str) -> Path:
    """Keep the journey's last page for people to look at (test-artifacts/ is not committed)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
