"""Shared fixtures: people, clients, sample files.

The sample CVs (`SAMPLES`) are the folder `shared/cv-samples` beside the clone
(`../shared/cv-samples`), or the folder the environment variable CV_SAMPLES
names. Locally, a test that needs them skips and says why; in CI (CI=true, set
by .ci/run) the session fails at once, since a green run that skipped them
would prove nothing about extraction.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

REPO = Path(__file__).resolve().parent.parent
SAMPLES = Path(os.environ.get("CV_SAMPLES") or REPO.parent / "shared" / "cv-samples")
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
SAMPLES_MISSING = (
    None
    if (SAMPLES / "manifest.csv").is_file()
    else f"the sample CVs are not at {SAMPLES} (no manifest.csv there): put shared/cv-samples "
    "beside the repository or set CV_SAMPLES to their folder"
)


def pytest_sessionstart(session):
    if IN_CI and SAMPLES_MISSING:
        pytest.exit(f"CI needs the sample CVs: {SAMPLES_MISSING}", returncode=1)


def sample(name: str) -> Path:
    """The path of one sample file; skips the test (fails it in CI) when it is absent."""
    path = SAMPLES / name
    if not path.exists():
        why = SAMPLES_MISSING or f"sample {name} is not in {SAMPLES}"
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)
    return path


def sample_files(pattern: str = "dev-*", suffixes: Iterable[str] = ()) -> list[Path]:
    """The sample files matching `pattern` (and one of `suffixes`, if given), sorted."""
    wanted = tuple(suffixes)
    return sorted(p for p in SAMPLES.glob(pattern) if not wanted or p.suffix in wanted)


def each_sample(items: Iterable) -> list:
    """`items` (paths or names) as pytest parameters named after them; when there are
    none, one parameter that skips saying why, instead of pytest's silent "empty
    parameter set"."""
    params = [pytest.param(item, id=getattr(item, "name", str(item))) for item in items]
    if params:
        return params
    why = SAMPLES_MISSING or f"no matching sample in {SAMPLES}"
    return [pytest.param(None, id="no-samples", marks=pytest.mark.skip(reason=why))]


@pytest.fixture(autouse=True)
def _embedded_defaults(settings, tmp_path):
    """Every test: local extractor, no model key, its own upload folder, and
    a fresh cache (rate-limit counters live there), with what the process
    keeps beside it (kept polls and upload pages)."""
    from django.core.cache import cache

    from extraction import polls, views

    cache.clear()
    polls.kept.clear()
    views._kept_pages.clear()
    settings.EXTRACTOR = "local"
    settings.ANTHROPIC_API_KEY = ""
    settings.UPLOAD_DIR = tmp_path / "uploads"
    settings.UPLOAD_DIR.mkdir()


@pytest.fixture
def one_window():
    """The wall clock held still: the guesses of a test fall in one rate window.

    Windows are fixed (the database's start on the minute, django-ratelimit's at
    an offset of its key), so a run that crossed a window's end saw its count
    start again: five guesses at 3/m split 2 + 3 across a minute, and none was
    refused. The monotonic clock, which the breaker's pauses read, still runs.
    """
    with time_machine.travel(time.time(), tick=False):
        yield


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.com", "pw-alice-123")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("staff", "staff@example.com", "pw-staff-1")


@pytest.fixture
def staff_client(client, staff):
    """The test client logged in as `staff` (pytest-django's `admin_client` is
    another user, `admin`; tests here check the audit rows name `staff`)."""
    client.force_login(staff)
    return client


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def pdf_bytes() -> bytes:
    return sample("dev-03-paper.pdf").read_bytes()


@pytest.fixture
def upload():
    """Make an uploadable file from bytes."""

    def make(data: bytes, name: str = "cv.pdf", content_type: str = "application/pdf"):
        return SimpleUploadedFile(name, data, content_type=content_type)

    return make
