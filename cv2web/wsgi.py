"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cv2web.settings")
from quotas.middleware import ChunkedBodyLimiter  # noqa: E402

application = ChunkedBodyLimiter(get_wsgi_application())
