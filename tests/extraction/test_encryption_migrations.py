"""The migrations that encrypt job results and portfolio documents (SPEC S-3)
convert existing rows without loss, forwards and backwards, on the configured
engine (SQLite by default, PostgreSQL with DATABASE_URL).

Job results and portfolios cannot be re-created (unlike the cache), so the
test writes real rows under the old schema, migrates, reads them back through
the new models, migrates back and finds the same JSON documents again.
"""

from __future__ import annotations

import importlib
import json

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from extraction import crypto

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("extraction", "0006_job_manage_token"), ("portfolios", "0003_ownership_and_scoped_keys")]
AFTER = [("extraction", "0007_encrypted_job_result"), ("portfolios", "0004_encrypted_resumes")]
COLUMNS = [
    ("extraction_extractionjob", "result"),
    ("portfolios_portfolio", "resume"),
    ("portfolios_portfoliorequest", "resume"),
]
KEY = Fernet.generate_key().decode()


def doc(i: int) -> dict:
    return {
        "basics": {"name": f"Migrated Person {i}", "email": f"person{i}@example.com"},
        "work": [{"name": "Émile & Co ✓", "highlights": [f"line {i}"]}],
    }


def raw(table: str, column: str) -> dict[str, str]:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {qn('id')}, CAST({qn(column)} AS TEXT) FROM {qn(table)} "
            f"WHERE {qn(column)} IS NOT NULL"
        )
        return {str(pk): value for pk, value in cursor.fetchall()}


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_schema():
    """The schema before encryption; the latest one again afterwards."""
    apps = migrate(BEFORE)
    try:
        yield apps
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def make_old_rows(apps, n: int) -> None:
    Document = apps.get_model("extraction", "Document")
    Job = apps.get_model("extraction", "ExtractionJob")
    Portfolio = apps.get_model("portfolios", "Portfolio")
    Request = apps.get_model("portfolios", "PortfolioRequest")
    now = timezone.now()
    for i in range(n):
        document = Document.objects.create(
            sha256=f"{i:064d}", kind="txt", size=1, storage_name=f"m-{i}.txt"
        )
        Job.objects.create(
            document=document, extractor="local", fingerprint="f", cache_key=f"k{i}", result=doc(i)
        )
        portfolio = Portfolio.objects.create(
            slug=f"migrated-{i}",
            retention_hours=24,
            resume=doc(i),
            theme="classic",
            manage_token_hash=f"h{i}",
            warn_at=now,
        )
        Request.objects.create(
            resume=doc(i), theme="classic", manage_token_hash=f"r{i}", portfolio=portfolio
        )
    # A job without a result (queued) stays without one.
    Job.objects.create(document=document, extractor="local", fingerprint="f", cache_key="empty")


def documents(apps) -> dict:
    Job = apps.get_model("extraction", "ExtractionJob")
    Portfolio = apps.get_model("portfolios", "Portfolio")
    Request = apps.get_model("portfolios", "PortfolioRequest")
    return {
        "jobs": sorted(
            (j.cache_key, j.result) for j in Job.objects.all() if j.cache_key != "empty"
        ),
        "empty": Job.objects.get(cache_key="empty").result,
        "portfolios": sorted((p.slug, json.dumps(p.resume)) for p in Portfolio.objects.all()),
        "requests": sorted(
            (r.manage_token_hash, json.dumps(r.resume)) for r in Request.objects.all()
        ),
    }


def test_existing_rows_are_sealed_forwards_and_opened_backwards_without_loss(
    old_schema, settings, monkeypatch
):
    settings.ENCRYPTION_KEYS = [KEY]
    # Small batches, so that the batching itself is exercised.
    for module in (
        "extraction.migrations.0007_encrypted_job_result",
        "portfolios.migrations.0004_encrypted_resumes",
    ):
        monkeypatch.setattr(importlib.import_module(module), "BATCH_SIZE", 2)
    make_old_rows(old_schema, 5)
    original = documents(old_schema)
    assert len(original["jobs"]) == len(original["portfolios"]) == 5

    new_apps = migrate(AFTER)
    for table, column in COLUMNS:
        values = raw(table, column)
        assert len(values) == 5
        for value in values.values():
            assert value.startswith(crypto.MAGIC.decode()), (table, column)
            assert "Migrated Person" not in value and "example.com" not in value
    assert documents(new_apps) == original

    back_apps = migrate(BEFORE)
    for table, column in COLUMNS:
        for value in raw(table, column).values():
            assert json.loads(value)["basics"]["name"].startswith("Migrated Person")
    assert documents(back_apps) == original

    # And forwards again: the round trip is repeatable.
    assert documents(migrate(AFTER)) == original


def test_going_back_with_a_key_missing_fails_and_changes_nothing(old_schema, settings):
    settings.ENCRYPTION_KEYS = [KEY]
    make_old_rows(old_schema, 2)
    migrate(AFTER)
    sealed = {c: raw(*c) for c in COLUMNS}
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(crypto.DecryptionError, match="ExtractionJob.result of row"):
        migrate([("extraction", "0006_job_manage_token")])

    assert {c: raw(*c) for c in COLUMNS} == sealed
    settings.ENCRYPTION_KEYS = [KEY]
    assert len(documents(migrate(AFTER))["jobs"]) == 2
