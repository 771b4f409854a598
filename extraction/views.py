"""Pages: upload, follow a job, see and download the result."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from . import intake, queue
from .errors import ExtractionError
from .models import ExtractionJob, JobState


def _limits() -> dict:
    return {
        "max_mb": f"{settings.MAX_UPLOAD_BYTES / (1024 * 1024):.0f}",
        "max_pages": settings.EXTRACTION_MAX_PAGES,
    }


def _queue_summary() -> dict:
    waiting = ExtractionJob.objects.waiting().count()
    return {
        "waiting": waiting,
        "running": ExtractionJob.objects.running().count(),
        "full": waiting >= settings.EXTRACTION_MAX_QUEUE_DEPTH,
        "typical_seconds": round(queue.typical_duration()),
    }


@require_http_methods(["GET", "POST"])
def upload(request):
    context = {"limits": _limits(), "queue": _queue_summary()}
    if request.method == "GET":
        return render(request, "extraction/upload.html", context)
    try:
        job = intake.accept_from(request, request.FILES.get("file"), via="web")
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


def _job_for(request, pk) -> ExtractionJob:
    job = get_object_or_404(ExtractionJob.objects.select_related("document", "joined_to"), pk=pk)
    user = request.user
    if job.owner_id and not (user.is_authenticated and (user.pk == job.owner_id or user.is_staff)):
        raise Http404
    return job


def job_detail(request, pk):
    job = _job_for(request, pk)
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
        },
    )


def job_resume_json(request, pk):
    job = _job_for(request, pk)
    if job.state != JobState.SUCCEEDED or job.result is None:
        raise Http404
    response = HttpResponse(
        json.dumps(job.result, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="resume.json"'
    return response


@require_POST
def job_cancel(request, pk):
    job = _job_for(request, pk)
    queue.cancel(job, actor=request.user)
    return redirect("extraction:job", pk=job.pk)
