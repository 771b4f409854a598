"""The seeds' load scenarios against the served site in multi-machine mode (`make load`).

Starts the deployment of bench/load/deployment.py (PostgreSQL, Redis as cache and
broker, two gunicorn web nodes, two qcluster worker nodes), then runs Locust
headless (bench/load/locustfile.py), one scenario after the other:

  base    BASE users (100): visitors, applicants' whole journeys, recruiters' API use
  peak    3 x base
  stress  5 x base
  spike   base, then at once 3 x base, then base again (does it recover?)
  cvs     seed 004's 1,000 CVs an hour end to end: distinct CVs sent at that pace by
          recruiters' API clients, each followed until it is extracted (local
          extractor). Shortened by default (--cv-minutes); --cv-minutes 60 is the full hour.

Prints p50/p95/p99 per endpoint class against SPEC H (reads p95 < 200 ms, writes
p95 < 500 ms), errors by code, CVs per hour, where it breaks first; the last line
is the whole report as JSON.

The daily quotas and burst limits would rightly refuse a load test sent by a few
clients: the recruiters' accounts get a staff override of their daily
extractions (as the admin allows), and the burst limits are raised for the run
with their settings (RATELIMIT_UPLOADS, RATELIMIT_API_HOUR, RATELIMIT_API_DAY,
RATELIMIT_CHEAP_READS).
Applicants each come from an address of their own, so the anonymous tier's
limits stay as they are. The queue's limits (EXTRACTION_MAX_CONCURRENT,
EXTRACTION_MAX_QUEUE_DEPTH) and capacity are the product's defaults: refusals
they cause (503 queue_full, 202 waiting) are part of what the run shows.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

import psutil  # noqa: E402
from deployment import Deployment  # noqa: E402
from documents import multipart, originals, unique  # noqa: E402
from endpoints import CLASSES, TARGETS  # noqa: E402

DEFAULT_SAMPLES = Path(os.environ.get("CV_SAMPLES") or REPO.parent / "shared" / "cv-samples")
ERROR_BUDGET = 0.01  # seed 003 §6.2: an error rate above 1% is a warning
BROWSING = ["Visitor", "Applicant", "Recruiter"]


def percentile(values: list[float], q: float) -> float:
    """Nearest rank (q in 0..100)."""
    if not values:
        return 0.0
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(q / 100 * len(s) + 0.5)) - 1))
    return s[k]


def scenarios(args) -> dict[str, dict]:
    base, d = args.base_users, args.duration
    ramp = max(1, base // 4)  # users started a second
    return {
        "base": {"users": base, "stages": [[d, base, ramp]], "classes": BROWSING},
        "peak": {"users": 3 * base, "stages": [[d, 3 * base, 3 * ramp]], "classes": BROWSING},
        "stress": {"users": 5 * base, "stages": [[d, 5 * base, 5 * ramp]], "classes": BROWSING},
        "spike": {
            "users": 3 * base,
            # Sudden: the jump's users all start within one second.
            "stages": [
                [args.spike_phase, base, ramp],
                [2 * args.spike_phase, 3 * base, 3 * base],
                [3 * args.spike_phase, base, 3 * base],
            ],
            "labels": ["before", "spike", "after"],
            "classes": BROWSING,
        },
        "cvs": {
            "users": args.cv_senders,
            "stages": [[args.cv_minutes * 60, args.cv_senders, args.cv_senders]],
            "classes": ["HourOfCVs"],
            "env": {
                "LOAD_REPEAT_SHARE": "0",
                "LOAD_POLL_S": "1",
                "LOAD_CV_RATE": str(args.cv_rate),
                "LOAD_CV_SENDERS": str(args.cv_senders),
            },
        },
    }


def wait_calm(site: Deployment, timeout: float, since: float = 0.0) -> int:
    """Until no job (created since `since`) is queued or running, or `timeout`;
    returns how many are left."""
    deadline = time.monotonic() + timeout
    while True:
        left = site.query(
            "SELECT count(*) FROM extraction_extractionjob WHERE state IN ('queued', 'running') "
            "AND created_at >= to_timestamp(%s)",
            since,
        )[0][0]
        if left == 0 or time.monotonic() > deadline:
            return left
        time.sleep(1)


def stuck_jobs(site: Deployment, older_than_s: float) -> list[dict]:
    """Jobs still queued or running `older_than_s` after they were created."""
    rows = site.query(
        "SELECT j.state, j.attempts, j.joined_to_id IS NOT NULL, l.state, j.priority, "
        "EXTRACT(EPOCH FROM now() - j.created_at), j.worker, j.batch_state "
        "FROM extraction_extractionjob j LEFT JOIN extraction_extractionjob l "
        "ON l.id = j.joined_to_id WHERE j.state IN ('queued', 'running') "
        "AND j.created_at < now() - make_interval(secs => %s) ORDER BY j.created_at",
        older_than_s,
    )
    keys = ("state", "attempts", "joined", "leader_state", "priority", "age_s", "worker", "batch")
    return [dict(zip(keys, (*r[:5], round(float(r[5])), *r[6:]), strict=True)) for r in rows]


def services_problem() -> str | None:
    """Why PostgreSQL or Redis cannot be used for the run (None: both answer)."""
    import psycopg
    import redis
    from deployment import PG, REDIS, pg_admin

    try:
        pg_admin().close()
    except psycopg.Error as exc:
        return f"PostgreSQL is not reachable at {PG} (LOAD_PG): {exc}".strip()
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis is not reachable at {REDIS} (LOAD_REDIS): {exc}"
    return None


def run_locust(site: Deployment, spec: dict, out: Path, log: Path, net: int) -> dict:
    env = site.env | {
        "LOAD_NET": str(net),
        "LOAD_HOSTS": ",".join(site.urls),
        "LOAD_SEED": json.dumps(site.seed),
        "LOAD_SAMPLES": str(site.samples),
        "LOAD_STAGES": json.dumps(spec["stages"]),
        "LOAD_OUT": str(out),
        **spec.get("env", {}),
    }
    cmd = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "--host",
        site.urls[0],
        "--loglevel",
        "WARNING",
        "--only-summary",
        *spec["classes"],
    ]
    timeout = spec["stages"][-1][0] + 120
    with open(log, "ab") as fh:
        subprocess.run(cmd, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout)
    if not out.exists():
        raise RuntimeError(f"Locust wrote no figures; see {log}")
    return json.loads(out.read_text())


def _tree_cpu(pid: int) -> float:
    """CPU seconds of a process and everything under it (reaped children included)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            t = proc.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
    return total


