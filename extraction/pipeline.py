"""One document through reader, extractor and the data model: the single code
path shared by queue workers and `manage.py extract`."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from . import readers, resume
from .errors import ExtractorUnavailable
from .extractors import Outcome, configured_name, get_extractor
from .readers import read_document
from .resume import apply_snapshot_limits, with_language

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
    return finish(outcome, read.warnings, cacheable=cacheable)


def finish(outcome: Outcome, read_warnings: list[str], *, cacheable: bool) -> PipelineResult:
    """An extractor's outcome through the data model's limits (also for answers
    that come back later, from a model batch)."""
    resume, notes = apply_snapshot_limits(outcome.resume)
    warnings = list(dict.fromkeys([*read_warnings, *outcome.warnings, *notes]))
    size = len(json.dumps(resume, ensure_ascii=False).encode())
    return PipelineResult(
        resume=resume, outcome=outcome, warnings=warnings, cacheable=cacheable, size_bytes=size
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
