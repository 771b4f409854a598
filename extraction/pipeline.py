"""One document through reader, extractor and the data model: the single code
path shared by queue workers and `manage.py extract`."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from . import readers, resume
from .errors import ExtractorUnavailable
from .extractors import Outcome, configured_name, get_extractor
from .readers import read_document
from .resume import apply_snapshot_limits, disagreement, with_language

log = logging.getLogger("cv2web.extraction")

FALLBACK_WARNING = "Basic extraction; AI temporarily unavailable."


@dataclass
class PipelineResult:
    resume: dict
    outcome: Outcome
    warnings: list[str] = field(default_factory=list)
    # False when the answer came from the fallback extractor: it must not be
    # cached under the fingerprint of the extractor that was asked for.
    cacheable: bool = True
    size_bytes: int = 0


def extract_with_fallback(text: str, extractor_name: str, deadline: float) -> tuple[Outcome, bool]:
    """Run the extractor; when the model cannot answer, the local rules do."""
    extractor = get_extractor(extractor_name)
    try:
        return extractor.extract(text, deadline=deadline), True
    except ExtractorUnavailable as exc:
        if extractor.name == "local":
            raise
        log.warning(
            "extractor %s unavailable (%s); falling back to local", extractor.name, exc.code
        )
        outcome = fallback(text, deadline)
        outcome.ratelimit = getattr(extractor, "last_ratelimit", {}) or outcome.ratelimit
        return outcome, False


def run(
    path: Path,
    kind: str,
    extractor_name: str,
    *,
    deadline: float | None = None,
    fall_back: bool = False,
) -> PipelineResult:
    """Read `path` and extract a JSON Resume document within `deadline`.

    `fall_back`: the model already gave an unusable answer for this document
    (a model batch's item): the local extractor answers, as after a failed call.
    """
    deadline = deadline or time.monotonic() + settings.EXTRACTION_TIMEOUT_S
    read = read_document(path, kind)
    if fall_back:
        outcome, cacheable = fallback(read.text, deadline), False
    else:
        outcome, cacheable = extract_with_fallback(read.text, extractor_name, deadline)
    # The CV's language, told from its whole text (the site speaks it: issue 15 point 2).
    outcome.resume = with_language(outcome.resume, read.text)
    result = finish(outcome, read.warnings, cacheable=cacheable)
    # When the model answered, a second reading flags where it differs (issue 15 point 3).
    cross_check(result, read.text, deadline)
    return result


def finish(outcome: Outcome, read_warnings: list[str], *, cacheable: bool) -> PipelineResult:
    """An extractor's outcome through the data model's limits (also for answers
    that come back later, from a model batch)."""
    resume, notes = apply_snapshot_limits(outcome.resume)
    warnings = list(dict.fromkeys([*read_warnings, *outcome.warnings, *notes]))
    size = len(json.dumps(resume, ensure_ascii=False).encode())
    return PipelineResult(
        resume=resume, outcome=outcome, warnings=warnings, cacheable=cacheable, size_bytes=size
    )


def cross_check(result: PipelineResult, text: str, deadline: float) -> None:
    """When the model answered, the local extractor reads the same text too, and
    every field where the two readings differ is marked "disagree" in the
    outcome's confidence, for the review page (issue 15, point 3). The answer
    itself is never changed.

    A second opinion, not a step the job needs: should the local extractor
    crash or take longer than `EXTRACTION_CROSS_CHECK_TIMEOUT_S` (or the time
    the job has left), the model's answer is kept without flags and the
    reason is logged. The reading runs in a thread so that a slow one can be
    left behind; it ends by itself (the local rules are linear in the text,
    which is capped at EXTRACTION_MAX_TEXT_CHARS).
    """
    outcome = result.outcome
    if not settings.EXTRACTION_CROSS_CHECK or outcome.extractor == "local":
        return
    budget = min(settings.EXTRACTION_CROSS_CHECK_TIMEOUT_S, deadline - time.monotonic())
    if budget <= 0:
        log.warning("cross-check skipped: no time left before the job's deadline")
        return
    box: dict = {}

    def second_reading() -> None:
        try:
            second = get_extractor("local").extract(text, deadline=time.monotonic() + budget)
            second_doc, _notes = apply_snapshot_limits(second.resume)
            box["flags"] = disagreement.compare(result.resume, second_doc)
        except BaseException as exc:  # noqa: BLE001 - reported below, never raised
            box["error"] = exc

    started = time.monotonic()
    reader = threading.Thread(target=second_reading, name="cross-check", daemon=True)
    reader.start()
    reader.join(budget)
    if reader.is_alive():
        log.warning(
            "cross-check: the local extractor took more than %.1f s; the %s answer is kept "
            "without flags",
            budget,
            outcome.extractor,
        )
        return
    if "error" in box:
        err = box["error"]
        log.warning(
            "cross-check: the local extractor failed (%s); the %s answer is kept without flags",
            type(err).__name__,
            outcome.extractor,
            exc_info=(type(err), err, err.__traceback__),
        )
        return
    flags = box.get("flags") or {}
    outcome.confidence = {**outcome.confidence, **flags}
    log.info(
        "cross-check: %d field(s) where the local extractor reads otherwise (%d ms)",
        len(flags),
        int((time.monotonic() - started) * 1000),
    )


def fallback(text: str, deadline: float) -> Outcome:
    """The local extractor's answer where the model's cannot be had, with its warning."""
    outcome = get_extractor("local").extract(text, deadline=deadline)
    outcome.warnings = [FALLBACK_WARNING, *outcome.warnings]
    return outcome


def warm_up() -> None:
    """Import parsers, the schema validator and the extractor in this process.

    Called in the `qcluster` parent before it forks its workers: each worker
    then starts warm instead of all of them importing at once on first use.
    """
    readers._preload_parsers()
    resume._get_validator()
    get_extractor("local")
    if configured_name() == "claude":
        get_extractor("claude")
