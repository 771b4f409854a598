"""Django's CSRF strings made from one read of the random source each
(cv2web.apps.csrf_strings_in_one_read, issue 13): the same alphabet, length
and checks, a system call per string instead of one per character."""

from __future__ import annotations

import collections
import os

import pytest
from django.middleware import csrf
from django.test import Client, RequestFactory

pytestmark = pytest.mark.django_db


def test_a_page_token_costs_one_read_per_string(monkeypatch):
    reads = []
    real = os.urandom

    def counting(n):
        reads.append(n)
        return real(n)

    monkeypatch.setattr(os, "urandom", counting)
    request = RequestFactory().get("/")
    request.META.pop("CSRF_COOKIE", None)
    token = csrf.get_token(request)  # a new secret, then its mask
    assert len(reads) <= 4, reads  # Django's own made 64 reads here
    assert len(token) == csrf.CSRF_TOKEN_LENGTH
    assert set(token) <= set(csrf.CSRF_ALLOWED_CHARS)


def test_the_strings_use_every_allowed_character_about_evenly():
    counts = collections.Counter("".join(csrf._get_new_csrf_string() for _ in range(2000)))
    assert set(counts) == set(csrf.CSRF_ALLOWED_CHARS)
    expected = 2000 * csrf.CSRF_SECRET_LENGTH / len(csrf.CSRF_ALLOWED_CHARS)  # about 1032
    assert all(0.8 * expected < n < 1.2 * expected for n in counts.values()), counts
    strings = {csrf._get_new_csrf_string() for _ in range(1000)}
    assert len(strings) == 1000 and all(len(s) == csrf.CSRF_SECRET_LENGTH for s in strings)


def test_a_form_posts_with_its_token_and_not_with_another():
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get("/accounts/login/")
    token = page.context["csrf_token"]
    good = visitor.post("/accounts/login/", {"csrfmiddlewaretoken": str(token)})
    assert good.status_code != 403
    forged = "a" * csrf.CSRF_TOKEN_LENGTH
    bad = visitor.post("/accounts/login/", {"csrfmiddlewaretoken": forged})
    assert bad.status_code == 403
