"""The web tier against Django's own ceiling on this machine (SPEC H, issue 13).

Two servers run side by side under the same gunicorn worker settings:

- the reference (bench/ceiling_ref: a minimal Django project with a bare
  JSON view and whitenoise serving one static file; the project's
  gunicorn.conf.py without its access log and worker recycling);
- the project under its own gunicorn.conf.py, DEBUG off, the JSON access log
  on as deployed (written to a file in the run's DATA_DIR).

A fresh site (SQLite in a temporary DATA_DIR, or `--db postgres`: PostgreSQL
with Redis as the cache) gets a published portfolio and an extraction job
owned by an API user. `wrk -t2 -c32 --latency` loads every endpoint in turn,
round after round (the order rotates each round, so drift on the machine
touches all of them alike). Printed: the median req/s of each endpoint, its
median p99, answers other than 2xx/3xx, the ratio to its reference and the
target; the last line is one JSON summary.

Throughput on a shared machine swings with whatever else runs (the static
file's ratio went from 0.37 to 0.71 between two runs). So each run also reads
the CPU time (user + system) the server's process tree spent — gunicorn master
and workers, from /proc/<pid>/stat before and after the run — and divides it by
the requests wrk got answered: CPU microseconds per request, and the reference's
CPU per request divided by the endpoint's (`cpu_ratio`). That ratio is the
throughput ratio the servers' own work allows when CPU is the limit, comparable
with the targets, and it moves much less with other load (not nothing:
CPU per request grows on a crowded machine, for both servers alike but not
exactly).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import manage_runner, process_tree_cpu, use_local_keys  # noqa: E402
from tests.net import free_port, wait_for_http  # noqa: E402

WRK = shutil.which("wrk") or "/usr/bin/wrk"

# Run in the project's environment before the servers start: a published
# portfolio, and a queued extraction job with its owner's API token.
SETUP = r"""
import json
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from extraction import intake
from portfolios import publishing
from quotas.models import ApiToken

out = publishing.publish(resume={"basics": {"name": "Bench Person", "label": "Engineer",
    "summary": "Builds things. " * 40}, "work": [{"name": f"Company {i}",
    "position": "Engineer", "startDate": "2020-01", "highlights": ["Did a thing"] * 3}
    for i in range(8)]}, theme="modern", client="bench", retention_hours=24, active_limit=5)
user = get_user_model().objects.create_user("bench", "bench@example.com", "x" * 20)
_, key = ApiToken.issue(user, "bench")
text = ("Bench Person\nbench@example.com\n\nExperience\nEngineer, Company One, 2020 - 2024\n"
    "Built things.\n\nEducation\nBSc Computing, Some University, 2016 - 2019\n").encode()
job = intake.accept(SimpleUploadedFile("cv.txt", text), owner=user, client="bench", via="api")
print("SETUP " + json.dumps({"slug": out.portfolio.slug,
    "index": str(out.portfolio.sandbox_path / "index.html"), "job": str(job.pk), "token": key}))
"""


@dataclass
class Endpoint:
    name: str
    server: str  # "ref" or "project"
    path: str
    reference: str | None = None  # the endpoint whose throughput it is judged against
    target: float | None = None  # least ratio to the reference
    cheap_read: bool = False  # p99 target applies
    headers: dict[str, str] = field(default_factory=dict)
    rps: list[float] = field(default_factory=list)
    cpu_us: list[float] = field(default_factory=list)  # server CPU per request, µs
    p99: list[float] = field(default_factory=list)
    bad: int = 0  # answers other than 2xx/3xx, and socket errors

    def median_rps(self) -> float:
        return statistics.median(self.rps) if self.rps else 0.0

    def median_p99(self) -> float:
        return statistics.median(self.p99) if self.p99 else 0.0

    def median_cpu_us(self) -> float:
        return statistics.median(self.cpu_us) if self.cpu_us else 0.0


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_wrk(out: str) -> tuple[float, float, int]:
    """(requests/s, p99 in ms, bad answers) from wrk's output with --latency."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    p99 = float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")
    bad = 0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if m:
        bad += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        bad += sum(int(x) for x in m.groups())
    return rps, p99, bad


def requests_served(out: str) -> int:
    """The requests wrk counted as answered ("12345 requests in 5.00s")."""
    return int(re.search(r"^\s*(\d+) requests in ", out, re.M).group(1))


