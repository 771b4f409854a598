"""Pages: upload, follow a job, see and download the result."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_http_methods, require_POST

from cv2web.cache import read_near
from quotas import policy, ratelimits

from . import access, intake, queue
from .errors import ExtractionError
from .models import JobState
from .resume import in_schema_order

log = logging.getLogger("cv2web.extraction")


def _limits() -> dict:
    return {
        "max_mb": f"{settings.MAX_UPLOAD_BYTES / (1024 * 1024):.0f}",
        "max_pages": settings.EXTRACTION_MAX_PAGES,
    }


# The upload page as a visitor who is not signed in sees it, kept in the cache
# (issue 13): rendering its templates was most of what a view of it cost. The
# CSRF token is the one part unique to each answer: the kept page holds this
# marker in its place. Random per process, so no page text can contain it.
_CSRF_MARK = f"csrf-{secrets.token_hex(16)}"
_FRAGMENTS = ("upload-banners", "upload-queue-note")


# Upload pages this process rendered or read, by their key (which names
# everything they show): at most _KEPT_PAGES, all dropped when full.
_kept_pages: dict[str, str] = {}
_KEPT_PAGES = 64


def _keep_page(key: str, page: str) -> None:
    if len(_kept_pages) >= _KEPT_PAGES:
        _kept_pages.clear()
    _kept_pages[key] = page


def _upload_page(request, context: dict) -> HttpResponse:
    """The upload page (GET). For a visitor who is not signed in, the page
    rendered before for the same language, allowance and limits is reused
    while its cached fragments (queue, capacity: STATUS_CACHE_SECONDS) are
    the same ones, so it is never older than they are; a signed-in person's
    page (their name in the menu) is rendered each time."""
    seconds = settings.STATUS_CACHE_SECONDS
    if request.user.is_authenticated or not seconds:
        context["usage"] = policy.usage_of(request)
        return render(request, "extraction/upload.html", context)
    try:
        # The visitor's allowance and the fragments in one read of the cache
        # (one round trip to Redis, not two).
        fragment_keys = [make_template_fragment_key(n) for n in _FRAGMENTS]
        known = read_near([policy.usage_key_of(request), *fragment_keys])
        context["usage"] = usage = policy.usage_of(request, known=known)
        fragments = {k: known[k] for k in fragment_keys if k in known}
        key = None
        if len(fragments) == len(_FRAGMENTS):
            state = [
                translation.get_language(),
                usage.tier,
                usage.limit,
                usage.used,
                usage.reset_at.isoformat(),
                context["limits"],
                sorted(fragments.items()),
                _CSRF_MARK,
            ]
            digest = hashlib.sha256(repr(state).encode()).hexdigest()
            key = f"upload-page:{digest}"
            # Named by everything it shows: a page kept here is as current as
            # the cache's copy, and costs no round trip to Redis.
            page = _kept_pages.get(key)
            if page is None:
                page = cache.get(key)
                if page is not None:
                    _keep_page(key, page)
            if page is not None:
                return HttpResponse(page.replace(_CSRF_MARK, get_token(request)))
    except Exception:  # noqa: BLE001 - a cache that does not answer costs the rendering
        log.warning("upload page rendered without the cache", exc_info=True)
        if "usage" not in context:
            context["usage"] = policy.usage_of(request)
        return render(request, "extraction/upload.html", context)
    response = render(request, "extraction/upload.html", {**context, "csrf_token": _CSRF_MARK})
    page = response.content.decode()
    if key is not None:
        _keep_page(key, page)
        with contextlib.suppress(Exception):
            cache.set(key, page, seconds)
    response.content = page.replace(_CSRF_MARK, get_token(request))
    return response


@require_http_methods(["GET", "POST"])
def upload(request):
    context = {
        "limits": _limits(),
        # Read only when the page's cached fragments are rendered again
        # (every STATUS_CACHE_SECONDS), not on every view of the page.
        "queue": SimpleLazyObject(queue.status),
        "status_cache_seconds": settings.STATUS_CACHE_SECONDS,
    }
    if request.method == "GET":
        return _upload_page(request, context)  # reads the visitor's allowance itself
    context["usage"] = policy.usage_of(request)
    burst = ratelimits.check(request, "uploads", settings.RATELIMIT_UPLOADS)
    if burst.limited:
        response = render(
            request, "quotas/rate_limited.html", {"retry_after": burst.retry_after}, status=429
        )
        response["Retry-After"] = str(burst.retry_after)
        return response
    try:
        job = intake.accept_from(
            request,
            request.FILES.get("file"),
            via="web",
            priority=lambda: intake.priority_for(request),
            admit=policy.admission_for(request),
            # The person's choice; unchecked (the default) deletes the file once read.
            delete_after=request.POST.get("keep_file") != "on",
            then=lambda job: access.remember(request, job, now=True),
        )
    except policy.QuotaExceeded as exc:
        response = render(
            request,
            "quotas/quota_exceeded.html",
            {
                "usage": exc.usage,
                "hours": exc.usage.seconds_to_reset() // 3600,
                "minutes": exc.usage.seconds_to_reset() % 3600 // 60,
                "registered": policy.tier_limits("registered"),
            },
            status=429,
        )
        response["Retry-After"] = str(exc.usage.seconds_to_reset())
        return response
    except ExtractionError as exc:
        context["error"] = exc.message
        return render(request, "extraction/upload.html", context, status=exc.status)
    except queue.QueueFull as exc:
        response = render(
            request, "extraction/queue_full.html", {"retry_after": exc.retry_after}, status=503
        )
        response["Retry-After"] = str(exc.retry_after)
        return response
    return redirect("extraction:job", pk=job.pk)


def job_detail(request, pk):
    job = access.job_for(request, pk)
    place = queue.place_of(job)
    status = job.joined_to.state if job.joined_to_id and not job.is_finished else job.state
    return render(
        request,
        "extraction/job.html",
        {
            "job": job,
            "status": status,
            "place": place,
            "resume": job.result if job.state == JobState.SUCCEEDED else None,
            "limits": _limits(),
            # Only the uploader (session, account, staff) is offered cancel and publish.
            "controls": access.controlled(request).filter(pk=job.pk).exists(),
        },
    )


def job_resume_json(request, pk):
    job = access.job_for(request, pk)
    if job.state != JobState.SUCCEEDED or job.result is None:
        raise Http404
    response = HttpResponse(
        json.dumps(in_schema_order(job.result), ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="resume.json"'
    return response


@require_POST
def job_cancel(request, pk):
    job = access.controlled_or_404(request, pk)
    queue.cancel(job, actor=request.user)
    return redirect("extraction:job", pk=job.pk)


def job_status(request, pk):
    """What the job page polls: small, and not counted against API limits."""
    job = access.job_for(request, pk)
    place = queue.place_of(job)
    status = job.joined_to.state if job.joined_to_id and not job.is_finished else job.state
    response = JsonResponse(
        {"status": status, "position": place.position, "eta_seconds": place.eta_seconds}
    )
    response["Cache-Control"] = "no-store"
    return response
