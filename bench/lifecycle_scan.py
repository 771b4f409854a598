"""The lifecycle scan's time and query count at 1,000 and at 100,000 portfolios.

The query count must not grow with the number of portfolios (SPEC P-4: set-
based). Each run builds a fresh table (SQLite in a temporary DATA_DIR, or the
DATABASE_URL you give), with 1% of the portfolios due to go idle, 1% due a
warning (with an email) and 1% past their grace period, then times one scan.

    python bench/lifecycle_scan.py [--sizes 1000 100000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="cv2web-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cv2web.settings")
    os.environ["EMAIL_URL"] = "consolemail://"
    os.environ["LOG_LEVEL"] = "ERROR"
    import django

    from bench._common import use_local_keys

    use_local_keys()
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from monitoring.models import AuditLog
    from portfolios.models import Portfolio, State
    from portfolios.scan import scan

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PORTFOLIO_CAPACITY = settings.PORTFOLIO_OVERFLOW_CAPACITY = 10**9
    settings.CAPACITY_HIGH_DEMAND_AT = settings.CAPACITY_WARN_AT = 10**9
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}")

    def fill(n: int) -> None:
        Portfolio.objects.all().delete()
        AuditLog.objects.all().delete()
        now = timezone.now()
        rows, due = [], max(1, n // 100)
        for i in range(n):
            if i < due:  # goes idle
                state, last, warn, warned = (
                    State.ACTIVE,
                    now - timedelta(hours=2),
                    now + timedelta(hours=20),
                    None,
                )
            elif i < 2 * due:  # gets its warning
                state, last, warn, warned = (
                    State.IDLE,
                    now - timedelta(hours=30),
                    now - timedelta(hours=1),
                    None,
                )
            elif i < 3 * due:  # grace over: archived
                state, last, warn, warned = (
                    State.WARNING,
                    now - timedelta(days=3),
                    now - timedelta(days=2),
                    now - timedelta(hours=1),
                )
            else:
                state, last, warn, warned = State.ACTIVE, now, now + timedelta(hours=24), None
            rows.append(
                Portfolio(
                    slug=f"p-{uuid.uuid4().hex[:12]}",
                    client=f"c{i}",
                    email="o@example.com",
                    retention_hours=24,
                    resume={"basics": {"name": f"P {i}"}},
                    theme="minimal",
                    state=state,
                    manage_token_hash="x",
                    last_activity_at=last,
                    warn_at=warn,
                    warned_at=warned,
                )
            )
        Portfolio.objects.bulk_create(rows, batch_size=5000)

    for n in args.sizes:
        times, queries = [], []
        for _ in range(args.rounds):
            fill(n)
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                stats = scan()
                times.append(time.perf_counter() - start)
            queries.append(len(captured.captured_queries))
        print(
            f"{n:>7} portfolios: scan p50 {statistics.median(times) * 1000:.0f} ms, "
            f"{queries[-1]} queries; moved: idle {stats['to_idle']}, "
            f"warning {stats['to_warning']} (emails {stats['emails']}), "
            f"archived {stats['archived']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
