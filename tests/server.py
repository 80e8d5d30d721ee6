"""The app served by gunicorn from real processes, on loopback, for tests that kill them.

Bounded on every side: a port in 5300–5399 on 127.0.0.1, no control socket, a
start-up deadline, and a stop that escalates from SIGTERM to SIGKILL.
"""
from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORTS = range(5300, 5400)


def free_port() -> int:
    """A free port of PORTS, tried in random order: suites running side by side rarely reach for the same one."""
    for port in random.sample(PORTS, len(PORTS)):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 5300-5399")


@dataclass
class Server:
    process: subprocess.Popen
    port: int

    def workers(self) -> list[int]:
        """The worker processes' ids (children of the gunicorn master)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def request(self, method: str, path: str, token: str | None = None, body: dict | None = None,
                headers: dict | None = None, timeout: float = 15) -> tuple[int, dict | None]:
        """One request on a fresh connection; a dropped connection raises ConnectionError (or OSError)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            sent = dict(headers or {})
            if token:
                sent["Authorization"] = f"Bearer {token}"
            payload = None if body is None else json.dumps(body)
            if payload is not None:
                sent["Content-Type"] = "application/json"
            connection.request(method, "/api/v1" + path, body=payload, headers=sent)
            response = connection.getresponse()
            data = response.read()
            return response.status, json.loads(data) if data else None
        except http.client.HTTPException as error:  # e.g. RemoteDisconnected: the worker died mid-request
            raise ConnectionError(str(error)) from error
        finally:
            connection.close()

    def wait_until_serving(self, workers: int, deadline: float = 60) -> None:
        stop = time.monotonic() + deadline
        while time.monotonic() < stop:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                if self.request("GET", "/communities", timeout=5)[0] == 200 and len(self.workers()) == workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError("gunicorn did not start serving in time")


@contextmanager
def gunicorn(database_url: str, folder: Path, workers: int = 3, env: dict | None = None, config: bool = False):
    """Serve ``core:create_app()`` on the given database until the block ends (``env``: more LINLI_* settings;
    ``config``: with production's core/gunicorn_conf.py, its logs and metrics, the options below overriding it)."""
    port = free_port()
    env = {**os.environ, "LINLI_DATABASE_URL": database_url, "LINLI_SECRET_KEY": "test-secret",
           "LINLI_INSTANCE_PATH": str(folder), "LINLI_LOGIN_RATE_LIMIT": "10000 per minute",
           "LINLI_LOGIN_ADDRESS_RATE_LIMIT": "10000 per minute", **(env or {})}
    command = [str(Path(sys.executable).parent / "gunicorn"), *(["-c", "python:core.gunicorn_conf"] if config else []),
               "--no-control-socket", "--workers", str(workers),
               "--bind", f"127.0.0.1:{port}", "--timeout", "30", "--graceful-timeout", "5",
               "--log-level", "warning", "core:create_app()"]
    with open(folder / "gunicorn.log", "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(process, port)
    try:
        server.wait_until_serving(workers)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
