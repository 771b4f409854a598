"""`check --deploy` on the project's own settings (cv2web.checks): mail that would
print secret links, and a load balancer whose address everyone would share."""

from __future__ import annotations

import pytest
from django.core.checks import Error, Warning, run_checks

from tests.processes import manage

CONSOLE = "django.core.mail.backends.console.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"
REDIS = "django.core.cache.backends.redis.RedisCache"


def deploy_issues() -> dict[str, object]:
    return {m.id: m for m in run_checks(include_deployment_checks=True)}


@pytest.mark.parametrize(
    "backend",
    [
        CONSOLE,
        "django.core.mail.backends.filebased.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
    ],
)
def test_mail_written_instead_of_sent_is_an_error_with_debug_off(settings, backend):
    settings.DEBUG = False
    settings.EMAIL_BACKEND = backend
    issue = deploy_issues()["cv2web.E001"]
    assert isinstance(issue, Error)
    assert "EMAIL_URL" in issue.msg and "smtp" in issue.hint
    # Only the deployment checks say so: `make run` (console mail) still starts.
    assert "cv2web.E001" not in {m.id for m in run_checks()}


def test_mail_to_a_server_or_debug_passes(settings):
    settings.DEBUG = False
    settings.EMAIL_BACKEND = SMTP
    assert "cv2web.E001" not in deploy_issues()
    settings.DEBUG = True
    settings.EMAIL_BACKEND = CONSOLE
    assert "cv2web.E001" not in deploy_issues()


def embedded(settings, monkeypatch) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    # Only the name is read; the open connection keeps its own engine (replacing
    # DATABASES would make Django warn about an unsupported override).
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.sqlite3")
    settings.SECURE_PROXY_SSL_HEADER = None


@pytest.mark.parametrize("sign", ["redis", "postgresql", "proxy_ssl"])
def test_the_multi_machine_settings_without_a_proxy_count_warn(settings, monkeypatch, sign):
    embedded(settings, monkeypatch)
    if sign == "redis":
        settings.CACHES = {**settings.CACHES, "default": {"BACKEND": REDIS, "LOCATION": "x"}}
    elif sign == "postgresql":
        monkeypatch.setitem(
            settings.DATABASES["default"], "ENGINE", "django.db.backends.postgresql"
        )
    else:
        settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXY_COUNT = 0
    issue = deploy_issues()["cv2web.W002"]
    assert isinstance(issue, Warning)
    assert "TRUSTED_PROXY_COUNT=1" in issue.hint
    settings.TRUSTED_PROXY_COUNT = 1
    assert "cv2web.W002" not in deploy_issues()


def test_the_embedded_default_does_not_ask_for_a_proxy_count(settings, monkeypatch):
    embedded(settings, monkeypatch)
    settings.TRUSTED_PROXY_COUNT = 0
    assert "cv2web.W002" not in deploy_issues()


# --- The real command, as CI and the deployment guide run it -------------------

PRODUCTION = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "cv2web.example.com",
    "SECURE_SSL_REDIRECT": "1",
    "SESSION_COOKIE_SECURE": "1",
    "CSRF_COOKIE_SECURE": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SECURE_PROXY_SSL": "1",
    "CACHE_URL": "redis://127.0.0.1:6379/8",
}


def check_deploy(tmp_path, **env: str):
    return manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={"DATA_DIR": str(tmp_path), **PRODUCTION, **env},
        drop=("PYTEST", "DJANGO_SETTINGS", "EMAIL_URL", "TRUSTED_PROXY_COUNT", "DATABASE_URL"),
    )


def test_check_deploy_fails_on_the_default_console_mail(tmp_path):
    result = check_deploy(tmp_path, TRUSTED_PROXY_COUNT="1")
    assert result.returncode != 0
    assert "cv2web.E001" in result.stderr


def test_check_deploy_warns_behind_a_load_balancer_without_a_proxy_count(tmp_path):
    result = check_deploy(tmp_path, EMAIL_URL="smtp+tls://u:p@smtp.example.com:587")
    assert result.returncode != 0
    assert "cv2web.W002" in result.stderr and "TRUSTED_PROXY_COUNT=1" in result.stderr


def test_check_deploy_passes_with_the_settings_the_guide_prescribes(tmp_path):
    result = check_deploy(
        tmp_path, EMAIL_URL="smtp+tls://u:p@smtp.example.com:587", TRUSTED_PROXY_COUNT="1"
    )
    assert result.returncode == 0, result.stderr
