"""The public's pages: published portfolios, served from their sandbox (SPEC P-2).
(The service's status page is monitoring's: monitoring.views.)"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from .. import lifecycle, sandbox
from ..models import Portfolio, State


@require_safe
def public(request, slug: str, name: str = "index.html"):
    # The document is not needed to serve files (only to rebuild, below).
    portfolio = Portfolio.objects.defer("resume").filter(slug=slug).first()
    if portfolio is None or name not in sandbox.FILES:
        raise Http404
    if portfolio.state in (State.ARCHIVED, State.CLEANUP):
        return render(request, "portfolios/gone.html", {"portfolio": portfolio}, status=410)
    if portfolio.state == State.CREATING:
        response = render(request, "portfolios/building.html", status=503)
        response["Retry-After"] = "5"
        return response
    try:
        found = sandbox.read_or_rebuild(portfolio, name)
    except sandbox.Unavailable:
        response = render(request, "portfolios/building.html", status=503)
        response["Retry-After"] = "60"
        return response
    if found is None:
        raise Http404
    content, content_type, etag = found
    if name == "index.html":
        lifecycle.touch(portfolio, visit=True)
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(content, content_type=content_type)
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=300)
    if name in ("site.zip", "contact.vcf", "resume.json"):
        response["Content-Disposition"] = f'attachment; filename="{portfolio.slug}-{name}"'
    # The sandbox's own page: no scripts at all, only its own stylesheet.
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return response
