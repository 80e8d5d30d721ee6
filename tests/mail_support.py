"""A real SMTP server on 127.0.0.1 for the tests (aiosmtpd in a thread), and the mail it received.

``mailbox`` is a fresh server per test: its ``url`` goes into ``SMTP_URL``, ``wait(n)`` waits (without sleeping
blindly) until n messages arrived and returns them parsed. ``closed_smtp_url`` names a port where nothing listens:
the SMTP server is down.
"""
from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller


class Mailbox:
    """What the server received: each message parsed, and each envelope's recipients."""

    def __init__(self):
        self.messages, self.recipients = [], []
        self._arrived = threading.Condition()
        self.url = ""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler name
        with self._arrived:
            self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
            self.recipients.append(list(envelope.rcpt_tos))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait(self, count: int = 1, timeout: float = 10.0) -> list:
        with self._arrived:
            assert self._arrived.wait_for(lambda: len(self.messages) >= count, timeout), self.messages
            return list(self.messages)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(box: Mailbox, port: int) -> Controller:
    """An SMTP server on 127.0.0.1:``port`` delivering into ``box``, started (stop it when done)."""
    server = Controller(box, hostname="127.0.0.1", port=port)
    server.start()
    box.url = f"smtp://127.0.0.1:{port}"
    return server


@pytest.fixture
def mailbox():
    box = Mailbox()
    server = serve(box, free_port())
    yield box
    server.stop()


@pytest.fixture
def closed_smtp_url() -> str:
    return f"smtp://127.0.0.1:{free_port()}"
