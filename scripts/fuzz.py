"""`make fuzz`: schemathesis over /api/schema/ against a real server (SPEC S-4,
issue 10's acceptance).

What it does:
1. a fresh DATA_DIR in a temporary folder, SQLite, production-like settings
   (DEBUG off, real keys), burst limits off and daily quotas raised through
   the environment, so that the run measures answers, not our allowances;
2. migrate, a registered user with an API token;
3. gunicorn with the project's gunicorn.conf.py on a free loopback port;
4. real objects to aim at: each caller (anonymous with its session cookie,
   and the token user) uploads a CV and publishes a portfolio; `{id}`
   operations get those ids most of the time (a portfolio erased by a DELETE
   is published again), generated ids otherwise;
5. positive and negative cases for every operation in the schema, as each
   caller, with three checks on every answer: `not_a_server_error`,
   `response_schema_conformance`, and `json_answer` (a body under /api/ is
   JSON, never an HTML page);
6. a summary: cases, failures by check, by operation, and one reproduction
   (curl) per distinct failure. Exit status 1 on any failure.

    python scripts/fuzz.py [--examples 100] [--seed 1] [--keep]

Not part of `make test` (a few minutes); tests/test_fuzz.py runs a small
version of it.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
API = "/api/v1"

# Raised for the run only: the fuzzer sends thousands of requests from one
# address (SPEC limits would answer 429 to almost all of them).
RUN_ENV = {
    "DEBUG": "0",
    "RATELIMIT_ENABLE": "0",
    "QUOTA_ANONYMOUS_EXTRACTIONS_PER_DAY": "1000000",
    "QUOTA_REGISTERED_EXTRACTIONS_PER_DAY": "1000000",
    "QUOTA_PREMIUM_EXTRACTIONS_PER_DAY": "1000000",
    "QUOTA_ANONYMOUS_ACTIVE_PORTFOLIOS": "1000000",
    "QUOTA_REGISTERED_ACTIVE_PORTFOLIOS": "1000000",
    "QUOTA_PREMIUM_ACTIVE_PORTFOLIOS": "1000000",
    # No worker runs: every upload stays queued, and a full queue would be a
    # deliberate 503 that not_a_server_error counts as a failure.
    "EXTRACTION_MAX_QUEUE_DEPTH": "1000000",
    "LOG_FORMAT": "text",
    "GUNICORN_ACCESS_LOG": "0",
    "WEB_CONCURRENCY": "2",
    "EMAIL_URL": "consolemail://",
}

USER_SETUP = """
from django.contrib.auth import get_user_model
from quotas.models import ApiToken
user = get_user_model().objects.create_user("fuzzer", "fuzzer@example.com", "x-unused-9!")
print(ApiToken.issue(user, "fuzz")[1])
"""

CV = b"Fuzz Person\nfuzz@example.com\n+44 20 7946 0000\n\nExperience\nTester at Example Ltd\n"
DOCUMENT = {"basics": {"name": "Fuzz Person", "email": "fuzz@example.com"}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn (gunicorn.conf.py) on a fresh data folder, stopped on exit."""

    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))},
            **RUN_ENV,
            "DATA_DIR": str(data_dir),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "PORT": str(self.port),
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "PUBLIC_BASE_URL": self.base_url,
            **(extra_env or {}),
        }
        self.env.pop("DATABASE_URL", None)
        self.env.pop("CACHE_URL", None)
        self.proc: subprocess.Popen | None = None
        self.log = data_dir / "server.log"

    def manage(self, *args: str, stdin: str | None = None) -> str:
        out = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if out.returncode:
            raise SystemExit(f"manage.py {' '.join(args)} failed:\n{out.stderr[-3000:]}")
        return out.stdout

    def __enter__(self) -> Server:
        self.manage("migrate", "--noinput", "-v", "0")
        # As `make run` does: with DEBUG off, pages need the static manifest.
        self.manage("collectstatic", "--noinput", "-v", "0")
        self.token = self.manage("shell", "-c", USER_SETUP).strip().splitlines()[-1]
        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        import requests

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return self
            time.sleep(0.2)
        self.__exit__()
        raise SystemExit(f"gunicorn did not answer:\n{self.log.read_text()[-3000:]}")

    def __exit__(self, *exc) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


