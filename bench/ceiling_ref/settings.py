"""A minimal Django project: one bare JSON view and whitenoise serving one
static folder. bench/ceiling.py serves it under the project's gunicorn worker
settings; its throughput is the ceiling the project's endpoints are judged
against (SPEC H)."""

import os
from pathlib import Path

SECRET_KEY = "ceiling-reference-" + "x" * 40
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE = ["whitenoise.middleware.WhiteNoiseMiddleware"]
ROOT_URLCONF = "bench.ceiling_ref.urls"
DATABASES: dict = {}
USE_TZ = True
STATIC_URL = "/static/"
# bench/ceiling.py puts the file it measures here.
STATIC_ROOT = Path(os.environ["CEILING_REF_STATIC"])
WHITENOISE_MAX_AGE = 300
LOGGING_CONFIG = None
