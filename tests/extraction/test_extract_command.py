"""`manage.py extract FILE` (SPEC E-7)."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from extraction.models import CacheEntry
from extraction.resume import validate
from tests.conftest import REPO, SAMPLES, each_sample, sample, sample_files
from tests.extraction import badfiles as bf
from tests.processes import child_env

SAMPLE_FILES = sample_files("dev-*", (".pdf", ".docx", ".txt"))


@pytest.mark.django_db
@pytest.mark.parametrize("path", each_sample(SAMPLE_FILES))
def test_every_sample_prints_a_valid_json_resume(path):
    out = StringIO()
    call_command("extract", str(path), "--no-cache", stdout=out)
    doc = json.loads(out.getvalue())
    validate(doc)
    assert doc["basics"]["name"]


@pytest.mark.django_db
def test_the_cache_is_filled_and_then_used(tmp_path):
    path = tmp_path / "cv.txt"
    path.write_bytes(bf.txt_utf8("Jane Example\njane@example.com\n"))
    first, second = StringIO(), StringIO()
    call_command("extract", str(path), stdout=first)
    assert CacheEntry.objects.count() == 1
    call_command("extract", str(path), stdout=second)
    assert first.getvalue() == second.getvalue()
    assert CacheEntry.objects.get().hits == 1


@pytest.mark.django_db
def test_bad_input_is_one_line_and_nonzero(tmp_path):
    png = tmp_path / "cv.pdf"
    png.write_bytes(bf.png_bytes())
    with pytest.raises(CommandError, match="unsupported_type"):
        call_command("extract", str(png))
    with pytest.raises(CommandError, match="no such file"):
        call_command("extract", str(tmp_path / "missing.pdf"))


def test_from_the_shell_it_exits_nonzero_with_one_line(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    env_db = {"DATA_DIR": str(tmp_path / "data")}

    result = subprocess.run(
        [sys.executable, "manage.py", "extract", str(empty)],
        cwd=REPO,
        env=child_env(env_db, drop=("PYTEST",)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0
    assert "empty" in result.stderr.lower()


def test_samples_are_present():
    sample("manifest.csv")  # without the folder: skips here, fails in CI
    assert SAMPLE_FILES, f"no sample CVs found in {SAMPLES}"
