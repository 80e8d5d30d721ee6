"""The web pages: Jinja templates, one blueprint per audience, in Chinese and English.

``init_web(app)`` adds them to an app built by :func:`core.create_app`: Flask-Babel
picks the language (the switch stored in the session, else the browser's
Accept-Language), Flask-WTF protects every form against CSRF except the JSON
API under /api/v1 (which uses bearer tokens, not cookies), and a Jinja loader
finds the templates plugins ship in a ``templates/`` folder beside their module,
so a plugin's plain Flask blueprint can render pages that extend ``layout.html``;
a plugin's ``translations/`` folder (a Babel catalogue) joins the core's.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, g, has_request_context, make_response, render_template, request
from flask_babel import Babel
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2 import ChoiceLoader, FileSystemLoader

from core.reading import READER
from core.security import INVISIBLE_CHARACTERS, allow_upload, unstorable_text
from core.web import charts, labels, permissions, plugin_pages
from core.web.i18n import LANGUAGES, current_language, register_filters, say, select_locale

API_PREFIX = "/api/v1"
csrf = CSRFProtect()



def init_web(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # a page left open for an hour still works
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked below, for everything but the API
    plugin_folders = app.extensions["linli"].plugins.folders()
    # The core's folder last: Flask-Babel keeps the plural rule of the last folder it loads, and a plugin
    # without a catalogue for the reader's language brings English's (n != 1), which would turn every
    # Chinese plural back into English.
    catalogues = [folder / "translations" for folder in plugin_folders] + [Path(app.root_path) / "translations"]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(str(c) for c in catalogues if c.is_dir())
    Babel(app, locale_selector=select_locale)
    csrf.init_app(app)
    app.before_request(_know_the_reader)
    app.teardown_request(_forget_the_reader)
    app.before_request(_protect_forms)
    app.before_request(_refuse_unstorable_text)
    app.jinja_loader = ChoiceLoader([FileSystemLoader(str(Path(app.root_path) / "templates")),
                                     FileSystemLoader([str(folder / "templates") for folder in plugin_folders])])
    register_filters(app)
    labels.register_globals(app)
    charts.register_globals(app)
    app.jinja_env.globals["say"] = say
    plugin_pages.register_globals(app)
    permissions.register_globals(app)
    app.context_processor(_page_context)
    _register_error_pages(app)

    from core.web import (
        acting, admin, agreements, auth, committee, complaints, counter, district, gifts, inbox, needs, operator,
        public, register, resident, reviews, schedules, staff, standing, stripe_account, volunteering, waitlist,
    )

    for module in (public, auth, resident, acting, operator, schedules, counter, agreements, staff, register,
                   reviews, committee, gifts, inbox, admin, stripe_account, standing, complaints, waitlist,
                   needs, volunteering, district):
        app.register_blueprint(module.bp)


def _know_the_reader():
    """Titles and names read in the reader's language, on pages and in the API alike (core.reading)."""
    g.reader_token = READER.set(current_language())


def _forget_the_reader(_error=None):
    if "reader_token" in g:
        READER.reset(g.pop("reader_token"))


def _protect_forms():
    if request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/"):
        return
    allow_upload(current_app.view_functions.get(request.endpoint))  # before the token is read from the form
    csrf.protect(apply_exemptions=True)


def _refuse_unstorable_text():
    """A form or query with a NUL character is refused as input (a 422 page), before the database refuses it."""
    if request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/"):
        return
    fields = {**request.args.to_dict(flat=False), **request.form.to_dict(flat=False), "address": request.path}
    if unstorable_text(fields) is not None:
        raise INVISIBLE_CHARACTERS()


def _page_context() -> dict:
    from core.web.common import web_user
    from core.web.nav import inbox, menu

    from core.web.acting import acting_for

    user = web_user() if has_request_context() else None
    return {"current_user": user, "menu": menu(user), "inbox": inbox(user), "lang": current_language(),
            "languages": LANGUAGES,
            "acting_for": acting_for() if user else None}


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return render_template("error.html", title=_("This form has expired"), message=_(
            "For your safety the form could not be sent. Go back, reload the page and try again.")), 400

    def _page_or_api(error, title, message):
        """The API's problem under /api/v1, else the error page (an HTTP error is JSON only for the API); either
        keeps the error's headers (a 429's Retry-After)."""
        if request.path.startswith(API_PREFIX + "/") or request.path == API_PREFIX:
            from core.api.problems import http_problem

            return http_problem(error)
        response = make_response(render_template("error.html", title=title, message=message), error.code)
        response.headers.extend((k, v) for k, v in error.get_headers() if k.lower() != "content-type")
        return response

    @app.errorhandler(404)
    def _not_found(error):
        return _page_or_api(error, _("Page not found"), _("There is no page at this address."))

    @app.errorhandler(413)
    def _too_large(error):
        return _page_or_api(error, _("This file is too large"),
                            _("Please send a smaller file: a register of 100,000 residents takes about 10 MB."))

    @app.errorhandler(429)
    def _too_many(error):
        return _page_or_api(error, _("Too many attempts"),
                            _("For your safety, logging in is paused for a minute. Please wait, then try again."))
