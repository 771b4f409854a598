"""How portfolios look on the API (SPEC A)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .links import public_url
from .models import Portfolio


class PortfolioSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    cleanup_at = serializers.SerializerMethodField()

    class Meta:
        model = Portfolio
        fields = [
            "id",
            "slug",
            "state",
            "url",
            "theme",
            "resume",
            "created_at",
            "published_at",
            "last_activity_at",
            "warned_at",
            "cleanup_at",
            "archived_at",
            "visits",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_url(self, p: Portfolio) -> str:
        return public_url(p)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_cleanup_at(self, p: Portfolio):
        at = p.cleanup_at()
        return serializers.DateTimeField().to_representation(at) if at else None


class PublishSerializer(serializers.Serializer):
    extraction = serializers.UUIDField(required=False, help_text="A finished extraction job.")
    resume = serializers.JSONField(required=False, help_text="A JSON Resume document.")
    theme = serializers.CharField(required=False)
    email = serializers.EmailField(required=False, allow_blank=True)

    def validate(self, data):
        if bool(data.get("extraction")) == bool(data.get("resume")):
            raise serializers.ValidationError("Give exactly one of `extraction` or `resume`.")
        return data


class PatchSerializer(serializers.Serializer):
    resume = serializers.JSONField(required=False)
    theme = serializers.CharField(required=False)