def cpu_snapshot(site: Deployment) -> dict[str, float]:
    """CPU seconds so far: the site's roles, the shared services, the whole machine."""
    snap = {"web": 0.0, "workers": 0.0, "postgres": 0.0, "redis": 0.0}
    for label, proc in site.procs.items():
        snap["web" if label.startswith("web") else "workers"] += _tree_cpu(proc.pid)
    for proc in psutil.process_iter(["name"]):
        name = proc.info["name"] or ""
        role = "postgres" if name.startswith("postgres") else "redis" if "redis" in name else None
        if role:
            with contextlib.suppress(psutil.NoSuchProcess):
                t = proc.cpu_times()
                snap[role] += t.user + t.system
    t = psutil.cpu_times()
    snap["machine"] = t.user + t.system + t.nice + getattr(t, "irq", 0) + getattr(t, "softirq", 0)
    return snap


def cpu_split(before: dict, after: dict, generator_s: float, wall: float) -> dict[str, float]:
    """Cores used on average by each role over `wall` seconds; `others`: the rest of
    the machine's busy time (processes that are not this run's)."""
    used = {k: (after[k] - before[k]) / wall for k in before}
    used["load generator"] = generator_s / wall
    ours = sum(v for k, v in used.items() if k != "machine")
    used["others"] = max(0.0, used["machine"] - ours)
    return {k: round(v, 2) for k, v in used.items()}


