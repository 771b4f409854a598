"""Who may see an extraction job: one rule, asked as a yes/no or as a lookup."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.test import RequestFactory

from extraction import access
from extraction.models import Document, ExtractionJob

pytestmark = pytest.mark.django_db


def make_job(owner=None) -> ExtractionJob:
    doc = Document.objects.create(
        sha256=uuid.uuid4().hex * 2, kind="txt", size=10, storage_name=f"{uuid.uuid4().hex}.txt"
    )
    return ExtractionJob.objects.create(
        document=doc, extractor="local", fingerprint="fp", owner=owner
    )


def request_of(user=None):
    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    return request


def test_it_shows_an_anonymous_job_to_anyone_and_an_owned_one_to_its_owner_and_staff(
    alice, staff, django_user_model
):
    bob = django_user_model.objects.create_user("bob", "b@example.com", "pw-bob-123")
    anonymous_job, alices_job = make_job(), make_job(owner=alice)
    for user in (None, alice, bob, staff):
        assert access.job_visible_to(anonymous_job, request_of(user))
    assert access.job_visible_to(alices_job, request_of(alice))
    assert access.job_visible_to(alices_job, request_of(staff))
    assert not access.job_visible_to(alices_job, request_of(bob))
    assert not access.job_visible_to(alices_job, request_of(None))


def test_job_for_answers_404_for_a_job_the_caller_may_not_see(alice):
    alices_job = make_job(owner=alice)
    assert access.job_for(request_of(alice), alices_job.pk) == alices_job
    with pytest.raises(Http404):
        access.job_for(request_of(None), alices_job.pk)
    with pytest.raises(Http404):
        access.job_for(request_of(alice), uuid.uuid4())
