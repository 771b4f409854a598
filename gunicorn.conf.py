"""gunicorn settings for cv2web (values from the environment)."""

import gc
import os
import tempfile

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# gunicorn's gthread worker, leaving its own socket cleanly when it stops
# (reuse_port below; cv2web.gunicorn_worker).
worker_class = "cv2web.gunicorn_worker.ThreadWorker"
# Requests are short: uploads are only checked and queued, never parsed here.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# The application is imported once, in the master, before the workers fork:
# a new or recycled worker starts serving at once instead of re-importing
# Django (seconds of CPU on a busy machine). Nothing connects to the database
# or the cache at import, so the workers share no connection.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
# Workers are not recycled by default (GUNICORN_MAX_REQUESTS=0). Each listens
# on a socket of its own (reuse_port below): while a recycled worker is being
# replaced the others take its connections, but workers recycled at the same
# moment would leave none listening, and new connections would be refused.
# Set it (with the jitter, and more than two workers) to bound a slow leak;
# each recycling costs a fork (with preloading) and the worker's warm caches.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "5000"))
# Each worker listens on a socket of its own (SO_REUSEPORT), and the kernel
# shares new connections out among them. On one shared socket, whichever
# worker woke first took a burst of new connections whole: a load of 32
# keep-alive connections landed all on one worker about one time in five,
# which then served a quarter of what two did while the other stood idle
# (issue 13, measured with wrk on the bare reference app as on this one).
reuse_port = os.environ.get("GUNICORN_REUSE_PORT", "1") == "1"
# Bounds on what a client may send in the request line and headers.
limit_request_line = 8190
limit_request_fields = 100
# gunicorn 27 would open a control socket under ~/.gunicorn by default.
control_socket_disable = True
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG", "1") == "1" else None
# SPEC S-2: manage tokens, reset links and ids are redacted from gunicorn's own
# lines (request paths, the Referer, errors) in every log format.
logger_class = "cv2web.logs.GunicornLogger"
# LOG_FORMAT as cv2web/settings.py reads it: JSON unless asked for text, or
# DEBUG is on (django-environ's true strings).
_debug = os.environ.get("DEBUG", "").strip().lower() in ("true", "on", "ok", "y", "yes", "1")
_log_format = os.environ.get("LOG_FORMAT", "").strip().lower() or ("text" if _debug else "json")
if _log_format == "json":
    # gunicorn's own lines (master, workers, access) as JSON too (SPEC M-6);
    # the access lines carry the X-Request-ID the application answered with.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": "cv2web.logs.JsonFormatter"},
            "access": {"()": "cv2web.logs.AccessJsonFormatter"},
        },
        "filters": {"redact": {"()": "cv2web.logs.RedactFilter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["redact"],
                "stream": "ext://sys.stderr",
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "access",
                "filters": ["redact"],
                "stream": "ext://sys.stdout",
            },
        },
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
            "gunicorn.access": {
                "level": "INFO",
                "handlers": ["access"] if accesslog else [],
                "propagate": False,
            },
        },
    }
wsgi_app = "cv2web.wsgi:application"

# /metrics under several workers (docs/deploy.md, Monitoring): prometheus_client's
# multiprocess mode, where each process writes its counters to files in this
# directory and a scrape adds them up. It must be set before the application
# (and prometheus_client) is imported. Share it with the qcluster on the same
# machine so that the worker's events reach the same scrape; without one, this
# server makes its own, so a scrape never counts only the worker it reached.
_own_metrics_dir = ""
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _own_metrics_dir = tempfile.mkdtemp(prefix="cv2web-prometheus-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _own_metrics_dir


def on_exit(server):
    """The directory this server made for itself goes with it (one given in
    the environment is the operator's, shared with a worker: left alone)."""
    if _own_metrics_dir:
        import shutil

        shutil.rmtree(_own_metrics_dir, ignore_errors=True)


def worker_exit(server, worker):
    """The access lines still waiting for their writer thread are written
    (cv2web.logs.WrittenLater)."""
    flush = getattr(server.log, "flush_access", None)
    if flush is not None:
        flush()


def child_exit(server, worker):
    """A worker gone: its live gauges leave the sum (its counters stay in it)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def pre_fork(server, worker):
    """Objects of the preloaded application move to the collector's permanent
    generation before each fork (Python's gc.freeze advice for fork servers): a
    worker's collections never walk them, so they stay shared pages instead of
    copies, and a worker that exits (recycled every GUNICORN_MAX_REQUESTS) skips
    them in its final collection: 0.03 s instead of about 0.5 s of CPU, during
    which it served nothing (issue 13)."""
    gc.freeze()


def post_worker_init(worker):
    """Each worker checkpoints SQLite's WAL from a thread of its own, not in
    the request whose commit fills it (cv2web.walcheckpoint; nothing happens
    on PostgreSQL)."""
    from cv2web import walcheckpoint

    walcheckpoint.start()
