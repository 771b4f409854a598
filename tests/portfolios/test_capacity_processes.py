"""Capacity under real concurrency: 100 publications at once from several
processes against PostgreSQL (a database of the test's own), capacity 20."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.processes import PG, child_env, pg_admin_conn

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

PUBLISH = """
import sys, threading
from portfolios import publishing
from portfolios.themes import DEFAULT_THEME
barrier = threading.Barrier({threads})
results = []
errors = []
def one(i):
    from django.db import connection
    try:
        barrier.wait()
        tier = "registered" if {registered} and i % 2 else "anonymous"
        out = publishing.publish(
            resume={{"basics": {{"name": f"Person {worker}-{{i}}"}}}}, theme=DEFAULT_THEME,
            client=f"c-{worker}-{{i}}", tier=tier, retention_hours=24, active_limit=1)
        results.append("live" if out.portfolio else "waiting")
    except BaseException as exc:  # a lost publication must say why, not vanish
        errors.append(f"{{type(exc).__name__}}: {{exc}}")
    finally:
        connection.close()
threads = [threading.Thread(target=one, args=(i,)) for i in range({threads})]
[t.start() for t in threads]
[t.join() for t in threads]
if errors:
    sys.exit("publications failed: " + " | ".join(errors[:5]))
print(results.count("live"), results.count("waiting"))
"""


@pytest.fixture
def pg_site(tmp_path):
    name = f"cv2web_cap_{uuid.uuid4().hex[:10]}"
    with pg_admin_conn() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = child_env(drop=("PYTEST", "DJANGO_SET"))
    env |= {
        "DATABASE_URL": f"{PG}/{name}",
        "DATA_DIR": str(tmp_path),
        "LOG_LEVEL": "ERROR",
        "PORTFOLIO_CAPACITY": "20",
        "PORTFOLIO_OVERFLOW_CAPACITY": "25",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=REPO,
        env=env,
        check=True,
        timeout=120,
    )
    yield env
    with pg_admin_conn() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_publishers(env, *, registered: bool, processes: int = 4, threads: int = 25):
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                PUBLISH.format(threads=threads, worker=w, registered=registered),
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(processes)
    ]
    counts = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err[-2000:]
        counts.append(tuple(int(x) for x in out.split()[-2:]))
    return counts


def state(env) -> dict:
    code = (
        "import json; from portfolios.models import *; from portfolios import capacity;"
        "print(json.dumps({'live': Portfolio.objects.holding_sandbox().count(),"
        "'sandboxes': sum(1 for p in Portfolio.objects.all() if p.sandbox_path.exists()),"
        "'positions': [capacity.position_of(r) for r in PortfolioRequest.objects.waiting()],"
        "'order': [str(r.pk) for r in PortfolioRequest.objects.waiting()]}))"
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_hundred_simultaneous_publications_never_overshoot_capacity(pg_site):
    counts = run_publishers(pg_site, registered=False)
    live = sum(c[0] for c in counts)
    waiting = sum(c[1] for c in counts)
    assert (live, waiting) == (20, 80)
    s = state(pg_site)
    assert s["live"] == 20 and s["sandboxes"] == 20
    assert s["positions"] == list(range(1, 81))  # distinct, in order

    # Cleanup frees every place: the waiting list drains in its own order.
    first_twenty = s["order"][:20]
    drain = (
        "from portfolios.models import *; from portfolios import publishing, capacity;"
        "[publishing.archive(p) for p in Portfolio.objects.holding_sandbox()];"
        "print(','.join(str(r.pk) for r in PortfolioRequest.objects.filter("
        "state='published').order_by('published_at', 'created_at')))"
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", drain],
        cwd=REPO,
        env=pg_site,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    published = out.stdout.strip().splitlines()[-1].split(",")
    assert published == first_twenty
    after = state(pg_site)
    assert after["live"] == 20 and after["positions"] == list(range(1, 61))


def test_registered_users_fill_the_overflow_and_no_more(pg_site):
    run_publishers(pg_site, registered=True)
    s = state(pg_site)
    assert s["live"] == 25 and s["sandboxes"] == 25
    assert len(s["positions"]) == 75 and len(set(s["positions"])) == 75