def summarise(raw: dict, stage: int | None = None) -> dict:
    """Figures per endpoint and per class (of one stage, or of the whole run)."""
    endpoints, classes = {}, {"read": [], "write": []}
    total = errors = 0
    by_code: dict[str, int] = {}
    for name, rows in raw["samples"].items():
        rows = [r for r in rows if stage is None or r[0] == stage]
        if not rows:
            continue
        ms = [r[1] for r in rows]
        bad = [r for r in rows if r[2] >= 400 or r[2] == 0]
        endpoints[name] = {
            "n": len(rows),
            "p50": round(percentile(ms, 50), 1),
            "p95": round(percentile(ms, 95), 1),
            "p99": round(percentile(ms, 99), 1),
            "errors": len(bad),
        }
        classes[CLASSES.get(name, "read")].extend(ms)
        total += len(rows)
        errors += len(bad)
        for r in bad:
            # The status and, where the API answered with one, its error code.
            by_code[r[3]] = by_code.get(r[3], 0) + 1
    out = {
        "requests": total,
        "errors": errors,
        "error_rate": round(errors / total, 4) if total else 0.0,
        "errors_by_code": dict(sorted(by_code.items())),
        "endpoints": dict(sorted(endpoints.items())),
    }
    for cls, ms in classes.items():
        out[cls] = {
            "n": len(ms),
            "p50": round(percentile(ms, 50), 1),
            "p95": round(percentile(ms, 95), 1),
            "p99": round(percentile(ms, 99), 1),
            "target_p95": TARGETS[cls],
            "meets": (percentile(ms, 95) <= TARGETS[cls]) if ms else None,
        }
    return out


def jobs_between(site: Deployment, t0: float, t1: float) -> dict:
    """What the queue did with the uploads of [t0, t1] (read from the database)."""
    rows = site.query(
        "SELECT state, cached, joined_to_id IS NOT NULL, "
        "EXTRACT(EPOCH FROM created_at), EXTRACT(EPOCH FROM finished_at) "
        "FROM extraction_extractionjob WHERE created_at >= to_timestamp(%s) "
        "AND created_at < to_timestamp(%s)",
        t0,
        t1,
    )
    states: dict[str, int] = {}
    for r in rows:
        states[r[0]] = states.get(r[0], 0) + 1
    extracted = [r for r in rows if r[0] == "succeeded" and not r[1] and not r[2] and r[4]]
    e2e = [float(r[4] - r[3]) for r in extracted]
    done_in_window = [r for r in extracted if float(r[4]) < t1]
    span = (
        max(float(r[4]) for r in extracted) - min(float(r[3]) for r in extracted)
        if extracted
        else 0.0
    )
    return {
        "uploads": len(rows),
        "states": dict(sorted(states.items())),
        "cache_hits": sum(1 for r in rows if r[1]),
        "joined": sum(1 for r in rows if r[2]),
        "extracted": len(extracted),
        "cvs_per_hour": round(len(done_in_window) * 3600 / (t1 - t0)) if t1 > t0 else 0,
        # From the first upload to the last result, however long the last ones took.
        "cvs_per_hour_to_last": round(len(extracted) * 3600 / span) if span else 0,
        "e2e_s": {
            "p50": round(percentile(e2e, 50), 2),
            "p95": round(percentile(e2e, 95), 2),
            "max": round(max(e2e), 2) if e2e else 0.0,
        },
    }


def send(url: str, data: bytes, name: str, headers: dict[str, str]) -> int:
    body, ctype = multipart(name, data)
    req = urllib.request.Request(
        url + "/api/v1/extractions",
        data=body,
        headers=headers | {"Content-Type": ctype},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def warm_up(site: Deployment) -> None:
    """Every page and an upload on every web worker once, before anything is measured
    (a gunicorn worker imports what a view needs on its first request)."""
    docs = originals(site.samples)
    slug = (site.seed.get("slugs") or [""])[0]
    jobs = []
    for i, url in enumerate(site.urls * 4 * site.web_workers):
        for path in ("/", "/status", "/api/v1/status", f"/p/{slug}/"):
            jobs.append(lambda u=url, p=path: urllib.request.urlopen(u + p, timeout=30).close())
        kind, data = docs[i % len(docs)]
        xff = {"X-Forwarded-For": f"2001:db8:ffff:{i:x}::1"}
        jobs.append(lambda u=url, k=kind, d=data, h=xff: send(u, unique(k, d), f"cv{k}", h))
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda f: f(), jobs))


