"""Issue 16, acceptance 1: a Python client generated in the test run from the
live /api/schema/ (openapi-python-client, as an API consumer would) uploads a
CV, polls it to `succeeded`, lists jobs page by page, publishes, reads and
deletes a portfolio, and gets a 429 and a 404 as typed `Error` objects.

Each step fails if the schema lies: a file field declared as a string sends
text (400 `no_file`), a list declared as an array cannot parse a page, an
undeclared error status is no `Error`, a JSON Resume typed "any" has no
`basics.name` attribute."""

from __future__ import annotations

import importlib
import subprocess
import sys
import time
from pathlib import Path

import pytest

from extraction import queue, runner
from tests.conftest import sample

pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = "cv2web_client"
# The generator knows binary bodies as application/octet-stream; a PDF is one
# (its documented content_type_overrides option), so the PDF export gets a call too.
CONFIG = (
    f"post_hooks: []\nproject_name_override: {PACKAGE}\npackage_name_override: {PACKAGE}\n"
    "content_type_overrides:\n  application/pdf: application/octet-stream\n"
)


def generate_client(schema_url: str, where: Path):
    """openapi-python-client's command line, on the served schema; the package imported."""
    config = where / "config.yaml"
    config.write_text(CONFIG)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--url",
            schema_url,
            "--meta",
            "none",
            "--config",
            str(config),
            "--output-path",
            str(where / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    # The generator warns about what it could not turn into code: none may be.
    assert "Warning" not in out.stdout + out.stderr, out.stdout[-3000:] + out.stderr[-3000:]
    sys.path.insert(0, str(where))
    try:
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))


def api(name: str):
    return importlib.import_module(f"{PACKAGE}.api.v1.{name}")


def models():
    return importlib.import_module(f"{PACKAGE}.models")


def run_queue() -> None:
    """The worker's part, in this process: claim and run every ready job."""
    while (job := queue.claim_next("client-test-worker")) is not None:
        runner.run_job(job)


def test_a_client_generated_from_the_live_schema_does_the_whole_journey(
    live_server, alice, settings, tmp_path
):
    from quotas.models import ApiToken

    # One extraction a day, so that the second file meets the quota (429).
    settings.QUOTA_TIERS = {
        tier: {**limits, "extractions_per_day": 1} for tier, limits in settings.QUOTA_TIERS.items()
    }
    generated = generate_client(f"{live_server.url}/api/schema/?format=json", tmp_path)
    m = models()
    from cv2web_client.types import UNSET, File  # type: ignore[import-not-found]

    _, key = ApiToken.issue(alice, "generated client")
    client = generated.AuthenticatedClient(
        base_url=live_server.url, token=key, prefix="Token", raise_on_unexpected_status=True
    )
    cv = sample("dev-03-paper.pdf").read_bytes()

    def upload(data: bytes, name: str):
        body = m.UploadRequest(file=File(payload=data, file_name=name, mime_type="application/pdf"))
        return api("v1_extractions_create").sync_detailed(client=client, body=body)

    # Upload: the file goes as a file (binary), answered 202 with a Location.
    accepted = upload(cv, "cv.pdf")
    assert accepted.status_code == 202, accepted.content[:500]
    job = accepted.parsed
    assert isinstance(job, m.Uploaded)
    assert accepted.headers["Location"].endswith(f"/api/v1/extractions/{job.id}")
    assert int(accepted.headers["X-Quota-Remaining"]) == 0

    # Poll to `succeeded` (the worker runs between polls).
    deadline = time.monotonic() + 30
    while True:
        polled = api("v1_extractions_retrieve").sync_detailed(client=client, id=job.id)
        assert polled.status_code == 200
        assert "ETag" in polled.headers
        if polled.parsed.status.value in ("succeeded", "failed") or time.monotonic() > deadline:
            break
        run_queue()
    done = polled.parsed
    assert done.status.value == "succeeded", done.error
    assert isinstance(done.result, m.JsonResume)
    assert isinstance(done.result.basics, m.JsonResumeBasics)
    assert done.result.basics.name

    # The same file again is answered from the cache (201) and free.
    cached = upload(cv, "again.pdf")
    assert cached.status_code == 201 and cached.parsed.cached is True

    # A second file: the day's allowance is used up, a typed 429.
    refused = upload(b"Second Person\nsecond@example.com\n", "other.txt")
    assert refused.status_code == 429
    assert isinstance(refused.parsed, m.Error)
    assert refused.parsed.error == "quota_exceeded" and refused.parsed.message
    assert int(refused.headers["Retry-After"]) > 0

    # Jobs, one a page: a paginated object, its next page by `offset`.
    listing = api("v1_extractions_list")
    first = listing.sync(client=client, limit=1)
    assert isinstance(first, m.PaginatedExtractionJobList)
    assert first.count == 2 and len(first.results) == 1 and first.next_
    second = listing.sync(client=client, limit=1, offset=1)
    assert len(second.results) == 1 and second.next_ is None and second.previous
    assert {first.results[0].id, second.results[0].id} == {job.id, cached.parsed.id}

    # Publish from the job, read the portfolio (its JSON Resume typed), delete it.
    published = api("v1_portfolios_create").sync_detailed(
        client=client, body=m.PublishRequest(extraction=job.id)
    )
    assert published.status_code == 201, published.content[:500]
    portfolio = published.parsed
    assert isinstance(portfolio, m.Published) and portfolio.url
    read = api("v1_portfolios_retrieve").sync(client=client, id=portfolio.id)
    assert isinstance(read, m.Portfolio)
    assert read.resume.basics.name == done.result.basics.name
    assert read.resume.basics.email is UNSET or isinstance(read.resume.basics.email, str)
    deleted = api("v1_portfolios_destroy").sync_detailed(client=client, id=portfolio.id)
    assert deleted.status_code == 204

    # It is gone: a typed 404.
    gone = api("v1_portfolios_retrieve").sync_detailed(client=client, id=portfolio.id)
    assert gone.status_code == 404
    assert isinstance(gone.parsed, m.Error) and gone.parsed.error == "not_found"
