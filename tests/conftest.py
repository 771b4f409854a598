"""Shared fixtures: people, clients, sample files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

REPO = Path(__file__).resolve().parent.parent
SAMPLES = Path(os.environ.get("CV_SAMPLES_DIR", REPO.parent / "shared" / "cv-samples"))


def sample(name: str) -> Path:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"sample CVs not found at {SAMPLES} (set CV_SAMPLES_DIR)")
    return path


def sample_files(*suffixes: str) -> list[Path]:
    return sorted(p for p in SAMPLES.glob("dev-*") if p.suffix in suffixes)


@pytest.fixture(autouse=True)
def _embedded_defaults(settings, tmp_path):
    """Every test: local extractor, no model key, its own upload folder, and
    a fresh cache (rate-limit counters live there)."""
    from django.core.cache import cache

    cache.clear()
    settings.EXTRACTOR = "local"
    settings.ANTHROPIC_API_KEY = ""
    settings.UPLOAD_DIR = tmp_path / "uploads"
    settings.UPLOAD_DIR.mkdir()


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.com", "pw-alice-123")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("staff", "staff@example.com", "pw-staff-1")


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
