"""Server-rendered pages for publishing and managing portfolios (SPEC P-1, P-7).

Thin views: every action goes through publishing, lifecycle, capacity and
sandbox; these only choose what to show.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from extraction import access as job_access
from extraction.models import JobState
from quotas import policy

from .. import access, capacity, editing, lifecycle, links, publishing, sandbox
from ..forms import PublishForm, ThemeForm
from ..models import Portfolio, PortfolioRequest, RequestState, State, hash_token
from ..site import render_preview
from ..themes import DEFAULT_THEME, THEMES, theme_stylesheet

# Compared against when the slug does not exist, so both cases do the same work.
_NO_HASH = hash_token(secrets.token_urlsafe(32))
# Theme pages: their own stylesheet and nothing else (as the sandbox serves them).
PREVIEW_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def _token_key(kind: str, pk) -> str:
    return f"pages:token:{kind}:{pk}"


def _private(response: HttpResponse) -> HttpResponse:
    """Pages that show or carry a manage token: not cached, never sent to another
    site as referrer. (`no-referrer` would also make the browser send
    `Origin: null` on our own forms, which CSRF protection then refuses.)"""
    response["Cache-Control"] = "no-store, private"
    response["Referrer-Policy"] = "same-origin"
    return response


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
            initial={"theme": DEFAULT_THEME, "publish_key": secrets.token_urlsafe(24)}
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
    limits = policy.limits_for(request.user)
    theme, email = form.cleaned_data["theme"], form.cleaned_data["email"]
    try:
        out = publishing.publish(
            resume=job_resume(request, job),
            theme=theme,
            owner=request.user,
            client=getattr(request, "client_bucket", ""),
            email=email,
            tier=policy.tier_of(request.user),
            retention_hours=limits.retention_hours,
            active_limit=limits.active_portfolios,
            source_job=job,
            publish_key=publishing.idempotency_key(
                access.caller_scope(request), form.cleaned_data["publish_key"]
            ),
            publish_digest=publishing.request_digest(str(job.pk), theme, email),
            request=request,
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
        return _see_other(links.waiting_path(out.request))
    access.grant(request, out.portfolio)
    if out.token:
        request.session[_token_key("portfolio", out.portfolio.pk)] = out.token
    if out.notes:
        request.session[_token_key("notes", out.portfolio.pk)] = out.notes
    return _see_other(links.published_path(out.portfolio))


def _see_other(url: str) -> HttpResponse:
    response = redirect(url)
    response.status_code = 303
    return response


@require_safe
def published(request, slug):
    portfolio = get_object_or_404(Portfolio, slug=slug)
    token = request.session.pop(_token_key("portfolio", portfolio.pk), None)
    notes = request.session.pop(_token_key("notes", portfolio.pk), [])
    return _private(
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
    return _private(
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


def _review_page(request, editor, *, status=200, error=None, **context):
    return render(
        request,
        "portfolios/pages/review.html",
        {
            "editor": editor,
            "error": error,
            "invalid": status == 400 and error is None,
            **context,
        },
        status=status,
    )


def _edit(request, doc, warnings, save, page, confidence=None):
    """GET shows the form; POST adds an empty entry ("add") or validates and
    calls save(document) -> response, which may raise PublishError."""
    if request.method in ("GET", "HEAD"):
        return page(editing.Editor(doc, warnings=warnings, confidence=confidence))
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    editor = editing.Editor(doc, data=request.POST, warnings=warnings, confidence=confidence)
    if editor.adding:
        return page(editor)
    if not editor.is_valid():
        return page(editor, status=400)
    try:
        return save(editor.to_resume())
    except publishing.PublishError as exc:
        return page(editor, status=400, error=exc)


def review(request, pk):
    job = job_access.controlled_or_404(request, pk)
    if job.state != JobState.SUCCEEDED or job.result is None:
        return redirect("extraction:job", pk=job.pk)

    def save(doc):
        doc, _notes = publishing.prepare(doc, DEFAULT_THEME)
        request.session[_edited_key(job.pk)] = doc
        return _see_other(links.publish_path(job.pk))

    def page(editor, **kw):
        return _review_page(
            request,
            editor,
            title="Check what we found",
            lead="Correct, add, remove or reorder anything before it goes online.",
            action=links.review_path(job.pk),
            submit_label="Save and choose a theme",
            back_url=reverse("extraction:job", args=[job.pk]),
            **kw,
        )

    warnings = [*(job.warnings or []), *editing.confidence_notes(job.confidence)]
    return _edit(request, job_resume(request, job), warnings, save, page, confidence=job.confidence)


def manage_edit(request, slug):
    portfolio = _controlled(request, slug)
    if portfolio is None:
        return _locked(request, slug)
    back = links.manage_path(portfolio)

    def save(doc):
        try:
            publishing.update(portfolio, resume=doc, request=request)
        except publishing.Gone:
            raise Http404 from None
        messages.success(request, "Saved: your portfolio shows the changes.")
        return _see_other(back)

    def page(editor, **kw):
        return _private(
            _review_page(
                request,
                editor,
                title=f"Edit {portfolio.display_name}",
                lead="Change what your portfolio shows.",
                action=links.edit_path(portfolio),
                submit_label="Save changes",
                back_url=back,
                **kw,
            )
        )

    return _edit(request, portfolio.resume, [], save, page)


# --- Managing: the private link, then the session ---------------------------------


def _by_token(slug: str, token: str) -> Portfolio:
    """The portfolio if the token is right; 404 alike for a wrong slug or token."""
    portfolio = Portfolio.objects.filter(slug=slug).first()
    ok = (portfolio or Portfolio(manage_token_hash=_NO_HASH)).check_token(token)
    if portfolio is None or not ok:
        raise Http404
    return portfolio


def _controlled(request, slug: str) -> Portfolio | None:
    return access.controlled(request).filter(slug=slug).first()


def _locked(request, slug: str) -> HttpResponse:
    """A manage page asked for without control: say how to get it, reveal nothing."""
    return _private(render(request, "portfolios/pages/manage_locked.html", status=403))


@require_safe
def manage_with_token(request, slug, token, rest=""):
    """The private link (shown once, e-mailed): its token is traded for this
    browser session, then the page moves to an address without it, as Django's
    password reset does, so the token leaves the address bar, the history and
    the Referer of every request the page makes."""
    portfolio = _by_token(slug, token)
    access.grant(request, portfolio)
    return _private(_see_other(links.manage_path(portfolio)))


@require_safe
def manage(request, slug):
    portfolio = _controlled(request, slug)
    if portfolio is None:
        return _locked(request, slug)
    lifecycle.touch(portfolio, request=request)
    waiting_req = PortfolioRequest.objects.restoring(portfolio).first()
    return _private(
        render(
            request,
            "portfolios/pages/manage.html",
            {
                "portfolio": portfolio,
                "live": portfolio.is_live,
                "public_url": links.public_url(portfolio),
                "cleanup_at": portfolio.cleanup_at(),
                "theme_form": ThemeForm(initial={"theme": portfolio.theme}),
                "themes": THEMES,
                "waiting_req": waiting_req,
                "position": capacity.position_of(waiting_req) if waiting_req else None,
            },
        )
    )


@require_POST
def manage_action(request, slug, action):
    portfolio = _controlled(request, slug)
    if portfolio is None:
        return _locked(request, slug)
    back = links.manage_path(portfolio)
    actor = request.user if request.user.is_authenticated else None
    if action == "keep-alive":
        if lifecycle.touch(portfolio, actor=actor, request=request):
            messages.success(request, "Done: your portfolio stays online.")
        else:
            messages.error(request, "Only a live portfolio can be kept online.")
    elif action == "theme":
        form = ThemeForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose one of the themes.")
            return _see_other(back)
        try:
            portfolio = publishing.update(
                portfolio, theme=form.cleaned_data["theme"], actor=actor, request=request
            )
        except publishing.Gone:
            raise Http404 from None
        except publishing.PublishError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"The theme is now {THEMES[portfolio.theme].label}.")
    elif action == "archive":
        if publishing.archive(portfolio, actor=actor, request=request):
            messages.success(request, "Archived: the site is offline, your data is kept.")
        else:
            messages.error(request, "Only a live portfolio can be archived.")
    elif action == "restore":
        try:
            out = publishing.restore(portfolio, actor=actor, request=request)
        except publishing.PublishError as exc:
            messages.error(request, exc.message)
        else:
            if out.waiting:
                messages.warning(
                    request,
                    "We are full right now: your portfolio is on the "
                    "waiting list and goes back online when a place frees.",
                )
            else:
                messages.success(request, "Restored: your portfolio is online again.")
    else:
        raise Http404
    lifecycle.touch(portfolio, actor=actor, request=request)
    return _see_other(back)


@require_safe
def manage_download(request, slug, name):
    """The owner's own copy: everything, including what the public page leaves out."""
    portfolio = _controlled(request, slug)
    if portfolio is None:
        return _locked(request, slug)
    found = sandbox.owner_file(portfolio, name)
    if found is None:
        raise Http404
    content, content_type = found
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{portfolio.slug}-{name}"'
    return _private(response)


