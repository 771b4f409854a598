"""How extraction jobs look on the API (SPEC A)."""

from __future__ import annotations

import functools
import json

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cv2web.schema import json_schema_to_openapi

from .models import ExtractionJob, JobState, Mode
from .queue import place_of
from .resume import in_schema_order
from .resume.schema import SCHEMA_PATH, SCHEMA_VERSION


class JobErrorSerializer(serializers.Serializer):
    """Why a job failed (not an error answer of the API: that is `Error`)."""

    code = serializers.CharField()
    message = serializers.CharField()


class JsonResumeField(serializers.JSONField):
    """A JSON Resume document: typed in the OpenAPI schema by the `JsonResume`
    component, built from the vendored official schema (extraction.openapi)."""


class DocumentInfoSerializer(serializers.Serializer):
    name = serializers.CharField(source="original_name")
    kind = serializers.CharField()
    size = serializers.IntegerField()
    pages = serializers.IntegerField(allow_null=True)


class ExtractionJobSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.SerializerMethodField()
    position = serializers.SerializerMethodField()
    eta_seconds = serializers.SerializerMethodField()
    attempts = serializers.SerializerMethodField()
    cached = serializers.BooleanField()
    mode = serializers.ChoiceField(
        choices=Mode.values,
        help_text="interactive, or background: the last queue class and, with the AI "
        "extractor, the Message Batches API at the batch price (minutes to hours).",
    )
    batch_id = serializers.SerializerMethodField(
        help_text="The Message Batches API batch that answered (or holds) the job: shown to "
        "staff only, null for everyone else."
    )
    extractor = serializers.SerializerMethodField()
    warnings = serializers.ListField(child=serializers.CharField())
    confidence = serializers.DictField(
        child=serializers.ChoiceField(choices=["high", "low", "disagree"]),
        help_text='Per field ("basics.name", "work[0].startDate", ...): how sure the local '
        'extractor was ("high" or "low") when it answered. When the model answered, '
        '"disagree" marks each field where the local extractor, reading the same text, '
        'found something else ("work[2]": an entry it did not find; "work": it found an '
        "entry the answer lacks); the answer itself is never changed. Empty when both "
        "agree.",
    )
    result = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()
    document = DocumentInfoSerializer()
    created_at = serializers.DateTimeField()
    started_at = serializers.SerializerMethodField()
    finished_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_batch_id(self, job: ExtractionJob):
        """The batch's id for staff; null for everyone else (and for unbatched jobs)."""
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if not (user is not None and user.is_authenticated and user.is_staff):
            return None
        batch = job.leader.batch
        return (batch.provider_id or str(batch.pk)) if batch is not None else None

    def _place(self, job: ExtractionJob):
        cache = self.context.setdefault("_places", {})
        if job.pk not in cache:
            cache[job.pk] = place_of(job, typical=self.context.get("typical"))
        return cache[job.pk]

    @extend_schema_field(serializers.ChoiceField(choices=JobState.values))
    def get_status(self, job: ExtractionJob) -> str:
        if job.joined_to_id and not job.is_finished:
            return job.joined_to.state
        return job.state

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_position(self, job: ExtractionJob):
        return self._place(job).position

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_eta_seconds(self, job: ExtractionJob):
        return self._place(job).eta_seconds

    def get_attempts(self, job: ExtractionJob) -> int:
        return job.leader.attempts if not job.is_finished else job.attempts

    def get_extractor(self, job: ExtractionJob) -> str:
        return job.extractor_used or job.extractor

    @extend_schema_field(JsonResumeField(allow_null=True))
    def get_result(self, job: ExtractionJob):
        """The JSON Resume document, keys in the schema's order."""
        return in_schema_order(job.result) if job.result is not None else None

    @extend_schema_field(JobErrorSerializer(allow_null=True))
    def get_error(self, job: ExtractionJob):
        return job.error()

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_started_at(self, job: ExtractionJob):
        return (
            serializers.DateTimeField().to_representation(job.leader.started_at)
            if job.leader.started_at
            else None
        )


class UploadedSerializer(ExtractionJobSerializer):
    """What an upload answers: the job, and once its manage token."""

    manage_token = serializers.CharField(
        required=False,
        help_text="Anonymous callers only, shown once: send it as X-Manage-Token to cancel "
        "the job or publish from it.",
    )


