"""REST API for extractions: single upload, batch, read, cancel (SPEC A)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from cv2web import tokens
from cv2web.api import APIError
from cv2web.pagination import ApiPagination
from quotas import policy
from quotas.authentication import ApiTokenAuthentication
from quotas.models import ApiToken
from quotas.policy import usage_key_of, usage_of
from quotas.ratelimits import (
    CHEAP_READ_DECISION,
    ApiThrottle,
    BatchThrottle,
    CheapReadThrottle,
    UploadThrottle,
    check_all,
)

from . import access, callbacks, intake, polls, queue
from .errors import ExtractionError
from .models import ExtractionJob, JobState, Mode
from .serializers import (
    BatchUploadSerializer,
    ExtractionJobSerializer,
    UploadedSerializer,
    UploadSerializer,
    job_data,
)

# Where an accepted upload's job is followed (SPEC A).
LOCATION = OpenApiParameter(
    "Location",
    location=OpenApiParameter.HEADER,
    response=[201, 202],
    required=True,
    description="The job's URL: poll it until `status` is `succeeded` or `failed`.",
)


def job_payload(job: ExtractionJob, context=None) -> dict:
    return job_data(job, context)


def accepted_response(request, job: ExtractionJob, token: str | None) -> Response:
    status_code = status.HTTP_201_CREATED if job.state == JobState.SUCCEEDED else 202
    location = reverse("api-extraction-detail", args=[job.pk])
    return Response(
        _with_token(job_payload(job, {"request": request}), token),
        status=status_code,
        headers={"Location": location},
    )


def mode_of(request) -> str:
    """The upload's `mode` field: interactive (the default) or background."""
    mode = request.data.get("mode") or Mode.INTERACTIVE
    if mode not in Mode.values:
        raise APIError(
            "invalid_mode",
            '`mode` must be "interactive" or "background" (half price, slower: '
            "see the API documentation).",
        )
    return mode


_TRUE, _FALSE = ("true", "1", "on", "yes"), ("false", "0", "off", "no", "")


def keep_file_of(request) -> bool:
    """The upload's `keep_file` field: false (the default) deletes the stored
    file once the extraction succeeds."""
    value = str(request.data.get("keep_file", "")).strip().lower()
    if value not in (*_TRUE, *_FALSE):
        raise APIError(
            "invalid_keep_file",
            "`keep_file` must be true or false (false, the default, deletes your file "
            "once it has been read).",
        )
    return value in _TRUE


def _with_token(payload: dict, token: str | None) -> dict:
    if token:
        # Shown once: an anonymous caller presents it to cancel the job or
        # publish from it (X-Manage-Token); the address alone is never enough.
        payload["manage_token"] = token
    return payload


def _accept(
    request,
    uploaded,
    mode: str = Mode.INTERACTIVE,
    *,
    keep_file: bool = False,
    save_session: bool = True,
) -> tuple[ExtractionJob, str | None]:
    """One upload accepted; the session remembers its job, its row written in
    the job's transaction (`save_session`) or, for a batch's many files, once
    by the response."""
    # A secret for an anonymous upload, shown once in the answer; its hash is
    # written with the job.
    token, token_hash = (None, "") if request.user.is_authenticated else tokens.new_token()
    job = intake.accept_from(
        request,
        uploaded,
        via="api",
        priority=lambda: intake.priority_for(request),
        mode=mode,
        admit=policy.admission_for(request),
        delete_after=not keep_file,
        manage_token_hash=token_hash,
        then=lambda job: access.remember(request, job, now=save_session),
    )
    return job, token


