"""REST API of webhooks: an API token's endpoints and signing secret, and the
upload batches it made (docs/api.md, Webhooks)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from cv2web.api import APIError
from cv2web.pagination import ApiPagination
from monitoring import audit

from . import addresses
from .models import Endpoint, Event, SigningKey, UploadBatch
from .serializers import (
    BatchSerializer,
    EndpointCreatedSerializer,
    EndpointSerializer,
    SecretSerializer,
)
from .uploads import TokenRequired, token_of


def _token(request):
    token = token_of(request)
    if token is None:
        raise TokenRequired()
    return token


def _invalid(serializer) -> APIError:
    field, errors = next(iter(serializer.errors.items()))
    return APIError("invalid_request", f"{field}: {errors[0]}", fields=serializer.errors)


class EndpointListCreate(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Your token's webhook endpoints", responses=EndpointSerializer(many=True)
    )
    def get(self, request):
        endpoints = Endpoint.objects.filter(token=_token(request)).active()
        paginator = ApiPagination()
        page = paginator.paginate_queryset(endpoints, request, view=self)
        return paginator.get_paginated_response(EndpointSerializer(page, many=True).data)

    @extend_schema(
        summary="Register a webhook endpoint for your token",
        request=EndpointSerializer,
        responses={
            201: EndpointCreatedSerializer,
            400: OpenApiResponse(
                description="`invalid_url`, `url_too_long`, `scheme_not_allowed`, "
                "`https_required`, `credentials_in_url`, `address_not_allowed`, "
                "`unresolvable_host`, `too_many_endpoints`, `token_required`."
            ),
            409: OpenApiResponse(description="`endpoint_exists`."),
        },
    )
    def post(self, request):
        token = _token(request)
        serializer = EndpointSerializer(data=request.data)
        if not serializer.is_valid():
            raise _invalid(serializer)
        url = serializer.validated_data["url"]
        addresses.check(url)
        active = Endpoint.objects.filter(token=token).active()
        if any(e.url == url for e in active):
            raise APIError(
                "endpoint_exists",
                "This URL is already registered for your token.",
                status_code=status.HTTP_409_CONFLICT,
            )
        limit = settings.WEBHOOK_MAX_ENDPOINTS
        if len(active) >= limit:
            raise APIError(
                "too_many_endpoints",
                f"A token may have at most {limit} endpoints; remove one first.",
                max_endpoints=limit,
            )
        with transaction.atomic():
            endpoint = Endpoint.objects.create(
                token=token,
                url=url,
                events=serializer.validated_data.get("events") or list(Event.values),
                description=serializer.validated_data.get("description", ""),
            )
            _, secret = SigningKey.ensure(token)
        audit.record(
            "webhook.endpoint_added",
            category=audit.Category.SECURITY,
            request=request,
            obj=endpoint,
            details={"url": url[:200], "token": token.key_prefix},
        )
        data = dict(EndpointSerializer(endpoint).data)
        if secret is not None:
            data["secret"] = secret
        return Response(data, status=status.HTTP_201_CREATED)


class EndpointDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Remove a webhook endpoint", responses={204: None})
    def delete(self, request, pk):
        endpoint = get_object_or_404(Endpoint.objects.active(), pk=pk, token=_token(request))
        if endpoint.disable():
            audit.record(
                "webhook.endpoint_removed",
                category=audit.Category.SECURITY,
                request=request,
                obj=endpoint,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


class SecretRotate(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A new signing secret for your token (the old one stops at once)",
        request=None,
        responses=SecretSerializer,
    )
    def post(self, request):
        token = _token(request)
        secret = SigningKey.rotate(token)
        audit.record(
            "webhook.secret_rotated",
            category=audit.Category.SECURITY,
            request=request,
            obj=token,
        )
        return Response({"secret": secret})


class BatchDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="An upload batch and every job of it, with results", responses=BatchSerializer
    )
    def get(self, request, pk):
        batch = get_object_or_404(
            UploadBatch.objects.select_related("token"), pk=pk, token__user=request.user
        )
        jobs = batch.jobs.select_related("document", "joined_to").order_by("created_at", "pk")
        data = {
            "id": batch.pk,
            "created_at": batch.created_at,
            "finished_at": batch.finished_at,
            "callback_url": batch.callback_url,
            "jobs": list(jobs),
        }
        return Response(BatchSerializer(data).data)
