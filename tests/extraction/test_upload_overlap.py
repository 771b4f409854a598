"""An upload's probe runs beside the request's own work (issue 13): the child
parses the file while the request seals and stores it, and the queue class is
asked before the transaction, not under the queue's lock."""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from extraction import crypto, intake
from extraction.errors import BadFile
from extraction.models import Document, ExtractionJob, Priority
from extraction.readers import children, pdf
from tests.extraction.badfiles import pdf_image_only, pdf_with_text

pytestmark = pytest.mark.django_db

PAUSE_S = 0.4


def _log_interval(log: str, label: str, began: float) -> None:
    with open(log, "a") as out:
        out.write(json.dumps([label, began, time.time()]) + "\n")


def _slow_probe(path: str, limits, log: str):
    """The real probe, in the pool child, after a pause it writes down."""
    began = time.time()
    time.sleep(PAUSE_S)
    try:
        return pdf._probe_pdf_child(path, limits)
    finally:
        _log_interval(log, "probe", began)


@pytest.fixture
def slow_probe(monkeypatch, tmp_path, settings):
    settings.EXTRACTION_PROBE_POOL_SIZE = 1
    log = str(tmp_path / "intervals.jsonl")

    # A partial of a module-level function: it pickles for the pool child.
    monkeypatch.setattr(children, "_probe_pdf_child", functools.partial(_slow_probe, log=log))
    seal = crypto.seal_file

    def slow_seal(path, data):
        began = time.time()
        time.sleep(PAUSE_S)
        seal(path, data)
        _log_interval(log, "seal", began)

    monkeypatch.setattr(crypto, "seal_file", slow_seal)

    def intervals() -> dict[str, tuple[float, float]]:
        rows = [json.loads(line) for line in Path(log).read_text().splitlines()]
        return {label: (began, ended) for label, began, ended in rows}

    return intervals


def test_the_child_probes_while_the_request_seals_the_file(slow_probe):
    job = intake.accept(SimpleUploadedFile("cv.pdf", pdf_with_text(), "application/pdf"))
    assert job.document.pages == 1
    seen = slow_probe()
    (probe_began, probe_ended), (seal_began, seal_ended) = seen["probe"], seen["seal"]
    # The two pauses overlap: neither waited for the other to end.
    assert seal_began < probe_ended and probe_began < seal_ended


def test_a_file_the_probe_refuses_is_removed_after_the_overlapped_seal(slow_probe, settings):
    with pytest.raises(BadFile) as refused:
        intake.accept(SimpleUploadedFile("scan.pdf", pdf_image_only(), "application/pdf"))
    assert refused.value.code == "no_text_layer"
    assert "seal" in slow_probe()  # it was sealed meanwhile, and then removed
    assert not any(Path(settings.UPLOAD_DIR).iterdir())
    assert not Document.objects.exists() and not ExtractionJob.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_queue_class_is_asked_before_the_transaction():
    asked_inside: list[bool] = []

    def priority() -> int:
        asked_inside.append(connection.in_atomic_block)
        return Priority.RETURNING

    job = intake.accept(
        SimpleUploadedFile("cv.pdf", pdf_with_text(), "application/pdf"), priority=priority
    )
    assert job.priority == Priority.RETURNING
    assert asked_inside == [False]
