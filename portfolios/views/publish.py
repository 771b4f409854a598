"""Publishing from an extraction (SPEC P-1): review and edit the document,
preview the themes, publish, then the published page or the waiting list."""

from __future__ import annotations

import secrets

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from extraction import access as job_access
from extraction.models import JobState

from .. import access, capacity, editing, links, publishing
from ..forms import PublishForm
from ..models import PortfolioRequest, RequestState, State
from ..site import render_preview
from ..themes import DEFAULT_THEME, THEMES, theme_stylesheet
from .common import edit_document, private, review_page, see_other

# Theme pages: their own stylesheet and nothing else (as the sandbox serves them).
PREVIEW_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def _token_key(kind: str, pk) -> str:
    return f"pages:token:{kind}:{pk}"


def _edited_key(pk) -> str:
    return f"pages:edited:{pk}"


def job_resume(request, job) -> dict:
    """The document to publish: the one edited on the review page, else the extraction's."""
    edited = request.session.get(_edited_key(job.pk))
    return edited if isinstance(edited, dict) else job.result


def _finished_job(request, pk):
    job = job_access.job_for(request, pk)
    if job.state != JobState.SUCCEEDED or job.result is None:
        raise Http404
    return job


# --- Publishing --------------------------------------------------------------------


def publish(request, pk):
    # Publishing from a job (and so, later, erasing its upload with the
    # portfolio) is for whoever uploaded it, never for whoever knows its id.
    job = job_access.controlled_or_404(request, pk)
    if job.state != JobState.SUCCEEDED or job.result is None:
        return redirect("extraction:job", pk=job.pk)
    if request.method == "POST":
        form = PublishForm(request.POST)
        if form.is_valid():
            return _do_publish(request, job, form)
        status = 400
    elif request.method in ("GET", "HEAD"):
        form = PublishForm(
            initial={
                "theme": DEFAULT_THEME,
                "publish_key": secrets.token_urlsafe(24),
                # Search engines: allowed for an account's portfolio, not an anonymous one.
                "allow_indexing": request.user.is_authenticated,
            }
        )
        status = 200
    else:
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    return _publish_page(request, job, form, status=status)


def _publish_page(request, job, form, *, status=200, error=None, oldest=None):
    return render(
        request,
        "portfolios/pages/publish.html",
        {
            "job": job,
            "form": form,
            "themes": THEMES.values(),
            "error": error,
            "oldest": oldest,
            "cap": capacity.status(),
        },
        status=status,
    )


def _do_publish(request, job, form):
    theme, email = form.cleaned_data["theme"], form.cleaned_data["email"]
    privacy = form.choices()
    try:
        out = publishing.publish_for(
            request,
            resume=job_resume(request, job),
            theme=theme,
            email=email,
            source_job=job,
            key=form.cleaned_data["publish_key"],
            digest=publishing.request_digest(str(job.pk), theme, email, privacy),
            privacy=privacy,
        )
    except publishing.PublishError as exc:
        oldest = None
        if exc.code == "portfolio_limit" and exc.extra.get("oldest"):
            # Only one the caller controls: behind a shared address the oldest
            # counted may be a stranger's.
            oldest = access.controlled(request).filter(pk=exc.extra["oldest"]).first()
        # A fresh key, so the next try is a new submission.
        data = form.data.copy()
        data["publish_key"] = secrets.token_urlsafe(24)
        form = PublishForm(data)
        form.is_valid()
        status = 409 if exc.code in ("portfolio_limit", "idempotency_conflict") else 400
        return _publish_page(request, job, form, status=status, error=exc, oldest=oldest)
    if out.waiting:
        access.grant_request(request, out.request)
        if out.token:
            request.session[_token_key("request", out.request.pk)] = out.token
        return see_other(links.waiting_path(out.request))
    access.grant(request, out.portfolio)
    if out.token:
        request.session[_token_key("portfolio", out.portfolio.pk)] = out.token
    if out.notes:
        request.session[_token_key("notes", out.portfolio.pk)] = out.notes
    return see_other(links.published_path(out.portfolio))


@require_safe
def published(request, slug):
    # The publisher's page (it says whether an e-mail address was given): a
    # stranger who knows the address gets what an unknown address gets.
    portfolio = access.controlled_or_404(request, slug=slug)
    token = request.session.pop(_token_key("portfolio", portfolio.pk), None)
    notes = request.session.pop(_token_key("notes", portfolio.pk), [])
    return private(
        render(
            request,
            "portfolios/pages/published.html",
            {
                "portfolio": portfolio,
                "notes": notes,
                "public_url": links.public_url(portfolio),
                "manage_url": links.manage_link(portfolio, token) if token else None,
            },
        )
    )


@require_safe
def waiting(request, pk):
    req = get_object_or_404(PortfolioRequest.objects.select_related("portfolio"), pk=pk)
    key = _token_key("request", req.pk)
    position = capacity.position_of(req)
    done = req.state == RequestState.PUBLISHED and req.portfolio is not None
    # The manage link needs the slug: kept in the session until it exists, then shown once.
    token = request.session.pop(key, None) if done else None
    return private(
        render(
            request,
            "portfolios/pages/waiting.html",
            {
                "req": req,
                "position": position,
                "done": done,
                "has_token": key in request.session,
                "eta_minutes": (capacity.eta_seconds(position) + 59) // 60 if position else None,
                "public_url": links.public_url(req.portfolio) if done else None,
                "live": done and req.portfolio.is_live,
                "manage_url": links.manage_link(req.portfolio, token) if done and token else None,
                "refresh": position is not None or (done and req.portfolio.state == State.CREATING),
            },
        )
    )


@require_safe
def preview(request, pk, theme):
    job = _finished_job(request, pk)
    if theme not in THEMES:
        raise Http404
    html = render_preview(
        job_resume(request, job),
        theme,
        stylesheet_href=links.preview_css_path(job.pk, theme),
    )
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = PREVIEW_CSP
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def preview_css(request, pk, theme):
    _finished_job(request, pk)
    if theme not in THEMES:
        raise Http404
    return HttpResponse(theme_stylesheet(theme), content_type="text/css; charset=utf-8")


# --- Reviewing and editing the document (SPEC P-1) ----------------------------------


def review(request, pk):
    job = job_access.controlled_or_404(request, pk)
    if job.state != JobState.SUCCEEDED or job.result is None:
        return redirect("extraction:job", pk=job.pk)

    def save(doc):
        doc, _notes = publishing.prepare(doc, DEFAULT_THEME)
        request.session[_edited_key(job.pk)] = doc
        return see_other(links.publish_path(job.pk))

    def page(editor, **kw):
        return review_page(
            request,
            editor,
            title="Check what we found",
            lead="Correct, add, remove or reorder anything before it goes online.",
            action=links.review_path(job.pk),
            submit_label="Save and choose a theme",
            back_url=reverse("extraction:job", args=[job.pk]),
            **kw,
        )

    doc = job_resume(request, job)
    # The notes follow the entries of the document as the person last saved it.
    confidence = editing.confidence_for(job.result, doc, job.confidence)
    warnings = [*(job.warnings or []), *editing.confidence_notes(confidence)]
    return edit_document(request, doc, warnings, save, page, confidence=confidence)
