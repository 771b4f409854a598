"""`GET /api/v1/metrics` (SPEC A): the M-2 metrics, for staff only."""

from __future__ import annotations

import pytest

from monitoring import metrics

pytestmark = pytest.mark.django_db

URL = "/api/v1/metrics"


def test_staff_get_every_metric(api, staff):
    api.force_authenticate(staff)
    response = api.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == set(metrics.FIELDS)
    assert body["active_portfolios"] == 0 and body["queue_depth"] == 0
    assert body["extraction_success_rate"] is None
    assert 0 <= body["memory_percent"] <= 100
    assert response["Cache-Control"] == "no-store"


def test_staff_may_use_a_session(client, staff):
    client.force_login(staff)
    assert client.get(URL).status_code == 200


def test_a_registered_user_who_is_not_staff_is_refused(api, alice):
    api.force_authenticate(alice)
    response = api.get(URL)
    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"
    assert response["Cache-Control"] == "no-store"


def test_an_anonymous_caller_must_authenticate(api):
    response = api.get(URL)
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_the_schema_documents_the_metrics(api):
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    operation = response.json()["paths"][URL]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/Metrics")
