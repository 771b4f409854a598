"""Publishing (SPEC P-1, P-5, P-7): every operation on a portfolio that goes
beyond one transition, each in one function: publish (or wait), go live,
hand freed places to the waiting list (`drain`), update, archive, restore,
erase. The top of portfolios' domain: it calls capacity, lifecycle, sandbox
and sends the e-mails; nothing below imports it.
(Over 400 lines: one module, because these operations share one error type,
one lock order and the helpers that tests replace here, e.g. make_slug.)"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from cv2web import instruments
from extraction.erasure import erase_documents_of
from extraction.resume import apply_snapshot_limits, clean
from monitoring import audit
from quotas.models import Tier
from quotas.policy import limits_for, tier_limits, tier_of

from . import access, capacity, emails, gate, lifecycle, sandbox
from .models import Portfolio, PortfolioRequest, RequestState, State, new_token
from .site import (
    SHOW_ALL,
    Privacy,
    QualityError,
    check_quality,
    extension_fields,
    render_site,
)
from .themes import THEMES

log = logging.getLogger("cv2web.portfolios")


class PublishError(Exception):
    """Refused with a machine code and a sentence."""

    def __init__(self, code: str, message: str, **extra) -> None:
        super().__init__(message)
        self.code, self.message, self.extra = code, message, extra


@dataclass
class Publication:
    """What a publication (or a restore) came to: a portfolio, or a place on the waiting list."""

    portfolio: Portfolio | None = None
    request: PortfolioRequest | None = None
    # The manage token, shown once: None when this publication existed already.
    token: str | None = None
    notes: list[str] | None = None

    @property
    def waiting(self) -> bool:
        return self.portfolio is None


def idempotency_key(scope: str, key: str) -> str:
    """The stored form of a caller's key: a hash of the caller and the key, so
    one caller's key can neither find nor block another's (IETF
    Idempotency-Key draft: keys are unique per client)."""
    return hashlib.sha256(f"{scope}\0{key}".encode()).hexdigest()


def request_digest(*parts: object) -> str:
    """A fingerprint of what was asked for: a key reused with another body is a conflict."""
    body = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def make_slug(resume: dict) -> str:
    """The site's address: the person's name and a random suffix. A site
    published behind a passphrase is given `slug_source(...)`'s empty document,
    so its address names nobody (see `slug_source`). An address without a
    name is all the secret a stranger lacks to find a gated site: its random
    part is 64 bits, not the 24 that keep two namesakes apart."""
    name = ((resume.get("basics") or {}).get("name") or "").strip()
    base = slugify(name)[:40].strip("-")
    if not base:
        return f"portfolio-{secrets.token_hex(8)}"
    return f"{base}-{secrets.token_hex(3)}"


def slug_source(resume: dict, chosen: dict) -> dict:
    """What `make_slug` may read: nothing of the person when a passphrase gates
    the site, whose address a stranger may see (shared links, logs, the gate
    page's own form) before giving the passphrase. A passphrase added later
    keeps the address the site already has."""
    return {} if chosen.get("passphrase_hash") else resume


# The privacy choices a caller may make (issue 15 point 5), as Portfolio fields.
PRIVACY_FLAGS = (
    "show_email",
    "show_phone",
    "show_city",
    "show_address",
    "show_references",
    "allow_indexing",
)


def privacy_fields(choices: dict | None, *, owned: bool, current: dict | None = None) -> dict:
    """The Portfolio field values for `choices` ({show_email: bool, ...,
    passphrase: str | None}), over `current` (a portfolio's values) or the
    defaults: everything shown but the street and the references, and search
    engines allowed only for a portfolio published from an account.
    `passphrase` absent keeps the current one, None (or "" from a form that
    says so) removes it; a passphrase is validated and hashed here (PublishError
    `invalid_passphrase`)."""
    choices = choices or {}
    out = (
        dict(current)
        if current is not None
        else {
            "show_email": True,
            "show_phone": True,
            "show_city": True,
            "show_address": False,
            # Third-party data: the referees did not agree to be published.
            "show_references": False,
            "allow_indexing": owned,
            "passphrase_hash": "",
        }
    )
    for flag in PRIVACY_FLAGS:
        if flag in choices and choices[flag] is not None:
            out[flag] = bool(choices[flag])
    if "passphrase" in choices:
        passphrase = choices["passphrase"]
        try:
            out["passphrase_hash"] = gate.make_hash(passphrase) if passphrase is not None else ""
        except gate.PassphraseError as exc:
            raise PublishError("invalid_passphrase", str(exc)) from None
    return out


def current_privacy(portfolio: Portfolio) -> dict:
    return {
        **{flag: getattr(portfolio, flag) for flag in PRIVACY_FLAGS},
        "passphrase_hash": portfolio.passphrase_hash,
    }


def prepare(resume: object, theme: str, privacy: Privacy = SHOW_ALL) -> tuple[dict, list[str]]:
    """Validate the document and the theme; render once through the quality gate,
    as the person's `privacy` choices show it (shown references can weigh more
    than the page budget allows)."""
    if theme not in THEMES:
        raise PublishError(
            "unknown_theme", f"There is no theme called {theme!r}.", themes=sorted(THEMES)
        )
    try:
        doc, warnings = clean(resume, keep_unknown=True)
    except ValueError as exc:
        raise PublishError("invalid_resume", f"The document is not valid JSON Resume: {exc}")
    doc, notes = apply_snapshot_limits(doc)
    if extras := extension_fields(doc):
        shown = ", ".join(extras[:5]) + (f" and {len(extras) - 5} more" if len(extras) > 5 else "")
        notes.append(
            f"Kept in your resume.json but not shown on the page nor in its public copy: {shown}."
        )
    found = doc.get("references")
    references: list = found if isinstance(found, list) else []
    if not privacy.references and any(
        isinstance(r, dict) and (r.get("name") or r.get("reference")) for r in references
    ):
        notes.append(
            "Kept in your resume.json but not published: your references (third-party data). "
            "Tick “Show my references” to show them."
        )
    if not ((doc.get("basics") or {}).get("name")):
        raise PublishError("name_required", "A portfolio needs at least your name.")
    try:
        check_quality(
            render_site(
                doc, theme, base_url="https://example.invalid/p/x/", slug="x", privacy=privacy
            )
        )
    except QualityError as exc:
        raise PublishError(
            "quality_gate", "The page did not pass our checks: " + "; ".join(exc.problems)
        )
    return doc, [*warnings, *notes]


def publish_for(
    request,
    *,
    resume: object,
    theme: str,
    email: str = "",
    source_job=None,
    key: str = "",
    digest: str = "",
    privacy: dict | None = None,
) -> Publication:
    """`publish` for the caller of `request` (a page or the API): their account
    or address, their tier and its limits, their idempotency `key` (none when
    empty) and `digest`, the fingerprint of what they asked for."""
    user = request.user
    limits = limits_for(user)
    return publish(
        resume=resume,
        theme=theme,
        owner=user,
        client=getattr(request, "client_bucket", ""),
        email=email,
        tier=tier_of(user),
        retention_hours=limits.retention_hours,
        active_limit=limits.active_portfolios,
        source_job=source_job,
        publish_key=idempotency_key(access.caller_scope(request), key) if key else None,
        publish_digest=digest,
        request=request,
        privacy=privacy,
    )


def publish(
    *,
    resume: object,
    theme: str,
    owner=None,
    client: str = "",
    email: str = "",
    tier: str = Tier.ANONYMOUS,
    retention_hours: int,
    active_limit: int,
    source_job=None,
    publish_key: str | None = None,
    publish_digest: str = "",
    request=None,
    privacy: dict | None = None,
) -> Publication:
    """Publish, or join the waiting list; the same `publish_key` twice gives
    the first answer again (a double-clicked Publish makes one portfolio).

    `publish_key` is already scoped to its caller (`idempotency_key`); the same
    key with another `publish_digest` is refused (409 `idempotency_conflict`).
    """
    if publish_key:
        existing = _existing(publish_key, publish_digest)
        if existing is not None:
            return existing
    owned_by_user = owner is not None and owner.is_authenticated
    # The limit is counted before any work on the document: a caller at the
    # limit costs one query, whatever it sends (SPEC S-4).
    counted = Portfolio.objects.counted_against(user=owner, client=client).holding_sandbox()
    if counted.count() >= active_limit:
        # Callers show `oldest` only to someone who controls it: behind a
        # shared address it may be someone else's (portfolios.access).
        oldest = counted.order_by("last_activity_at").first()
        raise PublishError(
            "portfolio_limit",
            f"You already have {active_limit} active portfolio"
            f"{'s' if active_limit != 1 else ''}, the most your account allows. "
            "Archive one to publish this one.",
            oldest=str(oldest.pk) if oldest else None,
        )
    chosen = privacy_fields(privacy, owned=owned_by_user)
    doc, notes = prepare(resume, theme, sandbox.privacy_from(chosen))
    token, token_hash = new_token()
    email = email or (owner.email if owned_by_user else "")
    common = dict(
        owner=owner if owned_by_user else None,
        client=client,
        email=email,
        tier=tier,
        source_job=source_job,
        publish_key=publish_key,
        publish_digest=publish_digest if publish_key else "",
        resume=doc,
        theme=theme,
        manage_token_hash=token_hash,
    )

    def create_portfolio(overflow: bool) -> Portfolio:
        now = timezone.now()
        for _ in range(5):
            try:
                with transaction.atomic():
                    created = Portfolio.objects.create(
                        **common,
                        **chosen,
                        slug=make_slug(slug_source(doc, chosen)),
                        retention_hours=retention_hours,
                        overflow=overflow,
                        last_activity_at=now,
                        warn_at=now + timedelta(hours=retention_hours),
                    )
                    instruments.portfolio_created()
                    return created
            except IntegrityError:
                if publish_key and _existing(publish_key, publish_digest):
                    raise
        raise PublishError("slug_collision", "Please try again.")

    def create_request() -> PortfolioRequest:
        return PortfolioRequest.objects.create(**common, privacy=chosen)

    try:
        made = capacity.admit(create_portfolio, create_request, tier)
    except IntegrityError:
        # A concurrent submission with the same key won the race.
        existing = _existing(publish_key, publish_digest) if publish_key else None
        if existing is None:
            raise
        return existing
    if isinstance(made, PortfolioRequest):
        audit.record("portfolio.waiting", request=request, actor=made.owner, obj=made)
        return Publication(request=made, token=token, notes=notes)
    go_live(made, request=request)
    if made.email:
        emails.send_published(made, token)
    return Publication(portfolio=made, token=token, notes=notes)


def go_live(portfolio: Portfolio, *, request=None) -> bool:
    """CREATING -> ACTIVE once the sandbox is written; abandoned if that fails."""
    try:
        with transaction.atomic():
            # Built from the row as it is now, locked as `update` locks it: the
            # caller's copy may predate a privacy choice saved meanwhile (a
            # passphrase set while the site was being made), and the sandbox's
            # manifest is all PublicSiteMiddleware asks before serving a file.
            fresh = Portfolio.objects.select_for_update().filter(pk=portfolio.pk).first()
            if fresh is None:
                return False  # erased meanwhile
            sandbox.build(fresh)
    except Exception:
        log.exception("sandbox build failed for %s", portfolio.pk)
        lifecycle.transition(portfolio, State.CLEANUP, reason="build failed")
        finish_cleanup(portfolio)
        raise
    now = timezone.now()
    moved = lifecycle.transition(
        portfolio,
        State.ACTIVE,
        request=request,
        published_at=portfolio.published_at or now,
        last_activity_at=now,
        warn_at=now + lifecycle.retention(portfolio),
    )
    if not moved and not Portfolio.objects.filter(pk=portfolio.pk, state=State.CREATING).exists():
        # Deleted or archived while it was being built: nothing may stay behind.
        sandbox.remove(portfolio)
    return moved


def publish_waiting(req: PortfolioRequest, *, overflow: bool) -> Portfolio | None:
    """Turn the first waiting request into a portfolio in CREATING (inside
    capacity's lock); the caller builds it with go_live() after the lock."""
    now = timezone.now()
    if req.restore:
        portfolio = req.portfolio
        PortfolioRequest.objects.filter(pk=req.pk, state=RequestState.WAITING).update(
            state=RequestState.PUBLISHED, published_at=now
        )
        if portfolio is None or not lifecycle.transition(
            portfolio, State.CREATING, overflow=overflow
        ):
            return None
        return portfolio
    retention = _retention_hours_for(req)
    chosen = req.privacy if isinstance(req.privacy, dict) else {}
    portfolio = Portfolio.objects.create(
        **{k: v for k, v in chosen.items() if k in (*PRIVACY_FLAGS, "passphrase_hash")},
        slug=make_slug(slug_source(req.resume, chosen)),
        owner=req.owner,
        client=req.client,
        email=req.email,
        tier=req.tier,
        retention_hours=retention,
        source_job=req.source_job,
        resume=req.resume,
        theme=req.theme,
        manage_token_hash=req.manage_token_hash,
        overflow=overflow,
        last_activity_at=now,
        warn_at=now + timedelta(hours=retention),
    )
    instruments.portfolio_created()
    PortfolioRequest.objects.filter(pk=req.pk, state=RequestState.WAITING).update(
        state=RequestState.PUBLISHED, portfolio=portfolio, published_at=now
    )
    return portfolio


def _retention_hours_for(req: PortfolioRequest) -> int:
    if req.owner_id:
        return limits_for(req.owner).retention_hours
    return tier_limits(req.tier).retention_hours


def _existing(publish_key: str, digest: str = "") -> Publication | None:
    record: Portfolio | PortfolioRequest | None = (
        Portfolio.objects.filter(publish_key=publish_key).first()
        or PortfolioRequest.objects.filter(publish_key=publish_key).first()
    )
    if record is None:
        return None
    stored = record.publish_digest
    if stored and digest and stored != digest:
        raise PublishError(
            "idempotency_conflict",
            "This Idempotency-Key was already used for a different request. "
            "Use a new key for a new publication.",
        )
    if isinstance(record, Portfolio):
        return Publication(portfolio=record)
    return Publication(portfolio=record.portfolio, request=record)


def restore(portfolio: Portfolio, *, actor=None, request=None) -> Publication:
    """ARCHIVED -> a live sandbox again, or a place on the waiting list."""
    if portfolio.state != State.ARCHIVED:
        raise PublishError("not_archived", "Only an archived portfolio can be restored.")

    def create_portfolio(overflow: bool) -> Portfolio:
        if not lifecycle.transition(
            portfolio, State.CREATING, actor=actor, request=request, overflow=overflow
        ):
            raise PublishError("not_archived", "This portfolio changed meanwhile; reload.")
        return portfolio

    def create_request() -> PortfolioRequest:
        existing = PortfolioRequest.objects.restoring(portfolio).first()
        return existing or PortfolioRequest.objects.create(
            owner=portfolio.owner,
            client=portfolio.client,
            email=portfolio.email,
            tier=portfolio.tier,
            resume=portfolio.resume,
            theme=portfolio.theme,
            manage_token_hash=portfolio.manage_token_hash,
            portfolio=portfolio,
            restore=True,
        )

    made = capacity.admit(create_portfolio, create_request, portfolio.tier)
    if isinstance(made, PortfolioRequest):
        return Publication(request=made)
    go_live(portfolio, request=request)
    return Publication(portfolio=portfolio)


def archive(portfolio: Portfolio, *, actor=None, request=None) -> bool:
    """Owner or staff: take it offline now; the data stays."""
    if not portfolio.is_live:
        return False
    if not lifecycle.transition(
        portfolio, State.CLEANUP, actor=actor, request=request, reason="archived by owner or staff"
    ):
        return False
    finish_cleanup(portfolio)
    drain()
    return True


def finish_cleanup(portfolio: Portfolio) -> int:
    """CLEANUP -> ARCHIVED: the sandbox goes, the data stays; the owner is told."""
    sandbox.remove(portfolio)
    if lifecycle.transition(portfolio, State.ARCHIVED, archived_at=timezone.now()):
        if portfolio.email:
            emails.send_archived(portfolio)
        return 1
    return 0


def drain() -> int:
    """Publish waiting requests, in order, while places are free."""
    published = 0
    while True:
        with capacity.locked():
            request = PortfolioRequest.objects.waiting().select_for_update().first()
            if request is None:
                return published
            admitted, overflow = capacity.place_available(request.tier, jumping_the_line=False)
            if not admitted:
                return published
            portfolio = publish_waiting(request, overflow=overflow)
        if portfolio is not None:
            # Built outside the lock: a slow disk must not hold up admissions.
            go_live(portfolio)
            published += 1
            if portfolio.email:
                emails.send_published_from_waiting_list(portfolio)


def update(
    portfolio: Portfolio,
    *,
    resume: object = None,
    theme: str | None = None,
    privacy: dict | None = None,
    actor=None,
    request=None,
) -> Portfolio:
    """Change the document, the theme and/or the privacy choices
    (`privacy_fields`): validate, save, rebuild the live site, count as owner
    activity. Raises PublishError, or `Gone` when the
    portfolio was erased meanwhile.

    Serialised with `erase` on the row: the sandbox is rebuilt while the row is
    locked, so an erase either comes first (and this finds no row) or comes
    after (and removes what this built).
    """
    theme = theme or portfolio.theme
    # The page is checked as the choices will show it (the passphrase left out:
    # it is hashed once, under the lock below, whose build is checked too).
    expected = privacy_fields(
        {k: v for k, v in (privacy or {}).items() if k != "passphrase"},
        owned=portfolio.owner_id is not None,
        current=current_privacy(portfolio),
    )
    doc, _notes = prepare(
        portfolio.resume if resume is None else resume, theme, sandbox.privacy_from(expected)
    )
    with transaction.atomic():
        locked = Portfolio.objects.select_for_update().filter(pk=portfolio.pk).first()
        if locked is None:
            raise Gone
        chosen = (
            privacy_fields(
                privacy, owned=locked.owner_id is not None, current=current_privacy(locked)
            )
            if privacy is not None
            else {}
        )
        Portfolio.objects.filter(pk=locked.pk).update(resume=doc, theme=theme, **chosen)
        locked.resume, locked.theme = doc, theme
        for field, value in chosen.items():
            setattr(locked, field, value)
        # CREATING too: go_live may have built already, from the values before
        # these (it builds under this same row lock, so one of the two sees them).
        if locked.holds_sandbox:
            try:
                sandbox.build(locked)
            except QualityError as exc:  # rolls the change back: nothing happened
                raise PublishError(
                    "quality_gate", "The page did not pass our checks: " + "; ".join(exc.problems)
                ) from None
    lifecycle.touch(locked, actor=actor, request=request)
    return locked


class Gone(Exception):
    """The portfolio was erased while this request worked on it."""


def erase(portfolio: Portfolio, *, actor=None, request=None) -> bool:
    """Delete everything (SPEC P-7): the portfolio, its sandbox, the uploaded
    file and the extraction results of that file. False when it was gone already.

    The row is locked first, so an edit or an archive running at the same
    moment finishes before (its sandbox is removed below) or finds no row.
    """
    with transaction.atomic():
        # Not decrypted: erasing must work even for a row no key opens any more.
        locked = (
            Portfolio.objects.select_for_update().defer("resume").filter(pk=portfolio.pk).first()
        )
        if locked is None:
            return False
        job = locked.source_job
        audit.record(
            "portfolio.erased",
            category=audit.Category.SECURITY,
            actor=actor,
            request=request,
            obj=locked,
            details={"slug": locked.slug, "document": str(job.document_id) if job else None},
        )
        if job is not None:
            erase_documents_of(job)
        locked.delete()
    # After the commit: a build that ran under the lock is removed here, and one
    # that runs later finds no row and removes its own (sandbox.build).
    sandbox.remove(portfolio)
    drain()
    return True
