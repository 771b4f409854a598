"""Daily quotas, their give-back, queue priority by tier, and client identity."""

from __future__ import annotations

import uuid

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from extraction import queue, runner
from extraction.models import ExtractionJob, JobState, Priority
from quotas.models import Account, DailyUsage, Tier
from quotas.policy import today
from tests.extraction import badfiles as bf

pytestmark = pytest.mark.django_db

URL = "/api/v1/extractions"


def cv(text: str | None = None) -> SimpleUploadedFile:
    text = text or f"Person {uuid.uuid4().hex[:8]}\nperson@example.com\n"
    return SimpleUploadedFile("cv.txt", bf.txt_utf8(text))


def upload(api, file=None, **extra):
    return api.post(URL, {"file": file or cv()}, format="multipart", **extra)


def test_the_fourth_upload_of_the_day_from_an_anonymous_address_is_429(api):
    for _ in range(3):
        assert upload(api).status_code == 202
    r = upload(api)
    body = r.json()
    assert r.status_code == 429 and body["error"] == "quota_exceeded"
    assert 0 < int(r["Retry-After"]) <= 24 * 3600
    assert body["reset_at"].startswith(str(today() + timezone.timedelta(days=1)))
    assert r["X-Quota-Remaining"] == "0" and r["X-Quota-Limit"] == "3"
    assert DailyUsage.objects.get().extractions == 3
    assert ExtractionJob.objects.count() == 3


def test_the_browser_gets_a_page_saying_when_it_resets_and_what_registering_gives(client):
    for _ in range(3):
        client.post("/", {"file": cv()})
    r = client.post("/", {"file": cv()})
    text = r.content.decode()
    assert r.status_code == 429 and int(r["Retry-After"]) > 0
    assert "starts again at 00:00 UTC" in text
    assert "10 extractions a day" in text


def test_api_answers_carry_the_allowance(api):
    r = upload(api)
    assert (r["X-Quota-Limit"], r["X-Quota-Remaining"]) == ("3", "2")
    assert int(r["X-Quota-Reset"]) > timezone.now().timestamp()


def test_the_upload_page_shows_the_remaining_allowance(client):
    client.post("/", {"file": cv()})
    text = client.get("/").content.decode()
    assert "2 more CVs</strong> read today (1 of 3 used" in text


def test_a_cache_hit_costs_nothing(api):
    same = bf.txt_utf8("Cached Person\ncached@example.com\n")
    upload(api, SimpleUploadedFile("a.txt", same))
    runner.run_job(queue.claim_next("w"))
    for _ in range(5):
        r = upload(api, SimpleUploadedFile("a.txt", same))
        assert r.status_code == 201
    assert DailyUsage.objects.get().extractions == 1


def test_joining_an_identical_job_in_flight_costs_nothing(api):
    same = bf.txt_utf8("Joined Person\njoined@example.com\n")
    upload(api, SimpleUploadedFile("a.txt", same))
    assert upload(api, SimpleUploadedFile("a.txt", same)).status_code == 202
    assert DailyUsage.objects.get().extractions == 1


def test_a_job_failed_by_the_system_gives_the_allowance_back(api, settings):
    settings.EXTRACTION_MAX_ATTEMPTS = 1
    upload(api)
    job = queue.claim_next("w")
    queue.retry_or_fail(job, "model_down", "The model is down.")
    assert ExtractionJob.objects.get().state == JobState.FAILED
    assert DailyUsage.objects.get().extractions == 0
    # Given back once only, whatever else happens to the job.
    from extraction.signals import job_not_done

    job_not_done.send(sender=ExtractionJob, job=ExtractionJob.objects.get())
    assert DailyUsage.objects.get().extractions == 0


def test_a_job_failed_for_a_bad_file_does_not_give_it_back(api, settings):
    settings.EXTRACTION_PARSE_TIMEOUT_S = 1.0
    upload(api, SimpleUploadedFile("cv.txt", b"   \n\n  \t \n"))
    runner.run_job(queue.claim_next("w"))
    job = ExtractionJob.objects.get()
    assert job.state == JobState.FAILED and job.user_fault
    assert DailyUsage.objects.get().extractions == 1


def test_a_worker_lost_for_good_gives_the_allowance_back(api, settings):
    settings.EXTRACTION_MAX_ATTEMPTS = 1
    upload(api)
    queue.claim_next("dead")
    later = timezone.now() + timezone.timedelta(seconds=settings.EXTRACTION_LEASE_S + 1)
    with time_machine.travel(later):
        assert queue.watchdog()["failed"] == 1
    assert DailyUsage.objects.get().extractions == 0


