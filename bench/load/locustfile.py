"""The seeds' load scenarios as Locust users (seed 003 §6.1, seed 004 "Testing plan").

Run by bench/load/run.py (`make load`), which starts the site and sets:
  LOAD_HOSTS   the web nodes, comma-separated; each simulated person talks to one
               (what a load balancer does)
  LOAD_SEED    JSON: `tokens` (recruiters' API tokens), `slugs` (portfolios online)
  LOAD_SAMPLES the CV samples folder (PDF, DOCX, TXT)
  LOAD_STAGES  JSON [[until_s, users, spawn_rate], ...]: the shape of the run
  LOAD_OUT     where the raw figures go (JSON) when Locust quits

The mix (weights of the user classes): visitors reading portfolio pages and the
service status, applicants doing the whole journey (upload page, upload, follow the
job, publish, view the page), recruiters sending CVs through the API with a token
and following them. Each applicant journey is a new person with an address of its
own (sent as X-Forwarded-For, the balancer's hop), so the tier's daily quota and
burst limits apply as they would to real people. A share of uploads repeat a file
sent before (the seed's 30% cache-hit rate); the rest are distinct documents made
from the samples (a unique trailer changes the bytes, not the content).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
import time
from collections import defaultdict
from pathlib import Path

from documents import multipart, originals, unique
from locust import FastHttpUser, LoadTestShape, between, constant_pacing, events, task

HOSTS = [h for h in os.environ.get("LOAD_HOSTS", "").split(",") if h]
SEED = json.loads(os.environ.get("LOAD_SEED", '{"tokens": [], "slugs": []}'))
SAMPLES = Path(os.environ.get("LOAD_SAMPLES", "."))
STAGES = json.loads(os.environ.get("LOAD_STAGES", "[[60, 10, 10]]"))
OUT = os.environ.get("LOAD_OUT")
POLL_S = float(os.environ.get("LOAD_POLL_S", "2"))
JOB_WAIT_S = float(os.environ.get("LOAD_JOB_WAIT_S", "120"))
# Each scenario's people come from a network of their own: a person of an earlier
# scenario (with a portfolio online) is not the next one's.
NET = int(os.environ.get("LOAD_NET", "1"))
REPEAT_SHARE = float(os.environ.get("LOAD_REPEAT_SHARE", "0.3"))
# The 1,000-CVs-an-hour scenario: CVs an hour the HourOfCVs users send together.
CV_RATE = float(os.environ.get("LOAD_CV_RATE", "1000"))
CV_SENDERS = int(os.environ.get("LOAD_CV_SENDERS", "10"))


# --- What the run records (one process: Locust's gevent loop) ----------------

_stage = 0  # index of the current stage of LOAD_STAGES
# name -> [(stage, ms, status, error label or "")]
samples: dict[str, list[tuple[int, float, int, str]]] = defaultdict(list)
journeys: dict[str, int] = defaultdict(int)
_started = time.time()


@events.request.add_listener
def _record(request_type, name, response_time, response, exception, **_):
    status = getattr(response, "status_code", 0) or 0
    label = ""
    if status >= 400 or status == 0:
        code = ""
        try:
            code = (response.json() or {}).get("error", "") if status else ""
        except Exception:  # noqa: BLE001 - a page or an empty body: the status says enough
            code = ""
        label = f"{status} {code}".strip() if status else f"0 {type(exception).__name__}"
    samples[name].append((_stage, response_time, status, label))


@events.quitting.add_listener
def _dump(environment, **_):
    if not OUT:
        return
    import psutil

    cpu = psutil.Process().cpu_times()
    Path(OUT).write_text(
        json.dumps(
            {
                "started": _started,
                "stopped": time.time(),
                "stages": STAGES,
                "samples": samples,
                "journeys": journeys,
                "generator_cpu_s": cpu.user + cpu.system,
            }
        )
    )


class Stages(LoadTestShape):
    """LOAD_STAGES: until `until_s` seconds into the run, `users` at `spawn_rate`."""

    def tick(self):
        global _stage
        run_time = self.get_run_time()
        for i, (until, users, rate) in enumerate(STAGES):
            if run_time < until:
                _stage = i
                return users, rate
        return None


# --- Documents -----------------------------------------------------------------

_lock = threading.Lock()
_originals = originals(SAMPLES)
_sent: list[tuple[str, bytes]] = []  # files sent before, for repeats
_addresses = itertools.count(1)


def a_cv() -> tuple[str, bytes]:
    """(file name, bytes): a document sent before (REPEAT_SHARE), else a new one."""
    if not _originals:
        raise RuntimeError(f"no PDF, DOCX or TXT samples in {SAMPLES}")
    with _lock:
        if _sent and random.random() < REPEAT_SHARE:
            return random.choice(_sent)
    kind, data = random.choice(_originals)
    doc = (f"cv{kind}", unique(kind, data))
    with _lock:
        _sent.append(doc)
        del _sent[:-200]
    return doc


def new_address() -> str:
    """A documentation-range IPv6 address whose /64 (the quota's bucket) is this
    person's alone."""
    n = next(_addresses)
    return f"2001:db8:{(NET << 8) | (n >> 16):x}:{n & 0xFFFF:x}::1"


_hosts = itertools.cycle(HOSTS or ["http://127.0.0.1:8000"])


# --- Users ---------------------------------------------------------------------


class Person(FastHttpUser):
    abstract = True
    # geventhttpclient's default pool; connections are kept alive like a browser's.
    connection_timeout = 10.0
    network_timeout = 30.0

    def __init__(self, environment) -> None:
        self.host = next(_hosts)
        super().__init__(environment)
        self.address = new_address()
        self.token = ""

    def headers(self, **extra: str) -> dict[str, str]:
        h = {"X-Forwarded-For": self.address}
        if self.token:
            h["Authorization"] = f"Token {self.token}"
        return h | extra

    def get(self, path: str, name: str, **headers: str):
        return self.client.get(path, name=name, headers=self.headers(**headers))

    def upload(self) -> dict | None:
        name, data = a_cv()
        body, ctype = multipart(name, data)
        r = self.client.post(
            "/api/v1/extractions",
            data=body,
            headers=self.headers(**{"Content-Type": ctype}),
            name="POST /api/v1/extractions",
        )
        if r.status_code not in (201, 202):
            return None
        return r.json()

    def follow(self, job: dict, manage_token: str | None) -> dict | None:
        """Poll the job every POLL_S until it ends (or JOB_WAIT_S passes)."""
        deadline = time.monotonic() + JOB_WAIT_S
        extra = {"X-Manage-Token": manage_token} if manage_token else {}
        while job.get("status") in ("queued", "running"):
            if time.monotonic() > deadline:
                journeys["gave_up_waiting"] += 1
                return None
            time.sleep(POLL_S)
            r = self.get(
                f"/api/v1/extractions/{job['id']}", "GET /api/v1/extractions/<id>", **extra
            )
            if r.status_code != 200:
                return None
            job = r.json()
        journeys[f"job_{job.get('status')}"] += 1
        return job


class Visitor(Person):
    """Reads: portfolio pages, the status page and API, the upload page."""

    weight = 16
    wait_time = between(1, 4)

    @task(6)
    def portfolio(self):
        slugs = SEED.get("slugs") or []
        if slugs:
            self.get(f"/p/{random.choice(slugs)}/", "GET /p/<slug>/")

    @task(2)
    def status_api(self):
        self.get("/api/v1/status", "GET /api/v1/status")

    @task(1)
    def status_page(self):
        self.get("/status", "GET /status")

    @task(1)
    def upload_page(self):
        self.get("/", "GET /")


class Applicant(Person):
    """The whole journey of one anonymous person, then the next person."""

    weight = 3
    wait_time = between(5, 15)

    @task
    def journey(self):
        self.address = new_address()
        self.get("/", "GET /")
        job = self.upload()
        if job is None:
            journeys["upload_refused"] += 1
            return
        token = job.get("manage_token")
        job = self.follow(job, token)
        if not job or job.get("status") != "succeeded":
            return
        r = self.client.post(
            "/api/v1/portfolios",
            json={"extraction": job["id"]},
            headers=self.headers(**({"X-Manage-Token": token} if token else {})),
            name="POST /api/v1/portfolios",
        )
        if r.status_code == 201:
            journeys["published"] += 1
            self.get(f"/p/{r.json()['slug']}/", "GET /p/<slug>/")
        elif r.status_code == 202:
            journeys["publish_waiting"] += 1


class Recruiter(Person):
    """An API consumer with a token: sends CVs one by one and follows them."""

    weight = 1
    wait_time = between(3, 8)

    def on_start(self) -> None:
        tokens = SEED.get("tokens") or []
        self.token = random.choice(tokens) if tokens else ""

    @task(3)
    def send(self):
        job = self.upload()
        if job is None:
            journeys["upload_refused"] += 1
            return
        self.follow(job, None)

    @task(1)
    def list_jobs(self):
        self.get("/api/v1/extractions?limit=20", "GET /api/v1/extractions")


class HourOfCVs(Person):
    """Seed 004's "1000 optimizations in 1 hour": CV_SENDERS recruiters' clients
    together send CV_RATE distinct CVs an hour, each followed to its end."""

    weight = 1
    wait_time = constant_pacing(CV_SENDERS * 3600 / CV_RATE)
    network_timeout = 60.0

    _started = itertools.count()

    def on_start(self) -> None:
        tokens = SEED.get("tokens") or []
        self.token = tokens[0] if tokens else ""
        # Evenly spread arrivals: sender i starts i/CV_SENDERS of a pace later.
        time.sleep(next(self._started) * 3600 / CV_RATE)

    @task
    def send(self):
        name, data = a_cv()
        body, ctype = multipart(name, data)
        r = self.client.post(
            "/api/v1/extractions",
            data=body,
            headers=self.headers(**{"Content-Type": ctype}),
            name="POST /api/v1/extractions",
        )
        if r.status_code not in (201, 202):
            journeys["upload_refused"] += 1
            return
        journeys["sent"] += 1
        self.follow(r.json(), None)
