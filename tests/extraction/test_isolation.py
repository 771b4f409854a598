"""run_isolated: a forked child under time and memory limits."""

from __future__ import annotations

import logging
import os
import pickle
import signal
import threading
import time

import pytest

from extraction.errors import BadFile
from extraction.isolation import (
    IsolatedCrash,
    IsolatedMemoryError,
    IsolatedTimeout,
    _error_from_status,
    run_isolated,
)

LIMITS = {"timeout": 5.0, "memory_mb": 256}


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _assert_reaped(pid: int) -> None:
    """`pid` is no child of ours any more (neither running nor a zombie)."""
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _add(a, b, *, scale=1):
    return (a + b) * scale


def _raise_bad_file():
    raise BadFile("type_mismatch", "Not what it says.", status=415, user_fault=False)


def _raise_value_error():
    raise ValueError("broken", 42)


class _Unpicklable(Exception):
    pass


def _raise_unpicklable():
    error = _Unpicklable("nope")
    error.lock = threading.Lock()  # locks cannot be pickled
    raise error


def _sleep_forever(pid_file):
    with open(pid_file, "w") as fh:
        fh.write(str(os.getpid()))
    time.sleep(60)


def _allocate(mb):
    return len(bytearray(mb * 1024 * 1024))


def _raise_memory_error():
    raise MemoryError


def _kill_self(signum):
    os.kill(os.getpid(), signum)
    time.sleep(5)


def _exit_with(code):
    os._exit(code)


def _logging_disabled_level():
    logging.getLogger("extraction").error("must not reach the parent's handlers")
    return logging.root.manager.disable


def test_it_returns_the_result_of_the_function():
    assert run_isolated(_add, 2, 3, scale=10, **LIMITS) == 50


def test_it_runs_the_function_in_another_process_and_reaps_it():
    pid = run_isolated(os.getpid, **LIMITS)
    assert pid != os.getpid()
    _assert_reaped(pid)


def test_it_returns_results_larger_than_a_pipe_buffer():
    text = run_isolated(str.__mul__, "x", 3_000_000, **LIMITS)
    assert len(text) == 3_000_000


def test_a_bad_file_error_round_trips_with_its_code_status_and_fault():
    with pytest.raises(BadFile) as caught:
        run_isolated(_raise_bad_file, **LIMITS)
    error = caught.value
    assert type(error) is BadFile
    assert (error.code, error.message, error.status, error.user_fault) == (
        "type_mismatch",
        "Not what it says.",
        415,
        False,
    )


def test_other_exceptions_round_trip():
    with pytest.raises(ValueError) as caught:
        run_isolated(_raise_value_error, **LIMITS)
    assert caught.value.args == ("broken", 42)


def test_an_unpicklable_exception_becomes_a_crash_with_its_name():
    with pytest.raises(IsolatedCrash) as caught:
        run_isolated(_raise_unpicklable, **LIMITS)
    assert "_Unpicklable" in caught.value.detail


def test_a_sleeping_function_is_killed_at_the_timeout_and_reaped(tmp_path):
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    with pytest.raises(IsolatedTimeout) as caught:
        run_isolated(_sleep_forever, str(pid_file), timeout=0.5, memory_mb=64)
    elapsed = time.monotonic() - started
    assert 0.45 <= elapsed < 1.5
    assert caught.value.code == "parse_timeout"
    assert caught.value.message.startswith("We could not read this file in time")
    # It slept rather than computed: the machine's fault, not the file's.
    assert (caught.value.user_fault, caught.value.status) == (False, 503)
    _assert_reaped(int(pid_file.read_text()))


def test_a_function_allocating_past_the_memory_limit_fails_cleanly():
    with pytest.raises(IsolatedMemoryError) as caught:
        run_isolated(_allocate, 512, timeout=5, memory_mb=64)
    assert isinstance(caught.value, BadFile)
    assert caught.value.code == "file_too_complex"


def test_the_memory_limit_is_on_top_of_what_the_parent_already_maps():
    assert run_isolated(_allocate, 32, timeout=5, memory_mb=96) == 32 * 1024 * 1024