def test_cancelling_a_queued_job_gives_the_allowance_back(api):
    job_id = upload(api).json()["id"]
    assert api.delete(f"{URL}/{job_id}").status_code == 204
    assert DailyUsage.objects.get().extractions == 0


def test_the_allowance_resets_the_next_day(api):
    for _ in range(3):
        upload(api)
    assert upload(api).status_code == 429
    with time_machine.travel(timezone.now() + timezone.timedelta(days=1)):
        assert upload(api).status_code == 202


def test_registered_and_premium_users_have_their_tier_limits_and_overrides(api, alice):
    api.force_authenticate(alice)
    r = upload(api)
    assert r["X-Quota-Limit"] == "10"
    Account.objects.filter(user=alice).update(tier=Tier.PREMIUM)
    alice._account_cache = None
    assert upload(api)["X-Quota-Limit"] == "50"
    Account.objects.filter(user=alice).update(extractions_per_day=2)
    alice._account_cache = None
    r = upload(api)
    assert r.status_code == 429 and r["X-Quota-Limit"] == "2"


def test_two_users_behind_one_address_have_separate_budgets(api, alice, django_user_model):
    bob = django_user_model.objects.create_user("bob", "bob@example.com", "pw-bob-123")
    for user in (alice, bob):
        api.force_authenticate(user)
        for _ in range(3):
            assert upload(api).status_code == 202
    api.force_authenticate(None)
    for _ in range(3):
        assert upload(api).status_code == 202  # the address itself has its own budget
    assert DailyUsage.objects.count() == 3


# --- Queue priority from the tier (SPEC E-5) --------------------------------------


def test_a_premium_users_job_overtakes_queued_anonymous_jobs(api, alice):
    first = upload(api).json()["id"]
    upload(api, REMOTE_ADDR="10.0.0.2")
    account = Account.for_user(alice)
    account.tier = Tier.PREMIUM
    account.save()
    api.force_authenticate(alice)
    r = upload(api)
    assert r.json()["position"] == 1
    job = queue.claim_next("w")
    assert str(job.pk) == r.json()["id"] and job.priority == Priority.PREMIUM
    assert str(queue.claim_next("w").pk) == first


def test_a_returning_visitors_job_overtakes_a_new_visitors(api):
    upload(api, REMOTE_ADDR="10.0.0.5")
    runner.run_job(queue.claim_next("w"))  # 10.0.0.5 now has a finished extraction
    new_job = upload(api, REMOTE_ADDR="10.0.0.6").json()["id"]
    returning_job = upload(api, REMOTE_ADDR="10.0.0.5").json()["id"]
    assert ExtractionJob.objects.get(pk=returning_job).priority == Priority.RETURNING
    assert ExtractionJob.objects.get(pk=new_job).priority == Priority.NEW
    assert str(queue.claim_next("w").pk) == returning_job


def test_a_registered_users_job_overtakes_anonymous_ones_returning_or_not(
    api, alice, django_user_model
):
    upload(api)
    runner.run_job(queue.claim_next("w"))  # this address now has a finished extraction
    api.force_authenticate(alice)
    upload(api)
    runner.run_job(queue.claim_next("w"))  # and so has alice
    api.force_authenticate(None)
    anonymous_job = upload(api).json()["id"]
    newcomer = django_user_model.objects.create_user("new", "n@example.com", "pw-new-1234")
    api.force_authenticate(newcomer)
    new_job = upload(api).json()["id"]
    api.force_authenticate(alice)
    returning_job = upload(api).json()["id"]
    assert ExtractionJob.objects.get(pk=anonymous_job).priority == Priority.RETURNING
    assert ExtractionJob.objects.get(pk=new_job).priority == Priority.REGISTERED
    assert ExtractionJob.objects.get(pk=returning_job).priority == Priority.REGISTERED
    claimed = [str(queue.claim_next("w").pk) for _ in range(3)]
    assert claimed == [new_job, returning_job, anonymous_job]


# --- Client identity (SPEC Q-4) ---------------------------------------------------