@dataclass
class Caller:
    """One kind of API client, with the objects it owns."""

    name: str
    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        import requests

        # The anonymous caller keeps its session cookie, as a browser would:
        # the session that published a portfolio controls it.
        self.session = requests.Session()
        self.session.headers.update(self.headers)

    def publish(self) -> str:
        r = self.session.post(
            f"{self.base_url}{API}/portfolios", json={"resume": DOCUMENT}, timeout=30
        )
        if r.status_code != 201:
            raise SystemExit(f"{self.name}: publishing failed: {r.status_code} {r.text[:500]}")
        self.ids["portfolio"] = r.json()["id"]
        return self.ids["portfolio"]

    def upload(self) -> str:
        r = self.session.post(
            f"{self.base_url}{API}/extractions", files={"file": ("cv.txt", CV)}, timeout=30
        )
        if r.status_code not in (201, 202):
            raise SystemExit(f"{self.name}: uploading failed: {r.status_code} {r.text[:500]}")
        self.ids["extraction"] = r.json()["id"]
        return self.ids["extraction"]

    def id_for(self, path: str) -> str | None:
        if path.startswith(f"{API}/portfolios/"):
            return self.ids.get("portfolio")
        if path.startswith(f"{API}/extractions/"):
            return self.ids.get("extraction")
        return None

    def after(self, method: str, path: str, status: int, used_real_id: bool) -> None:
        """Replace an object the case erased, so later cases still hit one."""
        if not (used_real_id and method == "DELETE" and status == 204):
            return
        if path.startswith(f"{API}/portfolios/"):
            self.publish()
        elif path.startswith(f"{API}/extractions/"):
            self.upload()


def json_answer(ctx, response, case):
    """Every answer with a body under /api/ is JSON (no HTML error page)."""
    if response.status_code in (204, 304) or not response.content:
        return None
    content_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise AssertionError(
            f"`{content_type or 'no Content-Type'}` answer, not JSON: {response.content[:120]!r}"
        )
    return None


@dataclass
class Results:
    cases: int = 0
    unsendable: int = 0
    by_operation: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)  # (check, operation) -> count
    examples: dict = field(default_factory=dict)  # (check, operation, status, head) -> curl
    no_negative: list = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(self.failures.values())


def failure_head(exc: BaseException) -> str:
    """One line that tells failures apart: the title and the message's first line."""
    failures = getattr(exc, "exceptions", None) or [exc]
    first = failures[0]
    title = getattr(first, "title", "") or type(first).__name__
    message = getattr(first, "message", None) or str(first)
    line = next((ln.strip() for ln in message.splitlines() if ln.strip()), "")
    return f"{title}: {line}"[:200]


