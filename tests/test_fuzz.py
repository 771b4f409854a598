"""`make fuzz` in small (issue 10's acceptance, SPEC S-4): a few hundred
schemathesis cases against a real gunicorn, so that the fuzz run keeps
working and the API keeps passing it between full runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def test_a_small_fuzz_run_finds_no_5xx_no_schema_break_and_no_html():
    out = subprocess.run(
        [sys.executable, "scripts/fuzz.py", "--examples", "4", "--seed", "7"],
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = out.stdout + out.stderr[-3000:]
    assert out.returncode == 0, report[-6000:]
    cases = int(re.search(r"^cases: (\d+)", out.stdout, re.M).group(1))
    assert cases >= 200, report[-3000:]
    assert re.search(r"^failures: 0$", out.stdout, re.M), report[-6000:]
    # The {id} operations were reached with real ids: some DELETE erased one.
    assert re.search(r"\b204: \d+", out.stdout), report[-3000:]
