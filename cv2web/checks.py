"""Project-wide system checks (`manage.py check --deploy`).

The settings refuse what must never run (the development SECRET_KEY with
DEBUG off, no ENCRYPTION_KEYS); these checks catch what is only wrong for a
real deployment, where `check --deploy --fail-level WARNING` runs (docs/deploy.md).
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks

# Mail that is written somewhere instead of delivered: the manage link and the
# password-reset link of the mail end up in the process's output or on disk.
_UNDELIVERED_MAIL = {
    "django.core.mail.backends.console.EmailBackend": "the process's output (the logs)",
    "django.core.mail.backends.filebased.EmailBackend": "files on disk",
    "django.core.mail.backends.locmem.EmailBackend": "memory",
}


@checks.register(checks.Tags.security, deploy=True)
def mail_is_delivered(app_configs, **kwargs):
    """E001: with DEBUG off, mail carrying secret links must go to a mail server."""
    where = _UNDELIVERED_MAIL.get(settings.EMAIL_BACKEND)
    if settings.DEBUG or where is None:
        return []
    return [
        checks.Error(
            f"EMAIL_URL writes mail to {where} instead of sending it "
            f"(EMAIL_BACKEND is {settings.EMAIL_BACKEND}): the manage links and "
            "password-reset links in it are secrets.",
            hint=(
                "Set EMAIL_URL to your mail server, e.g. "
                "EMAIL_URL=smtp+tls://user:password@smtp-host:587 (docs/deploy.md, Email)."
            ),
            id="cv2web.E001",
        )
    ]


def _multi_machine_signs() -> list[str]:
    signs = []
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        signs.append("CACHE_URL is Redis")
    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        signs.append("DATABASE_URL is PostgreSQL")
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        signs.append("SECURE_PROXY_SSL is set")
    return signs


@checks.register(checks.Tags.security, deploy=True)
def proxies_are_counted(app_configs, **kwargs):
    """W002: the multi-machine settings run behind a load balancer; its address is
    everyone's unless TRUSTED_PROXY_COUNT says to read X-Forwarded-For."""
    signs = _multi_machine_signs()
    if settings.TRUSTED_PROXY_COUNT or not signs:
        return []
    return [
        checks.Warning(
            "TRUSTED_PROXY_COUNT is 0 with the multi-machine settings ("
            + ", ".join(signs)
            + "): behind a load balancer every visitor then has the balancer's address, "
            "so the per-address quotas and rate limits are shared by everyone.",
            hint=(
                "Set TRUSTED_PROXY_COUNT=1 behind one load balancer (in general, the number "
                "of proxies that append to X-Forwarded-For; docs/deploy.md, Proxies)."
            ),
            id="cv2web.W002",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def secrets_come_from_the_environment(app_configs, **kwargs):
    """W003: `make run`'s local key files are for one machine, not a deployment."""
    files = list(getattr(settings, "LOCAL_SECRET_FILES", []))
    if not files:
        return []
    return [
        checks.Warning(
            "Secrets are read from files in DATA_DIR (" + ", ".join(files) + "), as "
            "`make run` keeps them: every copy and backup of DATA_DIR then carries the "
            "key that decrypts it.",
            hint=(
                "Set SECRET_KEY and ENCRYPTION_KEYS in the environment of every node "
                "(docs/deploy.md, Secrets); the files are then ignored."
            ),
            id="cv2web.W003",
        )
    ]