def test_a_forged_forwarded_for_buys_no_fresh_quota_without_trusted_proxies(api):
    for i in range(3):
        assert upload(api, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code == 202
    assert upload(api, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429


def test_a_forged_hop_left_of_the_trusted_proxy_buys_nothing(api, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The proxy appends the real client (192.0.2.10); the client wrote the rest.
    for i in range(3):
        r = upload(api, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}, 192.0.2.10")
        assert r.status_code == 202
    assert upload(api, HTTP_X_FORWARDED_FOR="198.51.100.1, 192.0.2.10").status_code == 429
    assert DailyUsage.objects.get().subject == "ip:192.0.2.10"


@pytest.mark.parametrize("header", ["", "garbage", "1.2.3.4, , not-an-ip", "a" * 500])
def test_a_malformed_forwarded_for_is_never_a_500(api, settings, header):
    settings.TRUSTED_PROXY_COUNT = 2
    r = upload(api, HTTP_X_FORWARDED_FOR=header)
    assert r.status_code == 202


def test_an_empty_remote_addr_still_gets_served_and_counted(api):
    r = upload(api, REMOTE_ADDR="")
    assert r.status_code == 202
    assert DailyUsage.objects.get().subject == "ip:unknown"


def test_ipv6_clients_are_counted_per_64(api):
    for i in range(3):
        assert upload(api, REMOTE_ADDR=f"2001:db8:1:2::{i + 1}").status_code == 202
    assert upload(api, REMOTE_ADDR="2001:db8:1:2:ffff::9").status_code == 429
    assert upload(api, REMOTE_ADDR="2001:db8:1:3::1").status_code == 202


def test_usage_rows_count_per_day_and_subject():
    day = today()
    assert DailyUsage.objects.consume("ip:x", day, 2) == 1
    assert DailyUsage.objects.consume("ip:x", day, 2) == 2
    assert DailyUsage.objects.consume("ip:x", day, 2) is None
    assert DailyUsage.objects.used("ip:x", day) == 2
    assert DailyUsage.objects.consume("ip:y", day, 0) is None


def test_someone_with_a_portfolio_counts_as_returning(api):
    from portfolios import publishing

    publishing.publish(
        resume={"basics": {"name": "Pat"}},
        theme="minimal",
        client="127.0.0.1",
        retention_hours=24,
        active_limit=5,
    )
    r = upload(api)
    assert ExtractionJob.objects.get(pk=r.json()["id"]).priority == Priority.RETURNING


def _usage_reads(api, path="/api/v1/status"):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        r = api.get(path)
    reads = [q for q in queries.captured_queries if "quotas_dailyusage" in q["sql"]]
    return r["X-Quota-Remaining"], len(reads)


def test_the_headers_read_the_days_count_from_the_cache_and_see_every_change(api, settings):
    settings.QUOTA_USAGE_CACHE_S = 30
    assert _usage_reads(api) == ("3", 1)
    assert _usage_reads(api) == ("3", 0)  # cached: no query on a cheap read
    assert upload(api).status_code == 202  # counted: the cache forgets it
    assert _usage_reads(api) == ("2", 1)
    assert _usage_reads(api) == ("2", 0)
    job = ExtractionJob.objects.get()
    DailyUsage.objects.give_back(job.quota_subject, job.quota_day)
    assert _usage_reads(api) == ("3", 1)
    row = DailyUsage.objects.get()
    row.extractions = 3  # staff edit it in the admin
    row.save()
    assert _usage_reads(api) == ("0", 1)
    row.delete()
    assert _usage_reads(api) == ("3", 1)


def test_no_usage_cache_reads_the_database_every_time(api, settings):
    settings.QUOTA_USAGE_CACHE_S = 0
    assert _usage_reads(api) == ("3", 1)
    assert _usage_reads(api) == ("3", 1)


def test_addresses_are_parsed_once_and_a_long_forwarded_hop_is_not_kept(settings):
    """Every limit and the quota headers ask for the client's address: the
    parse of an address seen lately is kept (a bounded memory), and text too
    long to be an address is never kept (a header's worth each)."""
    from quotas import identity

    settings.TRUSTED_PROXY_COUNT = 1
    identity._parsed_ip.cache_clear()
    identity.client_bucket.cache_clear()
    meta = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    for _ in range(5):
        ip = identity.client_ip(meta)
        assert ip == "203.0.113.9" and identity.client_bucket(ip) == "203.0.113.9"
    assert identity._parsed_ip.cache_info().misses == 2  # the hop and REMOTE_ADDR
    assert identity.client_bucket.cache_info().misses == 1
    assert identity.client_bucket("2001:db8::1") == "2001:db8::/64"
    long_hop = "x" * 5000
    assert identity.client_ip({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": long_hop}) == (
        "10.0.0.1"
    )
    assert identity._parsed_ip.cache_info().currsize == 2