def run_wrk(
    url: str, headers: dict[str, str], seconds: float, args, server_pid: int
) -> tuple[float, float, int, float | None]:
    """(req/s, p99 ms, bad answers, server CPU µs per request) of one run."""
    cmd = [WRK, f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds:g}s", "--latency"]
    cmd += ["--timeout", "10s"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    cpu_before = process_tree_cpu(server_pid)
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
    cpu = process_tree_cpu(server_pid) - cpu_before
    n = requests_served(out)
    # None when nothing was answered (a server down): no figure, not a NaN in the JSON.
    return (*parse_wrk(out), cpu * 1e6 / n if n else None)


def status_of(url: str, headers: dict[str, str]) -> int:
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def postgres_url(name: str) -> str:
    base = os.environ.get("CEILING_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    import psycopg

    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def collected_static(env: dict, manage, *, fresh: bool) -> None:
    """DATA_DIR/static, collected once and kept between runs: collectstatic
    compresses every file and takes a minute or more on this machine."""
    cache = Path(tempfile.gettempdir()) / "cv2web-ceiling-static"
    manifest = cache / "staticfiles.json"
    sources = [p for p in (ROOT / "static").rglob("*") if p.is_file()]
    newest = max((p.stat().st_mtime for p in sources), default=0)
    if fresh or not manifest.exists() or manifest.stat().st_mtime < newest:
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)
        (Path(env["DATA_DIR"]) / "static").symlink_to(cache)
        manage("collectstatic", "--noinput", "-v", "0")
    else:
        (Path(env["DATA_DIR"]) / "static").symlink_to(cache)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds per endpoint")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--only", default="", help="comma-separated endpoint names")
    parser.add_argument("--keep", action="store_true", help="keep the DATA_DIR")
    parser.add_argument(
        "--fresh-static", action="store_true", help="collect the static files again"
    )
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="cv2web-ceiling-"))
    port, ref_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_SETTINGS")}
    for name in ("DATABASE_URL", "CACHE_URL", "Q_BROKER", "DEBUG", "LOG_LEVEL", "LOG_FORMAT"):
        env.pop(name, None)
    env |= {
        "DATA_DIR": str(data),
        "DEBUG": "0",
        "GUNICORN_ACCESS_LOG": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "PYTHONUNBUFFERED": "1",
        # One client sends everything: its cheap reads are counted (the check
        # costs what it costs) but never refused, as many clients' would not be.
        "RATELIMIT_CHEAP_READS": "1000000000/m",
    }
    if args.db == "postgres":
        env["DATABASE_URL"] = postgres_url("cv2web_perf_ceiling")
        redis = os.environ.get("CEILING_REDIS", "redis://127.0.0.1:6379/0")
        env["CACHE_URL"] = f"{redis}?key_prefix=cv2web-ceiling-{os.getpid()}"
    use_local_keys(env)

    manage = manage_runner(env)

    manage("migrate", "-v", "0")
    collected_static(env, manage, fresh=args.fresh_static)
    setup_line = [x for x in manage("shell", "-c", SETUP).splitlines() if x.startswith("SETUP ")]
    made = json.loads(setup_line[-1][len("SETUP ") :])
    # The same bytes behind both static URLs and the portfolio page.
    page = Path(made["index"]).read_bytes()
    ref_static = data / "ref-static"
    ref_static.mkdir()
    (ref_static / "portfolio.html").write_bytes(page)
    (data / "static" / "bench").mkdir(parents=True, exist_ok=True)
    (data / "static" / "bench" / "portfolio.html").write_bytes(page)

    ref_env = {
        **env,
        "CEILING_REF_STATIC": str(ref_static),
        "CEILING_REF_BIND": f"127.0.0.1:{ref_port}",
        "DJANGO_SETTINGS_MODULE": "bench.ceiling_ref.settings",
    }
    access_log = open(data / "access.log", "wb")  # noqa: SIM115 - closed below
    error_log = open(data / "error.log", "wb")  # noqa: SIM115 - closed below
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=access_log,
            stderr=error_log,
        ),
        subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "bench/ceiling_ref/gunicorn_ref.py"],
            cwd=ROOT,
            env=ref_env,
            stdout=subprocess.DEVNULL,
            stderr=error_log,
        ),
    ]
    base = {"project": f"http://127.0.0.1:{port}", "ref": f"http://127.0.0.1:{ref_port}"}
    pids = {"project": servers[0].pid, "ref": servers[1].pid}
    token = {"Authorization": f"Token {made['token']}"}
    endpoints = [
        Endpoint("bare view (reference)", "ref", "/bare"),
        Endpoint("static file (reference)", "ref", "/static/portfolio.html"),
        Endpoint("/healthz", "project", "/healthz", "bare view (reference)", 0.7, True),
        Endpoint("/api/v1/status", "project", "/api/v1/status", "bare view (reference)", 0.7, True),
        Endpoint(
            "GET /api/v1/extractions/{id}",
            "project",
            f"/api/v1/extractions/{made['job']}",
            "bare view (reference)",
            0.7,
            True,
            token,
        ),
        Endpoint(
            "/p/<slug>/", "project", f"/p/{made['slug']}/", "static file (reference)", 0.9, True
        ),
        Endpoint(
            "static file",
            "project",
            "/static/bench/portfolio.html",
            "static file (reference)",
            0.95,
            True,
        ),
        Endpoint("upload page /", "project", "/", "bare view (reference)", 0.3),
    ]
    if args.only:
        wanted = {n.strip() for n in args.only.split(",")}
        endpoints = [e for e in endpoints if e.name in wanted or e.server == "ref"]
    by_name = {e.name: e for e in endpoints}
    try:
        wait_for_http(base["project"] + "/healthz")
        wait_for_http(base["ref"] + "/bare")
        for e in endpoints:
            code = status_of(base[e.server] + e.path, e.headers)
            if code >= 400:
                print(f"note: {e.name} answers {code} before the load", file=sys.stderr)
            run_wrk(base[e.server] + e.path, e.headers, args.warmup, args, pids[e.server])
        for r in range(args.rounds):
            k = r % len(endpoints)
            for e in endpoints[k:] + endpoints[:k]:
                rps, p99, bad, cpu_us = run_wrk(
                    base[e.server] + e.path, e.headers, args.seconds, args, pids[e.server]
                )
                e.rps.append(rps)
                if cpu_us is not None:
                    e.cpu_us.append(cpu_us)
                e.p99.append(p99)
                e.bad += bad
    finally:
        for s in servers:
            s.terminate()
        for s in servers:
            try:
                s.wait(timeout=30)
            except subprocess.TimeoutExpired:
                s.kill()
        access_log.close()
        error_log.close()

    print(
        f"db {args.db}, wrk -t{args.threads} -c{args.connections}, {args.seconds:g} s x "
        f"{args.rounds} interleaved rounds, gunicorn.conf.py workers "
        f"{env.get('WEB_CONCURRENCY', '2')} x {env.get('GUNICORN_THREADS', '4')} threads, "
        f"page {len(page) / 1024:.1f} KB"
    )
    print(
        f"{'endpoint':34} {'req/s':>8} {'p99 ms':>8} {'bad':>6} {'ratio':>6} {'target':>7}  ok "
        f"{'cpu µs/req':>11} {'cpu ratio':>9}"
    )
    summary: dict = {"db": args.db, "seconds": args.seconds, "rounds": args.rounds}
    results = {}
    all_ok = True
    for e in endpoints:
        ratio = cpu_ratio = None
        ok = True
        if e.reference:
            ref = by_name[e.reference].median_rps()
            ratio = e.median_rps() / ref if ref else 0.0
            ok = ratio >= (e.target or 0)
            # The reference's CPU per request over this endpoint's: the req/s
            # ratio the servers' own CPU allows, read like `ratio`.
            mine = e.median_cpu_us()
            cpu_ratio = by_name[e.reference].median_cpu_us() / mine if mine else 0.0
        if e.cheap_read and not e.median_p99() <= 50:
            ok = False
        if e.bad:
            ok = False
        all_ok &= ok
        results[e.name] = {
            "rps": round(e.median_rps(), 1),
            "p99_ms": round(e.median_p99(), 2),
            "bad": e.bad,
            "ratio": None if ratio is None else round(ratio, 3),
            "target": e.target,
            "ok": ok,
            "cpu_us": round(e.median_cpu_us(), 1),
            "cpu_ratio": None if cpu_ratio is None else round(cpu_ratio, 3),
            "cpu_ok": None if cpu_ratio is None else cpu_ratio >= (e.target or 0),
        }
        print(
            f"{e.name:34} {e.median_rps():8.0f} {e.median_p99():8.1f} {e.bad:6d} "
            + (
                f"{ratio:6.2f} {e.target:7.2f}  {'yes' if ok else 'NO ':3}"
                if ratio is not None
                else " " * 20
            )
            + f" {e.median_cpu_us():11.0f}"
            + (f" {cpu_ratio:9.2f}" if cpu_ratio is not None else "")
        )
    if args.keep:
        print(f"DATA_DIR kept: {data}")
    else:
        shutil.rmtree(data, ignore_errors=True)
    summary["endpoints"] = results
    summary["all_ok"] = all_ok
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