def run_operation(
    operation, mode, caller: Caller, examples: int, results: Results, rng, seed_value: int
) -> None:
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    checks = {
        "not_a_server_error": not_a_server_error,
        "response_schema_conformance": response_schema_conformance,
        "json_answer": json_answer,
    }
    label = operation.label

    @seed(seed_value)
    @settings(
        max_examples=examples,
        phases=[Phase.explicit, Phase.generate],
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def one(case) -> None:
        if rng.random() < 0.8:
            # Mostly as the caller itself: the schema's security schemes make
            # schemathesis invent a token and a session cookie, which would
            # hide the caller's own (and its objects) from almost every case.
            for name in [h for h in case.headers or {} if h.lower() == "authorization"]:
                del case.headers[name]
            (case.cookies or {}).pop("sessionid", None)
        used_real = False
        real = caller.id_for(operation.path)
        if "id" in (case.path_parameters or {}) and real and rng.random() < 0.8:
            case.path_parameters["id"] = real
            used_real = True
        try:
            response = case.call(base_url=caller.base_url, session=caller.session, timeout=30)
        except Exception as exc:  # noqa: BLE001 - requests cannot send some negative cases
            if "Connection" in type(exc).__name__ or "Timeout" in type(exc).__name__:
                raise
            results.unsendable += 1
            return
        results.cases += 1
        results.by_operation[label] += 1
        results.statuses[response.status_code] += 1
        for name, check in checks.items():
            try:
                case.validate_response(response, checks=[check])
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - any failed check
                results.failures[(name, label)] += 1
                key = (name, label, response.status_code, failure_head(exc))
                if key not in results.examples:
                    results.examples[key] = case.as_curl_command(
                        headers=dict(caller.session.headers)
                    )
        caller.after(operation.method.upper(), operation.path, response.status_code, used_real)

    try:
        one()
    except Unsatisfiable:
        # Nothing to negate: an operation without parameters or body.
        results.no_negative.append(label)


def fuzz(base_url: str, token: str, *, examples: int, seed: int, out=print) -> Results:
    import schemathesis
    from schemathesis import GenerationMode

    rng = random.Random(seed)
    schema = schemathesis.openapi.from_url(f"{base_url}/api/schema/")
    callers = [
        Caller("anonymous", base_url),
        Caller("token", base_url, headers={"Authorization": f"Token {token}"}),
    ]
    for caller in callers:
        caller.publish()
        caller.upload()
    results = Results()
    operations = [op.ok() for op in schema.get_all_operations()]
    started = time.monotonic()
    for caller in callers:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for operation in operations:
                before = results.cases
                run_operation(operation, mode, caller, examples, results, rng, seed)
                out(
                    f"  {caller.name:9} {mode.value:8} {operation.label:48} "
                    f"{results.cases - before:4} cases"
                )
    results.seconds = time.monotonic() - started
    return results


def summary(results: Results) -> str:
    lines = [
        "",
        f"cases: {results.cases} in {getattr(results, 'seconds', 0):.0f} s "
        f"({results.unsendable} generated requests could not be sent and are not counted)",
        "statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(results.statuses.items())),
        f"failures: {results.failed}",
    ]
    by_check: Counter = Counter()
    by_op: dict[str, Counter] = defaultdict(Counter)
    for (check, op), n in results.failures.items():
        by_check[check] += n
        by_op[op][check] += n
    for check in ("not_a_server_error", "response_schema_conformance", "json_answer"):
        lines.append(f"  {check:28} {by_check.get(check, 0)}")
    if by_op:
        lines.append("failures by operation:")
        for op, counts in sorted(by_op.items()):
            lines.append(f"  {op:48} " + ", ".join(f"{c}: {n}" for c, n in counts.items()))
        lines.append("distinct failures (first reproduction of each):")
        for (check, op, status, head), curl in sorted(results.examples.items()):
            lines.append(f"- {check} on {op} ({status}): {head}\n    {curl}")
    lines.append("cases by operation:")
    for op, n in sorted(results.by_operation.items()):
        lines.append(f"  {op:48} {n}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--examples",
        type=int,
        default=int(os.environ.get("FUZZ_EXAMPLES", "100")),
        help="generated cases per operation, caller and mode (default 100)",
    )
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", "1")))
    parser.add_argument("--keep", action="store_true", help="keep the data folder and its log")
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="cv2web-fuzz-"))
    print(f"fuzzing: data in {data_dir}, {args.examples} examples per operation/caller/mode")
    server_log = ""
    try:
        with Server(data_dir) as server:
            results = fuzz(server.base_url, server.token, examples=args.examples, seed=args.seed)
        server_log = server.log.read_text(errors="replace")
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(data_dir, ignore_errors=True)
    print(summary(results))
    if any(check == "not_a_server_error" for check, _op in results.failures):
        # The tracebacks behind the 5xx answers.
        errors = [ln for ln in server_log.splitlines() if " ERROR " in ln or "Error" in ln]
        print("server log, error lines (last 40):\n" + "\n".join(errors[-40:]))
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
