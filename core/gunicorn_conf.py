"""gunicorn's production settings for Linli on a small machine (2 cores), measured and argued in bench/README.md.

    gunicorn -c python:core.gunicorn_conf --bind 127.0.0.1:8000 'core:create_app()'

Command-line options override these; the benchmark serves Linli and its baseline with this same file.
"""
import gc

workers = 4  # 2 × cores: one worker computes while another waits for PostgreSQL
worker_class = "sync"  # short CPU-bound requests; threads would only take turns on the GIL
preload_app = True  # import once in the master, fork workers that share the code
backlog = 2048  # a burst of clients is queued, not refused
timeout = 60


def pre_fork(server, worker):
    """Move everything the master has built (the app, its imports) out of the garbage collector's reach.

    A worker's full collections would otherwise walk those long-lived objects again and again: about
    170,000 of them, a pause of up to 57 ms in the middle of a request. Frozen, a full collection looks only at
    what the worker allocated itself, and copy-on-write pages of the master stay shared.
    """
    gc.freeze()
