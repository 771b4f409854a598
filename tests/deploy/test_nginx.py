"""deploy/nginx/cv2web.conf, run by Debian's nginx in front of a real gunicorn of
the project (issue 16 point 4, acceptance 4).

The site file is the one operators install: the test changes only what is
specific to a machine (ports, paths, the certificate), each by an exact
replacement that fails when the file no longer has it. gunicorn runs with DEBUG
off, production-like settings and SQLite in a temporary folder; nginx runs on
free loopback ports with its pid, logs and temporary files there too (when the
test runs as root, nginx's workers run as `nobody`, so the files they send must
be readable by another user, as www-data's must be in production). Clients
connect from different loopback addresses (127.0.0.2, 127.0.0.3, ...), which
nginx sees as different clients.

Skipped, saying why, where nginx is not installed; in CI (.ci/run installs
nginx-light) a missing nginx fails instead.
"""

from __future__ import annotations

import contextlib
import datetime
import http.client
import ipaddress
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import IN_CI, REPO
from tests.net import free_port, multipart
from tests.processes import child_env

pytestmark = pytest.mark.slow

SITE = REPO / "deploy" / "nginx" / "cv2web.conf"
HOST = "cv2web.example.com"
NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
)
ANONYMOUS_PER_DAY = 2


def _require_nginx() -> str:
    if NGINX:
        return NGINX
    why = "nginx is not installed (Debian: apt-get install nginx-light; .ci/run installs it)"
    if IN_CI:
        pytest.fail(f"CI must run the front-server test: {why}")
    pytest.skip(why)


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for HOST (the client does not verify it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(HOST), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def render_site(data: Path, cert: Path, key: Path, ports: dict[str, int]) -> str:
    """deploy/nginx/cv2web.conf with this machine's ports, paths and certificate."""
    text = SITE.read_text()
    for old, new in [
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{ports['gunicorn']};"),
        ("    listen [::]:80;\n", ""),
        ("    listen [::]:443 ssl http2;\n", ""),
        ("listen 80;", f"listen 127.0.0.1:{ports['http']};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{ports['https']} ssl http2;"),
        (f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(cert)),
        (f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(key)),
        ("/srv/cv2web/data/", f"{data}/"),
    ]:
        assert old in text, f"deploy/nginx/cv2web.conf no longer has {old!r}"
        text = text.replace(old, new)
    return text


def main_config(base: Path, site: Path) -> str:
    temp = base / "nginx-temp"
    user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""
    paths = "\n".join(
        f"    {kind}_temp_path {temp / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}worker_processes 1;
pid {base}/nginx.pid;
error_log {base}/nginx-error.log warn;
events {{ worker_connections 128; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {base}/nginx-access.log;
{paths}
    include {site};
}}
"""


class Stack:
    """gunicorn of the project behind nginx, and a client for each."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.data = base / "data"
        self.ports = {"gunicorn": free_port(), "http": free_port(), "https": free_port()}
        self.procs: list[subprocess.Popen] = []
        self.env = child_env(drop=("PYTEST", "DJANGO_SETTINGS", "DATABASE_URL", "CACHE_URL")) | {
            "DJANGO_SETTINGS_MODULE": "cv2web.settings",
            "DEBUG": "0",
            "DATA_DIR": str(self.data),
            "ALLOWED_HOSTS": f"{HOST},127.0.0.1",
            "GUNICORN_BIND": f"127.0.0.1:{self.ports['gunicorn']}",
            # One worker: the second visit of a page is the one answered with
            # X-Accel-Redirect (the first goes through the view), deterministically.
            "WEB_CONCURRENCY": "1",
            "GUNICORN_THREADS": "4",
            "GUNICORN_ACCESS_LOG": "0",
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "json",
            "EXTRACTOR": "local",
            "TRUSTED_PROXY_COUNT": "1",
            "SECURE_PROXY_SSL": "1",
            "SECURE_SSL_REDIRECT": "1",
            "SESSION_COOKIE_SECURE": "1",
            "CSRF_COOKIE_SECURE": "1",
            "SECURE_HSTS_SECONDS": "31536000",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
            "SECURE_HSTS_PRELOAD": "1",
            "PORTFOLIO_ACCEL_REDIRECT_PREFIX": "/_sandboxes/",
            "QUOTA_ANONYMOUS_EXTRACTIONS_PER_DAY": str(ANONYMOUS_PER_DAY),
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("MAX_REQUEST_SIZE", "STATIC_ROOT", "SENTRY_DSN"):
            self.env.pop(name, None)

    def manage(self, *args: str) -> None:
        out = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, out.stderr[-3000:]

    def start(self) -> None:
        nginx = _require_nginx()
        self.data.mkdir()
        self.manage("migrate", "-v", "0")
        # Without the third-party bundles (admin, DRF, Swagger UI): compressing
        # them takes minutes on a busy machine, and no request here reads them.
        self.manage(
            "collectstatic",
            "--noinput",
            "-v",
            "0",
            *("--ignore=admin", "--ignore=rest_framework", "--ignore=drf_spectacular_sidecar"),
        )
        cert, key = _certificate(self.base)
        site = self.base / "site.conf"
        site.write_text(render_site(self.data, cert, key, self.ports))
        conf = self.base / "nginx.conf"
        conf.write_text(main_config(self.base, site))
        (self.base / "nginx-temp").mkdir()
        nginx_cmd = [nginx, "-p", str(self.base), "-e", str(self.base / "nginx-error.log")]
        check = subprocess.run(
            [*nginx_cmd, "-t", "-c", str(conf)], capture_output=True, text=True, timeout=30
        )
        assert check.returncode == 0, check.stderr
        self._spawn(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], self.base / "gunicorn.log"
        )
        self._spawn([*nginx_cmd, "-c", str(conf), "-g", "daemon off;"], self.base / "nginx.out")
        self._wait_until_up()

    def _spawn(self, cmd: list[str], log: Path) -> None:
        with log.open("w") as out:
            self.procs.append(
                subprocess.Popen(
                    cmd,
                    cwd=REPO,
                    env=self.env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            for proc in self.procs:
                assert proc.poll() is None, self.logs()
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                pass
            assert time.monotonic() < deadline, self.logs()
            time.sleep(0.2)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text()[-3000:]}"
            for p in sorted(self.base.glob("*.log")) + [self.base / "nginx.out"]
            if p.exists()
        )

    def stop(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    # --- clients

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        *,
        source: str = "127.0.0.1",
        direct: bool = False,
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        """One request through nginx (HTTPS, from `source`), or `direct` to gunicorn
        as nginx would send it."""
        headers = {"Host": HOST, **(headers or {})}
        if direct:
            conn: http.client.HTTPConnection = http.client.HTTPConnection(
                "127.0.0.1", self.ports["gunicorn"], timeout=30
            )
            headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": source, **headers}
        else:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection(
                "127.0.0.1",
                self.ports["https"],
                timeout=30,
                context=context,
                source_address=(source, 0),
            )
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)


@pytest.fixture(scope="module")
def stack():
    _require_nginx()
    # Not pytest's tmp_path: its folders are private to this user, and nginx's
    # workers (nobody, when the test runs as root) must reach the files.
    base = Path(tempfile.mkdtemp(prefix="cv2web-nginx-"))
    base.chmod(0o755)
    running = Stack(base)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        shutil.rmtree(base, ignore_errors=True)


def cv_text(n: int) -> bytes:
    return (
        f"Person Number{n}\nperson{n}@example.com\n\nExperience\n"
        f"Engineer at Company {n}, 2019 - 2024\nBuilt things, number {n}.\n"
    ).encode()


def upload(stack: Stack, n: int, **kw):
    body, ctype = multipart(cv_text(n), name=f"cv-{n}.txt", content_type="text/plain")
    return stack.request(
        "POST", "/api/v1/extractions", body, {"Content-Type": ctype, **kw.pop("headers", {})}, **kw
    )


# Headers whose values legitimately differ between two answers of the same
# content, or that belong to the connection rather than the content.
PER_ANSWER = {
    "date",
    "server",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "x-request-id",
    "last-modified",
}


def differing(app: http.client.HTTPMessage, front: http.client.HTTPMessage) -> dict:
    """Every header of the application's answer that nginx's answer lacks or changes."""

    def same(name: str, a: str | None, b: str | None) -> bool:
        if name == "content-type" and a and b:
            # whitenoise quotes the charset (charset="utf-8"), nginx does not.
            return a.replace('"', "").lower() == b.replace('"', "").lower()
        return a == b

    front_headers = {k.lower(): v for k, v in front.items()}
    return {
        name: (value, front_headers.get(name.lower()))
        for name, value in app.items()
        if name.lower() not in PER_ANSWER
        and not same(name.lower(), value, front_headers.get(name.lower()))
    }


# --- The client's address -------------------------------------------------------


def test_quotas_count_the_address_nginx_saw_not_the_one_the_client_wrote(stack):
    answers = [
        upload(stack, n, source="127.0.0.2", headers={"X-Forwarded-For": f"203.0.113.{n}"})
        for n in range(ANONYMOUS_PER_DAY + 1)
    ]
    statuses = [status for status, _, _ in answers]
    assert statuses == [202] * ANONYMOUS_PER_DAY + [429], [a[2][:300] for a in answers]
    assert json.loads(answers[-1][2])["error"] == "quota_exceeded"
    assert answers[0][1]["X-Quota-Remaining"] == str(ANONYMOUS_PER_DAY - 1)
    # Another machine has its own allowance, whatever it writes in the header.
    status, headers, body = upload(
        stack, 99, source="127.0.0.3", headers={"X-Forwarded-For": "127.0.0.2"}
    )
    assert status == 202, body[:300]
    assert headers["X-Quota-Remaining"] == str(ANONYMOUS_PER_DAY - 1)


# --- Bodies over MAX_REQUEST_SIZE --------------------------------------------------


def _declared_too_large(stack: Stack, path: str, limit: int):
    """Headers announcing one byte over the limit, and no body: nginx answers from
    the headers alone, before a byte of the body is read."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection(
        "127.0.0.1", stack.ports["https"], timeout=30, context=context
    )
    try:
        conn.putrequest("POST", path, skip_host=True)
        conn.putheader("Host", HOST)
        conn.putheader("Content-Type", "multipart/form-data; boundary=x")
        conn.putheader("Content-Length", str(limit + 1))
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def test_the_body_limit_is_the_application_s():
    from django.conf import settings

    text = SITE.read_text()
    assert "client_max_body_size 10m;" in text
    assert settings.MAX_REQUEST_SIZE == 10 * 1024 * 1024, (
        "MAX_REQUEST_SIZE's default changed: change client_max_body_size and the 413 "
        "answers in deploy/nginx/cv2web.conf with it"
    )


@pytest.mark.parametrize("path", ["/api/v1/extractions", "/api/v1/x.css"])
def test_an_oversized_api_body_gets_the_product_s_json_413(stack, path):
    from django.conf import settings

    from cv2web.errors import too_large_body

    status, headers, body = _declared_too_large(stack, path, settings.MAX_REQUEST_SIZE)
    assert status == 413
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == too_large_body()


@pytest.mark.parametrize("path", ["/", "/static/css/site.css", "/p/someone/"])
def test_an_oversized_body_elsewhere_gets_the_product_s_page(stack, path):
    from django.conf import settings
    from django.template.loader import render_to_string

    status, headers, body = _declared_too_large(stack, path, settings.MAX_REQUEST_SIZE)
    assert status == 413
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    limit_mb = f"{settings.MAX_REQUEST_SIZE / (1024 * 1024):.1f}"
    assert body.decode() == render_to_string("errors/413.html", {"limit_mb": limit_mb}).rstrip("\n")


def test_a_body_of_exactly_the_limit_reaches_the_application(stack):
    from django.conf import settings

    filler = b"x" * (settings.MAX_REQUEST_SIZE - 400)
    body, ctype = multipart(filler, name="big.txt", content_type="text/plain")
    body += b" " * (settings.MAX_REQUEST_SIZE - len(body))  # epilogue: ignored
    assert len(body) == settings.MAX_REQUEST_SIZE
    status, headers, answer = stack.request(
        "POST", "/api/v1/extractions", body, {"Content-Type": ctype}, source="127.0.0.9"
    )
    # Whatever the application makes of it, it is the application's answer.
    assert status != 413 or "max_size_bytes" in json.loads(answer), answer[:300]
    assert "X-Request-ID" in headers, (status, answer[:300])


# --- Static files ---------------------------------------------------------------


def _static_names(stack: Stack) -> tuple[str, str]:
    manifest = json.loads((stack.data / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/site.css"]
    return "css/site.css", hashed


@pytest.mark.parametrize("which", ["hashed", "plain"])
def test_static_files_come_from_nginx_with_the_application_s_headers(stack, which):
    plain, hashed = _static_names(stack)
    path = f"/static/{hashed if which == 'hashed' else plain}"
    app_status, app, app_body = stack.get(path, direct=True)
    status, front, body = stack.get(path)
    assert (app_status, status) == (200, 200)
    assert body == app_body == (stack.data / "static" / path.removeprefix("/static/")).read_bytes()
    assert not differing(app, front), differing(app, front)
    immutable = "immutable" in front["Cache-Control"]
    assert immutable is (which == "hashed")
    # nginx's own ETag for its own file: conditional requests still work.
    assert front["ETag"]
    assert stack.get(path, headers={"If-None-Match": front["ETag"]})[0] == 304


def test_static_files_go_compressed_to_clients_that_accept_it(stack):
    _, hashed = _static_names(stack)
    status, headers, body = stack.get(f"/static/{hashed}", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert headers["Vary"] == "Accept-Encoding"


# --- Portfolio pages, sent by nginx (X-Accel-Redirect) ----------------------------


@pytest.fixture(scope="module")
def portfolio(stack):
    resume = {
        "basics": {"name": "Ada Example", "label": "Engineer", "email": "ada@example.com"},
        "work": [{"name": "Acme", "position": "Engineer", "startDate": "2020-01"}],
    }
    status, _, body = stack.request(
        "POST",
        "/api/v1/portfolios",
        json.dumps({"resume": resume}).encode(),
        {"Content-Type": "application/json"},
        source="127.0.0.4",
    )
    assert status == 201, body[:500]
    return json.loads(body)


@pytest.mark.parametrize("name", ["", "style.css", "resume.json"])
def test_portfolio_files_keep_every_header_through_x_accel_redirect(stack, portfolio, name):
    path = f"/p/{portfolio['slug']}/{name}"
    stack.get(path, direct=True)  # the first visit goes through the view
    app_status, app, app_body = stack.get(path, direct=True)
    assert app_status == 200 and app_body == b""
    assert app["X-Accel-Redirect"] == f"/_sandboxes/{portfolio['id']}/{name or 'index.html'}"

    status, front, body = stack.get(path)
    assert status == 200
    on_disk = stack.data / "sandboxes" / portfolio["id"] / (name or "index.html")
    assert body == on_disk.read_bytes()
    assert "X-Accel-Redirect" not in front
    for header in ("Content-Security-Policy", "ETag", "Cache-Control", "X-Frame-Options"):
        assert front[header], header
    app_headers = {k: v for k, v in app.items() if k != "X-Accel-Redirect"}
    app_message = http.client.HTTPMessage()
    for k, v in app_headers.items():
        app_message[k] = v
    assert not differing(app_message, front), differing(app_message, front)
    assert stack.get(path, headers={"If-None-Match": front["ETag"]})[0] == 304


def test_the_sandboxes_cannot_be_fetched_past_the_application(stack, portfolio):
    for path in (
        f"/_sandboxes/{portfolio['id']}/index.html",
        f"/_sandboxes/{portfolio['id']}/manifest.json",
        f"/p/{portfolio['slug']}/manifest.json",
    ):
        status, _, body = stack.get(path)
        assert status == 404, (path, body[:200])


# --- Plain HTTP -------------------------------------------------------------------


def test_plain_http_is_sent_to_https(stack):
    conn = http.client.HTTPConnection("127.0.0.1", stack.ports["http"], timeout=10)
    try:
        conn.request("GET", "/p/x/?a=1", headers={"Host": HOST})
        response = conn.getresponse()
        assert response.status == 301
        assert response.headers["Location"] == f"https://{HOST}/p/x/?a=1"
    finally:
        conn.close()


# --- Attacks (DESIGN.md habit 10) ---------------------------------------------------


def test_an_oversized_chunked_body_is_refused_as_the_product_refuses_it(stack):
    from django.conf import settings

    from cv2web.errors import too_large_body

    # No Content-Length to refuse early: nginx counts the chunks as they come.
    def chunks():
        for _ in range(settings.MAX_REQUEST_SIZE // (1 << 20) + 2):
            yield b"x" * (1 << 20)

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection(
        "127.0.0.1", stack.ports["https"], timeout=30, context=context
    )
    try:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.request(
                "POST",
                "/api/v1/extractions",
                body=chunks(),
                headers={"Host": HOST, "Content-Type": "multipart/form-data; boundary=x"},
                encode_chunked=True,
            )
        response = conn.getresponse()
        assert response.status == 413
        assert json.loads(response.read()) == too_large_body()
    finally:
        conn.close()


def test_a_path_next_to_static_does_not_reach_the_data_folder(stack):
    # The classic alias slip (`location /static` without its slash) would serve
    # DATA_DIR/cv2web.sqlite3 here.
    for path in (
        "/static../cv2web.sqlite3",
        "/static/../cv2web.sqlite3",
        "/static/..%2fsecret_key",
    ):
        status, _, body = stack.get(path)
        assert status in (400, 404), (path, status)
        assert b"SQLite format" not in body


def test_a_client_cannot_send_itself_a_sandbox_file_or_pose_as_https(stack, portfolio):
    # Request headers named like the front server's own do nothing.
    status, headers, body = stack.get(
        "/healthz",
        headers={"X-Accel-Redirect": f"/_sandboxes/{portfolio['id']}/index.html"},
    )
    assert status == 200 and json.loads(body) == {"status": "ok"}
    conn = http.client.HTTPConnection("127.0.0.1", stack.ports["http"], timeout=10)
    try:
        conn.request("GET", "/healthz", headers={"Host": HOST, "X-Forwarded-Proto": "https"})
        assert conn.getresponse().status == 301  # plain HTTP never reaches the app
    finally:
        conn.close()


def test_a_passphrase_gated_site_is_sent_only_after_the_passphrase(stack):
    from http.cookies import SimpleCookie

    resume = {"basics": {"name": "Grace Gated", "label": "Engineer"}}
    status, _, body = stack.request(
        "POST",
        "/api/v1/portfolios",
        json.dumps({"resume": resume, "privacy": {"passphrase": "for recruiters"}}).encode(),
        {"Content-Type": "application/json"},
        source="127.0.0.5",
    )
    assert status == 201, body[:500]
    gated = json.loads(body)
    path = f"/p/{gated['slug']}/"
    on_disk = (stack.data / "sandboxes" / gated["id"] / "index.html").read_bytes()
    for name in ("", "style.css", "", "style.css"):  # the view's way, then the short one
        status, headers, body = stack.get(f"{path}{name}")
        assert (
            body != (stack.data / "sandboxes" / gated["id"] / (name or "index.html")).read_bytes()
        )
        assert headers["Cache-Control"] == "no-store"
        assert "X-Accel-Redirect" not in headers

    # The form's CSRF cookie and token, then the passphrase.
    cookies = SimpleCookie()
    status, headers, page = stack.get(path)
    for value in headers.get_all("Set-Cookie") or []:
        cookies.load(value)
    token = page.decode().split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    cookie = "; ".join(f"{k}={m.value}" for k, m in cookies.items())
    status, headers, _ = stack.request(
        "POST",
        f"{path}unlock",
        f"csrfmiddlewaretoken={token}&passphrase=for+recruiters&next=".encode(),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "Origin": f"https://{HOST}",
            "Referer": f"https://{HOST}{path}",
        },
    )
    assert status in (302, 303), status
    for value in headers.get_all("Set-Cookie") or []:
        cookies.load(value)
    cookie = "; ".join(f"{k}={m.value}" for k, m in cookies.items())
    for _ in range(2):
        status, headers, body = stack.get(path, headers={"Cookie": cookie})
        assert status == 200 and body == on_disk
        assert headers["Vary"] and "Cookie" in headers["Vary"]
        assert "public" not in headers["Cache-Control"]
