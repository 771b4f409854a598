"""Sandboxes, `files` backend (SPEC P-2): a directory of generated files per
portfolio under DATA_DIR/sandboxes, built from the database, served as is."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.cache import cache

from extraction.resume import in_schema_order

from . import gate, links
from .models import Portfolio, State
from .site import (
    Privacy,
    SiteFile,
    check_quality,
    render_owner_archive,
    render_site,
    render_vcard,
    resume_json,
)
from .site import pdf as site_pdf
from .themes import theme_stylesheet

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
# Raised whenever what a sandbox may publish changes: a sandbox written under
# an older format is rebuilt on its next request, never served. Format 2: the
# public files carry only what the page shows (issue 10 item 12); format 1
# sandboxes hold the whole document, street address and references included.
# Format 3: the person's privacy choices (hidden fields, noindex, passphrase)
# are applied, and the manifest says whether to send noindex and the gate.
FORMAT = 3


def privacy_from(values: dict) -> Privacy:
    """The choices as Portfolio field values ({show_email: ..., allow_indexing: ...},
    as publishing.privacy_fields makes them), as `portfolios.site` applies them."""
    return Privacy(
        email=values["show_email"],
        phone=values["show_phone"],
        city=values["show_city"],
        address=values["show_address"],
        index=values["allow_indexing"],
        references=values["show_references"],
    )


def privacy_of(portfolio: Portfolio) -> Privacy:
    """The person's choices, as `portfolios.site` applies them."""
    return privacy_from(
        {
            name: getattr(portfolio, name)
            for name in (
                "show_email",
                "show_phone",
                "show_city",
                "show_address",
                "allow_indexing",
                "show_references",
            )
        }
    )


def render(portfolio: Portfolio) -> list[SiteFile]:
    """The site's files, checked by the quality gate (QualityError otherwise)."""
    files = render_site(
        portfolio.resume,
        portfolio.theme,
        base_url=links.public_url(portfolio),
        slug=portfolio.slug,
        privacy=privacy_of(portfolio),
    )
    check_quality(files)
    return files


def manifest_of(portfolio: Portfolio, etags: dict[str, str]) -> dict:
    """What a sandbox says of itself besides its files: their ETags, whether
    search engines are asked not to index it, and its gate token (a passphrase
    gates it; see portfolios.gate). Read by PublicSiteMiddleware."""
    return {
        "format": FORMAT,
        "etags": etags,
        "noindex": not portfolio.allow_indexing,
        "gate": gate.token_of(portfolio.pk, portfolio.passphrase_hash),
    }


