"""How webhook endpoints and upload batches look on the API."""

from __future__ import annotations

from rest_framework import serializers

from extraction.serializers import ExtractionJobSerializer

from .models import Event


class EndpointSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    url = serializers.CharField(
        help_text="An https URL on a public address; no user name or password in it."
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.values),
        required=False,
        help_text="Which events to receive; both by default.",
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)
    created_at = serializers.DateTimeField(read_only=True)

    def validate_url(self, value: str) -> str:
        # Only trimmed here: addresses.check answers every refusal with its own code.
        return value.strip()

    def validate_events(self, value: list[str]) -> list[str]:
        if not value:
            raise serializers.ValidationError("Name at least one event.")
        return sorted(set(value))


class EndpointCreatedSerializer(EndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        required=False,
        help_text="The signing secret of your token, shown once: only when it was made now.",
    )


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The token's new signing secret, shown once.")


class BatchSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    callback_url = serializers.CharField(allow_blank=True)
    jobs = ExtractionJobSerializer(many=True)
