"""Managing a portfolio (SPEC P-7): the private link traded for the session,
the manage page and its actions, editing, downloads, erasing; the account's
dashboard; the keep-alive link of the warning e-mail."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from quotas import ratelimits

from .. import access, capacity, lifecycle, links, publishing, sandbox
from ..forms import PdfForm, PrivacyForm, ThemeForm
from ..models import Portfolio, PortfolioRequest, hash_token
from ..site import pdf as site_pdf
from ..themes import THEMES
from .common import edit_document, private, review_page, see_other

# Compared against when the slug does not exist, so both cases do the same work.
_NO_HASH = hash_token(secrets.token_urlsafe(32))


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
    return private(render(request, "portfolios/pages/manage_locked.html", status=403))


@require_safe
def manage_with_token(request, slug, token, rest=""):
    """The private link (shown once, e-mailed): its token is traded for this
    browser session, then the page moves to an address without it, as Django's
    password reset does, so the token leaves the address bar, the history and
    the Referer of every request the page makes."""
    portfolio = _by_token(slug, token)
    access.grant(request, portfolio)
    return private(see_other(links.manage_path(portfolio)))


@require_safe
def manage(request, slug):
    portfolio = _controlled(request, slug)
    if portfolio is None:
        return _locked(request, slug)
    lifecycle.touch(portfolio, request=request)
    return _manage_page(request, portfolio)


def _manage_page(request, portfolio, *, privacy_form=None, status=200) -> HttpResponse:
    waiting_req = PortfolioRequest.objects.restoring(portfolio).first()
    if privacy_form is None:
        privacy_form = PrivacyForm(
            initial={flag: getattr(portfolio, flag) for flag in publishing.PRIVACY_FLAGS}
        )
    return private(
        render(
            request,
            "portfolios/pages/manage.html",
            {
                "portfolio": portfolio,
                "live": portfolio.is_live,
                "public_url": links.public_url(portfolio),
                "cleanup_at": portfolio.cleanup_at(),
                "theme_form": ThemeForm(initial={"theme": portfolio.theme}),
                "privacy_form": privacy_form,
                "address_names_you": portfolio.address_names_person,
                "pdf_form": PdfForm(initial={"paper": settings.PORTFOLIO_PDF_PAPER}),
                "themes": THEMES,
                "waiting_req": waiting_req,
                "position": capacity.position_of(waiting_req) if waiting_req else None,
            },
            status=status,
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
            return see_other(back)
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
    elif action == "privacy":
        form = PrivacyForm(request.POST)
        if not form.is_valid():
            # The page again with the form as sent and its errors beside the fields.
            return _manage_page(request, portfolio, privacy_form=form, status=400)
        try:
            portfolio = publishing.update(
                portfolio, privacy=form.choices(), actor=actor, request=request
            )
        except publishing.Gone:
            raise Http404 from None
        except publishing.PublishError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Saved: the site now shows what you chose.")
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
    return see_other(back)


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
    return private(response)


def _pdf_error(request, portfolio, status: int, heading: str, message: str) -> HttpResponse:
    return private(
        render(
            request,
            "portfolios/pages/pdf_error.html",
            {"portfolio": portfolio, "heading": heading, "message": message},
            status=status,
        )
    )


@require_safe
def manage_pdf(request, slug):
    """The portfolio page as a PDF in its theme, on the paper the form asked for."""
    portfolio = _controlled(request, slug)
    if portfolio is None:
        return _locked(request, slug)
    paper = sandbox.parse_paper(request.GET.get("paper"))
    if paper is None:
        return _pdf_error(
            request, portfolio, 400, "Unknown paper size", "Choose A4 or Letter for the PDF."
        )
    decision = ratelimits.check(request, "pdf", settings.RATELIMIT_PDF)
    if decision.limited:
        response = _pdf_error(
            request,
            portfolio,
            429,
            "Too many PDFs in a short time",
            f"Please try again in {decision.retry_after} seconds.",
        )
        response["Retry-After"] = str(decision.retry_after)
        return response
    try:
        content = sandbox.owner_pdf(portfolio, paper)
    except sandbox.PdfRefused as exc:
        return _pdf_error(request, portfolio, 409, "This portfolio is archived", exc.message)
    except sandbox.PdfBusy as exc:
        response = _pdf_error(request, portfolio, 503, "Busy making PDFs", exc.message)
        response["Retry-After"] = "5"
        return response
    except site_pdf.PdfUnavailable as exc:
        return _pdf_error(request, portfolio, 503, "PDF export is unavailable", exc.message)
    except site_pdf.PdfError as exc:
        return _pdf_error(request, portfolio, 422, "We could not make the PDF", exc.message)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{sandbox.pdf_filename(portfolio, paper)}"'
    )
    return private(response)


def manage_delete(request, slug):
    portfolio = _controlled(request, slug)
    if portfolio is None:
        return _locked(request, slug)
    if request.method == "POST":
        actor = request.user if request.user.is_authenticated else None
        publishing.erase(portfolio, actor=actor, request=request)
        return see_other(links.deleted_path())
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    return private(render(request, "portfolios/pages/delete.html", {"portfolio": portfolio}))


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
    return see_other(nxt)


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
    return private(
        render(
            request,
            "portfolios/pages/keep_alive.html",
            {"portfolio": portfolio, "kept": kept, "posted": request.method == "POST"},
        )
    )


# --- Editing the document (SPEC P-1) ---------------------------------------------------


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
        return see_other(back)

    def page(editor, **kw):
        return private(
            review_page(
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

    return edit_document(request, portfolio.resume, [], save, page)