class ExtractionListCreate(APIView):
    parser_classes = [MultiPartParser]

    def get_permissions(self):
        if self.request.method == "GET":
            return [IsAuthenticated()]
        return super().get_permissions()

    def get_throttles(self):
        if self.request.method == "POST":
            return [ApiThrottle(), UploadThrottle()]
        return super().get_throttles()

    @extend_schema(
        summary="Your extraction jobs, newest first",
        responses=ExtractionJobSerializer(many=True),
    )
    def get(self, request):
        jobs = ExtractionJob.objects.select_related("document", "joined_to").filter(
            owner=request.user
        )
        paginator = ApiPagination()
        page = paginator.paginate_queryset(jobs, request, view=self)
        return paginator.get_paginated_response(
            ExtractionJobSerializer(page, many=True, context={"request": request}).data
        )

    @extend_schema(
        summary="Upload a CV for extraction",
        request={"multipart/form-data": UploadSerializer},
        parameters=[LOCATION],
        responses={
            201: OpenApiResponse(UploadedSerializer, "Answered from the cache."),
            202: OpenApiResponse(UploadedSerializer, "Queued; follow `Location`."),
            429: OpenApiResponse(
                description="`quota_exceeded` (the day's extractions are used up: `limit`, "
                "`reset_at`) or `rate_limited`, with `Retry-After`."
            ),
            400: OpenApiResponse(description="A bad file (`empty_file`, `too_many_pages`...)."),
            413: OpenApiResponse(description="`request_too_large` / `file_too_large`."),
            415: OpenApiResponse(description="`unsupported_type` / `type_mismatch`."),
            503: OpenApiResponse(description="`queue_full`, with `Retry-After`."),
        },
    )
    def post(self, request):
        files = request.FILES.getlist("file")
        if len(files) > 1:
            raise APIError(
                "too_many_files",
                "Send one file in the `file` field; use /api/v1/extractions/batch for several.",
            )
        mode = mode_of(request)
        keep_file = keep_file_of(request)
        follow = callbacks.check(request, request.data.get("callback_url"))
        job, token = _accept(request, files[0] if files else None, mode, keep_file=keep_file)
        response = accepted_response(request, job, token)
        response.data.update(callbacks.attach(request, follow, [job], batch=False))
        return response


class ExtractionBatch(APIView):
    parser_classes = [MultiPartParser]
    throttle_classes = [ApiThrottle, BatchThrottle]

    @extend_schema(
        summary="Upload up to 50 CVs at once",
        request={"multipart/form-data": BatchUploadSerializer},
        responses={
            202: OpenApiResponse(
                description="`jobs`: one entry per file, in order: "
                "a job, or `{file, error}` for a refused file."
            ),
            503: OpenApiResponse(description="`queue_full`: no file was accepted."),
        },
    )
    def post(self, request):
        files = request.FILES.getlist("files")
        limit = settings.EXTRACTION_BATCH_MAX_FILES
        if not files:
            raise APIError("no_file", "Send your CVs in the repeated `files` field.")
        if len(files) > limit:
            raise APIError(
                "too_many_files", f"Send at most {limit} files in one batch.", max_files=limit
            )
        mode = mode_of(request)
        keep_file = keep_file_of(request)
        # A bad callback_url is refused before any file is read or stored.
        follow = callbacks.check(request, request.data.get("callback_url"))
        entries = []
        accepted = []
        typical = queue.typical_duration()
        for uploaded in files:
            try:
                job, token = _accept(
                    request, uploaded, mode, keep_file=keep_file, save_session=False
                )
            except ExtractionError as exc:
                entries.append({"file": uploaded.name, "error": exc.as_dict()})
            except policy.QuotaExceeded as exc:
                entries.append(
                    {
                        "file": uploaded.name,
                        "error": {
                            "code": "quota_exceeded",
                            "message": "Your daily extraction quota is used up; it resets at "
                            f"{exc.usage.reset_at:%H:%M} UTC.",
                        },
                    }
                )
            except queue.QueueFull as exc:
                entries.append(
                    {
                        "file": uploaded.name,
                        "error": {
                            "code": "queue_full",
                            "message": "The extraction queue is full; send this file again later.",
                            "retry_after_seconds": exc.retry_after,
                        },
                    }
                )
            else:
                accepted.append(job)
                entries.append(
                    _with_token(job_payload(job, {"typical": typical, "request": request}), token)
                )
        if not any("id" in e for e in entries):
            first = entries[0]["error"]
            status_code = {"queue_full": 503, "quota_exceeded": 429}.get(first["code"], 400)
            raise APIError(first["code"], first["message"], status_code=status_code, jobs=entries)
        extra = callbacks.attach(request, follow, accepted, batch=True)
        return Response({"jobs": entries, **extra}, status=status.HTTP_202_ACCEPTED)


