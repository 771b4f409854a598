"""API shapes of the monitoring app (explicit, so the OpenAPI schema documents them)."""

from __future__ import annotations

from rest_framework import serializers


class MetricsSerializer(serializers.Serializer):
    """The M-2 metrics (SPEC ResourceMetrics); null where nothing is known yet."""

    active_portfolios = serializers.IntegerField(
        help_text="Portfolios holding a sandbox (capacity in use)."
    )
    total_created = serializers.IntegerField(help_text="Portfolios created (still on record).")
    total_cleaned = serializers.IntegerField(
        help_text="Portfolios whose sandbox was cleaned up at least once."
    )
    average_lifetime_hours = serializers.FloatField(
        allow_null=True,
        help_text="Average life in hours of the last 100 portfolios cleaned up, from "
        "publication to archive.",
    )
    extraction_success_rate = serializers.FloatField(
        allow_null=True,
        help_text="Share (0..1) of the extractions finished in the last 24 h that succeeded.",
    )
    average_processing_seconds = serializers.FloatField(
        allow_null=True,
        help_text="Average seconds of the last 20 extractions that really ran (not cached).",
    )
    queue_depth = serializers.IntegerField(help_text="Extraction jobs waiting to run.")
    cache_hit_rate = serializers.FloatField(
        allow_null=True,
        help_text="Share (0..1) of the extractions finished in the last 24 h answered from "
        "the cache.",
    )
    memory_percent = serializers.FloatField(help_text="Memory in use on this machine, %.")
    cpu_percent = serializers.FloatField(help_text="CPU in use on this machine, %.")
    disk_percent = serializers.FloatField(
        allow_null=True, help_text="Use of the disk holding DATA_DIR, %."
    )
    model_quota_percent = serializers.FloatField(
        allow_null=True,
        help_text="Model API requests left in the current rate-limit window, % of the limit "
        "(null until a model call recorded its rate-limit headers).",
    )


class _Capacity(serializers.Serializer):
    limit = serializers.IntegerField()
    in_use = serializers.IntegerField()
    state = serializers.ChoiceField(choices=["normal", "high_demand", "full", "emergency"])


class _ExtractionQueue(serializers.Serializer):
    depth = serializers.IntegerField()
    running = serializers.IntegerField()
    max_depth = serializers.IntegerField()
    eta_seconds = serializers.IntegerField()


class _PortfolioQueue(serializers.Serializer):
    depth = serializers.IntegerField()
    eta_seconds = serializers.IntegerField()


# The service status as /api/v1/status answers it (SPEC A).
class StatusSerializer(serializers.Serializer):
    capacity = _Capacity()
    extraction_queue = _ExtractionQueue()
    portfolio_queue = _PortfolioQueue()

    def to_representation(self, status):
        cap, extraction = status.capacity, status.extraction
        return super().to_representation(
            {
                "capacity": {"limit": cap.limit, "in_use": cap.in_use, "state": cap.state},
                "extraction_queue": {
                    "depth": extraction.waiting,
                    "running": extraction.running,
                    "max_depth": extraction.max_waiting,
                    "eta_seconds": extraction.eta_seconds,
                },
                "portfolio_queue": {
                    "depth": cap.waiting,
                    "eta_seconds": status.portfolio_eta_seconds if cap.waiting else 0,
                },
            }
        )
