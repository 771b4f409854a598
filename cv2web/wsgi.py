"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cv2web.settings")
from cv2web.fastpath import FastPath  # noqa: E402
from quotas.middleware import ChunkedBodyLimiter  # noqa: E402

# Static files and already-served portfolio files are answered before Django
# builds a request (settings.WSGI_FAST_PATHS); everything else goes through it.
application = ChunkedBodyLimiter(FastPath(get_wsgi_application()))


def _warm_up() -> None:
    """Import the URL map, and with it every view, API and admin module, here:
    with gunicorn's preload_app this runs once in the master and every worker
    is forked with it. Django imports the URL map on the first request, so each
    new or recycled worker paid about 0.35 s of CPU for its first answer
    (issue 13: under load a recycle every few seconds halved /healthz's
    throughput). Nothing here touches the database or the cache."""
    from django.urls import get_resolver

    get_resolver().resolve("/")


_warm_up()
