"""gunicorn settings of the reference app: the project's own gunicorn.conf.py
(worker class, workers, threads, keep-alive, preloading), without its access
log and worker recycling: the framework's ceiling, not the project's choices."""

import os
from pathlib import Path

_project = Path(__file__).resolve().parent.parent.parent / "gunicorn.conf.py"
exec(compile(_project.read_text(), str(_project), "exec"))  # noqa: S102 - our own file

bind = os.environ["CEILING_REF_BIND"]
wsgi_app = "bench.ceiling_ref.wsgi:application"
accesslog = None
logconfig_dict: dict = {}
logger_class = "gunicorn.glogging.Logger"
max_requests = 0
max_requests_jitter = 0


def post_worker_init(worker):
    """The project's hook starts the checkpointer of its SQLite database; the
    reference app has no database."""
