"""Throughput of a portfolio page /p/<slug>/ under gunicorn, beside a static
file of the same size served by whitenoise, as a ratio from one run.

A fresh site (SQLite in a temporary DATA_DIR) publishes one portfolio; its
index.html is also copied into the collected static files. gunicorn serves
both (gunicorn.conf.py, WEB_CONCURRENCY workers); a Python client with keep-
alive connections on several threads requests each for the same number of
seconds, alternating, and prints requests per second and the ratio.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import manage_runner, use_local_keys  # noqa: E402
from tests.net import free_port, wait_for_http  # noqa: E402

PUBLISH = """
from portfolios import publishing
out = publishing.publish(resume={"basics": {"name": "Bench Person", "label": "Engineer",
    "summary": "Builds things. " * 40}, "work": [{"name": f"Company {i}",
    "position": "Engineer", "startDate": "2020-01", "highlights": ["Did a thing"] * 3}
    for i in range(8)]}, theme="modern", client="bench", retention_hours=24, active_limit=5)
print(out.portfolio.slug, out.portfolio.sandbox_path)
"""


def load(port: int, path: str, seconds: float, threads: int) -> float:
    count = [0] * threads
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < stop:
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
            assert r.status == 200, r.status
            count[i] += 1
        conn.close()

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(count) / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="cv2web-bench-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_SETTINGS")}
    env |= {
        "DATA_DIR": str(data),
        "LOG_LEVEL": "ERROR",
        "GUNICORN_ACCESS_LOG": "0",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("DATABASE_URL", None)
    use_local_keys(env)

    manage = manage_runner(env)

    manage("migrate", "-v", "0")
    slug, sandbox = manage("shell", "-c", PUBLISH).split()[-2:]
    static_copy = data / "static" / "bench" / "portfolio.html"
    manage("collectstatic", "--noinput", "-v", "0")
    static_copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(sandbox) / "index.html", static_copy)
    size = static_copy.stat().st_size
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/p/{slug}/")
        page, static = [], []
        load(port, f"/p/{slug}/", 1, args.threads)  # warm up
        load(port, "/static/bench/portfolio.html", 1, args.threads)
        for _ in range(args.rounds):
            page.append(load(port, f"/p/{slug}/", args.seconds, args.threads))
            static.append(load(port, "/static/bench/portfolio.html", args.seconds, args.threads))
    finally:
        server.terminate()
        server.wait(timeout=30)
    p, s = sorted(page)[len(page) // 2], sorted(static)[len(static) // 2]
    print(
        f"page size {size / 1024:.1f} KB, {args.threads} client threads, "
        f"{env.get('WEB_CONCURRENCY', '2')} gunicorn workers, median of {args.rounds}"
    )
    print(f"/p/<slug>/ (sandbox, Django):     {p:8.0f} req/s")
    print(f"static file (whitenoise):         {s:8.0f} req/s")
    print(f"ratio portfolio page / static file: {p / s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
