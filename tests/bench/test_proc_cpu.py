"""bench/_common.process_tree_cpu (issue 13): the CPU a server's process tree
spent, read from /proc, which bench/ceiling.py divides by the requests served."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench._common import _proc_stat, process_tree_cpu  # noqa: E402

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

TICK = 1 / os.sysconf("SC_CLK_TCK")


def spin(cpu_seconds: float) -> None:
    end = time.process_time() + cpu_seconds
    while time.process_time() < end:
        pass


def test_it_reads_this_process_as_os_times_does():
    before = process_tree_cpu(os.getpid())
    spin(0.2)
    after = process_tree_cpu(os.getpid())
    # Within a few ticks of what the process itself measures (reading /proc
    # costs some CPU of its own, more on a crowded machine).
    assert 0.2 - 3 * TICK <= after - before <= 0.2 + 0.3


def test_a_fresh_process_reads_as_os_times_says():
    # In a process of its own: the test runner has live children of other
    # tests (browsers, servers) that os.times() does not count and the tree does.
    root = str(Path(__file__).resolve().parents[2])
    code = (
        f"import os, sys, time; sys.path.insert(0, {root!r})\n"
        "from bench._common import process_tree_cpu\n"
        "end = time.process_time() + 0.2\n"
        "while time.process_time() < end: pass\n"
        "tree = process_tree_cpu(os.getpid()); t = os.times()\n"
        "print(tree, t.user + t.system + t.children_user + t.children_system)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    tree, own = (float(x) for x in out.stdout.split())
    assert own >= 0.2
    assert abs(tree - own) <= 3 * TICK + 0.1


def test_a_command_name_with_spaces_and_parentheses_is_parsed():
    # The name field of /proc/<pid>/stat is free text: a process named
    # "a) (b c" must not shift the fields read after it.
    code = (
        "import sys, time\n"
        "open('/proc/self/comm', 'w').write('a) (b c')\n"
        "print('ready', flush=True)\n"
        "time.sleep(30)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        with open(f"/proc/{child.pid}/stat") as fh:
            assert "(a) (b c)" in fh.read()
        st = _proc_stat(child.pid)
        assert st is not None
        assert st[0] == os.getpid()  # the ppid, read past the name
        assert st[3] == st[4] == 0  # it has reaped no child
    finally:
        child.kill()
        child.wait()
    assert _proc_stat(child.pid) is None


def test_it_counts_live_children_and_reaped_ones():
    code = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"
    child = subprocess.Popen([sys.executable, "-c", code + "time.sleep(30)"])
    try:
        deadline = time.monotonic() + 20
        while (st := _proc_stat(child.pid)) is None or st[1] + st[2] < 0.3 / TICK - 3:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        # This process's own time read first: reading /proc takes CPU too.
        mine = time.process_time()
        live = process_tree_cpu(os.getpid())
        # The sleeping child's 0.3 s are in the tree's total while it lives
        # (less a few ticks: /proc counts whole ticks per process) ...
        assert live - mine >= 0.3 - 6 * TICK
    finally:
        child.kill()
        child.wait()
    # ... and, once it is reaped, through this process's cutime + cstime.
    mine = time.process_time()
    reaped = process_tree_cpu(os.getpid())
    assert reaped - mine >= 0.3 - 6 * TICK


def test_a_process_that_is_gone_is_an_error():
    child = subprocess.Popen(["true"])
    child.wait()
    with pytest.raises(ProcessLookupError):
        process_tree_cpu(child.pid)


WRK_OUTPUT = """Running 3s test @ http://127.0.0.1:8000/healthz
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    18.20ms   10.01ms  98.71ms   70.12%
  Latency Distribution
     50%   16.80ms
     99%   52.10ms
  5184 requests in 3.01s, 1.21MB read
  Non-2xx or 3xx responses: 7
Requests/sec:   1722.33
"""


def test_the_requests_wrk_answered_are_read_beside_its_rate():
    from bench.ceiling import parse_wrk, requests_served

    assert requests_served(WRK_OUTPUT) == 5184
    assert parse_wrk(WRK_OUTPUT) == (1722.33, 52.1, 7)