def manage_delete(request, slug):
    portfolio = _controlled(request, slug)
    if portfolio is None:
        return _locked(request, slug)
    if request.method == "POST":
        actor = request.user if request.user.is_authenticated else None
        publishing.erase(portfolio, actor=actor, request=request)
        return _see_other(links.deleted_path())
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    return _private(render(request, "portfolios/pages/delete.html", {"portfolio": portfolio}))


@require_safe
def deleted(request):
    return render(request, "portfolios/pages/deleted.html")


# --- The dashboard (accounts) --------------------------------------------------------


@login_required
@require_safe
def dashboard(request):
    portfolios = Portfolio.objects.filter(owner=request.user)
    return render(
        request,
        "portfolios/pages/dashboard.html",
        {
            "portfolios": [(p, links.public_url(p), p.is_live) for p in portfolios],
        },
    )


@login_required
@require_POST
def owner_archive(request, pk):
    portfolio = get_object_or_404(Portfolio, pk=pk, owner=request.user)
    if publishing.archive(portfolio, actor=request.user, request=request):
        messages.success(request, f"{portfolio.display_name} is archived: offline, data kept.")
    else:
        messages.error(request, "Only a live portfolio can be archived.")
    nxt = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        nxt = links.dashboard_path()
    return _see_other(nxt)


# --- Keep-alive link of the warning email ----------------------------------------


def keep_alive(request, slug, signed):
    """GET asks (mail scanners open links); POST keeps the portfolio online."""
    portfolio = Portfolio.objects.filter(slug=slug).first()
    if portfolio is None or links.keep_alive_pk(signed) != str(portfolio.pk):
        raise Http404
    kept = False
    if request.method == "POST":
        kept = lifecycle.touch(portfolio, request=request)
        portfolio.refresh_from_db()
    return _private(
        render(
            request,
            "portfolios/pages/keep_alive.html",
            {"portfolio": portfolio, "kept": kept, "posted": request.method == "POST"},
        )
    )
