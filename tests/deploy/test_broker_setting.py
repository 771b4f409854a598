"""Q_BROKER chooses django-q2's broker: the database (`orm`) or Redis."""

from __future__ import annotations

import json

from tests.processes import manage

SHOW = (
    "import json; from django.conf import settings; "
    "print(json.dumps({k: settings.Q_CLUSTER.get(k) for k in ('orm', 'redis')}))"
)


def broker(value: str | None) -> dict:
    out = manage(
        "shell", "-c", SHOW, env={"Q_BROKER": value} if value else {}, drop=("PYTEST", "Q_BROKER")
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_default_broker_is_the_database():
    assert broker(None) == {"orm": "default", "redis": None}


def test_a_redis_url_makes_redis_the_broker():
    url = "redis://127.0.0.1:6379/14"
    assert broker(url) == {"orm": None, "redis": url}


def test_a_broker_that_is_neither_stops_start_up_naming_the_variable():
    out = manage("check", env={"Q_BROKER": "amqp://guest@127.0.0.1//"})
    assert out.returncode != 0
    assert "Q_BROKER must be `orm` or a Redis URL" in out.stderr