def _umask() -> int:
    """The process's umask, read without changing it (os.umask would, for every
    thread at once)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def build(portfolio: Portfolio, files: list[SiteFile] | None = None) -> Path:
    """Write the sandbox; readers see the old one or the new one, never half."""
    files = files if files is not None else render(portfolio)
    root = Path(settings.SANDBOX_DIR)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{portfolio.id}-", dir=root))
    # mkdtemp makes the folder 0700: a front server sending the files itself
    # (PORTFOLIO_ACCEL_REDIRECT_PREFIX) runs as another user and could not read
    # them. The folder gets what mkdir would give it under the process's umask,
    # as its files do (the systemd units in deploy/ set 0027 and let nginx's
    # user in through the group).
    staging.chmod(0o777 & ~_umask())
    etags = {}
    for f in files:
        if f.name not in FILES:
            continue
        (staging / f.name).write_bytes(f.content)
        etags[f.name] = '"' + hashlib.sha256(f.content).hexdigest()[:32] + '"'
    (staging / MANIFEST).write_text(json.dumps(manifest_of(portfolio, etags)))
    target = portfolio.sandbox_path
    # Two requests may rebuild the same sandbox at once (the first visits of an
    # outdated one, or a visit and an edit): each moves the current folder to a
    # name of its own, and one whose folder lost the race moves the winner's
    # away and tries again, so the last build wins, as it would one by one.
    for attempt in range(3):
        old: Path | None = staging.with_name(f"{staging.name}-old")
        try:
            target.rename(old)
        except FileNotFoundError:
            old = None
        try:
            staging.rename(target)
        except OSError:
            if attempt == 2:
                raise
            continue
        finally:
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        break
    if not Portfolio.objects.filter(pk=portfolio.pk).exists():
        # Erased while this was being built (erase removes the folder only
        # after its row is gone): nothing of an erased person may stay on disk.
        remove(portfolio)
    return target


def remove(portfolio: Portfolio) -> None:
    shutil.rmtree(portfolio.sandbox_path, ignore_errors=True)


def remove_orphans(older_than_seconds: float = 600, *, dry_run: bool = False) -> int:
    """Remove sandbox folders (and abandoned staging folders) that no portfolio
    holding a sandbox owns; returns how many. Only folders untouched for
    `older_than_seconds`, so a build in progress is never taken away."""
    root = Path(settings.SANDBOX_DIR)
    if not root.is_dir():
        return 0
    cutoff = time.time() - older_than_seconds
    candidates: dict[Path, str | None] = {}
    for path in root.iterdir():
        if not path.is_dir() or path.stat().st_mtime > cutoff:
            continue
        try:
            candidates[path] = str(uuid.UUID(path.name))
        except ValueError:
            candidates[path] = None  # ".<id>-xxxx" staging or ".<id>-old" leftovers
    live = {
        str(pk)
        for pk in Portfolio.objects.holding_sandbox()
        .filter(pk__in=[pk for pk in candidates.values() if pk])
        .values_list("pk", flat=True)
    }
    removed = 0
    for path, pk in candidates.items():
        if pk is None or pk not in live:
            removed += 1
            if not dry_run:
                shutil.rmtree(path, ignore_errors=True)
    return removed


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
        manifest = json.loads((portfolio.sandbox_path / MANIFEST).read_text())
    except (OSError, ValueError):
        manifest = {}
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        # Written by an older release (or half gone): may publish more than
        # the page shows, so the caller rebuilds it rather than serve it.
        return None
    if manifest.get("gate") != gate.token_of(portfolio.pk, portfolio.passphrase_hash) or (
        manifest.get("noindex") is not (not portfolio.allow_indexing)
    ):
        # Built before the person's latest choice reached it (a passphrase, or
        # noindex): PublicSiteMiddleware trusts the manifest alone, so it is
        # rebuilt rather than left to serve the files ungated.
        return None
    etags = manifest.get("etags") if isinstance(manifest.get("etags"), dict) else {}
    etag = etags.get(name) or '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
    return content, FILES[name], etag


class Unavailable(Exception):
    """The sandbox went missing and could not be built again."""


def read_or_rebuild(portfolio: Portfolio, name: str) -> tuple[bytes, str, str] | None:
    """`read`, after building the sandbox again if it went missing (removed by
    hand, a lost disk, an older format): the database has all it takes.
    Raises Unavailable when that build fails."""
    found = read(portfolio, name)
    if found is not None:
        return found
    log.warning("sandbox of %s missing; rebuilding", portfolio.pk)
    try:
        build(portfolio)
    except Exception as exc:  # any failure: the visitor is told, never a 500
        log.exception("rebuilding the sandbox of %s failed", portfolio.pk)
        raise Unavailable(str(portfolio.pk)) from exc
    return read(portfolio, name)


# The owner's downloads (SPEC P-7) carry the whole document. They are made on
# request and never written to the sandbox, whose every file is public.
def owner_resume_json(portfolio: Portfolio) -> bytes:
    """The whole stored document as `resume.json`, for its owner only."""
    return resume_json(in_schema_order(portfolio.resume))


def owner_archive(portfolio: Portfolio) -> bytes:
    """The site as a ZIP for its owner: the page, the whole `resume.json` and a full vCard."""
    return render_owner_archive(
        in_schema_order(portfolio.resume),
        portfolio.theme,
        base_url=links.public_url(portfolio),
        slug=portfolio.slug,
        privacy=privacy_of(portfolio),
    )


def owner_file(portfolio: Portfolio, name: str) -> tuple[bytes, str] | None:
    """(content, content type) of the owner's copy of a download, or None for another name."""
    if name == "resume.json":
        return owner_resume_json(portfolio), FILES[name]
    if name == "site.zip":
        return owner_archive(portfolio), FILES[name]
    if name == "contact.vcf":
        card = render_vcard(portfolio.resume if isinstance(portfolio.resume, dict) else {})
        return card.encode("utf-8"), FILES[name]
    return None


