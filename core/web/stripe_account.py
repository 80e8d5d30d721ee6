"""The operator's Stripe page: connect an account through Stripe's onboarding, and see whether it takes payments."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for

from core import stripe_accounts
from core.errors import DomainError
from core.web.common import attempt, back_to, flash_error, headline, page_blueprint
from core.web.operator import operator_in_scope

bp = page_blueprint("web_stripe_account", __name__)


def onboarding_returns(operator_id: int) -> tuple[str, str]:
    """Where Stripe sends the staff back: a fresh link when theirs expired, else the operator's Stripe page."""
    return (url_for("web_stripe_account.refresh", operator_id=operator_id, _external=True),
            url_for("web_stripe_account.account", operator_id=operator_id, _external=True))


@bp.route("/operators/<int:operator_id>/stripe")
def account(operator_id: int):
    """The account, and what Stripe says of it (also the page Stripe's onboarding comes back to)."""
    user, operator, community = operator_in_scope(operator_id)
    state, error = None, None
    try:
        state = stripe_accounts.account_state(user, operator, current_app.config)
    except DomainError as failure:  # Stripe did not answer: the page still shows the account
        error = failure
    return render_template("operator/stripe.html", operator=operator, community=community, state=state,
                           error=error, headline=headline(error) if error else None, configured=stripe_accounts.STRIPE.is_configured(current_app.config))


@bp.route("/operators/<int:operator_id>/stripe/connect", methods=["POST"])
def connect(operator_id: int):
    """Open the account if need be, and go to Stripe's onboarding."""
    user, operator, _community = operator_in_scope(operator_id)
    _account, error = attempt(lambda db: stripe_accounts.open_account(db, user, operator, current_app.config))
    return _to_stripe(operator) if error is None else _back(operator_id, error)


@bp.route("/operators/<int:operator_id>/stripe/refresh")
def refresh(operator_id: int):
    """Stripe's ``refresh_url``: the onboarding link expired or was used, so go on with a new one."""
    _user, operator, _community = operator_in_scope(operator_id)
    if not operator.stripe_account_id:
        return back_to("web_stripe_account.account", operator_id=operator_id)
    return _to_stripe(operator)


def _to_stripe(operator):
    try:
        url = stripe_accounts.onboarding_link(operator, current_app.config,
                                              *onboarding_returns(operator.id))
    except DomainError as error:
        return _back(operator.id, error)
    return redirect(url, 303)


def _back(operator_id: int, error: DomainError):
    flash_error(error)
    return back_to("web_stripe_account.account", operator_id=operator_id)