def ceiling(site: Deployment, n: int) -> dict:
    """n distinct CVs at once from a recruiter (n: the queue's depth), timed from
    the first upload to the last result: the most CVs an hour the workers give."""
    docs = originals(site.samples)
    token = {"Authorization": f"Token {site.seed['tokens'][0]}"}
    t0 = time.time()
    with ThreadPoolExecutor(8) as pool:
        statuses = list(
            pool.map(
                lambda i: send(
                    site.urls[i % len(site.urls)],
                    unique(docs[i % len(docs)][0], docs[i % len(docs)][1]),
                    f"cv{docs[i % len(docs)][0]}",
                    token,
                ),
                range(n),
            )
        )
    t1 = time.time()
    left = wait_calm(site, 120, since=t0)
    j = jobs_between(site, t0, t1 + 0.001)
    return {
        "sent": n,
        "accepted": sum(1 for s in statuses if s in (201, 202)),
        "refused": {str(s): statuses.count(s) for s in set(statuses) if s not in (201, 202)},
        "extracted": j["extracted"],
        "cvs_per_hour": j["cvs_per_hour_to_last"],
        "e2e_s": j["e2e_s"],
        "unfinished": left,
    }


def verdict(row: dict) -> list[str]:
    """What misses its target in this row (empty: it holds)."""
    misses = []
    for cls in ("read", "write"):
        c = row[cls]
        if c["n"] and not c["meets"]:
            misses.append(f"{cls}s p95 {c['p95']:.0f} ms > {c['target_p95']:.0f} ms")
    if row["error_rate"] > ERROR_BUDGET:
        top = sorted(row["errors_by_code"].items(), key=lambda kv: -kv[1])[:3]
        misses.append(
            f"errors {row['error_rate']:.1%} > {ERROR_BUDGET:.0%} ("
            + ", ".join(f"{k}: {v}" for k, v in top)
            + ")"
        )
    return misses


def worst_endpoint(row: dict) -> str:
    def ratio(item):
        name, e = item
        return e["p95"] / TARGETS[CLASSES.get(name, "read")]

    name, e = max(row["endpoints"].items(), key=ratio)
    return f"{name} p95 {e['p95']:.0f} ms"


