"""Configuration from ``LINLI_*`` environment variables, with safe defaults."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

DEFAULTS = {
    "DATABASE_URL": None,  # default: sqlite file in the instance folder
    "HOLD_MINUTES": 15,
    "TOKEN_HOURS": 24 * 7,
    "STRIPE_SECRET_KEY": None,
    "STRIPE_PUBLISHABLE_KEY": None,
    "STRIPE_WEBHOOK_SECRET": None,
    "STRIPE_API_BASE": None,  # a local Stripe-compatible server in tests
    "STRIPE_PAYMENT_METHODS": "card",
    "DISABLED_PLUGINS": "",
    "ALIYUN_SMS_ACCESS_KEY_ID": None,  # Alibaba Cloud SMS (plugins/aliyun_sms): a RAM user's key allowed SendSms
    "ALIYUN_SMS_ACCESS_KEY_SECRET": None,
    "ALIYUN_SMS_SIGN_NAME": None,  # the approved signature, e.g. 和平社区
    "ALIYUN_SMS_TEMPLATES": None,  # JSON: notification kind → approved template code; a kind without one is not texted
    "ALIYUN_SMS_ENDPOINT": "dysmsapi.aliyuncs.com",  # or http://127.0.0.1:port, a local fake in tests
    "REDIS_URL": None,  # what the workers share, e.g. redis://127.0.0.1:6379/0: the login limiter counts there
    "RATELIMIT_STORAGE": None,  # the login limiter's store when not REDIS_URL; memory:// (one process) without either
    "LOGIN_RATE_LIMIT": "10 per minute",
    "LOGIN_ADDRESS_RATE_LIMIT": "30 per minute",
    "ENV": "development",
    "REMINDER_HOUR": 16,  # from this hour of a community's day, its residents are reminded of tomorrow's bookings
    "TASK_LEASE_SECONDS": 300,  # a claimed task is its runner's this long; a dead runner's is then taken over
    "BROKER_URL": None,  # Celery's broker, e.g. redis://127.0.0.1:6379/0; without one, jobs run in the app's process
    "SMTP_URL": None,  # smtp://user:password@host:587?starttls=1, or smtps://… (TLS); unset: no emails
    "MAIL_FROM": None,  # the emails' sender, e.g. "邻里 Linli <linli@example.org>"
    "BASE_URL": "http://127.0.0.1:5000",  # where the site is, for the links in emails
    "SMS_PROVIDER": None,  # the key of the SMS provider texts go through (a plugin's); unset: no texts
}
INT_KEYS = {"TOKEN_HOURS", "REMINDER_HOUR", "TASK_LEASE_SECONDS"}
DECIMAL_KEYS = {"HOLD_MINUTES"}  # 0.5 is half a minute: a test of real processes need not wait a quarter of an hour


def from_environment() -> dict:
    """Every ``LINLI_<KEY>`` variable that is set, typed like its default."""
    config = {}
    for key, default in DEFAULTS.items():
        value = os.environ.get(f"LINLI_{key}")
        if value is None:
            config[key] = default
        else:
            config[key] = int(value) if key in INT_KEYS else float(value) if key in DECIMAL_KEYS else value
    if os.environ.get("LINLI_SECRET_KEY"):
        config["SECRET_KEY"] = os.environ["LINLI_SECRET_KEY"]
    return config


def check_mail(config) -> None:
    """Refuse to start with an SMTP server that cannot be understood, or no sender for its emails."""
    if config.get("SMTP_URL"):
        from core.mail import smtp_server

        smtp_server(config["SMTP_URL"])
        if not config.get("MAIL_FROM"):
            raise ValueError("LINLI_MAIL_FROM must be set (the emails' sender) when LINLI_SMTP_URL is")


def instance_secret_key(instance_path: str, production: bool) -> str:
    """The secret key kept in the instance folder, created on first use.

    In production a key must be given explicitly: a key silently generated on one
    machine would log everybody out whenever the instance folder is lost.
    """
    if production:
        raise RuntimeError("LINLI_SECRET_KEY must be set when LINLI_ENV=production")
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def default_database_url(instance_path: str) -> str:
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(instance_path) / 'linli.db'}"
