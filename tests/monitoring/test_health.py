"""/healthz and /readyz (SPEC M-5): alive, and ready to serve (database, cache, a
worker heartbeat younger than WORKER_HEARTBEAT_MAX_AGE_S)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import timezone

from monitoring import heartbeat
from monitoring.models import WorkerHeartbeat
from quotas.models import DailyUsage
from tests.processes import child_env

REPO = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_cache(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


# --- /healthz ----------------------------------------------------------------


def test_healthz_answers_without_any_database_access(client):
    # No django_db mark: any query would raise and turn the answer into a 500.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_healthz_makes_zero_queries_and_is_never_cached(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert not response.has_header("ETag")
    assert not response.cookies  # no session, no CSRF cookie
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


# --- /readyz -----------------------------------------------------------------


@pytest.mark.django_db
def test_readyz_is_ready_with_a_fresh_heartbeat(client):
    heartbeat.beat()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "cache": "ok", "worker": "ok"},
    }
    assert "no-store" in response["Cache-Control"]
    assert response["X-Request-ID"]


@pytest.mark.django_db
def test_readyz_names_the_worker_without_any_heartbeat(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "failing": ["worker"],
        "checks": {"database": "ok", "cache": "ok", "worker": "no heartbeat"},
    }


@pytest.mark.django_db
def test_readyz_names_the_worker_when_its_heartbeat_grows_old(client, settings):
    settings.WORKER_HEARTBEAT_MAX_AGE_S = 120
    with time_machine.travel("2026-05-01 10:00:00+00:00", tick=False) as clock:
        heartbeat.beat()
        clock.shift(timedelta(seconds=120))
        assert client.get("/readyz").status_code == 200
        clock.shift(timedelta(seconds=180))
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["worker"]
    assert body["checks"]["worker"] == "no heartbeat for 300 s"


@pytest.mark.django_db
def test_a_stopped_worker_seen_by_readyz_opens_the_alert_once_and_a_beat_resolves_it(
    client, settings, mailoutbox
):
    from monitoring.models import Alert

    settings.ADMINS = [("Staff", "staff@example.com")]
    for _ in range(3):
        assert client.get("/readyz").status_code == 503
    alert = Alert.objects.open().get(key="worker")
    assert "No background worker" in alert.message
    assert [m.subject for m in mailoutbox] == ["[cv2web] Alert: worker"]
    heartbeat.beat()
    assert client.get("/readyz").status_code == 200
    assert not Alert.objects.open().filter(key="worker").exists()


@pytest.mark.django_db
def test_one_live_worker_among_dead_ones_is_enough(client):
    now = timezone.now()
    WorkerHeartbeat.objects.create(name="old:1", seen_at=now - timedelta(hours=2))
    WorkerHeartbeat.objects.create(name="new:2", seen_at=now - timedelta(seconds=10))
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_names_the_cache_when_it_is_unreachable(caplog):
    heartbeat.beat()
    with override_settings(CACHES=redis_cache(closed_port())):
        response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["cache"]
    assert body["checks"] == {"database": "ok", "cache": "unreachable", "worker": "ok"}
    assert b"Traceback" not in response.content
    assert b"Error" not in response.content
    # The cause is in the log, for staff.
    assert "readyz: cache check failed" in caplog.text
    assert "Connection refused" in caplog.text or "ConnectionError" in caplog.text


@pytest.mark.django_db
def test_readyz_does_a_round_trip_through_a_real_redis():
    port = int(os.environ.get("CV2WEB_TEST_REDIS_PORT", "6379"))
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        pytest.skip(f"no Redis on 127.0.0.1:{port}")
    heartbeat.beat()
    with override_settings(CACHES=redis_cache(port)):
        from django.core.cache import cache

        response = Client().get("/readyz")
        assert not [k for k in cache._cache.get_client().keys("*cv2web:readyz:*")]
    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_a_failing_probe_is_one_warning_not_a_server_error_mail(client, caplog, mailoutbox):
    with caplog.at_level("WARNING"):
        assert client.get("/readyz").status_code == 503
    records = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    assert records == [("monitoring.health", "WARNING", "readyz: not ready")]
    assert caplog.records[0].failing == ["worker"]
    assert mailoutbox == []


@pytest.mark.django_db
def test_health_endpoints_are_not_rate_limited_nor_counted(client, settings):
    settings.RATELIMIT_API_HOUR = "5/h"
    heartbeat.beat()
    for _ in range(30):
        assert client.get("/healthz").status_code == 200
        response = client.get("/readyz")
        assert response.status_code == 200
        assert not response.has_header("X-Quota-Limit")
    assert DailyUsage.objects.count() == 0


@pytest.mark.django_db
@override_settings(ALLOWED_HOSTS=["status.example.org", "10.0.0.7"])
def test_health_endpoints_answer_any_allowed_host():
    heartbeat.beat()
    client = Client()
    for host in ("status.example.org", "10.0.0.7"):
        assert client.get("/healthz", HTTP_HOST=host).status_code == 200
        assert client.get("/readyz", HTTP_HOST=host).status_code == 200
    assert client.get("/healthz", HTTP_HOST="evil.example.com").status_code == 400


# --- The database unreachable: a whole process configured against it ---------

PROBE = """
import json
from django.test import Client
client = Client()
out = {}
for url in ("/healthz", "/readyz"):
    response = client.get(url, HTTP_HOST="localhost")
    out[url] = [response.status_code, response.content.decode()]
print("PROBE" + json.dumps(out))
"""


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["postgresql", "sqlite"])
def test_with_the_database_unreachable_healthz_is_ok_and_readyz_names_it(tmp_path, engine):
    if engine == "postgresql":
        # A real server address with nothing listening on it.
        url = f"postgres://cv2web:secret@127.0.0.1:{closed_port()}/cv2web"
    else:
        url = f"sqlite:///{tmp_path}/no-such-folder/cv2web.sqlite3"
    env = child_env() | {
        "DJANGO_SETTINGS_MODULE": "cv2web.settings",
        "DATABASE_URL": url,
        "DATABASE_POOL": "0",
        "DATA_DIR": str(tmp_path),
        "LOG_FORMAT": "json",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PROBE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("PROBE")]
    answers = json.loads(line.removeprefix("PROBE"))

    status, body = answers["/healthz"]
    assert (status, json.loads(body)) == (200, {"status": "ok"})

    status, body = answers["/readyz"]
    assert status == 503
    assert json.loads(body) == {
        "status": "unavailable",
        "failing": ["database"],
        "checks": {"database": "unreachable", "cache": "ok", "worker": "not checked"},
    }
    for leak in ("Traceback", "Error", "127.0.0.1", "secret", "sqlite"):
        assert leak not in body
    # The cause went to the log, as one JSON line with the traceback in it.
    logged = [json.loads(x) for x in done.stderr.splitlines() if x.startswith("{")]
    (failure,) = [x for x in logged if x["message"] == "readyz: database check failed"]
    assert "OperationalError" in failure["exception"]
    assert failure["request_id"]
