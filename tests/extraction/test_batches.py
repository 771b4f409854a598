"""Background mode: priority 5, background slots, the Message Batches API path
(against the loopback fake), per-item fallbacks, crash recovery, joins."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from extraction import batches, intake, queue, runner
from extraction.extractors import claude as claude_mod
from extraction.models import (
    BatchState,
    CacheEntry,
    ExtractionJob,
    JobState,
    Mode,
    ModelBatch,
    ModelBatchState,
    Priority,
)
from extraction.pipeline import FALLBACK_WARNING
from tests.fakes import fake_anthropic as fa
from tests.helpers import enqueue

pytestmark = pytest.mark.django_db

# What one fake answer costs (1,200 input and 800 output tokens at $3 / $15).
FULL_PRICE = round(1200 * 3 / 1e6 + 800 * 15 / 1e6, 6)


@contextlib.contextmanager
def claude(settings, **options):
    with fa.FakeAnthropic(**options) as model:
        settings.EXTRACTOR = "claude"
        settings.ANTHROPIC_API_KEY = "test-key"
        settings.ANTHROPIC_BASE_URL = model.url
        settings.ANTHROPIC_MODEL = "claude-test"
        settings.ANTHROPIC_PRICE_INPUT_PER_MTOK = 3.0
        settings.ANTHROPIC_PRICE_OUTPUT_PER_MTOK = 15.0
        settings.ANTHROPIC_BATCH_PRICE_RATIO = 0.5
        settings.EXTRACTION_BATCH_MAX_AGE_S = 0
        settings.EXTRACTION_RETRY_BACKOFF_S = 0
        claude_mod.reset_client()
        yield model
        claude_mod.reset_client()


def cv_text(n: int) -> bytes:
    return (
        f"Person Number{n}\nperson{n}@example.com\n\nExperience\n"
        f"Engineer at Company{n}, 2019 - 2021\n"
    ).encode()


def upload(n: int, mode: str = Mode.BACKGROUND, priority: int = Priority.NEW):
    return intake.accept(
        SimpleUploadedFile(f"cv{n}.txt", cv_text(n)),
        via="api",
        mode=mode,
        priority=priority,
    )


def run_slots() -> list[str]:
    """What workers do: claim and run every job a slot may take."""
    outcomes = []
    while (job := queue.claim_next("w")) is not None:
        outcomes.append(runner.run_job(job))
    return outcomes


def run_batches(times: int = 1) -> dict:
    stats: dict = {}
    for _ in range(times):
        stats = batches.run()
    return stats


# -- acceptance 1: 200 CVs through batches, each once, at the batch price


def test_200_background_cvs_go_through_batches_once_each_at_the_batch_price(settings):
    settings.EXTRACTION_BATCH_MAX_SIZE = 100
    settings.EXTRACTION_MAX_QUEUE_DEPTH = 50
    with claude(settings) as model:
        jobs = [upload(n) for n in range(200)]
        assert {j.priority for j in jobs} == {Priority.BACKGROUND}
        assert not queue.is_full()  # 200 background jobs do not fill people's queue

        stats = run_batches()
        assert (stats["batches_sent"], stats["jobs_sent"]) == (2, 200)
        assert ExtractionJob.objects.in_model_batch().count() == 200
        assert ExtractionJob.objects.in_slots().count() == 0  # no worker slot held

        # A person uploading meanwhile is first in line and runs at once.
        person = upload(999, mode=Mode.INTERACTIVE)
        assert queue.place_of(person).position == 1
        assert run_slots() == ["succeeded"]
        assert model.calls == 1  # only the person's call went to /v1/messages

        run_batches()  # the fake's batches end after their first poll
        stats = run_batches()
    done = ExtractionJob.objects.filter(pk__in=[j.pk for j in jobs])
    assert done.filter(state=JobState.SUCCEEDED).count() == 200
    assert done.filter(batch_state=BatchState.DONE, mode=Mode.BACKGROUND).count() == 200
    custom_ids = [item["custom_id"] for item in model.batch_items]
    assert sorted(custom_ids) == sorted(str(j.pk) for j in jobs)  # each exactly once
    assert {round(float(c), 6) for c in done.values_list("cost_usd", flat=True)} == {
        round(FULL_PRICE / 2, 6)
    }
    assert CacheEntry.objects.count() == 201
    assert ModelBatch.objects.filter(state=ModelBatchState.ENDED).count() == 2
    assert model.calls == 1
    assert stats["polled"] == 0  # nothing left open


def test_a_batch_answer_goes_through_the_same_cleaning_as_a_call(settings):
    dirty = {
        "basics": {"name": "  Ada  ", "url": "javascript:alert(1)", "email": "ada@example.com"},
        "work": [{"name": "Acme", "startDate": "March 2020"}],
    }
    with claude(settings) as model:
        model.batch_item = lambda cid, params: fa.ok(dirty)
        job = upload(1)
        run_batches(2)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert job.result["basics"]["name"] == "Ada"
    assert "url" not in job.result["basics"]  # the scheme check dropped it
    entry = CacheEntry.objects.get(key=job.cache_key)
    assert entry.result == job.result
    assert entry.extractor == "claude"


# -- per-item fallbacks


def test_errored_expired_cancelled_and_unreadable_items_fall_back_one_by_one(settings):
    with claude(settings) as model:
        jobs = [upload(n) for n in range(6)]
        kinds = {
            str(jobs[1].pk): fa.EXPIRED,
            str(jobs[2].pk): fa.ERRORED,
            str(jobs[3].pk): fa.CANCELED,
            str(jobs[4].pk): fa.MALFORMED,
            str(jobs[5].pk): fa.INVALID,
        }
        model.batch_item = lambda cid, params: kinds.get(cid, fa.ok())
        run_batches(2)
        states = {
            j.pk: ExtractionJob.objects.values_list("state", "batch_state").get(pk=j.pk)
            for j in jobs
        }
        assert states[jobs[0].pk] == (JobState.SUCCEEDED, BatchState.DONE)
        for j in jobs[1:5]:  # worth an interactive call
            assert states[j.pk] == (JobState.QUEUED, BatchState.RETRY)
        assert states[jobs[5].pk] == (JobState.QUEUED, BatchState.LOCAL)  # refused as invalid

        assert run_slots() == ["succeeded"] * 5
        assert model.calls == 4  # the four retries; the invalid one went local
    for j in jobs:
        j.refresh_from_db()
        assert j.state == JobState.SUCCEEDED
    assert [float(j.cost_usd) for j in jobs[1:5]] == [pytest.approx(FULL_PRICE)] * 4
    assert jobs[5].extractor_used == "local"
    assert FALLBACK_WARNING in jobs[5].warnings
    # The local answer is not cached under the model's fingerprint.
    assert not CacheEntry.objects.filter(key=jobs[5].cache_key).exists()


def test_an_unusable_answer_falls_back_to_the_local_extractor(settings):
    with claude(settings) as model:
        model.batch_item = lambda cid, params: fa.truncated()
        job = upload(1)
        run_batches(2)
        job.refresh_from_db()
        assert job.batch_state == BatchState.LOCAL
        run_slots()
        assert model.calls == 0
    job.refresh_from_db()
    assert (job.state, job.extractor_used) == (JobState.SUCCEEDED, "local")


def test_an_interactive_retry_that_fails_too_ends_with_the_local_extractor(settings):
    settings.ANTHROPIC_MAX_RETRIES = 0
    with claude(settings, default=fa.status(529)) as model:
        model.batch_item = lambda cid, params: fa.EXPIRED
        job = upload(1)
        run_batches(2)
        run_slots()
    job.refresh_from_db()
    assert (job.state, job.extractor_used) == (JobState.SUCCEEDED, "local")
    assert FALLBACK_WARNING in job.warnings


def test_a_batch_that_never_ends_is_cancelled_after_the_timeout_and_its_jobs_fall_back(
    settings,
):
    settings.EXTRACTION_BATCH_TIMEOUT_S = 3600
    with claude(settings) as model:
        model.batch_polls_to_end = None
        job = upload(1)
        run_batches(3)
        job.refresh_from_db()
        assert job.batch_state == BatchState.SUBMITTED
        with time_machine.travel(timezone.now() + timedelta(seconds=3601)):
            stats = run_batches()
        assert stats["timed_out"] == 1
        assert any(path.endswith("/cancel") for _, path in model.batch_api_calls)
        job.refresh_from_db()
        assert (job.state, job.batch_state) == (JobState.QUEUED, BatchState.RETRY)
        assert ModelBatch.objects.get().state == ModelBatchState.TIMED_OUT
        run_slots()
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED


def test_a_slow_batch_is_polled_until_it_ends(settings):
    with claude(settings) as model:
        model.batch_polls_to_end = 3
        job = upload(1)
        run_batches(3)  # sent, then two polls in progress
        job.refresh_from_db()
        assert job.state == JobState.RUNNING
        assert queue.place_of(job).position == 0
        run_batches(2)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED


# -- the batch endpoints failing


@pytest.mark.parametrize("code", [429, 529, 500])
def test_a_batch_the_api_will_not_take_now_is_sent_again_later(settings, code):
    with claude(settings) as model:
        model.enqueue_batch_api(fa.status(code))
        job = upload(1)
        stats = run_batches()
        assert stats["batches_sent"] == 0 and stats["errors"]
        job.refresh_from_db()
        assert (job.state, job.batch_state, job.attempts) == (JobState.QUEUED, "", 0)
        assert run_slots() == []  # still kept for a batch, not a slot
        run_batches(2)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert ModelBatch.objects.filter(state=ModelBatchState.FAILED).count() == 1


def test_a_final_refusal_sends_the_jobs_to_a_slot(settings):
    with claude(settings) as model:
        model.enqueue_batch_api(fa.spend_limit())
        job = upload(1)
        run_batches()
        job.refresh_from_db()
        assert (job.state, job.batch_state) == (JobState.QUEUED, BatchState.RETRY)


def test_polling_through_429_and_529_loses_nothing(settings):
    with claude(settings) as model:
        job = upload(1)
        run_batches()
        model.enqueue_batch_api(fa.status(429), fa.status(529))
        run_batches(2)
        job.refresh_from_db()
        assert job.batch_state == BatchState.SUBMITTED
        run_batches(2)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED


def test_a_batch_the_api_no_longer_knows_falls_back(settings):
    with claude(settings) as model:
        job = upload(1)
        run_batches()
        model.enqueue_batch_api(fa.status(404))
        run_batches()
    job.refresh_from_db()
    assert (job.state, job.batch_state) == (JobState.QUEUED, BatchState.RETRY)
    assert ModelBatch.objects.get().state == ModelBatchState.FAILED


# -- crashes


def test_a_worker_dying_after_submission_loses_no_job(settings):
    with claude(settings) as model:
        jobs = [upload(n) for n in range(3)]
        run_batches()
        batch = ModelBatch.objects.get()
        assert batch.provider_id == model.batches_created[0]  # stored before any wait
        # A new process: nothing in memory, only the rows.
        claude_mod.reset_client()
        run_batches(2)
    assert (
        ExtractionJob.objects.filter(pk__in=[j.pk for j in jobs], state=JobState.SUCCEEDED).count()
        == 3
    )
    assert len(model.batch_items) == 3


def test_a_run_that_died_before_the_api_answered_puts_its_jobs_back(settings):
    with claude(settings) as model:
        job = upload(1)
        batch = ModelBatch.objects.create(fingerprint="fp")
        queue.claim_for_batch([job.pk], batch)  # ... and the process died here
        job.refresh_from_db()
        assert job.state == JobState.RUNNING
        run_batches()
        assert model.batch_items == []  # too recent to call it dead
        with time_machine.travel(timezone.now() + timedelta(seconds=settings.Q_TASK_TIMEOUT + 1)):
            stats = run_batches()
            assert stats["recovered"] == 1
            run_batches()
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert job.attempts == 1
    assert ModelBatch.objects.get(pk=batch.pk).state == ModelBatchState.FAILED


def test_results_kept_by_an_earlier_run_are_not_kept_twice(settings):
    with claude(settings):
        job = upload(1)
        run_batches(2)
        batch = ModelBatch.objects.get()
        # The same results read again (a run that died after keeping them).
        stats = batches.Stats()
        batches.store_results(batch, stats)
    assert stats.stored == 0 and stats.fell_back == 0
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED


# -- size and age limits


def test_a_batch_waits_for_its_size_or_its_age(settings):
    with claude(settings) as model:
        settings.EXTRACTION_BATCH_MAX_SIZE = 3
        settings.EXTRACTION_BATCH_MAX_AGE_S = 600
        upload(1)
        upload(2)
        assert run_batches()["batches_sent"] == 0
        with time_machine.travel(timezone.now() + timedelta(seconds=601)):
            assert run_batches()["jobs_sent"] == 2
        upload(3)
        upload(4)
        upload(5)
        assert run_batches()["jobs_sent"] == 3  # full: leaves at once
    assert len(model.batches_created) == 2


# -- one extraction across both modes


def test_a_person_joining_a_waiting_background_job_lifts_it_into_a_slot(settings):
    with claude(settings) as model:
        background = upload(7)
        person = upload(7, mode=Mode.INTERACTIVE)
        assert person.joined_to_id == background.pk
        background.refresh_from_db()
        assert background.priority == Priority.NEW
        assert run_batches()["jobs_sent"] == 0
        run_slots()
        assert model.calls == 1 and model.batch_items == []
    person.refresh_from_db()
    assert person.state == JobState.SUCCEEDED


def test_a_person_joining_a_job_in_a_batch_gets_the_batch_answer(settings):
    with claude(settings) as model:
        background = upload(7)
        run_batches()
        person = upload(7, mode=Mode.INTERACTIVE)
        assert person.joined_to_id == background.pk
        assert queue.place_of(person).position == 0
        assert run_slots() == []
        run_batches()
        assert model.calls == 0 and len(model.batch_items) == 1
    person.refresh_from_db()
    assert person.state == JobState.SUCCEEDED
    assert person.result["basics"]["name"] == "Ada Lovelace"


def test_a_background_upload_joins_a_person_s_job_in_flight(settings):
    with claude(settings) as model:
        person = upload(7, mode=Mode.INTERACTIVE)
        background = upload(7)
        assert background.joined_to_id == person.pk
        assert run_batches()["jobs_sent"] == 0
        run_slots()
        assert model.calls == 1 and model.batch_items == []
    background.refresh_from_db()
    assert background.state == JobState.SUCCEEDED


@pytest.mark.parametrize("first", [Mode.INTERACTIVE, Mode.BACKGROUND])
def test_the_cache_answers_across_modes(settings, first):
    second = Mode.BACKGROUND if first == Mode.INTERACTIVE else Mode.INTERACTIVE
    with claude(settings) as model:
        upload(7, mode=first)
        run_batches(2)
        run_slots()
        assert model.calls + len(model.batch_items) == 1
        again = upload(7, mode=second)
        assert (again.state, again.cached) == (JobState.SUCCEEDED, True)
        assert model.calls + len(model.batch_items) == 1


# -- background work in worker slots (the local extractor)


def test_without_a_key_background_jobs_run_locally_at_priority_5(settings):
    job = upload(1)
    assert (job.priority, job.extractor, job.mode) == (Priority.BACKGROUND, "local", "background")
    assert run_batches()["jobs_sent"] == 0
    assert run_slots() == ["succeeded"]
    job.refresh_from_db()
    assert job.extractor_used == "local"


def test_background_work_takes_at_most_its_slots_and_never_passes_a_person(settings):
    settings.EXTRACTION_MAX_CONCURRENT = 3
    settings.EXTRACTION_BACKGROUND_MAX_SLOTS = 1
    background = [enqueue(mode=Mode.BACKGROUND) for _ in range(3)]
    person = enqueue(priority=Priority.NEW)
    assert queue.claim_next("w").pk == person.pk  # arrived last, runs first
    assert queue.claim_next("w").pk == background[0].pk
    assert queue.claim_next("w") is None  # a slot is free, but not for background work
    late = enqueue(priority=Priority.NEW)
    assert queue.claim_next("w").pk == late.pk
    assert queue._tokens_needed() == 0


def test_background_jobs_wait_apart_from_people(settings):
    settings.EXTRACTION_MAX_QUEUE_DEPTH = 1
    settings.EXTRACTION_BACKGROUND_MAX_QUEUE_DEPTH = 2
    enqueue(mode=Mode.BACKGROUND)
    enqueue(mode=Mode.BACKGROUND)
    with pytest.raises(queue.QueueFull):
        enqueue(mode=Mode.BACKGROUND)
    assert not queue.is_full()
    enqueue()  # a person still gets in
    assert queue.is_full()
    status = queue.status()
    assert (status.waiting, status.background_waiting) == (1, 2)


def test_a_failed_background_attempt_is_retried_behind_people(settings):
    job = enqueue(mode=Mode.BACKGROUND)
    claimed = queue.claim_next("w")
    assert claimed.pk == job.pk
    queue.retry_or_fail(claimed, "internal_error", "x")
    job.refresh_from_db()
    assert job.priority == Priority.BACKGROUND


# -- cancelling half-way


def test_an_owner_cancelling_half_way_stops_what_has_not_left(settings):
    with claude(settings) as model:
        settings.EXTRACTION_BATCH_MAX_SIZE = 2
        settings.EXTRACTION_BATCH_MAX_AGE_S = 600
        sent = [upload(1), upload(2)]
        run_batches()
        waiting = upload(3)
        assert queue.cancel(waiting)
        assert not queue.cancel(sent[0])  # in a batch: already under way
        with time_machine.travel(timezone.now() + timedelta(seconds=601)):
            run_batches(2)
        assert len(model.batch_items) == 2
    waiting.refresh_from_db()
    assert waiting.state == JobState.CANCELLED
    for job in sent:
        job.refresh_from_db()
        assert job.state == JobState.SUCCEEDED


def test_a_file_that_cannot_be_read_fails_without_reaching_the_model(settings):
    with claude(settings) as model:
        job = upload(1)
        job.document.path.write_bytes(b"")  # the stored file is damaged
        good = upload(2)
        run_batches(2)
        assert [i["custom_id"] for i in model.batch_items] == [str(good.pk)]
    job.refresh_from_db()
    assert (job.state, job.error_code, job.user_fault) == (JobState.FAILED, "empty_file", True)
    assert (job.batch_id, job.batch_state) == (None, "")  # never sent
    good.refresh_from_db()
    assert good.state == JobState.SUCCEEDED


# -- the API


API = "/api/v1/extractions"


def test_the_api_takes_a_background_upload_and_shows_its_mode(api):
    r = api.post(
        API,
        {"file": SimpleUploadedFile("cv.txt", cv_text(1)), "mode": "background"},
        format="multipart",
    )
    assert r.status_code == 202
    body = r.json()
    assert body["mode"] == "background"
    assert body["batch_id"] is None  # staff only
    assert ExtractionJob.objects.get(pk=body["id"]).priority == Priority.BACKGROUND


def test_the_batch_api_takes_background_mode_for_every_file(api):
    files = [SimpleUploadedFile(f"cv{n}.txt", cv_text(n)) for n in range(3)]
    r = api.post(f"{API}/batch", {"files": files, "mode": "background"}, format="multipart")
    assert r.status_code == 202
    assert [j["mode"] for j in r.json()["jobs"]] == ["background"] * 3
    assert ExtractionJob.objects.filter(priority=Priority.BACKGROUND).count() == 3


@pytest.mark.parametrize("url", [API, f"{API}/batch"])
@pytest.mark.parametrize("mode", ["later", "BACKGROUND", "x" * 10_000])
def test_an_unknown_mode_is_refused_before_anything_is_stored(api, url, mode):
    field = "file" if url == API else "files"
    r = api.post(
        url, {field: SimpleUploadedFile("cv.txt", cv_text(1)), "mode": mode}, format="multipart"
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_mode"
    assert not ExtractionJob.objects.exists()


def test_an_interactive_upload_is_the_default(api):
    r = api.post(API, {"file": SimpleUploadedFile("cv.txt", cv_text(1))}, format="multipart")
    assert r.json()["mode"] == "interactive"


def test_staff_see_the_batch_id_of_a_job(settings, api, staff):
    with claude(settings) as model:
        job = upload(1)
        run_batches(2)
        api.force_authenticate(staff)
        body = api.get(f"{API}/{job.pk}").json()
        assert body["batch_id"] == model.batches_created[0]
        api.force_authenticate(None)
        assert api.get(f"{API}/{job.pk}").json()["batch_id"] is None


# -- re-extraction after a model change (admin)


def _entry_for(job, fingerprint="old-fingerprint"):
    return CacheEntry.store(
        sha256=job.document.sha256,
        fingerprint=fingerprint,
        extractor="claude",
        model="claude-old",
        result={"basics": {"name": "Old"}},
        warnings=[],
        size_bytes=10,
    )


def test_staff_re_extract_cached_documents_in_background_mode(settings, staff_client):
    from monitoring.models import AuditLog

    with claude(settings) as model:
        jobs = [upload(n) for n in range(3)]
        ExtractionJob.objects.all().delete()
        entries = [_entry_for(j) for j in jobs]
        jobs[2].document.path.unlink()  # this upload's file is gone
        expired = entries[1]
        expired.invalidate()
        r = staff_client.post(
            "/admin/extraction/cacheentry/",
            {
                "action": "reextract_in_background",
                "_selected_action": [e.pk for e in entries],
            },
            follow=True,
        )
        text = r.content.decode()
        assert "1 document(s) queued for re-extraction in background mode" in text
        assert "1 past retention" in text
        assert "1 whose uploaded file no longer exists" in text
        queued = ExtractionJob.objects.get()
        assert (queued.mode, queued.priority, queued.via) == (
            "background",
            Priority.BACKGROUND,
            "admin",
        )
        assert queued.document_id == jobs[0].document_id
        run_batches(2)
        assert len(model.batch_items) == 1
    queued.refresh_from_db()
    assert queued.state == JobState.SUCCEEDED
    row = AuditLog.objects.get(action="extraction.reextract")
    assert row.actor.username == "staff"
    assert row.details["queued"] == 1 and row.details["file_missing"] == 1
    assert row.details["expired"] == 1


def test_a_document_already_extracted_by_the_current_model_is_not_queued(settings, staff_client):
    with claude(settings):
        job = upload(1)
        run_batches(2)
        r = staff_client.post(
            "/admin/extraction/document/",
            {"action": "reextract_in_background", "_selected_action": [job.document_id]},
            follow=True,
        )
    assert "1 already extracted by the current model" in r.content.decode()
    assert ExtractionJob.objects.count() == 1


def test_re_extraction_from_the_documents_list(settings, staff_client):
    with claude(settings):
        job = upload(1)
        ExtractionJob.objects.all().delete()
        staff_client.post(
            "/admin/extraction/document/",
            {"action": "reextract_in_background", "_selected_action": [job.document_id]},
        )
        queued = ExtractionJob.objects.get()
    assert queued.is_kept_for_batch


def test_the_batches_admin_lists_batches_read_only(settings, staff_client):
    with claude(settings):
        upload(1)
        run_batches(2)
    r = staff_client.get("/admin/extraction/modelbatch/")
    assert r.status_code == 200
    assert "succeeded 1" in r.content.decode()
    assert staff_client.get("/admin/extraction/modelbatch/add/").status_code == 403


def test_a_job_the_cache_can_answer_is_not_sent(settings):
    with claude(settings) as model:
        job = upload(1)
        CacheEntry.store(
            sha256=job.document.sha256,
            fingerprint=job.fingerprint,
            extractor="claude",
            model="claude-test",
            result={"basics": {"name": "Cached"}},
            warnings=[],
            size_bytes=10,
        )
        stats = run_batches()
        assert stats["cached"] == 1 and model.batch_items == []
    job.refresh_from_db()
    assert (job.state, job.cached, job.result["basics"]["name"]) == (
        JobState.SUCCEEDED,
        True,
        "Cached",
    )
    assert (job.batch_id, job.batch_state) == (None, "")


def test_a_background_job_s_wait_counts_its_own_slots(settings):
    settings.EXTRACTION_MAX_CONCURRENT = 4
    settings.EXTRACTION_BACKGROUND_MAX_SLOTS = 1
    background = [enqueue(mode=Mode.BACKGROUND) for _ in range(3)]
    enqueue()  # a person, ahead of them all
    places = [queue.place_of(j, typical=10) for j in background]
    assert [p.position for p in places] == [2, 3, 4]
    # The person's wave (10 s), then one background job at a time.
    assert [p.eta_seconds for p in places] == [20, 30, 40]


def test_a_person_waiting_on_a_batch_item_that_falls_back_keeps_their_class(settings):
    settings.EXTRACTION_BACKGROUND_MAX_SLOTS = 1
    with claude(settings) as model:
        model.batch_item = lambda cid, params: fa.EXPIRED
        busy = enqueue(mode=Mode.BACKGROUND)  # background work holds its one slot
        assert queue.claim_next("w").pk == busy.pk
        background = upload(7)
        run_batches()
        person = upload(7, mode=Mode.INTERACTIVE)
        assert person.joined_to_id == background.pk
        run_batches()  # the item expired: the job falls back
        background.refresh_from_db()
        assert background.state == JobState.QUEUED
        assert background.priority == Priority.RETRY  # a person's retry, not background work
        assert queue.claim_next("w").pk == background.pk  # not held back by background slots