def print_report(report: dict) -> None:
    p = print
    cfg = report["config"]
    p(
        f"\ncv2web load scenarios: {cfg['web_nodes']} web nodes x {cfg['web_workers']} gunicorn "
        f"workers, {cfg['worker_nodes']} worker nodes x {cfg['q_workers']} processes, PostgreSQL, "
        f"Redis (cache and broker), local extractor, {os.cpu_count()} cores shared with the "
        "load generator"
    )
    p("SPEC H targets: reads p95 < 200 ms, writes p95 < 500 ms; errors < 1% (seed 003 §6.2)\n")
    head = (
        f"{'scenario':<14}{'users':>6}{'req/s':>8}  {'reads p50/p95/p99 ms':<22}"
        f"{'writes p50/p95/p99 ms':<23}{'errors':>8}  {'CVs/h':>6}  verdict"
    )
    p(head)
    p("-" * len(head))
    for row in report["rows"]:
        r, w = row["read"], row["write"]
        p(
            f"{row['name']:<14}{row['users']:>6}{row['rps']:>8.1f}  "
            f"{r['p50']:>5.0f}/{r['p95']:>5.0f}/{r['p99']:>6.0f}     "
            f"{w['p50']:>5.0f}/{w['p95']:>5.0f}/{w['p99']:>6.0f}      "
            f"{row['error_rate']:>7.1%}  {row['jobs']['cvs_per_hour']:>6}  "
            + ("ok" if not row["misses"] else "; ".join(row["misses"]))
        )
    p("\nerrors by code (status and the API's error code):")
    for row in report["rows"]:
        codes = ", ".join(f"{k}: {v}" for k, v in row["errors_by_code"].items()) or "none"
        p(f"  {row['name']:<14}{codes}")
    p("\nendpoints (n, p50/p95/p99 ms, errors):")
    for row in report["rows"]:
        p(f"  {row['name']}")
        for name, e in row["endpoints"].items():
            p(
                f"    {name:<30}{e['n']:>7}  {e['p50']:>6.0f}/{e['p95']:>6.0f}/{e['p99']:>6.0f}"
                f"  {e['errors']:>5}"
            )
    p("\nuploads and the queue (from the database):")
    for row in report["rows"]:
        j = row["jobs"]
        p(
            f"  {row['name']:<14}{j['uploads']:>5} uploads, {j['extracted']} extracted, "
            f"{j['cache_hits']} cache hits, {j['joined']} joined; states {j['states']}; "
            f"upload to result p50 {j['e2e_s']['p50']} s, p95 {j['e2e_s']['p95']} s"
        )
    cvs = report.get("cvs")
    if cvs:
        length = (
            "the full hour"
            if cvs["minutes"] >= 60
            else "shortened; --cv-minutes 60 for the full hour"
        )
        p(
            f"\n1,000 CVs an hour (seed 004), {cvs['minutes']} min at {cvs['rate']:.0f}/h "
            f"({length}): "
            f"{cvs['sent']} distinct CVs sent, {cvs['extracted']} extracted, "
            f"{cvs['cvs_per_hour']} CVs/h sustained, upload to result p50 {cvs['e2e_s']['p50']} s, "
            f"p95 {cvs['e2e_s']['p95']} s, left unfinished {cvs['unfinished']}"
        )
    ceil = report.get("ceiling")
    if ceil:
        p(
            f"workers' ceiling: {ceil['sent']} distinct CVs at once, {ceil['accepted']} accepted "
            f"(refused {ceil['refused'] or 'none'}), {ceil['extracted']} extracted: "
            f"{ceil['cvs_per_hour']} CVs/h from the first upload to the last result "
            f"(upload to result p50 {ceil['e2e_s']['p50']} s, p95 {ceil['e2e_s']['p95']} s)"
        )
    stuck = report.get("stuck") or []
    p(
        f"jobs still queued or running 2 minutes after their upload, at the end: {len(stuck)}"
        + "".join(f"\n  {s}" for s in stuck[:10])
    )
    p(f"\nwhere it breaks first: {report['breaks_first']}")
    p(
        f"\nCPU, cores used on average ({os.cpu_count()} in all; "
        "'others': processes that are not this run's):"
    )
    for name, split in report["cpu_cores"].items():
        p(f"  {name:<14}" + ", ".join(f"{k} {v:.2f}" for k, v in split.items()))
    print(json.dumps(report, separators=(",", ":")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenarios", default="base,peak,stress,spike,cvs")
    parser.add_argument("--base-users", type=int, default=100)
    parser.add_argument("--duration", type=int, default=60, help="seconds per scenario")
    parser.add_argument("--spike-phase", type=int, default=30, help="seconds of each phase")
    parser.add_argument("--cv-minutes", type=float, default=3.0, help="60: the full hour")
    parser.add_argument("--cv-rate", type=float, default=1000.0, help="CVs an hour")
    parser.add_argument("--cv-senders", type=int, default=10)
    parser.add_argument(
        "--ceiling", type=int, default=50, help="CVs sent at once to time the workers (0: skip)"
    )
    parser.add_argument("--web-nodes", type=int, default=2)
    parser.add_argument("--worker-nodes", type=int, default=2)
    parser.add_argument("--web-workers", type=int, default=2, help="WEB_CONCURRENCY per node")
    parser.add_argument("--q-workers", type=int, default=2, help="Q_WORKERS per node")
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES)
    parser.add_argument("--keep", action="store_true", help="keep DATA_DIR (logs) afterwards")
    args = parser.parse_args()
    chosen = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    specs = scenarios(args)
    unknown = [s for s in chosen if s not in specs]
    if unknown:
        parser.error(f"unknown scenarios {unknown}; choose from {sorted(specs)}")
    if not any(args.samples.glob("*.pdf")):
        parser.error(f"no CV samples in {args.samples} (set CV_SAMPLES or --samples)")

    problem = services_problem()
    if problem:
        parser.error(problem)

    limits = {
        "RATELIMIT_UPLOADS": "1000000/h",
        "RATELIMIT_API_HOUR": "1000000/h",
        "RATELIMIT_API_DAY": "10000000/d",
        # Recruiters: many simulated clients share three accounts.
        "RATELIMIT_CHEAP_READS": "1000000/m",
    }
    site = Deployment(
        web_nodes=args.web_nodes,
        worker_nodes=args.worker_nodes,
        web_workers=args.web_workers,
        q_workers=args.q_workers,
        samples=args.samples,
        recruiters=3,
        extra_env=limits,
        keep_data=args.keep,
    )
    print(f"starting the site (logs in {site.log_dir}) ...", flush=True)
    report: dict = {
        "config": {
            "web_nodes": args.web_nodes,
            "worker_nodes": args.worker_nodes,
            "web_workers": args.web_workers,
            "q_workers": args.q_workers,
            "base_users": args.base_users,
            "duration_s": args.duration,
            "raised_limits": limits,
        },
        "rows": [],
        "cpu_cores": {},
    }
    workdir = Path(tempfile.mkdtemp(prefix="cv2web-locust-"))
    with site:
        warm_up(site)
        for name in chosen:
            spec = specs[name]
            left = wait_calm(site, 45)
            print(f"scenario {name}: {spec['users']} users ...", flush=True)
            out = workdir / f"{name}.json"
            t0 = time.time()
            cpu0 = cpu_snapshot(site)
            raw = run_locust(site, spec, out, site.log_dir / "locust.log", chosen.index(name) + 1)
            t1 = time.time()
            report["cpu_cores"][name] = cpu_split(
                cpu0, cpu_snapshot(site), raw["generator_cpu_s"], t1 - t0
            )
            labels = spec.get("labels")
            parts = (
                [(None, name, t0, t1)]
                if not labels
                else [
                    (
                        i,
                        f"{name}:{label}",
                        t0 + (spec["stages"][i - 1][0] if i else 0),
                        t0 + spec["stages"][i][0],
                    )
                    for i, label in enumerate(labels)
                ]
            )
            for stage, label, a, b in parts:
                row = summarise(raw, stage)
                row["name"] = label
                row["users"] = spec["stages"][stage or 0][1] if stage is not None else spec["users"]
                row["seconds"] = round(b - a, 1)
                row["rps"] = row["requests"] / (b - a) if b > a else 0.0
                row["jobs"] = jobs_between(site, a, b)
                row["queue_left_before"] = left
                row["journeys"] = raw["journeys"]
                row["misses"] = verdict(row)
                if name == "cvs":
                    # The CVs still in the queue when the senders stop get their time.
                    wait_calm(site, 120, since=a)
                    j = jobs_between(site, a, b)
                    report["cvs"] = {
                        "minutes": args.cv_minutes,
                        "rate": args.cv_rate,
                        "sent": j["uploads"],
                        "refused": raw["journeys"].get("upload_refused", 0),
                        "extracted": j["extracted"],
                        "cvs_per_hour": j["cvs_per_hour_to_last"],
                        "e2e_s": j["e2e_s"],
                        "unfinished": j["states"].get("queued", 0) + j["states"].get("running", 0),
                    }
                    row["jobs"] = j
                report["rows"].append(row)
        if args.ceiling:
            wait_calm(site, 45)
            print(f"ceiling: {args.ceiling} CVs at once ...", flush=True)
            report["ceiling"] = ceiling(site, args.ceiling)
        report["stuck"] = stuck_jobs(site, 120)
    order = [r for r in report["rows"] if r["name"] != "cvs"]
    first = next((r for r in order if r["misses"]), None)
    report["breaks_first"] = (
        f"{first['name']} ({first['users']} users): "
        + "; ".join(first["misses"])
        + f"; slowest endpoint for its class: {worst_endpoint(first)}"
        if first
        else "nowhere in these scenarios: every row meets SPEC H and the error budget"
    )
    print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
