"""WarmPool: the upload-time probe in children kept warm, with run_isolated's
limits and outcomes, and no fork of the web process per upload."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time

import pytest

from extraction.isolation import (
    IsolatedCrash,
    IsolatedMemoryError,
    IsolatedTimeout,
    WarmPool,
)
from tests.extraction.test_isolation import (
    _add,
    _allocate,
    _assert_reaped,
    _exit_with,
    _kill_self,
    _logging_disabled_level,
    _raise_bad_file,
    _raise_memory_error,
    _raise_value_error,
    _sleep_forever,
)


@pytest.fixture
def pool():
    pool = WarmPool(size=1, memory_mb=128, max_uses=50)
    yield pool
    pool.close()


def _open_fds_of_child():
    return sorted(int(fd) for fd in os.listdir("/proc/self/fd"))


def test_calls_run_in_one_warm_child_not_in_this_process(pool):
    first = pool.run(os.getpid, timeout=5)
    assert first != os.getpid()
    assert pool.run(os.getpid, timeout=5) == first
    assert pool.run(_add, 2, 3, scale=10, timeout=5) == 50


def test_errors_come_back_as_they_were_raised_and_the_child_stays(pool):
    pid = pool.run(os.getpid, timeout=5)
    with pytest.raises(ValueError, match="broken"):
        pool.run(_raise_value_error, timeout=5)
    with pytest.raises(Exception) as caught:
        pool.run(_raise_bad_file, timeout=5)
    assert caught.value.code == "type_mismatch" and caught.value.status == 415
    assert pool.run(os.getpid, timeout=5) == pid


def test_a_hung_call_is_killed_at_its_deadline_and_the_child_replaced(pool, tmp_path):
    pid = pool.run(os.getpid, timeout=5)
    started = time.monotonic()
    with pytest.raises(IsolatedTimeout):
        pool.run(_sleep_forever, str(tmp_path / "pid"), timeout=0.5)
    assert time.monotonic() - started < 3
    _assert_reaped(pid)
    assert pool.run(os.getpid, timeout=5) not in (pid, os.getpid())


def test_the_memory_limit_holds_and_a_child_out_of_memory_is_replaced(pool):
    pid = pool.run(os.getpid, timeout=5)
    with pytest.raises(IsolatedMemoryError):
        pool.run(_allocate, 512, timeout=5)
    assert pool.run(_allocate, 16, timeout=5) == 16 * 1024 * 1024
    with pytest.raises(IsolatedMemoryError):
        pool.run(_raise_memory_error, timeout=5)
    assert pool.run(os.getpid, timeout=5) != pid


def test_a_crash_or_an_exit_is_a_clear_error_and_the_next_call_works(pool):
    with pytest.raises(IsolatedCrash) as caught:
        pool.run(_kill_self, signal.SIGSEGV, timeout=5)
    assert caught.value.code == "parse_crashed" and caught.value.signum == signal.SIGSEGV
    with pytest.raises(IsolatedCrash):
        pool.run(_exit_with, 3, timeout=5)
    assert pool.run(_add, 1, 1, timeout=5) == 2


def test_a_child_killed_while_idle_is_replaced(pool):
    pid = pool.run(os.getpid, timeout=5)
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.1)
    assert pool.run(os.getpid, timeout=5) != pid


def test_a_child_serves_at_most_max_uses_calls():
    pool = WarmPool(size=1, memory_mb=128, max_uses=3)
    try:
        pids = [pool.run(os.getpid, timeout=5) for _ in range(6)]
    finally:
        pool.close()
    assert len(set(pids[:3])) == 1 and len(set(pids[3:])) == 1 and pids[0] != pids[3]


def test_with_every_child_busy_a_call_forks_its_own_instead_of_waiting(pool, tmp_path):
    def hang():
        with pytest.raises(IsolatedTimeout):
            pool.run(_sleep_forever, str(tmp_path / "p"), timeout=2)

    slow = threading.Thread(target=hang)
    slow.start()
    time.sleep(0.5)
    started = time.monotonic()
    assert pool.run(_add, 1, 2, timeout=5) == 3
    assert time.monotonic() - started < 1.5
    slow.join()


def test_the_child_logs_nothing_and_holds_none_of_the_parents_sockets(pool):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    try:
        fds = pool.run(_open_fds_of_child, timeout=5)
    finally:
        listener.close()
    assert listener.fileno() == -1
    assert len(fds) <= 6  # stdin, stdout, stderr, its two pipe ends, listdir's own
    assert pool.run(_logging_disabled_level, timeout=5) >= 50


def test_many_calls_leak_no_descriptors_and_no_children(pool, tmp_path):
    pool.run(_add, 1, 1, timeout=5)
    before = len(os.listdir("/proc/self/fd"))
    pids = set()
    for i in range(5):
        pids.add(pool.run(os.getpid, timeout=5))
        with pytest.raises(ValueError):
            pool.run(_raise_value_error, timeout=5)
        with pytest.raises(IsolatedCrash):
            pool.run(_exit_with, 1, timeout=5)
        with pytest.raises(IsolatedTimeout):
            pool.run(_sleep_forever, str(tmp_path / f"pid{i}"), timeout=0.2)
    pool.close()
    assert len(os.listdir("/proc/self/fd")) <= before
    for pid in pids:
        _assert_reaped(pid)


def test_the_probe_of_an_upload_uses_the_warm_pool(settings, tmp_path):
    from extraction import isolation
    from extraction.readers import probe

    settings.EXTRACTION_PROBE_POOL_SIZE = 1
    sample = tmp_path / "cv.pdf"
    from tests.extraction import badfiles

    sample.write_bytes(badfiles.pdf_with_text())
    forks = []
    real_fork = os.fork

    def counting_fork():
        forks.append(1)
        return real_fork()

    try:
        os.fork = counting_fork
        for _ in range(4):
            assert probe(sample, "pdf").pages == 1
    finally:
        os.fork = real_fork
        for pool in isolation._pools.values():
            pool.close()
        isolation._pools.clear()
    assert len(forks) <= 1


def _sleep_then_pid(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_a_started_call_runs_while_the_caller_works_and_frees_its_child(pool):
    pid = pool.run(os.getpid, timeout=5)
    began = time.monotonic()
    pending = pool.start(_sleep_then_pid, 0.4, timeout=5)
    handed = time.monotonic() - began
    # The caller is not waiting for the child: its own work overlaps the call.
    time.sleep(0.4)
    assert pending.result() == pid
    assert handed < 0.2
    assert time.monotonic() - began < 0.75  # about 0.4 s, not 0.4 + 0.4
    # The child is free again for the next call (no fork for it).
    assert pool.run(os.getpid, timeout=5) == pid


def test_a_started_call_discarded_still_frees_its_child_and_errors_keep(pool):
    pid = pool.run(os.getpid, timeout=5)
    pool.start(_sleep_then_pid, 0.1, timeout=5).discard()
    assert pool.run(os.getpid, timeout=5) == pid
    pending = pool.start(_raise_value_error, timeout=5)
    with pytest.raises(ValueError, match="broken"):
        pending.result()
    with pytest.raises(ValueError, match="broken"):  # the same answer again
        pending.result()
    assert pool.run(os.getpid, timeout=5) == pid


def test_a_started_call_past_its_deadline_is_killed_when_its_answer_is_asked(pool, tmp_path):
    pid = pool.run(os.getpid, timeout=5)
    pending = pool.start(_sleep_forever, str(tmp_path / "pid"), timeout=0.3)
    with pytest.raises(IsolatedTimeout):
        pending.result()
    _assert_reaped(pid)
