"""Every login form is limited the same way, staff included, and the limits
hold when the shared cache is down (SPEC S-5, Q-2; issue 10 items 5 and 16)."""

from __future__ import annotations

import socket
import threading
import time
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from rest_framework.test import APIClient

from monitoring.models import AuditLog
from quotas import ratelimits
from quotas.models import BurstCounter
from tests.extraction import badfiles as bf
from tests.net import free_port

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/?next=/admin/"
LOGIN = "/accounts/login/"
RESET = "/accounts/password/reset/"
LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "abuse-tests"}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def redis_at(port: int, timeout: float = 0.1) -> dict:
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{port}/9",
        "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
    }


def closed_port() -> int:
    return free_port()  # nothing listens there once the probe socket is closed


def cv():
    return SimpleUploadedFile("cv.txt", bf.txt_utf8(f"P {uuid.uuid4().hex}\np@example.com\n"))


def test_thirteen_wrong_admin_passwords_are_refused_from_the_eleventh_and_audited(
    client, staff, one_window
):
    codes = [
        client.post(ADMIN_LOGIN, {"username": "staff", "password": f"guess-{i}"}).status_code
        for i in range(13)
    ]

    assert codes == [200] * 10 + [429] * 3
    # The right password no longer gets through either: the guess is not even tried.
    r = client.post(ADMIN_LOGIN, {"username": "staff", "password": "pw-staff-1"})
    assert r.status_code == 429 and int(r["Retry-After"]) > 0
    assert b"Too many log-in attempts" in r.content
    failed = AuditLog.objects.filter(action="auth.login_failed", category="security")
    assert failed.count() == 10
    assert {e.details["username"] for e in failed} == {"staff"}
    refused = AuditLog.objects.filter(action="ratelimit.refused", category="security")
    # One row per window, not one per refused request: an attacker cannot fill the table.
    assert refused.count() == 1 and refused.get().details["group"] == "login"


def test_the_admin_and_the_account_log_in_share_one_budget(client, staff, one_window):
    for i in range(6):
        assert client.post(LOGIN, {"username": "staff", "password": f"g{i}"}).status_code == 200
    for i in range(4):
        assert (
            client.post(ADMIN_LOGIN, {"username": "staff", "password": f"h{i}"}).status_code == 200
        )
    assert client.post(ADMIN_LOGIN, {"username": "staff", "password": "x"}).status_code == 429
    assert client.post(LOGIN, {"username": "staff", "password": "x"}).status_code == 429


FORMS = [
    pytest.param(LOGIN, {"username": "alice", "password": "wrong"}, "RATELIMIT_LOGIN", id="login"),
    pytest.param(
        ADMIN_LOGIN, {"username": "staff", "password": "wrong"}, "RATELIMIT_LOGIN", id="admin"
    ),
    pytest.param(RESET, {"email": "alice@example.com"}, "RATELIMIT_PASSWORD_RESET", id="reset"),
]


@pytest.mark.parametrize(("url", "data", "rate_setting"), FORMS)
def test_with_the_cache_unreachable_guesses_beyond_the_limit_are_still_refused(
    url, data, rate_setting, alice, staff, mailoutbox, one_window
):
    port = closed_port()
    with override_settings(
        CACHES={"default": redis_at(port), "ratelimit": redis_at(port)}, **{rate_setting: "3/m"}
    ):
        client = Client()
        codes = [client.post(url, data).status_code for _ in range(5)]
        # Other burst limits stay open: uploads are still served.
        upload = APIClient().post("/api/v1/extractions", {"file": cv()}, format="multipart")

    assert 429 not in codes[:3] and codes[3:] == [429, 429], codes
    assert upload.status_code == 202
    # The database counted them while the cache could not.
    assert BurstCounter.objects.get().hits == 5


def test_the_database_count_is_per_client(alice, one_window):
    port = closed_port()
    with override_settings(
        CACHES={"default": redis_at(port), "ratelimit": redis_at(port)}, RATELIMIT_LOGIN="2/m"
    ):
        one, other = Client(), Client(REMOTE_ADDR="10.1.2.3")
        for _ in range(2):
            one.post(LOGIN, {"username": "alice", "password": "wrong"})
        assert one.post(LOGIN, {"username": "alice", "password": "wrong"}).status_code == 429
        assert other.post(LOGIN, {"username": "alice", "password": "wrong"}).status_code == 200


class HungRedis:
    """A server that accepts connections and reads, but never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self) -> None:
        self._stop = True
        for conn in self.connections:
            conn.close()
        self.sock.close()


@pytest.fixture
def hung_redis():
    server = HungRedis()
    yield server
    server.close()


def test_a_cache_that_never_answers_costs_one_timeout_not_one_per_check(
    hung_redis, settings, alice
):
    settings.RATELIMIT_API_HOUR = "1000/h"
    calls = 10
    with override_settings(
        CACHES={"default": LOCMEM, "ratelimit": redis_at(hung_redis.port, timeout=0.1)},
        RATELIMIT_USE_CACHE="ratelimit",
    ):
        api = APIClient()
        api.force_authenticate(alice)
        start = time.monotonic()
        codes = [api.get("/api/v1/extractions").status_code for _ in range(calls)]
        elapsed = time.monotonic() - start
        attempts = ratelimits.breaker_for("ratelimit").attempts

    assert codes == [200] * calls
    # Each call checks two limits: without a breaker, 20 connections and 20 timeouts.
    assert len(hung_redis.connections) == 1 and attempts == 1
    assert elapsed < calls * 2 * 0.1


def test_the_breaker_tries_the_cache_again_after_its_pause(
    hung_redis, monkeypatch, settings, alice
):
    settings.RATELIMIT_BREAKER_S = 30
    with override_settings(
        CACHES={"default": LOCMEM, "ratelimit": redis_at(hung_redis.port, timeout=0.1)},
        RATELIMIT_USE_CACHE="ratelimit",
    ):
        api = APIClient()
        api.force_authenticate(alice)
        api.get("/api/v1/extractions")
        api.get("/api/v1/extractions")
        assert len(hung_redis.connections) == 1
        now = time.monotonic()
        monkeypatch.setattr(ratelimits, "_clock", lambda: now + 31)
        api.get("/api/v1/extractions")
        api.get("/api/v1/extractions")
        attempts = ratelimits.breaker_for("ratelimit").attempts
    # One probe after the pause, which failed: the breaker is open again.
    assert len(hung_redis.connections) == 2 and attempts == 2


def test_with_the_breaker_open_a_login_is_counted_in_the_database(hung_redis, alice, one_window):
    with override_settings(
        CACHES={"default": LOCMEM, "ratelimit": redis_at(hung_redis.port, timeout=0.1)},
        RATELIMIT_USE_CACHE="ratelimit",
        RATELIMIT_LOGIN="2/m",
    ):
        client = Client()
        codes = [
            client.post(LOGIN, {"username": "alice", "password": "wrong"}).status_code
            for _ in range(4)
        ]
    assert codes == [200, 200, 429, 429]
    assert len(hung_redis.connections) == 1


def test_the_rate_limit_cache_has_its_own_short_timeout():
    from tests.processes import manage

    out = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.RATELIMIT_USE_CACHE, s.CACHES['ratelimit']['OPTIONS']['socket_timeout'], "
        "s.CACHES['ratelimit']['LOCATION'] == s.CACHES['default']['LOCATION'])",
        env={"CACHE_URL": "redis://127.0.0.1:6379/9", "RATELIMIT_CACHE_TIMEOUT_S": "0.1"},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1].split() == ["ratelimit", "0.1", "True"]
