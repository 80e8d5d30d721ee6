"""Configuration from ``LINLI_*`` environment variables, with safe defaults, checked all at once at start-up.

A bad setting stops Linli before it serves anything, with one :class:`ConfigurationError` that names every
problem found (the ``linli`` command and gunicorn print it without a traceback), instead of a traceback later.
docs/operations.md's configuration table is written from :data:`DEFAULTS` and its comments.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

DEFAULTS = {
    "DATABASE_URL": None,  # default: sqlite file in the instance folder; production needs PostgreSQL
    "HOLD_MINUTES": 15,
    "WAITLIST_OFFER_MINUTES": 30,  # how long a place freed at a full time is held for the next resident on its waiting list
    "TOKEN_HOURS": 24 * 7,
    "STRIPE_SECRET_KEY": None,
    "STRIPE_PUBLISHABLE_KEY": None,
    "STRIPE_WEBHOOK_SECRET": None,
    "STRIPE_API_BASE": None,  # a local Stripe-compatible server in tests
    "STRIPE_PAYMENT_METHODS": "card",
    "STRIPE_CONNECT_COUNTRY": "HK",  # where operators' Express accounts are opened: Stripe onboards none in mainland China
    "WECHATPAY_MCHID": None,  # WeChat Pay (plugins/wechat_pay): the directly connected merchant's number (商户号)
    "WECHATPAY_APPID": None,  # the AppID bound to that merchant (公众号, 小程序 or 移动应用)
    "WECHATPAY_APIV3_KEY": None,  # the APIv3 key set in the merchant platform (32 characters): decrypts notifications
    "WECHATPAY_CERT_SERIAL_NO": None,  # the serial number of the merchant's API certificate
    "WECHATPAY_PRIVATE_KEY": None,  # the path of the merchant's API private key (apiclient_key.pem): signs requests
    "WECHATPAY_PUBLIC_KEY": None,  # the path of WeChat Pay's public key file (pub_key.pem): verifies what it sends
    "WECHATPAY_PUBLIC_KEY_ID": None,  # that public key's id (PUB_KEY_ID_…)
    "WECHATPAY_NOTIFY_URL": None,  # https://<host>/api/v1/payments/wechat_pay/notify, where WeChat Pay notifies
    "WECHATPAY_SHARE_RECEIVER": None,  # the fund's receiver of splits: MERCHANT_ID:<mchid> or PERSONAL_OPENID:<openid>
    "WECHATPAY_API_BASE": "https://api.mch.weixin.qq.com",  # or http://127.0.0.1:port, a local fake in tests
    "DISABLED_PLUGINS": "",
    "ALIYUN_SMS_ACCESS_KEY_ID": None,  # Alibaba Cloud SMS (plugins/aliyun_sms): a RAM user's key allowed SendSms
    "ALIYUN_SMS_ACCESS_KEY_SECRET": None,
    "ALIYUN_SMS_SIGN_NAME": None,  # the approved signature, e.g. 和平社区
    "ALIYUN_SMS_TEMPLATES": None,  # JSON: notification kind → approved template code; a kind without one is not texted
    "ALIYUN_SMS_ENDPOINT": "dysmsapi.aliyuncs.com",  # or http://127.0.0.1:port, a local fake in tests
    "ALIPAY_APP_ID": None,  # Alipay (plugins/alipay), on when all but the return URL are set: the app's id
    "ALIPAY_APP_PRIVATE_KEY": None,  # the app's RSA2 private key: PEM text, a PEM file's path, or bare base64
    "ALIPAY_ALIPAY_PUBLIC_KEY": None,  # Alipay's public key (not the app's), in the same forms
    "ALIPAY_NOTIFY_URL": None,  # https://<host>/api/v1/payments/alipay/notify, where Alipay posts its notifications
    "ALIPAY_RETURN_URL": None,  # where the cashier sends the resident back after paying (optional)
    "ALIPAY_GATEWAY": "https://openapi.alipay.com/gateway.do",  # the sandbox's, or a local fake in tests
    "ALIPAY_ROYALTY_ACCOUNT": None,  # the fund's Alipay account (2088… user id, or logon) its share is split to
    "REDIS_URL": None,  # what the workers share, e.g. redis://127.0.0.1:6379/0: the login limiter counts there
    "RATELIMIT_STORAGE": None,  # the login limiter's store when not REDIS_URL; memory:// (one process) without either
    "LOGIN_RATE_LIMIT": "10 per minute",
    "LOGIN_ADDRESS_RATE_LIMIT": "30 per minute",
    "ENV": "development",  # development or production: production refuses SQLite, no secret key, limits in memory
    "TRUSTED_PROXIES": 0,  # how many proxies in front set X-Forwarded-For/-Proto/-Host/-Port (0: trust none)
    "DB_POOL_SIZE": None,  # PostgreSQL connections each process keeps; default LINLI_WEB_THREADS + 2, at least 5
    "DB_MAX_OVERFLOW": None,  # connections a process may open beyond its pool in a burst; default the pool size
    "DB_PRE_PING": "true",  # test a pooled connection that rested, so a restarted database fails no request
    "WEB_WORKERS": None,  # gunicorn worker processes; default 2 × the CPU cores this process may use
    "WEB_THREADS": 1,  # threads per gunicorn worker: 1 runs sync workers, more runs gthread workers
    "LOG_FORMAT": None,  # json (one JSON object per line) or text; default json in production, text otherwise
    "METRICS_TOKEN": None,  # the bearer token GET /metrics asks for (at least 16 characters); unset: /metrics is 404
    "REMINDER_HOUR": 16,  # from this hour of a community's day, its residents are reminded of tomorrow's bookings
    "TASK_LEASE_SECONDS": 300,  # a claimed task is its runner's this long; a dead runner's is then taken over
    "BROKER_URL": None,  # Celery's broker, e.g. redis://127.0.0.1:6379/0; without one, jobs run in the app's process
    "SMTP_URL": None,  # smtp://user:password@host:587?starttls=1, or smtps://… (TLS); unset: no emails
    "MAIL_FROM": None,  # the emails' sender, e.g. "邻里 Linli <linli@example.org>"
    "BASE_URL": "http://127.0.0.1:5000",  # where the site is, for the links in emails
    "SMS_PROVIDER": None,  # the key of the SMS provider texts go through (a plugin's); unset: no texts
}
INT_KEYS = {"TOKEN_HOURS", "REMINDER_HOUR", "TASK_LEASE_SECONDS", "TRUSTED_PROXIES", "DB_POOL_SIZE", "DB_MAX_OVERFLOW",
            "WEB_WORKERS", "WEB_THREADS"}
RANGES = {"TRUSTED_PROXIES": (0, None), "DB_MAX_OVERFLOW": (0, None), "REMINDER_HOUR": (0, 23)}
"""The whole numbers allowed where not from 1 up."""
DECIMAL_KEYS = {"HOLD_MINUTES", "WAITLIST_OFFER_MINUTES"}  # 0.5 is half a minute: a test of real processes need not wait a quarter of an hour
BOOL_KEYS = {"DB_PRE_PING"}
CHOICES = {"ENV": ("development", "production"), "LOG_FORMAT": ("json", "text")}
TRUTH = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
MIN_METRICS_TOKEN = 16


class ConfigurationError(RuntimeError):
    """Settings Linli cannot start with, every one of them. A RuntimeError, so gunicorn prints its message alone."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Linli cannot start with this configuration: " + "; ".join(problems)
                         + ". Set these environment variables and start again (docs/operations.md lists them all).")


