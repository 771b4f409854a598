"""The OpenAPI schema's project conventions (drf-spectacular's AutoSchema)."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework.settings import api_settings


class AutoSchema(SpectacularAutoSchema):
    """Every list the API answers is paginated by DEFAULT_PAGINATION_CLASS
    (cv2web.pagination), including those of plain APIViews, which have no
    `pagination_class` for drf-spectacular to find: without this the schema
    promised a bare array where the answer is `{count, next, previous,
    results}` (found by `make fuzz`)."""

    def _get_paginator(self):
        paginator = super()._get_paginator()
        if paginator is None and self.method == "GET" and api_settings.DEFAULT_PAGINATION_CLASS:
            return api_settings.DEFAULT_PAGINATION_CLASS()
        return paginator
