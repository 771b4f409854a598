"""Audit retention and the metrics snapshot at scale, on PostgreSQL (issue 5).

Part 1 inserts 1,000,000 expired audit rows (the three categories, each past
its retention) and a few thousand fresh ones, then times
`monitoring.retention.purge_audit_log()`: total time, rows deleted, batches
and the longest batch (target under 1 s), and checks the fresh rows survived.
Part 2 fills 100,000 portfolios and 1,000,000 extraction jobs and times
`monitoring.metrics.snapshot()` over several runs (target p95 under 200 ms).
Rows are made by INSERT ... SELECT generate_series, not by the ORM.

    python bench/retention.py [--audit-rows N] [--portfolios N] [--jobs N] [--runs N]

The database is DATABASE_URL, or a scratch database
postgres://postgres@127.0.0.1:5432/cv2web_bench_retention, created and
migrated here. The bench empties the audit, portfolio and extraction tables:
on any other database that holds rows it stops unless --wipe is given.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import percentile  # noqa: E402

SCRATCH_DB = "cv2web_bench_retention"
SCRATCH_URL = f"postgres://postgres@127.0.0.1:5432/{SCRATCH_DB}"
DAY_S = 86400


def ensure_database(url: str) -> None:
    """Create the database of `url` if the server does not have it yet."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    name = conninfo_to_dict(url)["dbname"]
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def insert_series(model, n: int, exprs: dict[str, str], source: str = "") -> None:
    """INSERT INTO model's table SELECT ... FROM generate_series(1, n) g.

    `exprs` maps columns to SQL over `g` (and whatever `source` adds); every
    other column gets its field's default, so a field added later does not
    break the bench.
    """
    from django.db import connection

    qn = connection.ops.quote_name
    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.get_internal_type().endswith("AutoField"):
            continue  # the database numbers the rows
        columns.append(qn(field.column))
        if field.column in exprs:
            values.append(exprs[field.column].replace("%", "%%"))  # no placeholders
        else:
            values.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    unknown = set(exprs) - {f.column for f in model._meta.concrete_fields}
    assert not unknown, unknown
    source = (source or f"generate_series(1, {int(n)}) g").replace("%", "%%")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
            f"SELECT {', '.join(values)} FROM {source}",
            params,
        )


def analyze(*models) -> None:
    """What autovacuum does to a table that has lived a while: statistics, and
    the visibility map that lets counts read an index alone."""
    from django.db import connection

    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


# --- Part 1: audit retention -------------------------------------------------------


def bench_audit(rows: int, fresh_per_category: int) -> dict:
    from django.db import connection

    from monitoring import retention
    from monitoring.models import AuditLog

    days = {str(k): v for k, v in retention.audit_retention_days().items()}
    categories = sorted(days)  # activity, security, system
    # Expired: each row 1 to 60 days past its category's retention.
    expired_age = " ".join(
        f"WHEN {i} THEN {days[c]} + 1 + g % 60" for i, c in enumerate(categories)
    )
    category = " ".join(f"WHEN {i} THEN '{c}'" for i, c in enumerate(categories))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {connection.ops.quote_name(AuditLog._meta.db_table)}")
    started = time.perf_counter()
    common = {
        "action": "'bench.event'",
        "object_type": "'bench.thing'",
        "object_id": "g::text",
        "ip": "'192.0.2.' || (g % 250)",
        "details": """jsonb_build_object('n', g, 'note', 'an audit row of the benchmark')""",
    }
    insert_series(
        AuditLog,
        rows,
        {
            **common,
            "category": f"CASE g % 3 {category} END",
            "created_at": f"now() - make_interval(days => CASE g % 3 {expired_age} END, "
            "secs => g % 86400)",
        },
    )
    # Fresh: up to one day short of the retention; these must all stay.
    for c in categories:
        insert_series(
            AuditLog,
            fresh_per_category,
            {
                **common,
                "category": f"'{c}'",
                "created_at": f"now() - make_interval(days => g % {days[c] - 1}, secs => g % 3600)",
            },
        )
    analyze(AuditLog)
    fill_s = time.perf_counter() - started
    fresh = fresh_per_category * len(categories)
    print(f"audit log: {rows:,} expired + {fresh:,} fresh rows inserted in {fill_s:.1f} s")

    started = time.perf_counter()
    stats = retention.purge_audit_log()
    total_s = time.perf_counter() - started
    left = AuditLog.objects.exclude(action="retention.audit_log").count()
    print(
        f"purge_audit_log: {stats['deleted']:,} rows deleted in {total_s:.2f} s, "
        f"{stats['batches']} batches, longest batch {stats['longest_batch_ms']:.0f} ms "
        f"(target < 1000 ms); per category "
        + ", ".join(f"{c} {stats.get(c, 0):,}" for c in categories)
    )
    print(f"fresh rows left: {left:,} of {fresh:,}" + ("" if left == fresh else "  <-- WRONG"))
    return {
        "audit_rows_expired": rows,
        "audit_deleted": stats["deleted"],
        "audit_purge_s": round(total_s, 2),
        "audit_batches": stats["batches"],
        "audit_longest_batch_ms": stats["longest_batch_ms"],
        "audit_fresh_kept": left == fresh and stats["deleted"] == rows,
    }