def from_environment(environ=None) -> dict:
    """Every ``LINLI_<KEY>`` variable that is set, as given (:func:`check` types them), else its default."""
    environ = os.environ if environ is None else environ
    config = {key: environ.get(f"LINLI_{key}", default) for key, default in DEFAULTS.items()}
    if environ.get("LINLI_SECRET_KEY"):
        config["SECRET_KEY"] = environ["LINLI_SECRET_KEY"]
    return config


def check(config: dict) -> None:
    """Type the settings in place and fill the derived defaults, or raise one error naming every problem."""
    problems = [*_typed(config), *_choices(config), *_mail_problems(config), *production_problems(config)]
    if problems:
        raise ConfigurationError(problems)
    _derive(config)


def _typed(config: dict) -> list[str]:
    problems = []
    for key in sorted(INT_KEYS):
        value = config.get(key)
        if value is None:
            continue
        least, most = RANGES.get(key, (1, None))
        number = _whole_number(value)
        if number is None or number < least or (most is not None and number > most):
            allowed = f"of at least {least}" if most is None else f"from {least} to {most}"
            problems.append(f"LINLI_{key} must be a whole number {allowed}, not {_shown(value)}")
        else:
            config[key] = number
    for key in sorted(DECIMAL_KEYS):
        value = config.get(key)
        number = _positive_number(value)
        if number is None:
            problems.append(f"LINLI_{key} must be a number above 0, not {_shown(value)}")
        else:
            config[key] = number
    for key in sorted(BOOL_KEYS):
        value = config.get(key)
        if isinstance(value, str):
            if value.strip().lower() not in TRUTH:
                problems.append(f"LINLI_{key} must be true or false, not {_shown(value)}")
            else:
                config[key] = TRUTH[value.strip().lower()]
    return problems


