"""How portfolios look on the API (SPEC A)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from extraction.serializers import JsonResumeField

from .links import public_url
from .models import Portfolio


class StrictBooleanField(serializers.BooleanField):
    """JSON `true` or `false`, nothing else. DRF's BooleanField also takes "yes",
    "off", 1 or "0"; a privacy choice sent as a string is more likely a client's
    mistake than a choice, and the person's data is published on it."""

    default_error_messages = {"invalid": "Must be true or false (a JSON boolean)."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class PrivacySerializer(serializers.Serializer):
    """The person's privacy choices (issue 15 point 5). On a write, a field
    left out keeps its current value (or the default when publishing)."""

    show_email = StrictBooleanField(required=False, help_text="Default true.")
    show_phone = StrictBooleanField(required=False, help_text="Default true.")
    show_city = StrictBooleanField(required=False, help_text="City and region. Default true.")
    show_address = StrictBooleanField(
        required=False, help_text="Street and postal code. Default false."
    )
    show_references = StrictBooleanField(
        required=False,
        help_text="The document's `references` (referees' names and words) on the page and "
        "in the public resume.json and site.zip. Third-party data: default false.",
    )
    allow_indexing = StrictBooleanField(
        required=False,
        help_text="Search engines may index the site; false sends noindex (meta tag and "
        "X-Robots-Tag). Default true for an account's portfolio, false for an anonymous one.",
    )
    passphrase = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
        write_only=True,
        help_text="Visitors must enter it to see the site; kept only as a hash. null "
        "removes it; left out keeps the current one.",
    )
    has_passphrase = serializers.BooleanField(read_only=True)

    # The passphrase is checked by publishing.privacy_fields, which answers
    # 400 `invalid_passphrase` with a sentence saying what is wrong.


class PortfolioSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    cleanup_at = serializers.SerializerMethodField()
    privacy = serializers.SerializerMethodField()
    resume = JsonResumeField(read_only=True)

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
            "privacy",
        ]
        read_only_fields = fields

    @extend_schema_field(PrivacySerializer)
    def get_privacy(self, p: Portfolio) -> dict:
        return {
            "show_email": p.show_email,
            "show_phone": p.show_phone,
            "show_city": p.show_city,
            "show_address": p.show_address,
            "show_references": p.show_references,
            "allow_indexing": p.allow_indexing,
            "has_passphrase": bool(p.passphrase_hash),
        }

    @extend_schema_field(serializers.URLField())
    def get_url(self, p: Portfolio) -> str:
        return public_url(p)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_cleanup_at(self, p: Portfolio):
        at = p.cleanup_at()
        return serializers.DateTimeField().to_representation(at) if at else None


class PublishSerializer(serializers.Serializer):
    extraction = serializers.UUIDField(required=False, help_text="A finished extraction job.")
    resume = JsonResumeField(required=False, help_text="A JSON Resume document.")
    theme = serializers.CharField(required=False)
    email = serializers.EmailField(required=False, allow_blank=True)
    privacy = PrivacySerializer(required=False)

    def validate(self, data):
        if bool(data.get("extraction")) == bool(data.get("resume")):
            raise serializers.ValidationError("Give exactly one of `extraction` or `resume`.")
        return data


class PatchSerializer(serializers.Serializer):
    resume = JsonResumeField(required=False)
    theme = serializers.CharField(required=False)
    privacy = PrivacySerializer(required=False)


class PublishedSerializer(PortfolioSerializer):
    """What publishing answers (201): the portfolio, and once its manage token."""

    manage_token = serializers.CharField(
        allow_null=True,
        help_text="Shown once (null when this answer repeats an earlier publication): "
        "send it as X-Manage-Token to manage the portfolio without an account.",
    )
    manage_url = serializers.URLField(allow_null=True)
    notices = serializers.ListField(
        child=serializers.CharField(), help_text="What was cut to fit the size limits."
    )

    class Meta(PortfolioSerializer.Meta):
        fields = [*PortfolioSerializer.Meta.fields, "manage_token", "manage_url", "notices"]
        read_only_fields = fields


class WaitingSerializer(serializers.Serializer):
    """What publishing answers at capacity (202): a place in the waiting list."""

    status = serializers.CharField(help_text="`waiting`.")
    request = serializers.UUIDField()
    position = serializers.IntegerField(allow_null=True)
    eta_seconds = serializers.IntegerField(allow_null=True)
    manage_token = serializers.CharField(allow_null=True)
    notices = serializers.ListField(child=serializers.CharField())
