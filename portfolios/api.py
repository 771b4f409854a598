"""REST API for portfolios (SPEC A); the service status is monitoring's (monitoring.api)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from cv2web.api import APIError
from cv2web.pagination import ApiPagination
from extraction import access as job_access
from extraction.models import JobState
from quotas import ratelimits

from . import access, capacity, lifecycle, links, publishing, sandbox
from .models import Portfolio
from .serializers import (
    PatchSerializer,
    PortfolioSerializer,
    PublishedSerializer,
    PublishSerializer,
    WaitingSerializer,
)
from .site import pdf as site_pdf
from .themes import DEFAULT_THEME

# How an anonymous caller proves control of a portfolio (docs/security.md).
MANAGE_TOKEN = OpenApiParameter(
    "X-Manage-Token",
    location=OpenApiParameter.HEADER,
    required=False,
    description="The portfolio's manage token (also accepted as `Authorization: Manage "
    "<token>`). Anonymous callers need it, or the session that published the portfolio.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description="Retrying with the same key returns the first answer instead of publishing "
    "twice. Keys belong to their caller (account, or session); the same key with a "
    "different body is 409 `idempotency_conflict`.",
)
MAX_IDEMPOTENCY_KEY = 255


def _error(exc: publishing.PublishError, request=None) -> APIError:
    codes = {"portfolio_limit": 409, "not_archived": 409, "idempotency_conflict": 409}
    extra = dict(exc.extra)
    if extra.get("oldest") and not (
        request is not None and access.controlled(request).filter(pk=extra["oldest"]).exists()
    ):
        # Counted by address, the oldest may be a stranger's: never named to others.
        extra["oldest"] = None
    return APIError(exc.code, exc.message, status_code=codes.get(exc.code, 400), **extra)


def _check_body_size(request) -> None:
    """A document is refused by its size before anything parses it (SPEC S-4).
    Twice the snapshot limit (SPEC E-6) leaves room for one that cutting can
    bring under it."""
    limit = 2 * settings.SNAPSHOT_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit or len(request.body) > limit:
        raise APIError(
            "document_too_large",
            f"The document is larger than {limit // 1024} KB; a CV fits in far less.",
            status_code=413,
            max_size_bytes=limit,
        )


def _controlled(request, pk) -> Portfolio:
    try:
        return access.controlled_or_404(request, pk=pk)
    except Http404:
        raise APIError(
            "not_found",
            "No portfolio with this id is yours. Anonymous callers send the manage token "
            "in the X-Manage-Token header.",
            status_code=404,
        ) from None


def _published(out: publishing.Publication, request) -> Response:
    if out.waiting:
        req = out.request
        return Response(
            {
                "status": "waiting",
                "request": str(req.pk),
                "position": capacity.position_of(req),
                "eta_seconds": capacity.eta_seconds(capacity.position_of(req) or 1),
                "manage_token": out.token,
                "notices": out.notes or [],
            },
            status=status.HTTP_202_ACCEPTED,
        )
    p = out.portfolio
    body = PortfolioSerializer(p).data
    # Shown once (None when this answer repeats an earlier publication): send
    # it as X-Manage-Token to manage the portfolio without an account.
    body["manage_token"] = out.token
    body["manage_url"] = links.manage_link(p, out.token) if out.token else None
    # What was cut to fit the size limits (SPEC E-6), in sentences.
    body["notices"] = out.notes or []
    return Response(body, status=status.HTTP_201_CREATED)


class PortfolioListCreate(APIView):
    @extend_schema(
        summary="Your portfolios",
        parameters=[MANAGE_TOKEN],
        responses=PortfolioSerializer(many=True),
    )
    def get(self, request):
        paginator = ApiPagination()
        page = paginator.paginate_queryset(access.controlled(request), request, view=self)
        return paginator.get_paginated_response(PortfolioSerializer(page, many=True).data)

    @extend_schema(
        summary="Publish a portfolio from an extraction or a JSON Resume document",
        parameters=[IDEMPOTENCY_KEY],
        request=PublishSerializer,
        responses={
            201: PublishedSerializer,
            202: OpenApiResponse(
                WaitingSerializer,
                description="At capacity: `status: waiting`, `position`, `eta_seconds`.",
            ),
            404: OpenApiResponse(description="`not_found`: no such extraction is yours."),
            409: OpenApiResponse(
                description="`extraction_not_finished`, `portfolio_limit`, `idempotency_conflict`."
            ),
        },
    )
    def post(self, request):
        _check_body_size(request)
        data = PublishSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job, resume = None, data.validated_data.get("resume")
        if data.validated_data.get("extraction"):
            # Publishing from a job (whose upload an erase then deletes) is for
            # whoever uploaded it: the account, the session, or the job's token.
            job = (
                job_access.controlled(request).filter(pk=data.validated_data["extraction"]).first()
            )
            if job is None:
                raise APIError(
                    "not_found",
                    "No extraction with this id is yours. Anonymous callers send the job's "
                    "manage token in the X-Manage-Token header.",
                    status_code=404,
                )
            if job.state != JobState.SUCCEEDED:
                raise APIError(
                    "extraction_not_finished", "That extraction has no result yet.", status_code=409
                )
            resume = job.result
        theme = data.validated_data.get("theme") or DEFAULT_THEME
        email = data.validated_data.get("email", "")
        privacy = dict(data.validated_data.get("privacy") or {})
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > MAX_IDEMPOTENCY_KEY:
            raise APIError(
                "invalid_idempotency_key",
                f"An Idempotency-Key has at most {MAX_IDEMPOTENCY_KEY} characters.",
            )
        try:
            out = publishing.publish_for(
                request,
                resume=resume,
                theme=theme,
                email=email,
                source_job=job,
                key=key,
                digest=publishing.request_digest(
                    str(job.pk) if job else None,
                    None if job else data.validated_data.get("resume"),
                    theme,
                    email,
                    privacy,
                ),
                privacy=privacy,
            )
        except publishing.PublishError as exc:
            raise _error(exc, request)
        if out.portfolio is not None:
            access.grant(request, out.portfolio)
        elif out.request is not None:
            access.grant_request(request, out.request)
        return _published(out, request)


class PortfolioDetail(APIView):
    @extend_schema(summary="A portfolio", parameters=[MANAGE_TOKEN], responses=PortfolioSerializer)
    def get(self, request, pk):
        return Response(PortfolioSerializer(_controlled(request, pk)).data)

    @extend_schema(
        summary="Edit the document, change the theme or the privacy choices",
        description="Each field left out keeps its current value; `privacy` changes only "
        'the choices it names (e.g. `{"privacy": {"show_references": true}}` publishes '
        "the document's references). The live site is rebuilt at once.",
        parameters=[MANAGE_TOKEN],
        request=PatchSerializer,
        responses={
            200: PortfolioSerializer,
            400: OpenApiResponse(
                description="`invalid_request` (with `fields`: e.g. a privacy choice that is "
                "not a JSON boolean), `invalid_passphrase`, `unknown_theme`, `invalid_resume`."
            ),
            409: OpenApiResponse(description="A conflict with the portfolio's state."),
        },
    )
    def patch(self, request, pk):
        # Who asks, then how much they send, then what it says (SPEC S-4).
        portfolio = _controlled(request, pk)
        _check_body_size(request)
        data = PatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            portfolio = publishing.update(
                portfolio,
                resume=data.validated_data.get("resume"),
                theme=data.validated_data.get("theme"),
                privacy=data.validated_data.get("privacy"),
                actor=request.user,
                request=request,
            )
        except publishing.Gone:
            raise _gone() from None
        except publishing.PublishError as exc:
            raise _error(exc)
        return Response(PortfolioSerializer(portfolio).data)

    @extend_schema(
        summary="Erase the portfolio, its sandbox, upload and extraction results",
        parameters=[MANAGE_TOKEN],
        responses={204: None},
    )
    def delete(self, request, pk):
        if not publishing.erase(_controlled(request, pk), actor=request.user, request=request):
            raise _gone()
        return Response(status=status.HTTP_204_NO_CONTENT)


class PortfolioDownload(APIView):
    @extend_schema(
        summary="The owner's copy of resume.json, site.zip or contact.vcf: everything, "
        "including what the public page leaves out",
        parameters=[MANAGE_TOKEN],
        responses={(200, "application/octet-stream"): bytes},
    )
    def get(self, request, pk, name):
        found = sandbox.owner_file(_controlled(request, pk), name)
        if found is None:
            raise APIError(
                "not_found", "Downloads are resume.json, site.zip and contact.vcf.", status_code=404
            )
        content, content_type = found
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


PAPER = OpenApiParameter(
    "paper",
    location=OpenApiParameter.QUERY,
    required=False,
    enum=sorted(site_pdf.PAPER_SIZES),
    description="Paper size; the server's default (PORTFOLIO_PDF_PAPER, a4 unless set) "
    "when absent.",
)


class PortfolioPdf(APIView):
    @extend_schema(
        summary="The portfolio page as a PDF in its theme (A4 or Letter)",
        description="A text layer in reading order, fonts embedded, links kept. Made on "
        "request and cached per document, theme and paper; rate-limited per client "
        "(RATELIMIT_PDF). An archived portfolio has none (409 `portfolio_archived`).",
        parameters=[MANAGE_TOKEN, PAPER],
        responses={
            (200, "application/pdf"): OpenApiResponse(
                response={"type": "string", "format": "binary"}, description="The PDF."
            ),
            400: OpenApiResponse(description="`invalid_paper`: an unknown paper size."),
            404: OpenApiResponse(description="`not_found`: no portfolio with this id is yours."),
            409: OpenApiResponse(description="`portfolio_archived`: restore it first."),
            422: OpenApiResponse(description="`pdf_failed`: the page could not be laid out."),
            429: OpenApiResponse(description="`rate_limited`, with Retry-After."),
            503: OpenApiResponse(description="`pdf_busy` (with Retry-After) or `pdf_unavailable`."),
        },
    )
    def get(self, request, pk):
        portfolio = _controlled(request, pk)
        paper = sandbox.parse_paper(request.query_params.get("paper"))
        if paper is None:
            raise APIError(
                "invalid_paper",
                "Paper is a4 or letter.",
                choices=sorted(site_pdf.PAPER_SIZES),
            )
        decision = ratelimits.check(request, "pdf", settings.RATELIMIT_PDF)
        if decision.limited:
            raise APIError(
                "rate_limited",
                f"Too many PDFs asked for; try again in {decision.retry_after} seconds.",
                status_code=429,
                headers={"Retry-After": str(decision.retry_after)},
            )
        try:
            content = sandbox.owner_pdf(portfolio, paper)
        except sandbox.PdfRefused as exc:
            raise APIError(exc.code, exc.message, status_code=409) from None
        except sandbox.PdfBusy as exc:
            raise APIError(
                exc.code, exc.message, status_code=503, headers={"Retry-After": "5"}
            ) from None
        except site_pdf.PdfUnavailable as exc:
            raise APIError(exc.code, exc.message, status_code=503) from None
        except site_pdf.PdfError as exc:
            raise APIError(exc.code, exc.message, status_code=422) from None
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="{sandbox.pdf_filename(portfolio, paper)}"'
        )
        return response


def _gone() -> APIError:
    return APIError("not_found", "This portfolio was just erased.", status_code=404)


class PortfolioAction(APIView):
    action = ""

    @extend_schema(
        request=None,
        parameters=[MANAGE_TOKEN],
        responses={
            200: PortfolioSerializer,
            202: OpenApiResponse(
                WaitingSerializer, description="restore at capacity: a place in the waiting list."
            ),
            409: OpenApiResponse(description="`not_live`, `not_archived`, `portfolio_limit`."),
        },
    )
    def post(self, request, pk):
        portfolio = _controlled(request, pk)
        if self.action == "keep-alive":
            if not lifecycle.touch(portfolio, request=request):
                raise APIError(
                    "not_live", "Only a live portfolio can be kept alive.", status_code=409
                )
        elif self.action == "archive":
            if not publishing.archive(portfolio, actor=request.user, request=request):
                raise APIError(
                    "not_live", "Only a live portfolio can be archived.", status_code=409
                )
        elif self.action == "restore":
            try:
                out = publishing.restore(portfolio, actor=request.user, request=request)
            except publishing.PublishError as exc:
                raise _error(exc)
            if out.waiting:
                return _published(out, request)
        # Erased meanwhile: the action found no row to change.
        portfolio = Portfolio.objects.filter(pk=portfolio.pk).first()
        if portfolio is None:
            raise _gone()
        return Response(PortfolioSerializer(portfolio).data)