def _choices(config: dict) -> list[str]:
    problems = []
    for key, allowed in CHOICES.items():
        value = config.get(key)
        if value is not None and value not in allowed:
            problems.append(f"LINLI_{key} must be {' or '.join(allowed)}, not {_shown(value)}")
    token = config.get("METRICS_TOKEN")
    if token is not None and len(str(token)) < MIN_METRICS_TOKEN:
        problems.append(f"LINLI_METRICS_TOKEN must be at least {MIN_METRICS_TOKEN} characters long")
    return problems


def _mail_problems(config: dict) -> list[str]:
    """An SMTP server that cannot be understood, or no sender for its emails."""
    if not config.get("SMTP_URL"):
        return []
    from core.mail import smtp_server

    problems = []
    try:
        smtp_server(config["SMTP_URL"])
    except ValueError as error:
        problems.append(str(error))
    if not config.get("MAIL_FROM"):
        problems.append("LINLI_MAIL_FROM must be set (the emails' sender) when LINLI_SMTP_URL is")
    return problems


def _whole_number(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _positive_number(value) -> int | float | None:
    if isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, (int, float)) else float(str(value).strip())
    except ValueError:
        return None
    return number if 0 < number < float("inf") else None


def _shown(value) -> str:
    """A refused value as the message quotes it: short, so a pasted secret never fills the message."""
    text = str(value)
    return repr(text if len(text) <= 20 else text[:20] + "…")


def _derive(config: dict) -> None:
    """The defaults that depend on other settings (see the comments in :data:`DEFAULTS`)."""
    if config.get("WEB_WORKERS") is None:
        config["WEB_WORKERS"] = 2 * usable_cores()
    if config.get("DB_POOL_SIZE") is None:
        config["DB_POOL_SIZE"] = max(5, config.get("WEB_THREADS", 1) + 2)
    if config.get("DB_MAX_OVERFLOW") is None:
        config["DB_MAX_OVERFLOW"] = config["DB_POOL_SIZE"]
    if config.get("LOG_FORMAT") is None:
        config["LOG_FORMAT"] = "json" if config.get("ENV") == "production" else "text"


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity, which a container's cpuset narrows), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def production_problems(config: dict) -> list[str]:
    """What ``LINLI_ENV=production`` refuses: SQLite, a secret key made up on one machine, limits in one process,
    background jobs in the web's processes (no broker)."""
    if config.get("ENV") != "production":
        return []
    problems = []
    url = str(config.get("DATABASE_URL") or "")
    if not url.startswith("postgresql"):
        problems.append("LINLI_ENV=production needs PostgreSQL: set LINLI_DATABASE_URL=postgresql+psycopg://… "
                        "(SQLite, the default, is for development and the demo)")
    if not config.get("SECRET_KEY"):
        problems.append("LINLI_SECRET_KEY must be set when LINLI_ENV=production (a key made up on one machine "
                        "would log everybody out whenever its instance folder is lost)")
    if limiter_storage(config).startswith("memory"):
        problems.append("LINLI_ENV=production counts login attempts in Redis, shared by every worker: set "
                        "LINLI_REDIS_URL (or LINLI_RATELIMIT_STORAGE=redis://...)")
    if not config.get("BROKER_URL"):
        problems.append("LINLI_ENV=production runs its background jobs in `linli worker` and `linli scheduler`, "
                        "which share them through a broker: set LINLI_BROKER_URL=redis://...")
    return problems


def limiter_storage(config) -> str:
    """Where the login limiter counts: ``LINLI_RATELIMIT_STORAGE``, else ``LINLI_REDIS_URL``, else the memory of
    one process (which production refuses)."""
    return config.get("RATELIMIT_STORAGE") or config.get("REDIS_URL") or "memory://"


def instance_secret_key(instance_path: str) -> str:
    """The secret key kept in the instance folder, created on first use (development only: see
    :func:`production_problems`)."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def default_database_url(instance_path: str) -> str:
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(instance_path) / 'linli.db'}"
