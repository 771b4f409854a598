"""The PDF round trip (issue 15, acceptance 1).

Every ground-truth document of shared/cv-samples is published in each of the
three themes, exported as a PDF, and read back by the project's own reader
(`extraction.readers`) and local extractor: name, e-mail, phone, employers,
positions, dates and institutions must agree with the document they came from
(the issue's target: 95 % of the values), counted over all documents and themes
together with the sample scorer's own rules (`score.py` beside the samples:
name and e-mail exact after normalising, phone by its last 9 digits, entries
aligned by employer / institution and a missed entry counted wrong, dates to
the month). The figures are printed (`pytest -s`).

And `pdftotext` (poppler-utils) reads a page's text in reading order.
"""

from __future__ import annotations

import importlib.util
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from extraction.extractors.local import LocalExtractor
from extraction.readers import read_document
from extraction.resume import normalise
from portfolios.site import pdf as site_pdf
from portfolios.themes import THEMES
from tests.conftest import IN_CI, SAMPLES, each_sample, sample, sample_files
from tests.portfolios.test_pdf import needs_pdf

GROUND_TRUTH = [p.name for p in sample_files("dev-*.json")]
BASE_URL = "https://cv.example.org/p/person/"
TARGET = 0.95
# Every field must reach the target. Positions were the last to: a
# title printed above an employer line of its own ("Rails Developer - Acme"
# over "Acme") had the employer cut off it a second time, and an employer
# written in lower case, or one the line model read as entry text, lost its
# whole entry (local rules 10). Still missed: two titles of over 60
# characters, which the modern and minimal themes print on one line and the
# line model reads as entry text (4 of the 168 positions over three themes).
FLOORS = dict.fromkeys(
    ("name", "email", "phone", "employers", "positions", "dates", "institutions"), TARGET
)
# The fields, as the scorer names them (entries end to end: a missed
# entry counts as a wrong value).
FIELDS = {
    "name": ["basics.name"],
    "email": ["basics.email"],
    "phone": ["basics.phone"],
    "employers": ["work.name@e2e"],
    "positions": ["work.position@e2e"],
    "dates": [
        "work.startDate@e2e",
        "work.endDate@e2e",
        "education.startDate@e2e",
        "education.endDate@e2e",
    ],
    "institutions": ["education.institution@e2e"],
}


def scorer():
    spec = importlib.util.spec_from_file_location("_sample_score", sample("score.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _round_trip_one(job: tuple[str, str, str]) -> tuple[str, str, dict]:
    """Publish one document in one theme as a PDF, read it back: (theme, name, read)."""
    theme, name, folder = job
    truth = json.loads((SAMPLES / name).read_text("utf-8-sig"))
    path = Path(folder) / f"{Path(name).stem}-{theme}.pdf"
    path.write_bytes(site_pdf.render_pdf(normalise(truth)[0], theme, base_url=BASE_URL))
    text = read_document(path, "pdf").text
    read = LocalExtractor().extract(text, deadline=time.monotonic() + 60).resume
    return theme, name, read


@pytest.fixture(scope="session")
def round_trip(tmp_path_factory):
    """Each (theme, document): its truth, the PDF's path and what the local
    extractor read back. Made once per session, on every core (two forked
    workers: rendering is CPU work, and the documents are independent)."""
    needs_pdf()
    if not GROUND_TRUTH:
        sample("dev-01.json")  # skips (fails in CI) saying where the samples are
    folder = tmp_path_factory.mktemp("pdf-round-trip")
    jobs = [(theme, name, str(folder)) for theme in THEMES for name in GROUND_TRUTH]
    started = time.perf_counter()
    workers = max(1, min(len(os.sched_getaffinity(0)), 4))
    if workers > 1:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            results = list(pool.map(_round_trip_one, jobs))
    else:
        results = [_round_trip_one(job) for job in jobs]
    out = {}
    for theme, name, read in results:
        truth = json.loads((SAMPLES / name).read_text("utf-8-sig"))
        out[(theme, name)] = (truth, folder / f"{Path(name).stem}-{theme}.pdf", read)
    print(
        f"\nPDF round trip: {len(out)} PDFs made and read back in "
        f"{time.perf_counter() - started:.1f} s ({workers} workers)"
    )
    return out


def test_the_local_extractor_reads_back_what_each_theme_printed(round_trip):
    score = scorer()
    overall = score.Tally()
    per_theme = {theme: score.Tally() for theme in THEMES}
    for (theme, _name), (truth, _path, read) in round_trip.items():
        tally = score.score_document(truth, read, [])
        overall.merge(tally)
        per_theme[theme].merge(tally)

    def agreement(tally) -> dict[str, tuple[float, float]]:
        return {
            field: (
                sum(tally.correct.get(k, 0.0) for k in keys),
                sum(tally.total.get(k, 0.0) for k in keys),
            )
            for field, keys in FIELDS.items()
        }

    totals = agreement(overall)
    by_theme = {theme: agreement(tally) for theme, tally in per_theme.items()}
    print(f"\nPDF round-trip agreement over {len(GROUND_TRUTH)} documents x {len(THEMES)} themes:")
    print(f"  {'field':12}" + "".join(f" {t:>8}" for t in THEMES) + "      all  (n)  floor")
    for field, (correct, total) in totals.items():
        cells = "".join(
            f" {c / t:8.3f}" if t else f" {'-':>8}"
            for c, t in (by_theme[theme][field] for theme in THEMES)
        )
        print(
            f"  {field:12}{cells} {correct / total if total else 0:8.3f} "
            f"({total:.0f})  {FLOORS[field]:.2f}"
        )
    assert all(total for _, total in totals.values()), totals
    below_target = {f: round(c / t, 3) for f, (c, t) in totals.items() if c / t < TARGET}
    print(f"  below the target {TARGET}: {below_target or 'none'}")
    low = {f: round(c / t, 3) for f, (c, t) in totals.items() if c / t < FLOORS[f]}
    assert not low, f"below their floors {FLOORS}: {low}"


def words(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


@pytest.mark.parametrize("theme", list(THEMES))
@pytest.mark.parametrize("name", each_sample(GROUND_TRUTH[-1:]))
def test_pdftotext_reads_the_page_in_reading_order(round_trip, theme, name):
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        why = "pdftotext (Debian poppler-utils) is not installed"
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)
    truth, path, _ = round_trip[(theme, name)]
    text = words(
        subprocess.run(
            [pdftotext, str(path), "-"], capture_output=True, text=True, check=True, timeout=60
        ).stdout
    )
    doc = normalise(truth)[0]
    basics = doc["basics"]
    # The person first, then each job as the page shows it: its title, the
    # employer, then its dates; jobs in the document's order.
    expected = [basics["name"], basics["email"]]
    for job in doc.get("work", []):
        expected += [job["position"], job["name"]]
    expected += [e["institution"] for e in doc.get("education", [])]
    at = 0
    for value in expected:
        found = text.find(words(value), at)
        assert found >= 0, (
            f"{value!r} not found after offset {at} in {theme}: {text[at : at + 300]!r}"
        )
        at = found + len(words(value))