MODE_HELP = (
    "interactive (default), or background: half the model price, in the last queue class "
    "(never ahead of a person), done within minutes to hours."
)


CALLBACK_HELP = (
    "Optional, API tokens only: an https URL that receives a signed `extraction.finished` "
    "event (single upload) or `batch.finished` event (batch) when the work ends "
    "(docs/api.md, Webhooks)."
)


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The CV: PDF, DOCX or TXT.")
    mode = serializers.ChoiceField(choices=Mode.values, required=False, help_text=MODE_HELP)
    callback_url = serializers.URLField(required=False, help_text=CALLBACK_HELP)
    keep_file = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Keep the uploaded file after a successful extraction. False (the "
        "default): the file is deleted as soon as it has been read; the extracted "
        "document is kept.",
    )


class BatchUploadSerializer(serializers.Serializer):
    files = serializers.ListField(child=serializers.FileField(), help_text="Up to 50 CVs.")
    mode = serializers.ChoiceField(choices=Mode.values, required=False, help_text=MODE_HELP)
    callback_url = serializers.URLField(required=False, help_text=CALLBACK_HELP)
    keep_file = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Keep the uploaded files after a successful extraction (default false).",
    )


@functools.cache
def json_resume_component() -> dict:
    """The `JsonResume` component: the vendored official schema file, read
    each time the process starts, so a newer vendored schema is what the API
    documents without any change here."""
    document = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    schema = json_schema_to_openapi(document)
    schema["description"] = (
        "A JSON Resume document (https://jsonresume.org/schema), as the official schema "
        f"{SCHEMA_VERSION} says."
    )
    return schema


class JsonResumeFieldExtension(OpenApiSerializerFieldExtension):
    target_class = JsonResumeField

    def map_serializer_field(self, auto_schema, direction):
        component = ResolvedComponent(
            name="JsonResume",
            type=ResolvedComponent.SCHEMA,
            object="JsonResume",
            schema=json_resume_component(),
        )
        auto_schema.registry.register_on_missing(component)
        if self.target.allow_null:
            return {"allOf": [component.ref], "nullable": True}
        return component.ref


_DATETIME = serializers.DateTimeField()
_MODE = serializers.ChoiceField(choices=Mode.values)


def _datetime(value):
    return _DATETIME.to_representation(value) if value else None


def job_data(job: ExtractionJob, context: dict | None = None) -> dict:
    """`ExtractionJobSerializer(job, context=context).data` (the same keys in
    the same order, the same values), built without the serializer: building
    its fields for every poll of a job cost more than reading the job (issue
    13). tests/extraction/test_api.py compares the two for jobs in every state."""
    context = context or {}
    request = context.get("request")
    user = getattr(request, "user", None)
    finished = job.is_finished
    leader = job.leader
    place = place_of(job, typical=context.get("typical"))
    batch_id = None
    if user is not None and user.is_authenticated and user.is_staff:
        batch = leader.batch
        batch_id = (batch.provider_id or str(batch.pk)) if batch is not None else None
    document = job.document
    warnings = job.warnings
    confidence = job.confidence
    return {
        "id": str(job.id),
        "status": job.joined_to.state if job.joined_to_id and not finished else job.state,
        "position": place.position,
        "eta_seconds": place.eta_seconds,
        "attempts": leader.attempts if not finished else job.attempts,
        "cached": bool(job.cached),
        "mode": _MODE.to_representation(job.mode),
        "batch_id": batch_id,
        "extractor": job.extractor_used or job.extractor,
        "warnings": None if warnings is None else [str(w) for w in warnings],
        "confidence": None if confidence is None else {str(k): v for k, v in confidence.items()},
        "result": in_schema_order(job.result) if job.result is not None else None,
        "error": job.error(),
        "document": {
            "name": str(document.original_name),
            "kind": str(document.kind),
            "size": int(document.size),
            "pages": None if document.pages is None else int(document.pages),
        },
        "created_at": _datetime(job.created_at),
        "started_at": _datetime(leader.started_at),
        "finished_at": _datetime(job.finished_at),
    }
