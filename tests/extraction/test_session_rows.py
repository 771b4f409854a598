"""The encrypted session store reads and writes its row with one statement
each (issue 13), and keeps Django's answers for the edge cases."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

pytestmark = pytest.mark.django_db


def store(key=None):
    return import_module(settings.SESSION_ENGINE).SessionStore(key)


def test_a_session_reads_back_what_it_wrote_with_one_statement_each():
    first = store()
    first["extraction:jobs"] = ["a", "b"]
    first.save()  # a new row: Django's own create
    again = store(first.session_key)
    with CaptureQueriesContext(connection) as read:
        assert again["extraction:jobs"] == ["a", "b"]
    again["extraction:jobs"] = ["a", "b", "c"]
    with CaptureQueriesContext(connection) as written:
        again.save()
    assert [q["sql"].split()[0] for q in read.captured_queries] == ["SELECT"]
    assert [q["sql"].split()[0] for q in written.captured_queries] == ["UPDATE"]
    assert store(first.session_key)["extraction:jobs"] == ["a", "b", "c"]
    row = Session.objects.get(session_key=first.session_key)
    assert "extraction" not in row.session_data  # sealed
    assert abs(row.expire_date - again.get_expiry_date()) < timedelta(seconds=5)


def test_an_expired_session_reads_as_empty_and_gets_a_new_key():
    s = store()
    s["x"] = 1
    s.save()
    Session.objects.filter(session_key=s.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    again = store(s.session_key)
    assert again.get("x") is None
    again["y"] = 2
    again.save()
    assert again.session_key != s.session_key
    assert store(again.session_key)["y"] == 2


def test_a_session_deleted_meanwhile_is_not_written_back():
    s = store()
    s["x"] = 1
    s.save()
    again = store(s.session_key)
    again["x"]
    Session.objects.filter(session_key=s.session_key).delete()
    again["x"] = 2
    with pytest.raises(UpdateError):
        again.save()
    assert not Session.objects.filter(session_key=s.session_key).exists()


def test_a_request_whose_session_was_deleted_meanwhile_is_answered_400(client, monkeypatch):
    from django.contrib.sessions.middleware import SessionMiddleware

    client.get("/")  # a session of its own
    client.session.save()
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    s = client.session
    s["x"] = 1
    s.save()
    real = SessionMiddleware.process_response

    def delete_first(self, request, response):
        request.session["touched"] = True
        Session.objects.filter(session_key=key).delete()
        return real(self, request, response)

    monkeypatch.setattr(SessionMiddleware, "process_response", delete_first)
    r = client.get("/")
    assert r.status_code == 400
