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


def _queries(func) -> list[str]:
    with CaptureQueriesContext(connection) as seen:
        func()
    return [q["sql"].split()[0] for q in seen.captured_queries]


def test_a_session_written_now_is_not_written_again_unless_it_changed():
    first = store()
    first["extraction:jobs"] = ["a"]
    first.save()
    again = store(first.session_key)
    again["extraction:jobs"] = ["a", "b"]
    assert _queries(lambda: again.save_now()) == ["UPDATE"]
    # The response's save finds nothing new: no statement.
    assert _queries(again.save) == []
    assert store(first.session_key)["extraction:jobs"] == ["a", "b"]
    # Changed after, then changed back: each save writes what the row must hold.
    again["extraction:jobs"] = ["a", "b", "c"]
    assert _queries(lambda: again.save_now()) == ["UPDATE"]
    again["extraction:jobs"].append("d")  # changed in place
    again.modified = True
    assert _queries(again.save) == ["UPDATE"]
    again["extraction:jobs"] = ["a", "b", "c"]
    assert _queries(again.save) == ["UPDATE"]
    assert store(first.session_key)["extraction:jobs"] == ["a", "b", "c"]


def test_a_new_or_unchanged_session_is_left_to_the_response():
    new = store()
    new["extraction:jobs"] = ["a"]
    assert new.save_now() is False and new.session_key is None
    new.save()
    unchanged = store(new.session_key)
    assert unchanged["extraction:jobs"] == ["a"]
    assert unchanged.save_now() is False
    gone = store(new.session_key)
    gone["extraction:jobs"] = ["b"]
    Session.objects.filter(session_key=new.session_key).delete()
    assert gone.save_now() is False  # the response's save then answers 400
    with pytest.raises(UpdateError):
        gone.save()


def test_a_session_is_sealed_uncompressed_and_one_django_compressed_still_reads():
    from django.contrib.sessions.backends.base import SessionBase

    from extraction import crypto

    first = store()
    first["extraction:jobs"] = ["x" * 40] * 50
    first.save()
    row = Session.objects.get(session_key=first.session_key)
    signed = crypto.open_sealed(row.session_data.encode()).decode()
    assert not signed.startswith(".")  # Django's mark of a compressed payload
    # A row written by the earlier encoding (Django's, compressed) still reads.
    compressed = SessionBase.encode(first, {"extraction:jobs": ["y" * 40] * 50})
    assert compressed.startswith(".")
    Session.objects.filter(session_key=first.session_key).update(
        session_data=crypto.seal(compressed.encode()).decode("ascii")
    )
    assert store(first.session_key)["extraction:jobs"] == ["y" * 40] * 50
