"""Operators' Stripe accounts: connected by the operator's staff through Stripe's own onboarding, or set by the
community's staff.

Connecting creates an Express account once (in ``LINLI_STRIPE_CONNECT_COUNTRY``: Stripe onboards no business in
mainland China) and sends the staff to a one-time Account Link, where Stripe asks what it needs; the account's id is
kept at once, so every later payment of the operator is a destination charge whose application fee is the fund's
share, as soon as Stripe lets the account take charges. Community staff may instead enter the id of an account the
operator already has. Each change is audited.
"""
from __future__ import annotations

import re

from sqlalchemy.orm import Session

from core import audit, catalog, policy
from core.errors import N_, conflict, invalid
from core.models import Operator, User
from core.payments.stripe import ConnectedAccount, StripeProvider

ACCOUNT_ID = re.compile(r"acct_[A-Za-z0-9]{6,59}")
STRIPE_NOT_CONFIGURED = conflict("stripe_not_configured", N_(
    "Stripe is not set up on this platform, so no Stripe account can be connected."))
BAD_ACCOUNT_ID = invalid("bad_stripe_account_id", N_(
    "A Stripe account id starts with acct_ followed by letters and digits, e.g. acct_1AbC2dEf3GhI4jKl."))
STRIPE = StripeProvider()


def _configured(config) -> StripeProvider:
    if not STRIPE.is_configured(config):
        raise STRIPE_NOT_CONFIGURED()
    return STRIPE


def open_account(session: Session, actor: User | None, operator: Operator, config) -> str:
    """The operator's Stripe account, opened now if it has none (its own staff only); commit it before sending the
    staff to Stripe, so that the account is never opened twice (Stripe's idempotency key covers a retry meanwhile)."""
    policy.require(actor, "operator_staff", operator_id=operator.id)
    stripe = _configured(config)
    if not operator.stripe_account_id:
        operator.stripe_account_id = stripe.create_account(operator, config["STRIPE_CONNECT_COUNTRY"], config)
        audit.record(session, actor, "stripe_account_created", "operator", operator.id, operator.community_id,
                     account_id=operator.stripe_account_id)
        session.flush()
    return operator.stripe_account_id


def onboarding_link(operator: Operator, config, refresh_url: str, return_url: str) -> str:
    """A one-time address of Stripe's onboarding of the operator's account (opened by :func:`open_account`)."""
    return _configured(config).account_link(operator.stripe_account_id, refresh_url, return_url, config)


def set_account(session: Session, actor: User | None, operator: Operator, account_id: str) -> Operator:
    """Community staff enter the id of a Stripe account the operator has already."""
    policy.require(actor, "community_staff", community_id=operator.community_id)
    if not ACCOUNT_ID.fullmatch(account_id):
        raise BAD_ACCOUNT_ID(field="account_id")
    audit.record(session, actor, "stripe_account_set", "operator", operator.id, operator.community_id,
                 account_id=account_id, previous=operator.stripe_account_id)
    operator.stripe_account_id = account_id
    session.flush()
    return operator


def account_state(actor: User | None, operator: Operator, config) -> dict:
    """The account and what Stripe says of it (its staff and its community's staff); without an account, or without
    Stripe, Stripe is not asked and its answers are unknown (null)."""
    catalog.require_operator_scope(actor, operator)
    state = {"account_id": operator.stripe_account_id, "charges_enabled": None, "details_submitted": None}
    if operator.stripe_account_id and STRIPE.is_configured(config):
        account: ConnectedAccount = STRIPE.account(operator.stripe_account_id, config)
        state.update(charges_enabled=account.charges_enabled, details_submitted=account.details_submitted)
    return state