def test_a_memory_error_raised_in_the_child_is_file_too_complex():
    with pytest.raises(IsolatedMemoryError):
        run_isolated(_raise_memory_error, **LIMITS)


def test_a_child_dying_from_a_signal_gives_a_clear_error():
    with pytest.raises(IsolatedCrash) as caught:
        run_isolated(_kill_self, signal.SIGSEGV, **LIMITS)
    assert caught.value.code == "parse_crashed"
    assert "SIGSEGV" in str(caught.value)
    assert caught.value.signum == signal.SIGSEGV


def test_a_child_exiting_without_an_outcome_gives_a_clear_error():
    with pytest.raises(IsolatedCrash) as caught:
        run_isolated(_exit_with, 3, **LIMITS)
    assert "exited with status 3" in caught.value.detail
    assert caught.value.signum is None


def test_the_cpu_limit_and_the_oom_killer_are_told_apart_from_crashes():
    assert isinstance(_error_from_status(signal.SIGXCPU, 3.0, 1.0, 64), IsolatedTimeout)
    assert isinstance(_error_from_status(signal.SIGKILL, 4.0, 1.0, 64), IsolatedTimeout)
    assert isinstance(_error_from_status(signal.SIGKILL, 0.1, 1.0, 64), IsolatedMemoryError)
    assert isinstance(_error_from_status(71 << 8, 0.1, 1.0, 64), IsolatedMemoryError)
    assert isinstance(_error_from_status(signal.SIGABRT, 0.1, 1.0, 64), IsolatedCrash)


def test_the_child_does_not_log_through_the_parents_handlers():
    assert run_isolated(_logging_disabled_level, **LIMITS) >= logging.CRITICAL
    assert logging.root.manager.disable < logging.CRITICAL  # the parent is untouched


def test_repeated_calls_leak_no_file_descriptors_and_no_children(tmp_path):
    run_isolated(_add, 1, 1, **LIMITS)  # warm up lazily opened descriptors
    before = _open_fds()
    pids = []
    for i in range(10):
        pids.append(run_isolated(os.getpid, **LIMITS))
        with pytest.raises(ValueError):
            run_isolated(_raise_value_error, **LIMITS)
        with pytest.raises(IsolatedCrash):
            run_isolated(_exit_with, 1, **LIMITS)
    with pytest.raises(IsolatedTimeout):
        run_isolated(_sleep_forever, str(tmp_path / f"pid{i}"), timeout=0.2, memory_mb=64)
    assert _open_fds() == before
    for pid in pids:
        _assert_reaped(pid)


def test_a_quick_call_is_not_held_up_by_a_slow_call_in_another_thread(tmp_path):
    slow = threading.Thread(
        target=lambda: pytest.raises(
            IsolatedTimeout,
            run_isolated,
            _sleep_forever,
            str(tmp_path / "p"),
            timeout=1.5,
            memory_mb=64,
        )
    )
    slow.start()
    try:
        time.sleep(0.05)
        started = time.monotonic()
        assert run_isolated(_add, 1, 2, **LIMITS) == 3
        assert time.monotonic() - started < 0.8
    finally:
        slow.join()


def test_a_timeout_blames_the_file_only_when_the_child_really_computed():
    busy = IsolatedTimeout(timeout=1.0, cpu_seconds=0.9)
    starved = IsolatedTimeout(timeout=1.0, cpu_seconds=0.1)
    assert (busy.user_fault, busy.status) == (True, 400)
    assert "damaged or unusually complex" in busy.message
    assert (starved.user_fault, starved.status) == (False, 503)
    assert "try again" in starved.message


def test_isolation_errors_can_themselves_be_pickled_by_callers():
    error = IsolatedTimeout(1.0, 0.9)
    state = pickle.loads(pickle.dumps(error.__dict__))
    assert state["code"] == "parse_timeout" and state["user_fault"] is True


def test_limits_must_be_positive():
    with pytest.raises(ValueError):
        run_isolated(_add, 1, 2, timeout=0, memory_mb=64)
    with pytest.raises(ValueError):
        run_isolated(_add, 1, 2, timeout=1, memory_mb=0)
