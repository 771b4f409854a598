"""Sandboxes, `files` backend (SPEC P-2): a directory of generated files per
portfolio under DATA_DIR/sandboxes, built from the database, served as is."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from pathlib import Path

from django.conf import settings

from .models import Portfolio
from .site import SiteFile, check_quality, render_site

log = logging.getLogger("cv2web.portfolios")

# What a sandbox may serve, and as what.
FILES = {
    "index.html": "text/html; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "resume.json": "application/json; charset=utf-8",
    "contact.vcf": "text/vcard; charset=utf-8",
    "site.zip": "application/zip",
}
MANIFEST = ".etags.json"


def public_url(portfolio: Portfolio) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/p/{portfolio.slug}/"


def render(portfolio: Portfolio) -> list[SiteFile]:
    """The site's files, checked by the quality gate (QualityError otherwise)."""
    files = render_site(
        portfolio.resume, portfolio.theme, base_url=public_url(portfolio), slug=portfolio.slug
    )
    check_quality(files)
    return files


def build(portfolio: Portfolio, files: list[SiteFile] | None = None) -> Path:
    """Write the sandbox; readers see the old one or the new one, never half."""
    files = files if files is not None else render(portfolio)
    root = Path(settings.SANDBOX_DIR)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{portfolio.id}-", dir=root))
    etags = {}
    for f in files:
        if f.name not in FILES:
            continue
        (staging / f.name).write_bytes(f.content)
        etags[f.name] = '"' + hashlib.sha256(f.content).hexdigest()[:32] + '"'
    (staging / MANIFEST).write_text(json.dumps(etags))
    target = portfolio.sandbox_path
    old = None
    if target.exists():
        old = target.with_name(f".{portfolio.id}-old")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    staging.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return target


def remove(portfolio: Portfolio) -> None:
    shutil.rmtree(portfolio.sandbox_path, ignore_errors=True)


def exists(portfolio: Portfolio) -> bool:
    return (portfolio.sandbox_path / "index.html").is_file()


def read(portfolio: Portfolio, name: str) -> tuple[bytes, str, str] | None:
    """(content, content type, ETag) of one served file, or None."""
    if name not in FILES:
        return None
    path = portfolio.sandbox_path / name
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        etags = json.loads((portfolio.sandbox_path / MANIFEST).read_text())
    except (OSError, ValueError):
        etags = {}
    etag = etags.get(name) or '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
    return content, FILES[name], etag
