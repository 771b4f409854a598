"""docs/deploy.md's list for `check --deploy` is complete and sufficient, and
.env.example names every variable the product reads (issue 16 point 4: the
guide's check failed on two HSTS variables settings read and it did not list).

Both lists come from the source, not from a copy kept in a test: the variables
read are found in the code (tests/deploy/envvars.py), the guide's block is
parsed from the guide itself."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from tests.conftest import REPO
from tests.deploy.envvars import env_example_variables, product_variables

# Several runs of manage.py check in processes of their own.
pytestmark = pytest.mark.slow

GUIDE = REPO / "docs" / "deploy.md"
MARKER = "<!-- check-deploy-environment"


def guide_environment() -> dict[str, str]:
    """The block after the marker in docs/deploy.md, as NAME -> value."""
    text = GUIDE.read_text()
    assert MARKER in text, "docs/deploy.md lost the check --deploy list"
    block = re.search(r"```\w*\n(.*?)```", text[text.index(MARKER) :], re.S)
    assert block, "no fenced block after the marker"
    values = {}
    for line in block[1].splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, sep, value = line.partition("=")
            assert sep and name.isupper(), f"not NAME=value: {line!r}"
            values[name] = value
    return values


def filled(values: dict[str, str], data_dir) -> dict[str, str]:
    """The guide's values with its `<...>` placeholders made as it says."""
    made = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DATA_DIR": str(data_dir),
    }
    out = {}
    for name, value in values.items():
        if value.startswith("<"):
            assert name in made, f"{name}: a placeholder the test cannot fill"
            value = made[name]
        out[name] = value
    return out


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    """`check --deploy --fail-level WARNING` with `env` and none of the product's other
    variables (nor the test runner's settings hints)."""
    ours, _ = product_variables()
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ours and not k.startswith(("PYTEST", "DJANGO_", "SENTRY_", "OTEL_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_exactly_the_variables_the_guide_lists(tmp_path):
    result = check_deploy(filled(guide_environment(), tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def guide_answers() -> dict[str, str]:
    """The guide's table: variable -> the check id its absence raises (rows that
    name as many ids as variables; "nothing" rows name none)."""
    text = GUIDE.read_text()
    table = text[text.index(MARKER) :].split("without it, `check --deploy` says", 1)[1]
    answers = {}
    for row in table.split("\n\n", 1)[0].splitlines()[2:]:
        cells = row.split("|")
        names = re.findall(r"`([A-Z_]+)`", cells[1])
        ids = re.findall(r"`((?:cv2web|security)\.[EW]\d+)`", cells[2])
        if len(ids) == len(names):
            answers |= dict(zip(names, ids, strict=True))
    return answers


def test_the_guide_says_what_each_security_variable_answers():
    answers = guide_answers()
    # The two the guide once left out (W005, W021), and the rest Django asks for.
    for name, check in {
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "security.W005",
        "SECURE_HSTS_PRELOAD": "security.W021",
        "SECURE_HSTS_SECONDS": "security.W004",
        "SECURE_SSL_REDIRECT": "security.W008",
        "SESSION_COOKIE_SECURE": "security.W012",
        "CSRF_COOKIE_SECURE": "security.W016",
        "EMAIL_URL": "cv2web.E001",
        "TRUSTED_PROXY_COUNT": "cv2web.W002",
    }.items():
        assert answers.get(name) == check, name
    assert set(answers) <= set(guide_environment())


@pytest.mark.parametrize("name", sorted(guide_answers()))
def test_without_each_listed_variable_the_check_fails_as_the_guide_says(tmp_path, name):
    env = filled(guide_environment(), tmp_path)
    del env[name]
    result = check_deploy(env)
    assert result.returncode != 0
    assert guide_answers()[name] in result.stderr + result.stdout


def test_every_read_is_named_so_the_scan_sees_it():
    _, unnamed = product_variables()
    assert not unnamed, f"environment reads whose name is not a literal: {unnamed}"


def test_env_example_lists_every_variable_the_product_reads():
    read, _ = product_variables()
    listed = env_example_variables()
    assert not read - listed, f"read but missing from .env.example: {sorted(read - listed)}"
    assert not listed - read, f"in .env.example but read nowhere: {sorted(listed - read)}"


def test_the_guide_documents_every_variable_the_product_reads():
    text = GUIDE.read_text()
    # The tiers' quotas are written as one pattern.
    tiers = "QUOTA_{ANONYMOUS,REGISTERED,PREMIUM,BULK}_EXTRACTIONS_PER_DAY"
    assert tiers in text and "`..._ACTIVE_PORTFOLIOS`" in text and "`..._RETENTION_HOURS`" in text
    read, _ = product_variables()
    missing = sorted(
        name for name in read if f"`{name}`" not in text and not name.startswith("QUOTA_")
    )
    assert not missing, f"read by the product, named nowhere in docs/deploy.md: {missing}"


def test_env_example_values_are_literal_for_systemd():
    # systemd's EnvironmentFile takes a value as written: "$PORT" would stay "$PORT".
    for line in (REPO / ".env.example").read_text().splitlines():
        name, sep, value = line.lstrip("# ").partition("=")
        if sep and name.isidentifier() and name.isupper():
            assert "$" not in value and not value.startswith(("'", '"')), line


def test_env_example_has_the_guide_s_production_values():
    guide = guide_environment()
    text = (REPO / ".env.example").read_text()
    active = dict(
        line.split("=", 1)
        for line in text.splitlines()
        if line.strip() and not line.startswith("#") and "=" in line
    )
    for name, value in guide.items():
        assert name in active, f"{name} is not set in .env.example's production block"
        if not value.startswith("<"):
            assert active[name] == value, name


def test_a_spurious_ast_depth_error_is_parsed_again(monkeypatch, tmp_path):
    # CPython 3.11.7's shared AST depth (python/cpython#106905) fails a parse
    # now and then while another thread builds an AST; any other error stands.
    import ast

    from tests.deploy import envvars

    source = tmp_path / "m.py"
    source.write_text("import os\nos.environ.get('CV2WEB_X')\n")
    real, calls = ast.parse, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise SystemError("AST constructor recursion depth mismatch (before=135, after=53)")
        return real(*args, **kwargs)

    monkeypatch.setattr(envvars.ast, "parse", flaky)
    assert envvars.reads(source)[0] == {"CV2WEB_X"}
    assert len(calls) == 2

    def broken(*args, **kwargs):
        raise SystemError("something else")

    monkeypatch.setattr(envvars.ast, "parse", broken)
    with pytest.raises(SystemError, match="something else"):
        envvars.reads(source)
