"""What quotas and rate limits cost on the upload path (target: under 2 ms).

One run, one process, one fresh SQLite database in a temporary DATA_DIR. The
same upload request (a small distinct text CV each time, POST
/api/v1/extractions -> 202) is timed in alternating blocks:
  - "with":    the real path: burst limits (uploads, API hour, API day) through
               the cache, the daily quota row consumed atomically, the tier and
               priority looked up, and the X-Quota-* headers computed;
  - "without": the same path with those parts switched off (RATELIMIT_ENABLE off,
               no admission, fixed priority, no quota headers).
Alternating blocks keep machine noise from favouring one side. Prints p50 of
each, the difference and the ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=300, help="requests per side")
    parser.add_argument("--block", type=int, default=25, help="requests per block")
    args = parser.parse_args()

    os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="cv2web-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cv2web.settings")
    os.environ["EXTRACTION_MAX_QUEUE_DEPTH"] = str(args.n * 4)
    os.environ["QUOTA_ANONYMOUS_EXTRACTIONS_PER_DAY"] = str(args.n * 4)
    os.environ["RATELIMIT_UPLOADS"] = f"{args.n * 4}/h"
    os.environ["RATELIMIT_API_HOUR"] = f"{args.n * 4}/h"
    os.environ["RATELIMIT_API_DAY"] = f"{args.n * 4}/d"
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    from bench._common import use_local_keys

    use_local_keys()
    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import Client

    from extraction import intake
    from extraction.models import Priority
    from quotas import middleware, policy

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    client = Client(HTTP_HOST="localhost")
    real = (policy.admission_for, intake.priority_for, policy.usage_of)

    def quotas_on(on: bool) -> None:
        settings.RATELIMIT_ENABLE = on
        if on:
            policy.admission_for, intake.priority_for, policy.usage_of = real
        else:
            policy.admission_for = lambda request: None
            intake.priority_for = lambda request: Priority.NEW
            middleware.QuotaHeadersMiddleware.__call__ = lambda self, r: self.get_response(r)

    real_headers = middleware.QuotaHeadersMiddleware.__call__

    def one() -> float:
        text = f"Bench Person {uuid.uuid4().hex}\nbench@example.com\n".encode()
        start = time.perf_counter()
        r = client.post("/api/v1/extractions", {"file": SimpleUploadedFile("cv.txt", text)})
        elapsed = (time.perf_counter() - start) * 1000
        assert r.status_code == 202, (r.status_code, r.content[:200])
        return elapsed

    for on in (True, False):  # warm both paths
        quotas_on(on)
        middleware.QuotaHeadersMiddleware.__call__ = (
            real_headers if on else (lambda self, r: self.get_response(r))
        )
        one()
    timings = {True: [], False: []}
    while len(timings[False]) < args.n:
        for on in (True, False):
            quotas_on(on)
            middleware.QuotaHeadersMiddleware.__call__ = (
                real_headers if on else (lambda self, r: self.get_response(r))
            )
            timings[on] += [one() for _ in range(args.block)]
    with_q = statistics.median(timings[True])
    without = statistics.median(timings[False])
    print(
        f"upload path p50 with quotas and rate limits:    {with_q:.2f} ms (n={len(timings[True])})"
    )
    print(
        f"upload path p50 without quotas and rate limits: {without:.2f} ms "
        f"(n={len(timings[False])})"
    )
    print(
        f"cost: {with_q - without:+.2f} ms per upload (ratio {with_q / without:.3f}; "
        "target under 2 ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
