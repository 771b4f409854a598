"""deploy/'s systemd units and the files around them agree with each other and
with the application (the nginx site itself runs in test_nginx.py)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import REPO

UNITS = REPO / "deploy" / "systemd"
SITE = (REPO / "deploy" / "nginx" / "cv2web.conf").read_text()


def env_example() -> dict[str, str]:
    return dict(
        line.split("=", 1)
        for line in (REPO / ".env.example").read_text().splitlines()
        if line and not line.startswith("#") and "=" in line
    )


def unit(name: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (UNITS / name).read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_the_units_are_valid_for_systemd(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    for path in UNITS.glob("*.service"):
        # The code where the unit expects it, so that ExecStart's paths exist.
        (tmp_path / path.name).write_text(path.read_text().replace("/srv/cv2web/app", str(REPO)))
    result = subprocess.run(
        [analyze, "verify", *sorted(str(p) for p in tmp_path.glob("*.service"))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_web_and_worker_share_the_environment_and_the_metrics_directory():
    web, worker = unit("cv2web-web.service"), unit("cv2web-worker.service")
    assert web["ExecStart"] == ["/srv/cv2web/app/.venv/bin/python -m gunicorn -c gunicorn.conf.py"]
    assert worker["ExecStart"] == ["/srv/cv2web/app/.venv/bin/python manage.py qcluster"]
    for key in ("EnvironmentFile", "User", "UMask", "WorkingDirectory", "ReadWritePaths"):
        assert web[key] == worker[key], key
    metrics = "PROMETHEUS_MULTIPROC_DIR=/run/cv2web/prometheus"
    assert metrics in web["Environment"] and metrics in worker["Environment"]
    # nginx reads what they write through the group, nobody else can.
    assert web["UMask"] == ["0027"]


def test_gunicorn_listens_where_nginx_sends():
    bind = [v for v in unit("cv2web-web.service")["Environment"] if v.startswith("GUNICORN_BIND=")]
    assert bind == ["GUNICORN_BIND=127.0.0.1:8000"]
    assert "server 127.0.0.1:8000;" in SITE


def test_the_application_settings_match_the_site():
    env = env_example()
    assert env["TRUSTED_PROXY_COUNT"] == "1"
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in SITE
    assert env["SECURE_PROXY_SSL"] == "1"
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in SITE
    prefix = env["PORTFOLIO_ACCEL_REDIRECT_PREFIX"]
    location = re.search(r"location (\S+) \{\s*internal;\s*alias (\S+);", SITE)
    assert location and location[1] == prefix
    data = env["DATA_DIR"]
    assert location[2] == f"{data}/sandboxes/"
    assert f"alias {data}/static/;" in SITE
    # The site's HSTS header on static files is what the settings send elsewhere.
    assert env["SECURE_HSTS_SECONDS"] == "31536000"
    assert env["SECURE_HSTS_INCLUDE_SUBDOMAINS"] == env["SECURE_HSTS_PRELOAD"] == "1"
    assert '"max-age=31536000; includeSubDomains; preload"' in SITE
