"""REST API for portfolios and the service status (SPEC A)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from cv2web.api import APIError
from extraction.models import ExtractionJob, JobState
from quotas import policy

from . import capacity, lifecycle, publishing, sandbox
from .models import Portfolio, State
from .serializers import (
    PatchSerializer,
    PortfolioSerializer,
    PublishSerializer,
    StatusSerializer,
)
from .themes import DEFAULT_THEME


def own_portfolios(request):
    return Portfolio.objects.owned_by(
        user=request.user, client=getattr(request, "client_bucket", "")
    )


def _error(exc: publishing.PublishError) -> APIError:
    codes = {"portfolio_limit": 409, "not_archived": 409}
    return APIError(exc.code, exc.message, status_code=codes.get(exc.code, 400), **exc.extra)


def _published(out: publishing.Outcome, request) -> Response:
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
    body["manage_url"] = (
        f"{settings.PUBLIC_BASE_URL.rstrip('/')}/p/{p.slug}/manage/{out.token}"
        if out.token
        else None
    )
    # What was cut to fit the size limits (SPEC E-6), in sentences.
    body["notices"] = out.notes or []
    return Response(body, status=status.HTTP_201_CREATED)


class PortfolioListCreate(APIView):
    @extend_schema(summary="Your portfolios", responses=PortfolioSerializer(many=True))
    def get(self, request):
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(own_portfolios(request), request, view=self)
        return paginator.get_paginated_response(PortfolioSerializer(page, many=True).data)

    @extend_schema(
        summary="Publish a portfolio from an extraction or a JSON Resume document",
        request=PublishSerializer,
        responses={
            201: PortfolioSerializer,
            202: OpenApiResponse(
                description="At capacity: `status: waiting`, `position`, `eta_seconds`."
            ),
        },
    )
    def post(self, request):
        data = PublishSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job, resume = None, data.validated_data.get("resume")
        if data.validated_data.get("extraction"):
            from extraction.api import visible_jobs

            job = get_object_or_404(visible_jobs(request), pk=data.validated_data["extraction"])
            if job.state != JobState.SUCCEEDED:
                raise APIError(
                    "extraction_not_finished", "That extraction has no result yet.", status_code=409
                )
            resume = job.result
        limits = policy.limits_for(request.user)
        try:
            out = publishing.publish(
                resume=resume,
                theme=data.validated_data.get("theme") or DEFAULT_THEME,
                owner=request.user,
                client=getattr(request, "client_bucket", ""),
                email=data.validated_data.get("email", ""),
                tier=policy.tier_of(request.user),
                retention_hours=limits.retention_hours,
                active_limit=limits.active_portfolios,
                source_job=job,
                publish_key=request.headers.get("Idempotency-Key"),
                request=request,
            )
        except publishing.PublishError as exc:
            raise _error(exc)
        return _published(out, request)


class PortfolioDetail(APIView):
    def _get(self, request, pk) -> Portfolio:
        return get_object_or_404(own_portfolios(request), pk=pk)

    @extend_schema(summary="A portfolio", responses=PortfolioSerializer)
    def get(self, request, pk):
        return Response(PortfolioSerializer(self._get(request, pk)).data)

    @extend_schema(
        summary="Edit the document or change the theme",
        request=PatchSerializer,
        responses=PortfolioSerializer,
    )
    def patch(self, request, pk):
        portfolio = self._get(request, pk)
        data = PatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        resume = data.validated_data.get("resume", portfolio.resume)
        theme = data.validated_data.get("theme", portfolio.theme)
        try:
            doc, _notes = publishing.prepare(resume, theme)
        except publishing.PublishError as exc:
            raise _error(exc)
        with transaction.atomic():
            Portfolio.objects.filter(pk=portfolio.pk).update(resume=doc, theme=theme)
        portfolio.refresh_from_db()
        if portfolio.holds_sandbox and portfolio.state != State.CREATING:
            sandbox.build(portfolio)
        lifecycle.touch(portfolio, request=request)
        return Response(PortfolioSerializer(portfolio).data)

    @extend_schema(
        summary="Erase the portfolio, its sandbox, upload and extraction results",
        responses={204: None},
    )
    def delete(self, request, pk):
        publishing.erase(self._get(request, pk), actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PortfolioAction(APIView):
    action = ""

    @extend_schema(request=None, responses=PortfolioSerializer)
    def post(self, request, pk):
        portfolio = get_object_or_404(own_portfolios(request), pk=pk)
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
        portfolio.refresh_from_db()
        return Response(PortfolioSerializer(portfolio).data)


class ServiceStatus(APIView):
    @extend_schema(
        summary="Capacity and queues, as the public status page shows them",
        responses=StatusSerializer,
    )
    def get(self, request):
        from extraction import queue

        cap = capacity.status()
        waiting = ExtractionJob.objects.waiting().count()
        return Response(
            {
                "capacity": {"limit": cap.limit, "in_use": cap.in_use, "state": cap.state},
                "extraction_queue": {
                    "depth": waiting,
                    "running": ExtractionJob.objects.running().count(),
                    "max_depth": settings.EXTRACTION_MAX_QUEUE_DEPTH,
                    "eta_seconds": queue.place_eta(waiting + 1),
                },
                "portfolio_queue": {
                    "depth": cap.waiting,
                    "eta_seconds": capacity.eta_seconds(cap.waiting + 1) if cap.waiting else 0,
                },
            }
        )