# DRF's TokenAuthentication reads `Token <key>`; only its plainest spelling
# takes ExtractionDetail's quick poll (any other goes through DRF).
class ExtractionDetail(APIView):
    def get_throttles(self):
        if self.request.method in ("GET", "HEAD"):
            # Polling a job is a cheap read: its own generous limit (SPEC Q-2).
            return [CheapReadThrottle()]
        return super().get_throttles()

    @extend_schema(
        summary="An extraction job and, when done, its JSON Resume",
        responses=ExtractionJobSerializer,
    )
    def get(self, request, pk):
        return Response(job_payload(access.job_for(request, pk), {"request": request}))

    def dispatch(self, request, *args, **kwargs):
        if request.method in ("GET", "HEAD"):
            answer = self._quick_poll(request, kwargs["pk"])
            if answer is not None:
                return answer
        return super().dispatch(request, *args, **kwargs)

    def _quick_poll(self, request, pk) -> HttpResponse | None:
        """The answer to a poll of a job the caller may see, without DRF's
        request, negotiation and exception machinery (issue 13): the same
        body, status and headers as `get` through DRF; None for anything else
        (a bad or missing token, a signed-in session, an Accept header or
        query string DRF would judge, a refusal by the rate limit, an id the
        caller may not see), which DRF then answers as before. The rate limit
        is counted once either way: DRF's throttle reuses the decision made
        here (CheapReadThrottle)."""
        if request.META.get("QUERY_STRING") or request.META.get("HTTP_ACCEPT", "*/*") not in (
            "*/*",
            "application/json",
        ):
            return None
        if hasattr(request, "_force_auth_user"):
            return None  # DRF's APIClient.force_authenticate: DRF decides
        # Before the database: what this poll reads is kept for the next ones
        # with the stamps read here (extraction.polls).
        stamps_read = polls.read_stamps()
        header = request.META.get("HTTP_AUTHORIZATION")
        key_hash = None
        if header is None:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                return None  # a session: DRF's SessionAuthentication decides
            user, token = AnonymousUser(), None
        else:
            m = polls.TOKEN_HEADER.fullmatch(header)
            if m is None:
                return None
            key_hash = polls.token_hash(m.group(1))
            token = ApiToken.find(m.group(1))
            if token is None or not token.user.is_active:
                return None  # DRF refuses it with its 401
            ApiTokenAuthentication.touch(token)
            user = token.user
        # As DRF's Request leaves them on the request middleware sees.
        request.user, request.auth = user, token
        # Counted already by PollAnswers, which left the refusal to Django.
        decision = request.META.get(CHEAP_READ_DECISION) or check_all(
            request, CheapReadThrottle.limits_of()
        )
        request.cheap_read_decision = decision
        if decision.limited:
            return None
        try:
            job = access.job_for(request, pk)
        except Http404:
            return None
        # The queue's typical duration (for the ETA) and the caller's count
        # (for the X-Quota-* headers) in one read of the cache: one round trip
        # to Redis, not two (issue 13).
        try:
            known = cache.get_many([queue.TYPICAL_KEY, usage_key_of(request)])
        except Exception:  # noqa: BLE001 - the cache down: each is computed
            known = {}
        context = {"request": request}
        if not job.is_finished:
            context["typical"] = queue.typical_duration(known)
        request.quota_usage = usage_of(request, known=known)
        ahead = job.__dict__.get("counted_ahead")  # job_payload uses it up
        payload = job_payload(job, context)
        polls.keep(stamps_read, key_hash, request, job, ahead, payload)
        body = JSONRenderer().render(payload)
        response = HttpResponse(body, content_type="application/json")
        response["Allow"] = ", ".join(self.allowed_methods)
        return response

    @extend_schema(
        summary="Cancel a queued job",
        responses={204: None, 409: OpenApiResponse(description="Already ran.")},
    )
    def delete(self, request, pk):
        job = access.controlled_or_404(request, pk)
        if job.state == JobState.CANCELLED:
            return Response(status=status.HTTP_204_NO_CONTENT)
        if not queue.cancel(job, actor=request.user):
            raise APIError(
                "already_started",
                f"This job is {job.state}; only a queued job can be cancelled.",
                status_code=status.HTTP_409_CONFLICT,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
