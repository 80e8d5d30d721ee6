"""What plugins add to the core's pages: fragments on a listing's pages, and links to their own pages.

``fragments`` and ``operator_links`` are the one call sites of the operator type's
``page_fragment`` and ``operator_page_links``; templates
call them as ``plugin_fragments(...)`` and ``plugin_links(operator)``. ``load_input``
and ``submit_form`` let a plugin's page validate a form with the same schema and
service its API uses, so pages and API never disagree; ``amount_of`` and
``refuse_field`` turn what a person typed into exact values or a form error.
"""
from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup
from marshmallow import ValidationError

from core.errors import VALIDATION_FAILED, DomainError
from core.web.common import attempt, field_errors, linli, web_user
from core.web.i18n import say, to_minor_units

PAGES = ("service", "book", "booking")


def fragments(page: str, listing, slot=None, booking=None) -> Markup:
    """The HTML the listing's operator type adds to this page about it."""
    if page not in PAGES:
        raise ValueError(f"no page {page!r}: one of {', '.join(PAGES)}")
    operator_type = linli().plugins.operator_types.get(listing.type)
    part = operator_type and operator_type.page_fragment(page, listing, slot, booking, web_user())
    return Markup(part or "")


def operator_links(operator) -> list[tuple[str, str]]:
    """(label, url) of the operator type's pages about ``operator`` that the logged-in user may open."""
    operator_type = linli().plugins.operator_types.get(operator.type)
    return operator_type.operator_page_links(operator, web_user()) if operator_type else []


def register_globals(app) -> None:
    app.jinja_env.globals.update(plugin_fragments=fragments, plugin_links=operator_links)


def refuse_field(field, message) -> DomainError:
    """A form error on one field, raised inside a ``submit_form`` action so that the form shows it there."""
    return VALIDATION_FAILED(errors={field.name: [str(message)]})


def amount_of(field, currency: str) -> int:
    """A decimal field's amount in minor units (12.50 yuan is 1250 fen); more decimals are a form error."""
    amount = to_minor_units(field.data, currency)
    if amount is None:
        raise refuse_field(field, _("Write at most two decimals, e.g. 12.50."))
    return amount


def load_input(schema, data: dict) -> dict:
    """Form input through a marshmallow schema, exactly as the API loads it; its messages become a 422 for the form."""
    try:
        return schema().load(data)
    except ValidationError as error:
        raise VALIDATION_FAILED(errors=error.messages) from None


def submit_form(form, action) -> tuple[object, DomainError | None, int]:
    """Validate a posted form, then run ``action(db)`` and commit; a refusal's field messages go on the form.

    Returns ``(result, error, status)``: nothing and 200 on a GET, 422 for a form
    that did not validate, the service's error and status when it refused (nothing
    is kept). A message for a field the form does not have stays in ``error``.
    """
    if not form.is_submitted():
        return None, None, 200
    if not form.validate():
        return None, None, 422
    result, error = attempt(action)
    if error is None:
        return result, None, 200
    elsewhere = []
    for name, messages in field_errors(error).items():
        field = name.split(".")[0]
        if field in form:
            form[field].errors = list(form[field].errors) + messages
        else:
            elsewhere += messages
    if elsewhere:  # a message for no field of the form is said with the error itself
        error = type(error)(error.kind, " ".join([say(error.detail), *elsewhere]), error.errors)
    return None, error, error.status
