"""Queue classes (SPEC E-5, Q-1): staff's "move to front" above all, premium,
registered accounts (returning or not), anonymous returning, anonymous new,
retries, background work last; and every caller still sees their own place."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from rest_framework.test import APIClient

from extraction import intake, queue
from extraction.models import ExtractionJob, JobState, Priority
from quotas.models import Account, Tier
from tests.extraction import badfiles as bf
from tests.helpers import enqueue, make_doc

pytestmark = pytest.mark.django_db

URL = "/api/v1/extractions"


def cv() -> SimpleUploadedFile:
    return SimpleUploadedFile("cv.txt", bf.txt_utf8(f"Person {uuid.uuid4().hex}\nx@example.com\n"))


def a_past_result(owner=None, client: str = "") -> None:
    """An earlier successful extraction: its owner (or address) is returning."""
    job = enqueue(owner=owner, client=client)
    ExtractionJob.objects.filter(pk=job.pk).update(
        state=JobState.SUCCEEDED, finished_at=timezone.now(), duration_ms=10_000
    )


def caller(user=None, address: str = "10.9.0.1") -> APIClient:
    api = APIClient(REMOTE_ADDR=address)
    if user is not None:
        api.force_authenticate(user)
    return api


def upload(api: APIClient) -> str:
    r = api.post(URL, {"file": cv()}, format="multipart")
    assert r.status_code == 202, r.content
    return r.json()["id"]


@pytest.fixture
def people(django_user_model):
    def make(name: str, tier: str = Tier.REGISTERED, confirmed: bool = True):
        user = django_user_model.objects.create_user(name, f"{name}@example.com", f"pw-{name}-123")
        Account.objects.filter(user=user).update(tier=tier, confirmed=confirmed)
        return django_user_model.objects.get(pk=user.pk)

    return make


def test_a_mixed_queue_runs_in_class_order_whatever_the_arrival_order(people, settings):
    settings.EXTRACTION_MAX_CONCURRENT = 10
    settings.EXTRACTION_RETRY_BACKOFF_S = 0
    premium = people("pam", Tier.PREMIUM)
    registered_new = people("rita")
    registered_returning = people("ron")
    unconfirmed = people("una", confirmed=False)
    a_past_result(owner=registered_returning)
    a_past_result(client="10.9.0.2")

    # Arrival order is the reverse of the run order, so that only the class decides.
    background = enqueue(priority=Priority.BACKGROUND)
    retried = enqueue(priority=Priority.NEW)
    assert queue.claim_next("w").pk == retried.pk
    queue.retry_or_fail(ExtractionJob.objects.get(pk=retried.pk), "worker_lost", "again")
    anonymous_new = upload(caller(address="10.9.0.1"))
    unconfirmed_new = upload(caller(unconfirmed, address="10.9.0.3"))
    anonymous_returning = upload(caller(address="10.9.0.2"))
    rita = upload(caller(registered_new, address="10.9.0.4"))
    ron = upload(caller(registered_returning, address="10.9.0.5"))
    pam = upload(caller(premium, address="10.9.0.6"))
    moved = upload(caller(address="10.9.0.7"))
    assert queue.move_to_front(ExtractionJob.objects.get(pk=moved))

    classes = dict(ExtractionJob.objects.waiting().values_list("pk", "priority"))
    expected = [
        (moved, Priority.FRONT),
        (pam, Priority.PREMIUM),
        (rita, Priority.REGISTERED),
        (ron, Priority.REGISTERED),
        (anonymous_returning, Priority.RETURNING),
        (anonymous_new, Priority.NEW),
        (unconfirmed_new, Priority.NEW),  # an unconfirmed account counts as anonymous
        (str(retried.pk), Priority.RETRY),
        (str(background.pk), Priority.BACKGROUND),
    ]
    assert [(pk, classes[uuid.UUID(pk)]) for pk, _ in expected] == expected
    run_order = [str(queue.claim_next("w").pk) for _ in expected]
    assert run_order == [pk for pk, _ in expected]


def test_every_caller_sees_their_own_position_and_eta(people, settings):
    settings.EXTRACTION_MAX_CONCURRENT = 1
    for _ in range(3):
        a_past_result(client="192.0.2.99")  # a typical duration of 10 s
    premium, registered = people("pam", Tier.PREMIUM), people("rita")
    anonymous, rita_api, pam_api = caller(), caller(registered, "10.9.0.4"), caller(premium)
    anonymous_job = upload(anonymous)
    rita_job = upload(rita_api)
    pam_job = upload(pam_api)

    for api, job, position in ((pam_api, pam_job, 1), (rita_api, rita_job, 2)):
        body = api.get(f"{URL}/{job}").json()
        assert (body["position"], body["eta_seconds"]) == (position, 10 * position)
    body = anonymous.get(f"{URL}/{anonymous_job}").json()
    assert (body["position"], body["eta_seconds"]) == (3, 30)
    # Someone else's job stays someone else's: Rita cannot read Pam's place.
    assert rita_api.get(f"{URL}/{pam_job}").status_code == 404


def test_the_job_page_shows_a_visitor_overtaken_by_accounts_their_real_place(
    client, people, settings
):
    settings.EXTRACTION_MAX_CONCURRENT = 1
    r = client.post("/", {"file": cv()}, REMOTE_ADDR="10.9.0.8")
    job_url = r["Location"]
    assert '<span id="position">1</span>' in client.get(job_url).content.decode()
    upload(caller(people("rita"), "10.9.0.4"))
    upload(caller(people("pam", Tier.PREMIUM), "10.9.0.6"))
    assert '<span id="position">3</span>' in client.get(job_url).content.decode()


def test_a_registered_newcomer_goes_before_a_returning_anonymous_visitor(people, rf):
    a_past_result(client="10.9.0.2")
    request = rf.post("/")
    request.user, request.client_bucket = people("rita"), "10.9.0.4"
    assert intake.priority_for(request) == Priority.REGISTERED
    from django.contrib.auth.models import AnonymousUser

    request.user, request.client_bucket = AnonymousUser(), "10.9.0.2"
    assert intake.priority_for(request) == Priority.RETURNING
    request.client_bucket = "10.9.0.3"
    assert intake.priority_for(request) == Priority.NEW


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_waiting_jobs_into_the_new_classes(alice):
    before, after = (
        [("extraction", "0007_encrypted_job_result")],
        [("extraction", "0008_priority_classes")],
    )
    # The document is made while the tables have today's columns: the model
    # class in the code knows columns the old tables do not have.
    document_pk = make_doc().pk
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        Job = apps.get_model("extraction", "ExtractionJob")
        document = apps.get_model("extraction", "Document").objects.get(pk=document_pk)
        old = {  # name: (old class, owner)
            "front": (0, None),
            "premium": (1, alice.pk),
            "returning_account": (2, alice.pk),
            "returning_anonymous": (2, None),
            "new_account": (3, alice.pk),
            "new_anonymous": (3, None),
            "retry": (4, None),
            "background": (5, None),
        }
        for name, (priority, owner) in old.items():
            Job.objects.create(
                document=document,
                extractor="local",
                fingerprint="f",
                cache_key=name,
                priority=priority,
                owner_id=owner,
            )
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        migrated = dict(ExtractionJob.objects.values_list("cache_key", "priority"))
        assert migrated == {
            "front": Priority.FRONT,
            "premium": Priority.PREMIUM,
            "returning_account": Priority.REGISTERED,
            "returning_anonymous": Priority.RETURNING,
            "new_account": Priority.REGISTERED,
            "new_anonymous": Priority.NEW,
            "retry": Priority.RETRY,
            "background": Priority.BACKGROUND,
        }
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        back = dict(Job.objects.values_list("cache_key", "priority"))
        assert back["retry"] == 4 and back["background"] == 5 and back["new_anonymous"] == 3
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_place_read_with_the_job_is_the_place_counted_on_its_own(rf, django_user_model):
    """access.job_for counts a waiting job's jobs ahead in the statement that
    reads it; queue.place_of reads that count instead of asking again. Both
    ways must give every job the same place, whatever the queue holds."""
    from django.db.models import F

    from extraction import access

    staff = django_user_model.objects.create_user("staff", "s@example.com", "x", is_staff=True)
    request = rf.get("/")
    request.user = staff
    low = enqueue(priority=Priority.NEW)
    high = enqueue(priority=Priority.PREMIUM)
    same_time = [enqueue(priority=Priority.RETURNING) for _ in range(3)]
    ExtractionJob.objects.filter(pk__in=[j.pk for j in same_time]).update(
        enqueued_at=same_time[0].enqueued_at
    )
    background = enqueue(priority=Priority.BACKGROUND)
    follower = enqueue(sha=ExtractionJob.objects.get(pk=low.pk).document.sha256)
    running = enqueue()
    ExtractionJob.objects.filter(pk=running.pk).update(
        state=JobState.RUNNING, started_at=timezone.now()
    )
    done = enqueue()
    ExtractionJob.objects.filter(pk=done.pk).update(
        state=JobState.SUCCEEDED, finished_at=timezone.now(), attempts=F("attempts") + 1
    )
    jobs = [low, high, *same_time, background, follower, running, done]
    places = []
    for job in jobs:
        read = access.job_for(request, job.pk)
        waiting = job in (low, high, *same_time, background)
        assert hasattr(read, "counted_ahead") == waiting, job
        alone = ExtractionJob.objects.select_related("document").get(pk=job.pk)
        counted = queue.place_of(read)
        assert not hasattr(read, "counted_ahead")  # read once, never again
        assert counted == queue.place_of(alone) == queue.place_of(read), job
        places.append(counted)
    assert places[1].position == 1 and places[0].position > places[2].position
    assert sorted(p.position for p in places[2:5]) == [2, 3, 4]
    assert places[-1].position is None and places[-2].position == 0
