"""gunicorn's production settings for Linli, from the environment; the reasoning behind them is in bench/README.md.

    gunicorn -c python:core.gunicorn_conf --bind 127.0.0.1:8000 'core:create_app()'

``LINLI_WEB_WORKERS`` (default 2 × cores) and ``LINLI_WEB_THREADS`` (default 1: sync workers) size it, and the
whole configuration is checked before anything starts: a bad setting stops gunicorn with one message naming every
problem. Command-line options override these; the benchmark serves Linli and its baseline with this same file.
"""
import gc
import os
import shutil
import sys
import tempfile
from pathlib import Path

from core import config as configuration
from core.logs import ACCESS_FORMAT, gunicorn_logconfig

settings = configuration.from_environment()
try:
    configuration.check(settings)
except configuration.ConfigurationError as error:
    sys.exit(str(error))  # the message alone on stderr, exit status 1: gunicorn would print a traceback

workers = settings["WEB_WORKERS"]  # 2 × cores: one worker computes while another waits for PostgreSQL
threads = settings["WEB_THREADS"]
worker_class = "sync" if threads == 1 else "gthread"  # short CPU-bound requests: threads take turns on the GIL
preload_app = True  # import once in the master, fork workers that share the code
backlog = 2048  # a burst of clients is queued, not refused
timeout = 60
logconfig_dict = gunicorn_logconfig(settings["LOG_FORMAT"])  # the access log in the app's form, with request ids
access_log_format = ACCESS_FORMAT  # no query string: searches carry names and phone numbers

METRICS_FOLDER = "PROMETHEUS_MULTIPROC_DIR"
_made_metrics_folder = []


def on_starting(server):
    """Let every worker write its metrics where a scrape of any worker adds them all up (core/metrics.py).

    An operator's ``PROMETHEUS_MULTIPROC_DIR`` is emptied (what a previous run left there would be counted again),
    else a fresh temporary folder is made and removed at exit. This runs in the master before any worker is
    forked, but after the preloaded app has imported prometheus_client, which chose where values live when it was
    imported: it is told again here, before any worker measures anything.
    """
    folder = os.environ.get(METRICS_FOLDER)
    if folder:
        for stale in Path(folder).glob("*.db"):
            stale.unlink()
    else:
        folder = tempfile.mkdtemp(prefix="linli-metrics-")
        _made_metrics_folder.append(folder)
        os.environ[METRICS_FOLDER] = folder
    from prometheus_client import values

    values.ValueClass = values.get_value_class()


def pre_fork(server, worker):
    """Move everything the master has built (the app, its imports) out of the garbage collector's reach.

    A worker's full collections would otherwise walk those long-lived objects again and again: about
    170,000 of them, a pause of up to 57 ms in the middle of a request. Frozen, a full collection looks only at
    what the worker allocated itself, and copy-on-write pages of the master stay shared.
    """
    gc.freeze()


def child_exit(server, worker):
    """A worker's measurements stay counted after it exits; only its live gauges (if any) go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    for folder in _made_metrics_folder:
        shutil.rmtree(folder, ignore_errors=True)