# --- Part 2: the metrics snapshot -------------------------------------------------


def fill_portfolios_and_jobs(portfolios: int, jobs: int) -> None:
    from django.db import connection

    from extraction import crypto
    from extraction.models import Document, ExtractionJob
    from portfolios.models import Portfolio

    qn = connection.ops.quote_name
    # URL-safe base64 after a header without quotes: safe inside a SQL literal.
    sealed_resume = crypto.seal(b'{"basics":{"name":"Bench"}}').decode("ascii")
    with connection.cursor() as cursor:
        cursor.execute(
            f"TRUNCATE {qn(Portfolio._meta.db_table)}, {qn(ExtractionJob._meta.db_table)}, "
            f"{qn(Document._meta.db_table)} CASCADE"
        )
    started = time.perf_counter()
    documents = max(1, jobs // 10)
    insert_series(
        Document,
        documents,
        {
            "id": "md5('doc' || g)::uuid",
            "sha256": "md5(g::text) || md5(g::text)",
            "kind": "'pdf'",
            "size": "50000",
            "pages": "2",
            "original_name": "'cv.pdf'",
            "storage_name": "'bench-' || g",
            "client": "'c' || (g % 5000)",
            "created_at": "now()",
        },
    )
    # Spread over 90 days; 20 hold a sandbox (the capacity), a few are being
    # cleaned up, the rest archived after 1 to 48 hours.
    # A pseudo-random moment of the last 90 days (md5: a fixed step would
    # bunch the rows of one day together).
    at = (
        "now() - make_interval(secs => "
        "('x' || left(md5(g::text), 8))::bit(32)::bigint % (90 * 86400))"
    )
    insert_series(
        Portfolio,
        portfolios,
        {
            "id": "md5('portfolio' || g)::uuid",
            "slug": "'bench-' || g",
            "client": "'c' || (g % 5000)",
            "tier": "'anonymous'",
            "retention_hours": "24",
            # The column holds sealed text (SPEC S-3): one ciphertext for every row.
            "resume": f"'{sealed_resume}'",
            "theme": "'minimal'",
            "state": "CASE WHEN g <= 14 THEN 'active' WHEN g <= 18 THEN 'idle' "
            "WHEN g <= 20 THEN 'warning' WHEN g <= 25 THEN 'cleanup' ELSE 'archived' END",
            "manage_token_hash": "'x'",
            "created_at": "t",
            "published_at": "t + interval '1 minute'",
            "state_changed_at": "t",
            "last_activity_at": "t",
            "warn_at": "t + interval '24 hours'",
            "archived_at": "CASE WHEN g > 25 THEN t + make_interval(hours => 1 + g % 48) END",
        },
        source=f"(SELECT g, {at} AS t FROM generate_series(1, {int(portfolios)}) g) s",
    )
    # 200 waiting, 4 running; of the finished: 2% failed, ~1% cancelled; a
    # third of the successes from the cache; half the real runs carry the
    # model's rate-limit headers.
    state = (
        "CASE WHEN g <= 200 THEN 'queued' WHEN g <= 204 THEN 'running' "
        "WHEN g % 50 = 0 THEN 'failed' WHEN g % 97 = 0 THEN 'cancelled' ELSE 'succeeded' END"
    )
    real = "(s.state = 'succeeded' AND g % 3 <> 1)"
    insert_series(
        ExtractionJob,
        jobs,
        {
            "id": "md5('job' || g)::uuid",
            "document_id": f"md5('doc' || (1 + g % {documents}))::uuid",
            "state": "s.state",
            "priority": "3",
            "extractor": "'claude'",
            "fingerprint": "'f'",
            "cache_key": f"'k' || (1 + g % {documents})",
            "cached": "s.state = 'succeeded' AND g % 3 = 1",
            "client": "'c' || (g % 5000)",
            "via": "'web'",
            "enqueued_at": "t - interval '30 seconds'",
            "created_at": "t - interval '30 seconds'",
            "started_at": "CASE WHEN s.state <> 'queued' THEN t - interval '20 seconds' END",
            "finished_at": "CASE WHEN s.state IN ('queued', 'running') THEN NULL ELSE t END",
            "updated_at": "t",
            "attempts": "1",
            "extractor_used": "'claude'",
            "duration_ms": f"CASE WHEN {real} THEN 2000 + (g::bigint * 7919) % 40000 END",
            "ratelimit": f"CASE WHEN {real} AND g % 2 = 0 THEN jsonb_build_object("
            "'anthropic-ratelimit-requests-remaining', (g % 1000)::text, "
            "'anthropic-ratelimit-requests-limit', '1000') ELSE '{}'::jsonb END",
        },
        source=f"(SELECT g, {at} AS t, {state} AS state FROM generate_series(1, {int(jobs)}) g) s",
    )
    analyze(Document, Portfolio, ExtractionJob)
    print(
        f"{portfolios:,} portfolios, {jobs:,} extraction jobs ({documents:,} documents) "
        f"inserted in {time.perf_counter() - started:.1f} s"
    )


def bench_snapshot(portfolios: int, jobs: int, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from monitoring import metrics

    fill_portfolios_and_jobs(portfolios, jobs)
    metrics.snapshot()  # warm: connection, plans, psutil
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        snap = metrics.snapshot()
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        metrics.snapshot()
    median, p95 = statistics.median(times), percentile(times, 95)
    print(
        f"metrics.snapshot(): median {median:.1f} ms, p95 {p95:.1f} ms, max {max(times):.1f} ms "
        f"over {runs} runs (target < 200 ms); {len(captured.captured_queries)} queries"
    )
    for query in sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:5]:
        print(f"  {float(query['time']) * 1000:7.1f} ms  {query['sql'][:110]}")
    print(f"snapshot: {json.dumps(snap)}")
    return {
        "portfolios": portfolios,
        "jobs": jobs,
        "snapshot_median_ms": round(median, 1),
        "snapshot_p95_ms": round(p95, 1),
        "snapshot_queries": len(captured.captured_queries),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--audit-rows", type=int, default=1_000_000)
    parser.add_argument("--fresh-rows", type=int, default=2_000, help="per category")
    parser.add_argument("--portfolios", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--wipe", action="store_true", help="allow emptying a non-empty database")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL") or SCRATCH_URL
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench/retention.py runs on PostgreSQL: set DATABASE_URL=postgres://...")
        return 2
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="cv2web-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cv2web.settings")
    os.environ["LOG_LEVEL"] = "ERROR"
    import django

    from bench._common import use_local_keys

    use_local_keys()
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from extraction.models import ExtractionJob
    from monitoring.models import AuditLog
    from portfolios.models import Portfolio

    call_command("migrate", verbosity=0)
    scratch = connection.settings_dict["NAME"] == SCRATCH_DB
    holds_rows = any(m.objects.exists() for m in (AuditLog, Portfolio, ExtractionJob))
    if holds_rows and not (scratch or args.wipe):
        print(f"{connection.settings_dict['NAME']} holds data the bench would erase; --wipe")
        return 2
    print(f"database: {connection.settings_dict['NAME']} (PostgreSQL {connection.pg_version})")

    summary = {"bench": "retention"}
    summary |= bench_audit(args.audit_rows, args.fresh_rows)
    summary |= bench_snapshot(args.portfolios, args.jobs, args.runs)
    print(json.dumps(summary))
    return 0 if summary["audit_fresh_kept"] else 1


if __name__ == "__main__":
    sys.exit(main())
