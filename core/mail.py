"""Email over SMTP: ``LINLI_SMTP_URL`` says where and how, the standard library sends.

``smtp://user:password@host:587?starttls=1`` (STARTTLS on a plain connection), ``smtps://user:password@host:465``
(TLS from the start), ``smtp://127.0.0.1:1025`` (a local relay, no login). User and password are URL-encoded.
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

TIMEOUT_SECONDS = 20
SCHEMES = {"smtp": 25, "smtps": 465}


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: bool  # TLS from the first byte (smtps)
    starttls: bool
    user: str | None
    password: str | None


def smtp_server(url: str) -> SmtpServer:
    """The server ``url`` names; a ValueError that says what is wrong with it (read at start-up)."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ValueError(f"LINLI_SMTP_URL must look like smtp://user:password@host:587?starttls=1 or "
                         f"smtps://user:password@host:465, not {parts.scheme!r}://…")  # never the password
    try:
        port = parts.port or SCHEMES[parts.scheme]
    except ValueError as error:
        raise ValueError(f"LINLI_SMTP_URL has a port that is not a number: {error}") from None
    starttls = parse_qs(parts.query).get("starttls", ["0"])[-1].lower() in ("1", "true", "yes")
    return SmtpServer(parts.hostname, port, parts.scheme == "smtps", starttls,
                      unquote(parts.username) if parts.username else None,
                      unquote(parts.password) if parts.password else None)


def send(url: str, message: EmailMessage) -> None:
    """Hand ``message`` to the server; raises (OSError, smtplib.SMTPException) when it cannot, for a retry."""
    server = smtp_server(url)
    context = ssl.create_default_context()
    if server.tls:
        connection = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        connection = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
    with connection:
        if server.starttls:
            connection.starttls(context=context)
        if server.user:
            connection.login(server.user, server.password or "")
        connection.send_message(message)
