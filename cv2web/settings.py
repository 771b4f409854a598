# Long by design: the one settings module (DESIGN.md); every number in the SPEC is a setting.
"""The one settings module of cv2web.

Every tunable is read once from the environment, under the name SPEC.md gives
it, with SPEC.md's default. Values are validated here, at start-up, with a
message that names the variable.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import re
import sys
import tempfile
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

TESTING = "pytest" in sys.modules or (len(sys.argv) > 1 and sys.argv[1] == "test")

# --- Core (SPEC C) ----------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
if TESTING:
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

if TESTING and "DATA_DIR" not in os.environ:
    # Each test run (and each xdist worker) gets its own data folder.
    DATA_DIR = Path(tempfile.mkdtemp(prefix="cv2web-test-"))
else:
    DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "data"))).resolve()
UPLOAD_DIR = DATA_DIR / "uploads"
TMP_DIR = DATA_DIR / "tmp"
SANDBOX_DIR = DATA_DIR / "sandboxes"
BACKUP_DIR = DATA_DIR / "backups"

# --- Secrets (SPEC S-2) ------------------------------------------------------

# With DEBUG off the development key is refused at start-up: anyone can read
# it here, and it signs sessions, keep-alive links, password-reset tokens and
# django-q2's pickled task payloads (a known key plus broker access is code
# execution). DEBUG on, or the test runner, may use it.
DEV_SECRET_KEY = "django-insecure-cv2web-development-only"
SECRET_KEY_MIN_LENGTH = 50
MAKE_SECRET_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(50))"'
# Files of `make run`'s local keys (scripts/local_secrets.py), read when the
# variable is unset; `check --deploy` says so (cv2web.W003).
LOCAL_SECRET_FILES: list[str] = []


def _local_secret(name: str) -> str:
    path = DATA_DIR / name
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return ""
    if mode & 0o077:
        raise ImproperlyConfigured(
            f"{path} can be read by other users (mode {mode & 0o777:o}): run chmod 600 {path}."
        )
    LOCAL_SECRET_FILES.append(str(path))
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or _local_secret("secret_key")
if not SECRET_KEY:
    # The test runner gets a fresh key that its child processes accept
    # (tests/processes.py hands it to them).
    SECRET_KEY = f"cv2web-test-runner-{os.urandom(32).hex()}" if TESTING else DEV_SECRET_KEY
if not (DEBUG or TESTING) and (
    SECRET_KEY.startswith("django-insecure-")
    or len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH
    or len(set(SECRET_KEY)) < 5
):
    raise ImproperlyConfigured(
        f"SECRET_KEY must be a random value of at least {SECRET_KEY_MIN_LENGTH} characters "
        "when DEBUG is off; it is "
        + ("the development key" if SECRET_KEY == DEV_SECRET_KEY else "too weak")
        + f". Make one with: {MAKE_SECRET_KEY} (docs/deploy.md, Secrets; "
        "`make run` keeps one in DATA_DIR by itself)."
    )

PORT = env.int("PORT", default=8000)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "django_ratelimit",
    "csp",
    # The project's own system checks (cv2web.checks).
    "cv2web.apps.Cv2webConfig",
    "extraction",
    "portfolios",
    "quotas",
    "webhooks",
    "monitoring",
]

MIDDLEWARE = [
    # Counts and times every answer for /metrics, static files and refusals
    # included (cv2web.instruments; docs/deploy.md, Monitoring).
    "cv2web.instruments.MetricsMiddleware",
    # Security headers on every answer, static files and portfolio pages included.
    "django.middleware.security.SecurityMiddleware",
    # Static files leave here, before any other middleware runs (docs/deploy.md,
    # Performance).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Every log line of a request carries its id (SPEC M-6).
    "cv2web.logs.RequestIdMiddleware",
    # Published sites this process has served before leave here, like static
    # files (no session, CSRF, auth or messages: they read none).
    "portfolios.views.public.PublicSiteMiddleware",
    # Refuses oversized bodies before anything reads them (SPEC Q-3).
    "quotas.middleware.RequestSizeLimitMiddleware",
    # Cheap public reads (LEAN_PATHS) skip sessions, CSRF, auth and messages.
    "cv2web.middleware.LeanPathMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp's, the site-wide header text built once (cv2web.middleware).
    "cv2web.middleware.CSPMiddleware",
    # Outside ConditionalGet, which gives no ETag to a no-store response.
    "cv2web.middleware.ApiNoStoreMiddleware",
    "quotas.middleware.QuotaHeadersMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    # API writes sent by another site's page are refused (SPEC S-5); inside
    # the others, so that the refusal carries their headers.
    "cv2web.middleware.CrossOriginWriteMiddleware",
]

ROOT_URLCONF = "cv2web.urls"
WSGI_APPLICATION = "cv2web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "portfolios.context_processors.capacity",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'cv2web.sqlite3'}")
}
# A web or worker process checkpoints the WAL from a thread of its own
# (cv2web.walcheckpoint), not in the request whose commit fills it; its
# connections checkpoint themselves only past the backstop. 0: SQLite's own.
SQLITE_CHECKPOINT_INTERVAL_S = env.float("SQLITE_CHECKPOINT_INTERVAL_S", default=1.0)
SQLITE_WAL_AUTOCHECKPOINT_PAGES = env.int("SQLITE_WAL_AUTOCHECKPOINT_PAGES", default=10000)
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while the single writer writes; IMMEDIATE takes
    # the write lock at BEGIN so that two writers queue on busy_timeout instead
    # of failing with "database is locked" half-way through a transaction.
    _db["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Persistent connections: opening one re-runs the PRAGMAs above, and
    # django-q2's ORM broker calls close_old_connections() on every use, which
    # with CONN_MAX_AGE=0 would reconnect twice per upload.
    _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
    _db["CONN_HEALTH_CHECKS"] = True
    if TESTING:
        # A file, as in production: WAL and busy waits behave as they will
        # there, also under the concurrency tests' threads.
        _db["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
elif _db["ENGINE"] in ("django.db.backends.postgresql",):
    # Django's native psycopg pool. Options are set here in Python: booleans in
    # the URL's query string would stay strings (django-environ), and the pool
    # cannot be combined with CONN_MAX_AGE > 0.
    _db.setdefault("OPTIONS", {})
    # A database host that does not answer costs seconds, not the OS's minutes
    # (/readyz must say so promptly).
    _db["OPTIONS"].setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5))
    # django-q2 forks its workers, and a psycopg pool does not survive a fork
    # (forked children share its sockets). Worker processes are long-lived and
    # hold one persistent connection each instead.
    _is_qcluster = len(sys.argv) > 1 and sys.argv[1] == "qcluster"
    _db["CONN_MAX_AGE"] = 0 if not _is_qcluster else 300
    _db["CONN_HEALTH_CHECKS"] = _is_qcluster
    if env.bool("DATABASE_POOL", default=not _is_qcluster):
        _db["OPTIONS"]["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=1),
            "max_size": env.int("DATABASE_POOL_MAX", default=10),
            "timeout": 10,
        }
    _db.setdefault("TEST", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://cv2web")}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # Django's own backend (django-environ switches to django_redis when that
    # package is installed), keeping one Redis client per connection pool
    # instead of building one per operation (cv2web.cache).
    CACHES["default"]["BACKEND"] = "cv2web.cache.RedisCache"
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache":
    # count_hit: a rate limit counted in one step (cv2web.cache).
    CACHES["default"]["BACKEND"] = "cv2web.cache.LocMemCache"
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # A cache that does not answer must cost a request milliseconds, not
    # seconds: rate limits then fail open (quotas.ratelimits).
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    )
# Rate limits reach the same cache through an alias of their own with a much
# shorter timeout: a cache that accepts connections but never answers costs a
# request one short wait, after which quotas.ratelimits' circuit breaker skips
# the cache for RATELIMIT_BREAKER_S (fail-open limits pass, log-in and reset
# limits count in the database) before it tries again.
RATELIMIT_CACHE_TIMEOUT_S = env.float("RATELIMIT_CACHE_TIMEOUT_S", default=0.1)
RATELIMIT_BREAKER_S = env.float("RATELIMIT_BREAKER_S", default=30.0)
if not 0 < RATELIMIT_CACHE_TIMEOUT_S <= 5:
    raise ImproperlyConfigured(
        f"RATELIMIT_CACHE_TIMEOUT_S must be above 0 and at most 5 seconds "
        f"(it is {RATELIMIT_CACHE_TIMEOUT_S})."
    )
if not 1 <= RATELIMIT_BREAKER_S <= 3600:
    raise ImproperlyConfigured(
        f"RATELIMIT_BREAKER_S must be 1..3600 seconds (it is {RATELIMIT_BREAKER_S})."
    )
CACHES["ratelimit"] = {
    **CACHES["default"],
    "OPTIONS": dict(CACHES["default"].get("OPTIONS", {})),
}
if CACHES["ratelimit"]["BACKEND"].endswith("RedisCache"):
    CACHES["ratelimit"]["OPTIONS"].update(
        {
            "socket_connect_timeout": RATELIMIT_CACHE_TIMEOUT_S,
            "socket_timeout": RATELIMIT_CACHE_TIMEOUT_S,
        }
    )
RATELIMIT_USE_CACHE = "ratelimit"

# --- Email ------------------------------------------------------------------

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="cv2web <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_SUBJECT_PREFIX = "[cv2web] "
ADMINS = [("Staff", a) for a in env.list("ADMINS", default=[])]

# --- Internationalisation, static files -------------------------------------

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
# The languages a portfolio site speaks (its labels, months, "present"; issue 15
# point 2), the one its document is written in (extraction.resume.LANGUAGES).
# The app's own pages are English; their strings are in the same catalogues.
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("pt", "Português"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# A text is said to be in a language when at least this many of its words are
# that language's, and this many more than the runner-up's (else: English).
LANGUAGE_DETECT_MIN_WORDS = env.int("LANGUAGE_DETECT_MIN_WORDS", default=3)
LANGUAGE_DETECT_MIN_LEAD = env.int("LANGUAGE_DETECT_MIN_LEAD", default=2)
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed names, cached for a year. Tests use plain storage: the
        # manifest raises for entries that collectstatic has not written.
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}
WHITENOISE_MAX_AGE = 31536000
if TESTING or DEBUG:
    # Serve straight from the source folders; no collectstatic needed.
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True

# --- Security (SPEC S) ------------------------------------------------------

# Sessions hold CV data (the document edited on the review page) and manage
# tokens: their rows are encrypted at rest with ENCRYPTION_KEYS (SPEC S-3).
SESSION_ENGINE = "extraction.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# Load balancers probe over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("SECURE_PROXY_SSL", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Serving under load (SPEC H; docs/deploy.md, Performance) ----------------

# Published sites are answered from memory once this process has served them
# (portfolios.views.public): at most this many sites are remembered.
PORTFOLIO_SERVE_CACHE_SITES = env.int("PORTFOLIO_SERVE_CACHE_SITES", default=1000)
# With a front server (nginx) that can read DATA_DIR/sandboxes, e.g.
# "/_sandboxes/": portfolio files are handed to it with X-Accel-Redirect to
# <prefix><portfolio id>/<file> (an `internal` location), headers set here.
PORTFOLIO_ACCEL_REDIRECT_PREFIX = env.str("PORTFOLIO_ACCEL_REDIRECT_PREFIX", default="")
if not 1 <= PORTFOLIO_SERVE_CACHE_SITES <= 1_000_000:
    raise ImproperlyConfigured(
        f"PORTFOLIO_SERVE_CACHE_SITES must be 1..1000000 (it is {PORTFOLIO_SERVE_CACHE_SITES})."
    )
# GETs of these paths without a session cookie skip the middleware they
# never need (cv2web.middleware.LeanPathMiddleware); every other middleware,
# security headers and CSP included, still runs.
LEAN_PATHS = [
    r"/healthz",
    r"/api/v1/status",
    r"/api/v1/extractions/[0-9a-fA-F-]{32,36}",
    r"/jobs/[0-9a-fA-F-]{32,36}/status",
]
# Answered before Django builds a request (cv2web.fastpath, wrapped around the
# WSGI application in cv2web/wsgi.py): static files, and the files of
# published sites this process has served. Each declines what it is not sure of.
WSGI_FAST_PATHS = [
    "cv2web.fastpath.static_files",
    "portfolios.views.public.fast_sites",
    "cv2web.fastpath.constant_answers",
    "monitoring.api.fast_status",
    "extraction.polls.fast_polls",
]
# Paths whose answer is the same for every plain request, kept from Django's
# first answer by each process (cv2web.fastpath.ConstantAnswers).
WSGI_CONSTANT_PATHS = ["/healthz"]
LEAN_SKIPPED_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Refuses unsafe methods only.
    "cv2web.middleware.CrossOriginWriteMiddleware",
]
# Cheap public reads (/api/v1/status, GET /api/v1/extractions/{id}) count
# against this limit per client instead of the API's RATELIMIT_API_HOUR/DAY.
RATELIMIT_CHEAP_READS = env.str("RATELIMIT_CHEAP_READS", default="1200/m")
# The public status (/status, /api/v1/status) is computed at most this often
# (seconds) and shared through the cache; 0 computes it on every request.
STATUS_CACHE_SECONDS = env.float("STATUS_CACHE_SECONDS", default=2.0)
if not 0 <= STATUS_CACHE_SECONDS <= 60:
    raise ImproperlyConfigured(
        f"STATUS_CACHE_SECONDS must be 0..60 (it is {STATUS_CACHE_SECONDS})."
    )
# The day's extraction count that the X-Quota-* headers of every API answer
# report is read from the cache for at most this many seconds (then from the
# database); counting, giving back or editing it clears it at once in this
# process, and everywhere when the cache is shared (Redis). Limits are always
# enforced against the database. 0 reads the database every time.
QUOTA_USAGE_CACHE_S = env.float("QUOTA_USAGE_CACHE_S", default=5.0)
if not 0 <= QUOTA_USAGE_CACHE_S <= 60:
    raise ImproperlyConfigured(f"QUOTA_USAGE_CACHE_S must be 0..60 (it is {QUOTA_USAGE_CACHE_S}).")
# With a Redis cache, cheap reads (the status, a kept poll) count their rate
# limit in each process and send the count in batches, at least this often
# (seconds) and at every read that may be over the limit, and reuse what they
# read from Redis (the status, the typical duration, a caller's day count,
# change stamps) for at most this long: most cheap reads then cost no round
# trip to Redis. What another process or machine changes is seen within this
# time; a client at its limit may get the reads other processes serve in this
# time more. 0: one round trip per read, the count and the reads together.
CHEAP_READ_NEAR_S = env.float("CHEAP_READ_NEAR_S", default=0.25)
if not 0 <= CHEAP_READ_NEAR_S <= 5:
    raise ImproperlyConfigured(f"CHEAP_READ_NEAR_S must be 0..5 (it is {CHEAP_READ_NEAR_S}).")
# A polled job's answer is kept by each web process for the caller's next
# polls (extraction.polls), at most this many (the oldest kept go
# first; 0 keeps none), and given again while nothing it depends on has
# changed (cv2web.stamps), for at most POLL_ANSWERS_MAX_AGE_S seconds.
POLL_ANSWERS_KEPT = env.int("POLL_ANSWERS_KEPT", default=1000)
if not 0 <= POLL_ANSWERS_KEPT <= 100_000:
    raise ImproperlyConfigured(f"POLL_ANSWERS_KEPT must be 0..100000 (it is {POLL_ANSWERS_KEPT}).")
POLL_ANSWERS_MAX_AGE_S = env.float("POLL_ANSWERS_MAX_AGE_S", default=30.0)
if not 0 < POLL_ANSWERS_MAX_AGE_S <= 3600:
    raise ImproperlyConfigured(
        f"POLL_ANSWERS_MAX_AGE_S must be above 0 and at most 3600 (it is {POLL_ANSWERS_MAX_AGE_S})."
    )
# The typical extraction time behind every estimate (a job's wait, the upload
# page's "a few seconds") is shared through the cache for this many seconds;
# a finished extraction clears it. 0 computes it each time.
EXTRACTION_ESTIMATE_CACHE_S = env.float("EXTRACTION_ESTIMATE_CACHE_S", default=10.0)
if not 0 <= EXTRACTION_ESTIMATE_CACHE_S <= 300:
    raise ImproperlyConfigured(
        f"EXTRACTION_ESTIMATE_CACHE_S must be 0..300 (it is {EXTRACTION_ESTIMATE_CACHE_S})."
    )
# The upload-time probe of a PDF or DOCX runs in one of this many children
# kept warm per web process (extraction.isolation.WarmPool), each replaced
# after EXTRACTION_PROBE_POOL_MAX_USES probes or any failure; 0 forks a child
# per upload. Same time and memory limits either way.
EXTRACTION_PROBE_POOL_SIZE = env.int("EXTRACTION_PROBE_POOL_SIZE", default=2)
EXTRACTION_PROBE_POOL_MAX_USES = env.int("EXTRACTION_PROBE_POOL_MAX_USES", default=500)
if not 0 <= EXTRACTION_PROBE_POOL_SIZE <= 64:
    raise ImproperlyConfigured(
        f"EXTRACTION_PROBE_POOL_SIZE must be 0..64 (it is {EXTRACTION_PROBE_POOL_SIZE})."
    )
if EXTRACTION_PROBE_POOL_MAX_USES < 1:
    raise ImproperlyConfigured(
        "EXTRACTION_PROBE_POOL_MAX_USES must be at least 1 "
        f"(it is {EXTRACTION_PROBE_POOL_MAX_USES})."
    )
if PORTFOLIO_ACCEL_REDIRECT_PREFIX and not (
    PORTFOLIO_ACCEL_REDIRECT_PREFIX.startswith("/")
    and PORTFOLIO_ACCEL_REDIRECT_PREFIX.endswith("/")
):
    raise ImproperlyConfigured(
        "PORTFOLIO_ACCEL_REDIRECT_PREFIX must start and end with / "
        f"(it is {PORTFOLIO_ACCEL_REDIRECT_PREFIX!r}), e.g. /_sandboxes/."
    )

# --- Upload handling and request size (SPEC Q-3, E-1) -----------------------

MAX_REQUEST_SIZE = env.int("MAX_REQUEST_SIZE", default=10 * 1024 * 1024)
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
# A request of at most FILE_UPLOAD_MAX_MEMORY_SIZE (the whole body) keeps its
# file in memory: a cache hit then never touches the disk. A larger one goes
# straight to disk, into our own temporary folder. Either stops at the limits.
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
FILE_UPLOAD_TEMP_DIR = str(TMP_DIR)
FILE_UPLOAD_HANDLERS = [
    "quotas.uploads.LimitedMemoryFileUploadHandler",
    "quotas.uploads.LimitedTemporaryFileUploadHandler",
]
# Non-file form data: our own forms are tiny.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 60

# --- Extraction (SPEC E) ----------------------------------------------------

EXTRACTOR = env.str("EXTRACTOR", default="auto")
# A JSON Resume brought as it is (SPEC E-1): a real one is 5-50 KB. A larger file
# is refused before it is parsed; nesting deeper than this is refused too
# (a JSON Resume is 4 levels deep; the parser would recurse on a deep one).
EXTRACTION_MAX_JSON_BYTES = env.int("EXTRACTION_MAX_JSON_BYTES", default=1024 * 1024)
EXTRACTION_MAX_JSON_DEPTH = env.int("EXTRACTION_MAX_JSON_DEPTH", default=32)
ANTHROPIC_API_KEY = env.str("ANTHROPIC_API_KEY", default="")
ANTHROPIC_BASE_URL = env.str("ANTHROPIC_BASE_URL", default="")
ANTHROPIC_MODEL = env.str("ANTHROPIC_MODEL", default="claude-sonnet-4-6")
# Upper bound on one model call; each call also fits in the job's deadline.
ANTHROPIC_TIMEOUT_S = env.float("ANTHROPIC_TIMEOUT_S", default=55.0)
ANTHROPIC_MAX_RETRIES = env.int("ANTHROPIC_MAX_RETRIES", default=2)
ANTHROPIC_MAX_TOKENS = env.int("ANTHROPIC_MAX_TOKENS", default=8192)
# Estimated price in USD per million tokens (input, output), for the cost
# recorded on every model extraction.
ANTHROPIC_PRICE_INPUT_PER_MTOK = env.float("ANTHROPIC_PRICE_INPUT_PER_MTOK", default=3.0)
ANTHROPIC_PRICE_OUTPUT_PER_MTOK = env.float("ANTHROPIC_PRICE_OUTPUT_PER_MTOK", default=15.0)
# Message Batches API answers cost this share of the interactive price.
ANTHROPIC_BATCH_PRICE_RATIO = env.float("ANTHROPIC_BATCH_PRICE_RATIO", default=0.5)

EXTRACTION_MAX_PAGES = env.int("EXTRACTION_MAX_PAGES", default=20)
EXTRACTION_MAX_TEXT_CHARS = env.int("EXTRACTION_MAX_TEXT_CHARS", default=100_000)
EXTRACTION_MAX_DOCX_UNCOMPRESSED = env.int(
    "EXTRACTION_MAX_DOCX_UNCOMPRESSED", default=50 * 1024 * 1024
)
# Time and memory granted to the child process that parses one document.
EXTRACTION_PARSE_TIMEOUT_S = env.float("EXTRACTION_PARSE_TIMEOUT_S", default=20.0)
EXTRACTION_PARSE_MEMORY_MB = env.int("EXTRACTION_PARSE_MEMORY_MB", default=1024)
# pdfium has no inflation limit of its own; its child gets this at most.
EXTRACTION_PDF_MEMORY_MB = env.int("EXTRACTION_PDF_MEMORY_MB", default=256)

# When the model answers, the local extractor reads the same text too and the
# fields where the two differ are flagged for review ("disagree"); a second
# reading that takes longer than this is dropped (the answer is kept unflagged).
EXTRACTION_CROSS_CHECK = env.bool("EXTRACTION_CROSS_CHECK", default=True)
EXTRACTION_CROSS_CHECK_TIMEOUT_S = env.float("EXTRACTION_CROSS_CHECK_TIMEOUT_S", default=5.0)

EXTRACTION_CACHE_DAYS = env.int("EXTRACTION_CACHE_DAYS", default=30)
EXTRACTION_MAX_CONCURRENT = env.int("EXTRACTION_MAX_CONCURRENT", default=5)
EXTRACTION_MAX_QUEUE_DEPTH = env.int("EXTRACTION_MAX_QUEUE_DEPTH", default=50)
EXTRACTION_TIMEOUT_S = env.int("EXTRACTION_TIMEOUT_S", default=60)
EXTRACTION_MAX_ATTEMPTS = env.int("EXTRACTION_MAX_ATTEMPTS", default=3)
EXTRACTION_RETRY_BACKOFF_S = env.int("EXTRACTION_RETRY_BACKOFF_S", default=10)
EXTRACTION_BATCH_MAX_FILES = env.int("EXTRACTION_BATCH_MAX_FILES", default=50)
# A running job whose heartbeat is older than this is taken to have lost its
# worker and is requeued by the watchdog.
EXTRACTION_LEASE_S = env.int("EXTRACTION_LEASE_S", default=EXTRACTION_TIMEOUT_S + 30)
# Background mode (docs/api.md): the last queue class, at most this many worker slots,
# never taken while a person's job is ready; its own queue depth.
EXTRACTION_BACKGROUND_MAX_SLOTS = env.int(
    "EXTRACTION_BACKGROUND_MAX_SLOTS", default=max(1, EXTRACTION_MAX_CONCURRENT // 2)
)
EXTRACTION_BACKGROUND_MAX_QUEUE_DEPTH = env.int(
    "EXTRACTION_BACKGROUND_MAX_QUEUE_DEPTH", default=5000
)
# With the claude extractor, background jobs go through the Message Batches
# API: a batch leaves when it holds EXTRACTION_BATCH_MAX_SIZE jobs or its
# oldest job has waited EXTRACTION_BATCH_MAX_AGE_S; one that has not ended
# after EXTRACTION_BATCH_TIMEOUT_S (the API's own limit is 24 h) is cancelled
# and its jobs fall back. Reading the texts of a batch stops after
# EXTRACTION_BATCH_PREPARE_S (the rest go in the next one).
EXTRACTION_BATCH_API = env.bool("EXTRACTION_BATCH_API", default=True)
EXTRACTION_BATCH_MAX_SIZE = env.int("EXTRACTION_BATCH_MAX_SIZE", default=100)
EXTRACTION_BATCH_MAX_AGE_S = env.int("EXTRACTION_BATCH_MAX_AGE_S", default=300)
EXTRACTION_BATCH_TIMEOUT_S = env.int("EXTRACTION_BATCH_TIMEOUT_S", default=24 * 3600)
EXTRACTION_BATCH_PREPARE_S = env.float("EXTRACTION_BATCH_PREPARE_S", default=30.0)

# SPEC S: uploads and cached results are encrypted at rest (extraction.crypto).
# Comma-separated Fernet keys: the first encrypts, all decrypt (rotation:
# docs/deploy.md). Unset: `make run`'s local key file, else (DEBUG on only) a
# key derived from SECRET_KEY, which `check --deploy` flags (cv2web.W001).
# Checked at start-up (ExtractionConfig.ready).
ENCRYPTION_KEYS = [k.strip() for k in env.list("ENCRYPTION_KEYS", default=[]) if k.strip()]
if not ENCRYPTION_KEYS:
    ENCRYPTION_KEYS = [k.strip() for k in _local_secret("encryption_key").split(",") if k.strip()]
if not ENCRYPTION_KEYS and TESTING:
    # A fresh Fernet key, as production has one (tests/processes.py hands it
    # to child processes).
    ENCRYPTION_KEYS = [base64.urlsafe_b64encode(os.urandom(32)).decode()]
if not (ENCRYPTION_KEYS or DEBUG):
    # The key derived from SECRET_KEY is for development only (extraction.crypto).
    raise ImproperlyConfigured(
        "ENCRYPTION_KEYS must be set when DEBUG is off: uploads and CV data are "
        'encrypted with it. Make a key with: python -c "from cryptography.fernet import '
        'Fernet; print(Fernet.generate_key().decode())" (docs/deploy.md, Encryption at rest).'
    )

SNAPSHOT_MAX_BYTES = env.int("SNAPSHOT_MAX_BYTES", default=512 * 1024)
SNAPSHOT_WARN_BYTES = env.int("SNAPSHOT_WARN_BYTES", default=256 * 1024)
SNAPSHOT_MAX_ITEMS = env.int("SNAPSHOT_MAX_ITEMS", default=100)

if EXTRACTOR not in ("auto", "claude", "local"):
    raise ImproperlyConfigured("EXTRACTOR must be one of auto, claude, local.")
if EXTRACTION_MAX_CONCURRENT < 1:
    raise ImproperlyConfigured("EXTRACTION_MAX_CONCURRENT must be at least 1.")
if EXTRACTION_MAX_ATTEMPTS < 1:
    raise ImproperlyConfigured("EXTRACTION_MAX_ATTEMPTS must be at least 1.")
if EXTRACTION_LEASE_S <= EXTRACTION_TIMEOUT_S:
    raise ImproperlyConfigured("EXTRACTION_LEASE_S must be larger than EXTRACTION_TIMEOUT_S.")
if not 1 <= EXTRACTION_BACKGROUND_MAX_SLOTS <= EXTRACTION_MAX_CONCURRENT:
    raise ImproperlyConfigured(
        "EXTRACTION_BACKGROUND_MAX_SLOTS must be 1..EXTRACTION_MAX_CONCURRENT "
        f"(it is {EXTRACTION_BACKGROUND_MAX_SLOTS})."
    )
if not 1 <= EXTRACTION_BATCH_MAX_SIZE <= 10_000:
    raise ImproperlyConfigured("EXTRACTION_BATCH_MAX_SIZE must be 1..10000.")
if EXTRACTION_BATCH_MAX_AGE_S < 0 or EXTRACTION_BATCH_TIMEOUT_S < 60:
    raise ImproperlyConfigured(
        "EXTRACTION_BATCH_MAX_AGE_S must be >= 0 and EXTRACTION_BATCH_TIMEOUT_S >= 60."
    )
if EXTRACTION_BATCH_PREPARE_S <= 0 or EXTRACTION_BATCH_PREPARE_S >= EXTRACTION_TIMEOUT_S + 30:
    raise ImproperlyConfigured(
        "EXTRACTION_BATCH_PREPARE_S must be above 0 and below the task timeout "
        "(EXTRACTION_TIMEOUT_S + 30)."
    )
if not 0 < ANTHROPIC_BATCH_PRICE_RATIO <= 1:
    raise ImproperlyConfigured("ANTHROPIC_BATCH_PRICE_RATIO must be in (0, 1].")

# --- Portfolios (SPEC P) -----------------------------------------------------

PORTFOLIO_IDLE_AFTER = env.int("PORTFOLIO_IDLE_AFTER", default=3600)  # seconds
PORTFOLIO_GRACE_MINUTES = env.int("PORTFOLIO_GRACE_MINUTES", default=30)
LIFECYCLE_SCAN_MINUTES = env.int("LIFECYCLE_SCAN_MINUTES", default=5)
PORTFOLIO_CAPACITY = env.int("PORTFOLIO_CAPACITY", default=20)
CAPACITY_WARN_AT = env.int("CAPACITY_WARN_AT", default=15)
CAPACITY_HIGH_DEMAND_AT = env.int("CAPACITY_HIGH_DEMAND_AT", default=18)
PORTFOLIO_OVERFLOW_CAPACITY = env.int("PORTFOLIO_OVERFLOW_CAPACITY", default=25)
PORTFOLIO_EMERGENCY_CAPACITY = env.int("PORTFOLIO_EMERGENCY_CAPACITY", default=30)
PORTFOLIO_EMERGENCY_INACTIVITY_HOURS = env.int("PORTFOLIO_EMERGENCY_INACTIVITY_HOURS", default=12)
# A public visit counts as activity at most this often per portfolio.
PORTFOLIO_VISIT_ACTIVITY_S = env.int("PORTFOLIO_VISIT_ACTIVITY_S", default=60)
PORTFOLIO_WEIGHT_BUDGET_BYTES = env.int("PORTFOLIO_WEIGHT_BUDGET_BYTES", default=50 * 1024)
PORTFOLIO_SANDBOX_BACKEND = env.str("PORTFOLIO_SANDBOX_BACKEND", default="files")
# PDF export (issue 15): the paper when the caller names none (a4 or letter),
# how many PDFs one process lays out at once, how long a request waits for a
# turn before it is told to retry, how long a made PDF is kept in the cache
# (keyed by the document, theme and paper), and each client's rate.
PORTFOLIO_PDF_PAPER = env.str("PORTFOLIO_PDF_PAPER", default="a4").lower()
PORTFOLIO_PDF_MAX_CONCURRENT = env.int("PORTFOLIO_PDF_MAX_CONCURRENT", default=2)
PORTFOLIO_PDF_WAIT_S = env.float("PORTFOLIO_PDF_WAIT_S", default=10.0)
PORTFOLIO_PDF_CACHE_S = env.int("PORTFOLIO_PDF_CACHE_S", default=3600)
RATELIMIT_PDF = env.str("RATELIMIT_PDF", default="30/h")
if PORTFOLIO_PDF_PAPER not in ("a4", "letter"):
    raise ImproperlyConfigured("PORTFOLIO_PDF_PAPER must be a4 or letter.")
if PORTFOLIO_PDF_MAX_CONCURRENT < 1 or PORTFOLIO_PDF_WAIT_S < 0 or PORTFOLIO_PDF_CACHE_S < 0:
    raise ImproperlyConfigured(
        "PORTFOLIO_PDF_MAX_CONCURRENT must be at least 1; PORTFOLIO_PDF_WAIT_S and "
        "PORTFOLIO_PDF_CACHE_S must not be negative."
    )
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default=f"http://127.0.0.1:{PORT}")
if not (
    CAPACITY_WARN_AT <= CAPACITY_HIGH_DEMAND_AT <= PORTFOLIO_CAPACITY <= PORTFOLIO_OVERFLOW_CAPACITY
):
    raise ImproperlyConfigured(
        "Need CAPACITY_WARN_AT <= CAPACITY_HIGH_DEMAND_AT <= PORTFOLIO_CAPACITY "
        "<= PORTFOLIO_OVERFLOW_CAPACITY."
    )
if PORTFOLIO_SANDBOX_BACKEND != "files":
    raise ImproperlyConfigured("PORTFOLIO_SANDBOX_BACKEND: only 'files' is available.")

# --- Fair usage (SPEC Q) -----------------------------------------------------

# Q-1 tiers: extractions a day, active portfolios, retention after last activity.
QUOTA_TIERS = {
    "anonymous": {
        "extractions_per_day": env.int("QUOTA_ANONYMOUS_EXTRACTIONS_PER_DAY", default=3),
        "active_portfolios": env.int("QUOTA_ANONYMOUS_ACTIVE_PORTFOLIOS", default=1),
        "retention_hours": env.int("QUOTA_ANONYMOUS_RETENTION_HOURS", default=24),
    },
    "registered": {
        "extractions_per_day": env.int("QUOTA_REGISTERED_EXTRACTIONS_PER_DAY", default=10),
        "active_portfolios": env.int("QUOTA_REGISTERED_ACTIVE_PORTFOLIOS", default=3),
        "retention_hours": env.int("QUOTA_REGISTERED_RETENTION_HOURS", default=7 * 24),
    },
    "premium": {
        "extractions_per_day": env.int("QUOTA_PREMIUM_EXTRACTIONS_PER_DAY", default=50),
        "active_portfolios": env.int("QUOTA_PREMIUM_ACTIVE_PORTFOLIOS", default=10),
        "retention_hours": env.int("QUOTA_PREMIUM_RETENTION_HOURS", default=30 * 24),
    },
    # The bulk plan for API consumers (set by staff; seed 004 "1000 resumes/day"):
    # a recruiter's day of CVs, sent in batches, followed by webhooks.
    "bulk": {
        "extractions_per_day": env.int("QUOTA_BULK_EXTRACTIONS_PER_DAY", default=1000),
        "active_portfolios": env.int("QUOTA_BULK_ACTIVE_PORTFOLIOS", default=3),
        "retention_hours": env.int("QUOTA_BULK_RETENTION_HOURS", default=7 * 24),
    },
}
for _tier, _limits in QUOTA_TIERS.items():
    for _name, _value in _limits.items():
        if _value < 0:
            raise ImproperlyConfigured(
                f"QUOTA_{_tier.upper()}_{_name.upper()} must not be negative (it is {_value})."
            )
# Q-2 burst limits (django-ratelimit rates, per client: user or address).
RATELIMIT_UPLOADS = env.str("RATELIMIT_UPLOADS", default="30/h")
RATELIMIT_API_HOUR = env.str("RATELIMIT_API_HOUR", default="100/h")
RATELIMIT_API_DAY = env.str("RATELIMIT_API_DAY", default="1000/d")
RATELIMIT_BATCH = env.str("RATELIMIT_BATCH", default="30/m")
# The bulk plan's own rates (seed 004: 100 requests an hour, 1,000 a day, 30
# batch calls a minute); single uploads may use its whole hourly budget.
RATELIMIT_BULK_API_HOUR = env.str("RATELIMIT_BULK_API_HOUR", default="100/h")
RATELIMIT_BULK_API_DAY = env.str("RATELIMIT_BULK_API_DAY", default="1000/d")
RATELIMIT_BULK_BATCH = env.str("RATELIMIT_BULK_BATCH", default="30/m")
RATELIMIT_BULK_UPLOADS = env.str("RATELIMIT_BULK_UPLOADS", default="100/h")
for _name in (
    "RATELIMIT_UPLOADS",
    "RATELIMIT_API_HOUR",
    "RATELIMIT_API_DAY",
    "RATELIMIT_BATCH",
    "RATELIMIT_BULK_API_HOUR",
    "RATELIMIT_BULK_API_DAY",
    "RATELIMIT_BULK_BATCH",
    "RATELIMIT_BULK_UPLOADS",
):
    if not re.fullmatch(r"\d+/\d*[smhd]", globals()[_name].strip()):
        raise ImproperlyConfigured(
            f"{_name} must be a rate such as 100/h or 5/15m (it is {globals()[_name]!r})."
        )
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
# quotas.ratelimits fails open on cache errors (logged and counted), except
# the log-in, sign-up and password-reset limits, which then count in the
# database (quotas.models.BurstCounter).
RATELIMIT_FAIL_OPEN = True
# django-ratelimit only knows django-redis; Django's own RedisCache works
# (tests/quotas/test_concurrency.py shows the limit holding across workers).
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
if CACHES["default"]["BACKEND"].endswith(
    ("LocMemCache", "DummyCache", "FileBasedCache", "DatabaseCache")
):
    # The embedded default: limits hold per process only (docs/deploy.md);
    # django-ratelimit's check would otherwise abort migrate and qcluster.
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

# Q-4 client identity.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Monitoring (SPEC M) ----------------------------------------------------

ALERT_PROCESSING_TIME_S = env.int("ALERT_PROCESSING_TIME_S", default=45)
ALERT_MEMORY_PERCENT = env.int("ALERT_MEMORY_PERCENT", default=90)
ALERT_MODEL_QUOTA_PERCENT = env.int("ALERT_MODEL_QUOTA_PERCENT", default=20)
ALERT_CHECK_MINUTES = env.int("ALERT_CHECK_MINUTES", default=5)
# A scheduled job whose next run is this late is reported (M-3).
ALERT_JOB_LATE_MINUTES = env.int("ALERT_JOB_LATE_MINUTES", default=10)

# M-1 audit retention per category. AUDIT_LOG_RETENTION_DAYS is the user
# activity category's (SPEC default 90).
AUDIT_LOG_RETENTION_DAYS = env.int("AUDIT_LOG_RETENTION_DAYS", default=90)
AUDIT_SECURITY_RETENTION_DAYS = env.int("AUDIT_SECURITY_RETENTION_DAYS", default=365)
AUDIT_SYSTEM_RETENTION_DAYS = env.int("AUDIT_SYSTEM_RETENTION_DAYS", default=30)
for _name in (
    "AUDIT_LOG_RETENTION_DAYS",
    "AUDIT_SECURITY_RETENTION_DAYS",
    "AUDIT_SYSTEM_RETENTION_DAYS",
):
    if not 30 <= vars()[_name] <= 365:
        raise ImproperlyConfigured(
            f"{_name} must be between 30 and 365 days (it is {vars()[_name]})."
        )
# Deletions run in batches of this many rows, each its own short transaction.
RETENTION_BATCH_SIZE = env.int("RETENTION_BATCH_SIZE", default=5000)

# M-2 metrics history and M-4 run records.
METRICS_SAMPLE_MINUTES = env.int("METRICS_SAMPLE_MINUTES", default=5)
METRICS_RETENTION_DAYS = env.int("METRICS_RETENTION_DAYS", default=90)
JOB_RUN_RETENTION_DAYS = env.int("JOB_RUN_RETENTION_DAYS", default=30)
# django-q2's own task records (successes and failures) are kept this long.
TASK_RECORD_RETENTION_DAYS = env.int("TASK_RECORD_RETENTION_DAYS", default=7)

# M-4 retention of sessions and files.
SESSION_RETENTION_DAYS = env.int("SESSION_RETENTION_DAYS", default=7)
ORPHAN_UPLOAD_RETENTION_DAYS = env.int("ORPHAN_UPLOAD_RETENTION_DAYS", default=30)
TMP_FILE_RETENTION_HOURS = env.int("TMP_FILE_RETENTION_HOURS", default=24)

# Backups (M-4, D): kept in BACKUP_DIR, the newest BACKUP_KEEP.
BACKUP_KEEP = env.int("BACKUP_KEEP", default=7)
if BACKUP_KEEP < 1:
    raise ImproperlyConfigured(f"BACKUP_KEEP must be at least 1 (it is {BACKUP_KEEP}).")

# M-5 endpoints: /readyz wants a worker heartbeat younger than this; /metrics
# answers scrapers on these addresses or presenting the bearer token.
WORKER_HEARTBEAT_SECONDS = env.int("WORKER_HEARTBEAT_SECONDS", default=30)
WORKER_HEARTBEAT_MAX_AGE_S = env.int("WORKER_HEARTBEAT_MAX_AGE_S", default=120)
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
for _entry in METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_entry, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_IPS: {_entry!r} is not an address or a network."
        ) from None

# --- Webhooks (issue 14 point 4; docs/api.md "Webhooks") ---------------------

# Each attempt: connect within WEBHOOK_CONNECT_TIMEOUT_S, done within
# WEBHOOK_TIMEOUT_S (headers and body), at most WEBHOOK_MAX_RESPONSE_BYTES read.
WEBHOOK_TIMEOUT_S = env.float("WEBHOOK_TIMEOUT_S", default=10.0)
WEBHOOK_CONNECT_TIMEOUT_S = env.float("WEBHOOK_CONNECT_TIMEOUT_S", default=3.0)
WEBHOOK_MAX_RESPONSE_BYTES = env.int("WEBHOOK_MAX_RESPONSE_BYTES", default=64 * 1024)
WEBHOOK_URL_MAX_LENGTH = env.int("WEBHOOK_URL_MAX_LENGTH", default=2000)
# Seconds between attempts after a 5xx, 408, 429 or no answer; no attempt later
# than WEBHOOK_RETRY_WINDOW_S after the event (a day).
WEBHOOK_RETRY_DELAYS_S = [
    int(v) for v in env.list("WEBHOOK_RETRY_DELAYS_S", default=[]) if str(v).strip()
] or [30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800]
WEBHOOK_RETRY_WINDOW_S = env.int("WEBHOOK_RETRY_WINDOW_S", default=24 * 3600)
WEBHOOK_MAX_ENDPOINTS = env.int("WEBHOOK_MAX_ENDPOINTS", default=5)
WEBHOOK_SECRET_BYTES = env.int("WEBHOOK_SECRET_BYTES", default=32)
WEBHOOK_SWEEP_LIMIT = env.int("WEBHOOK_SWEEP_LIMIT", default=500)
WEBHOOK_DELIVERY_RETENTION_DAYS = env.int("WEBHOOK_DELIVERY_RETENTION_DAYS", default=30)
# Development only: plain http, and loopback receivers (nothing else private).
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=False)
WEBHOOK_ALLOW_LOOPBACK = env.bool("WEBHOOK_ALLOW_LOOPBACK", default=False)
# Networks refused besides the built-in ones (loopback, private, link-local,
# CGNAT, multicast, reserved), e.g. a public range that is really yours.
WEBHOOK_BLOCKED_NETWORKS = env.list("WEBHOOK_BLOCKED_NETWORKS", default=[])
# Extra CA bundle for receivers' certificates (a private CA); empty: the system's.
WEBHOOK_CA_FILE = env.str("WEBHOOK_CA_FILE", default="")
if not (0 < WEBHOOK_CONNECT_TIMEOUT_S <= WEBHOOK_TIMEOUT_S <= 60):
    raise ImproperlyConfigured(
        "Need 0 < WEBHOOK_CONNECT_TIMEOUT_S <= WEBHOOK_TIMEOUT_S <= 60 seconds."
    )
if not 1024 <= WEBHOOK_MAX_RESPONSE_BYTES <= 10 * 1024 * 1024:
    raise ImproperlyConfigured("WEBHOOK_MAX_RESPONSE_BYTES must be 1 KiB..10 MiB.")
if not 20 <= WEBHOOK_URL_MAX_LENGTH <= 2048:
    raise ImproperlyConfigured("WEBHOOK_URL_MAX_LENGTH must be 20..2048 characters.")
if any(d <= 0 for d in WEBHOOK_RETRY_DELAYS_S) or not 60 <= WEBHOOK_RETRY_WINDOW_S <= 7 * 86400:
    raise ImproperlyConfigured(
        "WEBHOOK_RETRY_DELAYS_S must be positive seconds, WEBHOOK_RETRY_WINDOW_S 60..604800."
    )
if not 16 <= WEBHOOK_SECRET_BYTES <= 64 or WEBHOOK_MAX_ENDPOINTS < 1:
    raise ImproperlyConfigured("WEBHOOK_SECRET_BYTES must be 16..64, WEBHOOK_MAX_ENDPOINTS >= 1.")
for _entry in WEBHOOK_BLOCKED_NETWORKS:
    try:
        ipaddress.ip_network(_entry.strip(), strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"WEBHOOK_BLOCKED_NETWORKS: {_entry!r} is not an address or a network."
        ) from None

# --- Workers (django-q2) ----------------------------------------------------

Q_BROKER = env.str("Q_BROKER", default="orm")
Q_WORKERS = env.int("Q_WORKERS", default=2)
# django-q2's defaults would run a model call twice (retry 60 s < a long task)
# and retry forever. Our own table retries extraction jobs, so django-q2 gets
# one attempt, a hard timeout above our per-attempt deadline, and `retry`
# safely above that timeout.
Q_TASK_TIMEOUT = EXTRACTION_TIMEOUT_S + 30
Q_CLUSTER = {
    "name": "cv2web",
    "workers": Q_WORKERS,
    "timeout": Q_TASK_TIMEOUT,
    "retry": Q_TASK_TIMEOUT + 60,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 250,
    "label": "Background tasks",
    "poll": 0.2,
    "sync": env.bool("Q_SYNC", default=False),
}
# The broker only carries "run the queue" tokens: the queue of record is the
# ExtractionJob table, so a token lost with a dead worker (Redis has no
# acknowledgement) loses no job (docs/deploy.md, "The tested topology").
if Q_BROKER == "orm":
    Q_CLUSTER["orm"] = "default"
elif Q_BROKER.startswith(("redis://", "rediss://", "unix://")):
    Q_CLUSTER["redis"] = Q_BROKER
else:
    raise ImproperlyConfigured(
        f"Q_BROKER must be `orm` or a Redis URL (redis://host:6379/2); it is {Q_BROKER!r}."
    )

# --- REST API ---------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "quotas.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        # Nesting bounded before json.loads recurses (SPEC S-4).
        "cv2web.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "cv2web.pagination.ApiPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "cv2web.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["quotas.ratelimits.ApiThrottle"],
    # drf-spectacular's, documenting the project pagination on every list.
    "DEFAULT_SCHEMA_CLASS": "cv2web.schema.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Lists answer at most this many items a page, whatever `?limit=` asks.
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=100)
# JSON bodies nested deeper are refused with 400 before they are parsed;
# Python's parser would reach its recursion limit near 1000.
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)
if not 1 <= API_MAX_PAGE_SIZE <= 1000:
    raise ImproperlyConfigured(f"API_MAX_PAGE_SIZE must be 1..1000 (it is {API_MAX_PAGE_SIZE}).")
if not 8 <= API_JSON_MAX_DEPTH <= 200:
    raise ImproperlyConfigured(f"API_JSON_MAX_DEPTH must be 8..200 (it is {API_JSON_MAX_DEPTH}).")
SPECTACULAR_SETTINGS = {
    "TITLE": "cv2web API",
    "DESCRIPTION": "Turn CVs into JSON Resume documents and portfolio websites.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No validator badge: it would call validator.swagger.io from the browser.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Separate request and response components, so an upload's file field is
    # `format: binary` (a generated client sends a file, not a URL string).
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set, whichever serializer shows it first.
    "ENUM_NAME_OVERRIDES": {
        "JobStatusEnum": "extraction.models.JobState",
        "PortfolioStateEnum": "portfolios.models.State",
        "CapacityStateEnum": ["normal", "high_demand", "full", "emergency"],
    },
    # The errors every operation can answer, their `Error` body, and the
    # headers of every answer (cv2web.schema).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cv2web.schema.postprocess",
    ],
}

# --- Logging ----------------------------------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# M-6: `json` (one object per line, with the request id), the default with
# DEBUG off, as in production; or `text`, readable lines, the default with
# DEBUG on (`make run` asks for it too). `plain` is the earlier name of `text`.
# gunicorn.conf.py reads the same variables for gunicorn's own lines.
LOG_FORMAT = env.str("LOG_FORMAT", default="").strip().lower() or ("text" if DEBUG else "json")
LOG_FORMAT = {"plain": "text"}.get(LOG_FORMAT, LOG_FORMAT)
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text (it is {LOG_FORMAT!r}).")
ERROR_MAIL_INTERVAL_MINUTES = env.int("ERROR_MAIL_INTERVAL_MINUTES", default=15)
if ERROR_MAIL_INTERVAL_MINUTES < 1:
    raise ImproperlyConfigured(
        f"ERROR_MAIL_INTERVAL_MINUTES must be at least 1 (it is {ERROR_MAIL_INTERVAL_MINUTES})."
    )
# dictConfig, and Python warnings through logging too.
LOGGING_CONFIG = "cv2web.logs.configure"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "cv2web.logs.RequestIdFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        "refusal_level": {"()": "cv2web.errormail.RefusalLevelFilter"},
    },
    "formatters": {
        "json": {"()": "cv2web.logs.JsonFormatter"},
        "text": {"()": "cv2web.logs.PlainFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "refusal_level"],
        },
        # Bugs only, one mail per kind of error per ERROR_MAIL_INTERVAL_MINUTES;
        # refusals (4xx, 503) never (cv2web.errormail).
        "mail_admins": {
            "level": "ERROR",
            "class": "cv2web.errormail.ThrottledAdminEmailHandler",
            "filters": ["require_debug_false"],
        },
    },
    # Every line goes out once, through the root's handler.
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Replaces Django's default handlers for "django" (a second, unformatted
        # console handler under DEBUG); ADMINS are still mailed server errors.
        "django": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
        "django.request": {"level": "ERROR"},
        # django-q2 adds a handler of its own (with its own format) when it
        # finds none (django_q/conf.py); this removes any such handler and
        # lets its lines reach the root's.
        "django-q": {"handlers": [], "level": "WARNING", "propagate": True},
        # The PDF layout engine logs every CSS rule it skips (screen-only media
        # queries among them) and its progress; its errors still show.
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
    },
}
# SPEC S-2: no secret reaches a log or an error mail. Every handler, these and
# any added later, redacts manage tokens, reset links and ids before it
# formats (cv2web.redact); the admin mail's traceback report is redacted too.
LOGGING["filters"]["redact"] = {"()": "cv2web.logs.RedactFilter"}
for _handler in LOGGING["handlers"].values():
    _handler["filters"] = [*_handler.get("filters", []), "redact"]
DEFAULT_EXCEPTION_REPORTER = "cv2web.logs.RedactingExceptionReporter"

# --- Error tracking (optional; docs/deploy.md, Error tracking) ---------------

# Sentry, only when a DSN is set (cv2web.errortracking: no personal data, no
# request bodies, no local variables, every string redacted). Traces are off
# unless SENTRY_TRACES_SAMPLE_RATE (0..1) asks for a share of requests.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production")
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default="")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if not 0 <= SENTRY_TRACES_SAMPLE_RATE <= 1:
    raise ImproperlyConfigured(
        f"SENTRY_TRACES_SAMPLE_RATE must be 0..1 (it is {SENTRY_TRACES_SAMPLE_RATE})."
    )
if SENTRY_DSN:
    from cv2web import errortracking

    errortracking.init(
        SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=SENTRY_RELEASE,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Guessing passwords and flooding reset emails (per client).
RATELIMIT_LOGIN = env.str("RATELIMIT_LOGIN", default="10/m")
RATELIMIT_PASSWORD_RESET = env.str("RATELIMIT_PASSWORD_RESET", default="5/h")
# Guessing a portfolio's passphrase (issue 15 point 5): per client address,
# and per portfolio whoever guesses (many addresses cannot share the work).
RATELIMIT_PASSPHRASE = env.str("RATELIMIT_PASSPHRASE", default="10/15m")
RATELIMIT_PASSPHRASE_PORTFOLIO = env.str("RATELIMIT_PASSPHRASE_PORTFOLIO", default="60/h")
for _name in ("RATELIMIT_PASSPHRASE", "RATELIMIT_PASSPHRASE_PORTFOLIO"):
    if not re.fullmatch(r"\d+/\d*[smhd]", globals()[_name].strip()):
        raise ImproperlyConfigured(
            f"{_name} must be a rate such as 10/15m (it is {globals()[_name]!r})."
        )
# A portfolio's passphrase: its length, and how long a visitor who gave it
# stays let in (the signed cookie's age, in seconds).
PORTFOLIO_PASSPHRASE_MIN_LENGTH = env.int("PORTFOLIO_PASSPHRASE_MIN_LENGTH", default=6)
PORTFOLIO_PASSPHRASE_MAX_LENGTH = env.int("PORTFOLIO_PASSPHRASE_MAX_LENGTH", default=128)
PORTFOLIO_PASSPHRASE_COOKIE_AGE = env.int("PORTFOLIO_PASSPHRASE_COOKIE_AGE", default=7 * 24 * 3600)
if not 1 <= PORTFOLIO_PASSPHRASE_MIN_LENGTH <= PORTFOLIO_PASSPHRASE_MAX_LENGTH <= 1024:
    raise ImproperlyConfigured(
        "PORTFOLIO_PASSPHRASE_MIN_LENGTH and PORTFOLIO_PASSPHRASE_MAX_LENGTH must satisfy "
        f"1 <= min <= max <= 1024 (they are {PORTFOLIO_PASSPHRASE_MIN_LENGTH} and "
        f"{PORTFOLIO_PASSPHRASE_MAX_LENGTH})."
    )
if not 60 <= PORTFOLIO_PASSPHRASE_COOKIE_AGE <= 366 * 24 * 3600:
    raise ImproperlyConfigured(
        "PORTFOLIO_PASSPHRASE_COOKIE_AGE must be 60 s to a year "
        f"(it is {PORTFOLIO_PASSPHRASE_COOKIE_AGE})."
    )
# SPEC S-5: an address gets mail only once it has confirmed it. The link is
# valid EMAIL_CONFIRMATION_DAYS; the confirmation mail (and the "someone tried
# to sign up with your address" notice) goes at most once per
# EMAIL_CONFIRMATION_INTERVAL_HOURS to an address.
EMAIL_CONFIRMATION_DAYS = env.int("EMAIL_CONFIRMATION_DAYS", default=7)
EMAIL_CONFIRMATION_INTERVAL_HOURS = env.int("EMAIL_CONFIRMATION_INTERVAL_HOURS", default=24)
if not 1 <= EMAIL_CONFIRMATION_DAYS <= 90:
    raise ImproperlyConfigured(
        f"EMAIL_CONFIRMATION_DAYS must be 1..90 (it is {EMAIL_CONFIRMATION_DAYS})."
    )
if EMAIL_CONFIRMATION_INTERVAL_HOURS < 1:
    raise ImproperlyConfigured(
        "EMAIL_CONFIRMATION_INTERVAL_HOURS must be at least 1 "
        f"(it is {EMAIL_CONFIRMATION_INTERVAL_HOURS})."
    )

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/accounts/"
LOGOUT_REDIRECT_URL = "/"