# --- The owner's PDF (issue 15) ----------------------------------------------------------
# Made on request, never written to the sandbox or to disk. Laying a page out
# takes a second or more of CPU, so a made PDF is kept in the cache under its
# inputs (the document, theme, paper, stylesheet), and a process lays out at
# most PORTFOLIO_PDF_MAX_CONCURRENT at once; a request that waits longer than
# PORTFOLIO_PDF_WAIT_S for a turn is told to retry (PdfBusy).


class PdfRefused(site_pdf.PdfError):
    """This portfolio has no PDF right now (archived, or being taken offline)."""

    code = "portfolio_archived"


class PdfBusy(site_pdf.PdfError):
    code = "pdf_busy"


_pdf_turns: threading.BoundedSemaphore | None = None
_pdf_turns_lock = threading.Lock()


def _turns() -> threading.BoundedSemaphore:
    global _pdf_turns
    with _pdf_turns_lock:
        if _pdf_turns is None:
            _pdf_turns = threading.BoundedSemaphore(settings.PORTFOLIO_PDF_MAX_CONCURRENT)
        return _pdf_turns


def parse_paper(value: str | None) -> str | None:
    """The paper asked for (the default when none is), or None for an unknown one."""
    if value is None or value == "":
        return settings.PORTFOLIO_PDF_PAPER
    value = value.strip().lower()
    return value if value in site_pdf.PAPER_SIZES else None


def pdf_filename(portfolio: Portfolio, paper: str) -> str:
    return f"{portfolio.slug}-{paper}.pdf"


def pdf_cache_key(portfolio: Portfolio, paper: str) -> str:
    doc = json.dumps(portfolio.resume, sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.sha256()
    for part in (
        doc,
        portfolio.theme,
        paper,
        site_pdf.RENDER_VERSION,
        hashlib.sha256(theme_stylesheet(portfolio.theme)).hexdigest(),
        links.public_url(portfolio),
        repr(privacy_of(portfolio)),
    ):
        digest.update(part.encode("utf-8") + b"\0")
    return f"portfolio-pdf:{digest.hexdigest()}"


def owner_pdf(portfolio: Portfolio, paper: str) -> bytes:
    """The portfolio page as a PDF on `paper` (a key of `site.pdf.PAPER_SIZES`).

    Raises KeyError for an unknown paper, PdfRefused when the portfolio is not
    online, PdfBusy when no turn freed in time, and `site.pdf.PdfError` (or
    PdfUnavailable) when the page could not be laid out; nothing is kept then.
    """
    site_pdf.paper_css(paper)
    if portfolio.state in (State.ARCHIVED, State.CLEANUP):
        raise PdfRefused(
            "This portfolio is archived: restore it to download its PDF. Its JSON Resume "
            "stays downloadable."
        )
    key = pdf_cache_key(portfolio, paper)
    found = cache.get(key)
    if isinstance(found, bytes):
        return found
    why = site_pdf.available()
    if why is not None:
        log.error("portfolio PDF unavailable: %s", why)
        raise site_pdf.PdfUnavailable("PDF export is not available on this server right now.")
    turns = _turns()
    if not turns.acquire(timeout=settings.PORTFOLIO_PDF_WAIT_S):
        raise PdfBusy("Many PDFs are being made right now; try again in a few seconds.")
    try:
        found = cache.get(key)  # made by another request while this one waited
        if isinstance(found, bytes):
            return found
        try:
            content = site_pdf.render_pdf(
                in_schema_order(portfolio.resume),
                portfolio.theme,
                paper=paper,
                base_url=links.public_url(portfolio),
                privacy=privacy_of(portfolio),
            )
        except site_pdf.PdfError:
            raise
        except Exception as exc:  # the layout engine's own failure: words, never a 500
            log.exception("laying out the PDF of %s failed", portfolio.pk)
            raise site_pdf.PdfError(
                "We could not lay this portfolio out as a PDF. Your portfolio is unchanged; "
                "try another theme, or download the JSON Resume or the website instead."
            ) from exc
    finally:
        turns.release()
    if settings.PORTFOLIO_PDF_CACHE_S:
        cache.set(key, content, settings.PORTFOLIO_PDF_CACHE_S)
    return content
