"""cv2web.rawrows.create: Model.objects.create through an INSERT written once
(issue 13), with the same row, the same instance and the same signals."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, models, transaction
from django.db.models import signals
from django.test.utils import isolate_apps

from cv2web import rawrows
from extraction import crypto
from extraction.models import Document, ExtractionJob
from monitoring.models import AuditLog

pytestmark = pytest.mark.django_db


def row_of(obj) -> dict:
    return type(obj).objects.filter(pk=obj.pk).values().get()


def test_a_row_made_by_create_is_the_row_the_orm_makes():
    fields = dict(sha256="a" * 64, kind="pdf", size=12, original_name="cv.pdf")
    ours = rawrows.create(Document, storage_name="x", **fields)
    theirs = Document.objects.create(storage_name="w", **fields)
    mine, orm = row_of(ours), row_of(theirs)
    for name in ("id", "created_at", "storage_name"):
        mine.pop(name), orm.pop(name)
    assert mine == orm
    assert not ours._state.adding and ours._state.db == "default"
    assert Document.objects.get(pk=ours.pk).original_name == "cv.pdf"


def test_encrypted_json_defaults_and_foreign_keys_go_through_their_fields():
    document = rawrows.create(
        Document, sha256="b" * 64, kind="txt", size=3, original_name="a.txt", storage_name="y"
    )
    job = rawrows.create(
        ExtractionJob,
        document=document,
        extractor="local",
        fingerprint="f",
        cache_key="k",
        state="succeeded",
        result={"basics": {"name": "Ada Example"}},
        manage_token_hash="h" * 64,
    )
    loaded = ExtractionJob.objects.get(pk=job.pk)
    assert loaded.result == {"basics": {"name": "Ada Example"}}
    assert loaded.document_id == document.pk and loaded.manage_token_hash == "h" * 64
    assert loaded.created_at == job.created_at
    # Sealed in its column, as the ORM seals it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT result FROM extraction_extractionjob")
        (stored,) = cursor.fetchone()
    assert "Ada" not in stored and crypto.is_sealed(stored.encode())


def test_an_auto_primary_key_is_read_back():
    first = rawrows.create(AuditLog, action="a.one", details={"n": 1})
    second = rawrows.create(AuditLog, action="a.two", details={})
    assert isinstance(first.pk, int) and second.pk > first.pk
    assert AuditLog.objects.get(pk=second.pk).action == "a.two"


def test_pre_and_post_save_are_sent_as_for_a_create():
    seen = []

    def pre(sender, instance, raw, using, update_fields, **kw):
        seen.append(("pre", sender, instance.pk is not None, raw, update_fields))

    def post(sender, instance, created, raw, using, update_fields, **kw):
        seen.append(("post", sender, created, instance._state.adding))

    signals.pre_save.connect(pre, sender=AuditLog)
    signals.post_save.connect(post, sender=AuditLog)
    try:
        rawrows.create(AuditLog, action="a.signal")
    finally:
        signals.pre_save.disconnect(pre, sender=AuditLog)
        signals.post_save.disconnect(post, sender=AuditLog)
    assert seen == [("pre", AuditLog, False, False, None), ("post", AuditLog, True, False)]


def test_a_failed_insert_marks_the_transaction_and_leaves_no_row():
    fields = dict(sha256="c" * 64, kind="pdf", size=1, original_name="c.pdf")
    first = rawrows.create(Document, storage_name="z", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        rawrows.create(Document, id=first.pk, storage_name="v", **fields)  # the same key
    assert Document.objects.filter(sha256="c" * 64).count() == 1


@isolate_apps("monitoring")
def test_models_it_cannot_write_alike_are_refused():
    class WithDbDefault(models.Model):
        n = models.IntegerField(db_default=1)

        class Meta:
            app_label = "monitoring"

        def __str__(self) -> str:
            return str(self.n)

    with pytest.raises(TypeError, match="database makes"):
        rawrows.create(WithDbDefault)
