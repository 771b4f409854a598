"""Third-party JSON Resume themes from npm render what cv2web hands out (issue 16,
point 2): the every-section document's public and owner resume.json, an extracted
document and a name-only one, each as served, with seven popular themes pinned in
tools/cvcorpus/themes/package-lock.json.

The themes are installed with `npm ci` into a cache outside the repository
(`CV2WEB_THEMES_CACHE`, default ~/.cache/cv2web-themes), one folder per lock file,
so only the first run downloads. Where node or npm is missing or the install
fails, the tests skip and say why, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from rest_framework.test import APIClient

from extraction.extractors import get_extractor
from extraction.resume import clean, validate
from portfolios.site import Privacy, public_document, resume_json
from tests.portfolios.test_roundtrip import EVERY_SECTION, _upload_and_publish

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
LOCK_DIR = ROOT / "tools" / "cvcorpus" / "themes"
RENDER = Path(__file__).with_name("render_theme.js")
THEMES = (
    "jsonresume-theme-even",
    "jsonresume-theme-elegant",
    "jsonresume-theme-stackoverflow",
    "jsonresume-theme-macchiato",
    "jsonresume-theme-kendall",
    "jsonresume-theme-paper",
    "jsonresume-theme-caffeine",
)
TEXT_CV = """Maria Gonzalez
Backend developer
maria.gonzalez@example.com | +34 600 123 456 | Madrid, Spain

EXPERIENCE
Senior Developer, Acme Corp
January 2019 - Present
- Built the payments API
- Led a team of four

Developer, Widgets SL
March 2015 - December 2018
- Wrote the billing service

EDUCATION
BSc Computer Science, Universidad de Madrid, 2011 - 2015

SKILLS
Python, Django, PostgreSQL
"""


def _unavailable(why: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"third-party themes cannot be installed in CI: {why}")
    pytest.skip(f"third-party themes cannot be installed here: {why}")


@pytest.fixture(scope="module")
def node_modules() -> Path:
    if not shutil.which("node") or not shutil.which("npm"):
        _unavailable("node and npm are needed (Debian: apt-get install nodejs npm)")
    files = [LOCK_DIR / "package.json", LOCK_DIR / "package-lock.json"]
    key = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:16]
    cache = Path(os.environ.get("CV2WEB_THEMES_CACHE") or Path.home() / ".cache/cv2web-themes")
    where = cache / key
    where.mkdir(parents=True, exist_ok=True)
    done = where / "node_modules" / ".package-lock.json"
    with open(where / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one install at a time (pytest -n)
        if not done.exists():
            for f in files:
                shutil.copy(f, where / f.name)
            try:
                run = subprocess.run(
                    ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                    cwd=where,
                    capture_output=True,
                    text=True,
                    timeout=900,
                )
            except subprocess.TimeoutExpired:
                _unavailable("npm ci took more than 15 minutes")
            if run.returncode != 0 or not done.exists():
                _unavailable(f"npm ci failed: {run.stderr[-500:]}")
    return where / "node_modules"


def _served_documents(api: APIClient) -> dict[str, bytes]:
    job, portfolio = _upload_and_publish(api, EVERY_SECTION)
    owner = APIClient()
    owner.credentials(HTTP_X_MANAGE_TOKEN=portfolio["manage_token"])
    extracted, _ = clean(
        get_extractor("local").extract(TEXT_CV, deadline=time.monotonic() + 30).resume
    )
    assert extracted["basics"]["name"] == "Maria Gonzalez" and extracted.get("work")
    name_only = {"basics": {"name": "Nora Short"}}
    for doc in (extracted, name_only):
        validate(doc)
    return {
        "every-section-public": api.get(urlsplit(portfolio["url"]).path + "resume.json").content,
        "every-section-owner": owner.get(
            f"/api/v1/portfolios/{portfolio['id']}/download/resume.json"
        ).content,
        "extracted-public": resume_json(public_document(extracted)),
        "extracted-owner": resume_json(extracted),
        "name-only": resume_json(public_document(name_only)),
        # References ticked (issue 16 point 2), one of them without a name.
        "references-public": resume_json(
            public_document(
                {
                    **EVERY_SECTION,
                    "references": [
                        *EVERY_SECTION.get("references", []),
                        {"reference": "Words from a referee who left no name."},
                    ],
                },
                Privacy(references=True),
            )
        ),
    }


NAMES = {
    "every-section-public": "Ada Example",
    "every-section-owner": "Ada Example",
    "extracted-public": "Maria Gonzalez",
    "extracted-owner": "Maria Gonzalez",
    "name-only": "Nora Short",
    "references-public": "Ada Example",
}


def test_popular_themes_render_every_served_resume_json(api, node_modules, tmp_path):
    served = _served_documents(api)
    paths = []
    for name, content in served.items():
        path = tmp_path / f"{name}.json"
        path.write_bytes(content)
        validate(json.loads(content))
        paths.append(str(path))
    failures = []
    for theme in THEMES:
        run = subprocess.run(
            ["node", str(RENDER), str(node_modules), theme, *paths],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, f"{theme}: {run.stderr[-800:]}"
        rows = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
        assert len(rows) == len(paths), f"{theme}: {run.stdout[-500:]}"
        for row in rows:
            name = Path(row["file"]).stem
            if not row["ok"]:
                failures.append(f"{theme} on {name}: {row['error'][:300]}")
            elif NAMES[name] not in row["html"]:
                failures.append(f"{theme} on {name}: the person's name is not on the page")
    assert not failures, "\n".join(failures)
