"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cv2web.settings")
from cv2web.fastpath import FastPath  # noqa: E402
from quotas.middleware import ChunkedBodyLimiter  # noqa: E402

# Static files and already-served portfolio files are answered before Django
# builds a request (settings.WSGI_FAST_PATHS); everything else goes through it.
application = ChunkedBodyLimiter(FastPath(get_wsgi_application()))
