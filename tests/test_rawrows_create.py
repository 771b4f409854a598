"""cv2web.rawrows.create: Model.objects.create through an INSERT written once
(issue 13), with the same row, the same instance and the same signals."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, connection, models, transaction
from django.db.models import signals
from django.test.utils import CaptureQueriesContext, isolate_apps

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


def test_values_of_other_types_still_go_through_their_fields():
    from django.utils.translation import gettext_lazy

    document = rawrows.create(
        Document,
        sha256="c" * 64,
        kind="pdf",
        size="12",  # a str for an integer column: the field makes it 12
        original_name=gettext_lazy("cv.pdf"),  # a lazy string: the field casts it
        storage_name="z",
        delete_after_extraction=1,  # not a bool: the field's own conversion
    )
    row = row_of(document)
    assert row["size"] == 12 and row["original_name"] == "cv.pdf"
    assert row["delete_after_extraction"] is True
    with pytest.raises(TypeError, match="unexpected keyword"):
        rawrows.create(Document, sha256="d" * 64, kind="pdf", size=1, no_such_field=1)
    assert Document.objects.count() == 1


def test_a_related_object_given_by_name_is_the_instances_cached_one():
    document = rawrows.create(
        Document, sha256="e" * 64, kind="txt", size=3, original_name="a.txt", storage_name="q"
    )
    job = rawrows.create(ExtractionJob, document=document, extractor="local", fingerprint="f")
    assert job.document is document and job.document_id == document.pk
    by_id = rawrows.create(ExtractionJob, document_id=document.pk, extractor="local")
    assert by_id.document_id == document.pk and by_id.document == document
    chosen = uuid.uuid4()
    assert rawrows.create(ExtractionJob, pk=chosen, document=document).pk == chosen
    assert ExtractionJob.objects.filter(pk=chosen).exists()


def test_a_prepared_column_is_written_as_given_and_an_unknown_one_refused():
    document = rawrows.create(
        Document, sha256="f" * 64, kind="txt", size=3, original_name="a.txt", storage_name="p"
    )
    sealed = crypto.seal(b'{"basics":{"name":"A"}}').decode("ascii")
    job = rawrows.create(
        ExtractionJob,
        document=document,
        result={"basics": {"name": "A"}},
        _prepared={"result": sealed},
    )
    assert ExtractionJob.objects.get(pk=job.pk).result == {"basics": {"name": "A"}}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT result FROM extraction_extractionjob WHERE id = %s",
            [job.pk.hex if connection.vendor == "sqlite" else job.pk],
        )
        assert cursor.fetchone()[0] == sealed
    with pytest.raises(TypeError, match="no column"):
        rawrows.create(ExtractionJob, document=document, _prepared={"nope": 1})


def test_insert_many_writes_its_rows_in_one_statement_and_reads_their_keys_back():
    rows = [rawrows.build(AuditLog, action=f"a.many{i}", details={"i": i}) for i in range(3)]
    seen = []

    def post(sender, instance, created, **kw):
        seen.append((instance.action, instance.pk is not None, created))

    signals.post_save.connect(post, sender=AuditLog)
    try:
        with CaptureQueriesContext(connection) as queries:
            rawrows.insert_many(AuditLog, rows)
    finally:
        signals.post_save.disconnect(post, sender=AuditLog)
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["INSERT"]
    assert [(r.action, r.details) for r in AuditLog.objects.order_by("pk")] == [
        (f"a.many{i}", {"i": i}) for i in range(3)
    ]
    # Each instance holds its own row's key, in the order given.
    for row in rows:
        assert AuditLog.objects.get(pk=row.pk).action == row.action
        assert not row._state.adding
    assert seen == [(f"a.many{i}", True, True) for i in range(3)]
    rawrows.insert_many(AuditLog, [])  # nothing to write: no statement
    assert AuditLog.objects.count() == 3
