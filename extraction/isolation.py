# Long as one idea: the two halves of one fork share a protocol (exit codes, the outcome pipe).
"""Run a function in a forked child process under a time and a memory limit.

`run_isolated(func, *args, timeout=..., memory_mb=...)` forks (plain
`os.fork`, not multiprocessing: django-q2 workers are daemonic processes and
multiprocessing refuses to start children from them). The child:

- limits its address space to its size at the fork plus `memory_mb`
  (RLIMIT_AS), its CPU time to the timeout plus a margin (RLIMIT_CPU, a
  backstop), and disables core dumps;
- silences logging, warnings and faulthandler, so no parent log handler
  (files, database, error trackers) runs in it, and resets the parent's
  signal handlers;
- never touches the parent's database connections or open files; it leaves
  through `os._exit`, so no atexit hook, finaliser or buffered stream of the
  parent runs in it;
- dies with its parent (PR_SET_PDEATHSIG): a worker killed mid-parse leaves
  no orphan reading the decrypted upload on without a deadline;
- runs `func(*args, **kwargs)` and sends the pickled outcome (the result, or
  the exception raised) through a pipe.

The parent reads the pipe until a deadline, kills the child with SIGKILL when
the deadline passes, and always reaps it (no zombies, no fd leaks).

Outcomes in the parent:

- the function's result, or the very exception it raised (re-created in the
  parent, `ExtractionError` subclasses included);
- `IsolatedTimeout` (code "parse_timeout") past the deadline or the CPU limit;
- `IsolatedMemoryError` (code "file_too_complex") when the child hit its
  memory limit (MemoryError, or a death caused by it);
- `IsolatedCrash` (code "parse_crashed") when the child died otherwise
  (signal, unexpected exit) or its outcome could not be sent back.

All three are `BadFile`s, so a caller that does nothing special still gets an
error with a machine code and a sentence for a person. Nothing here reads
Django settings: the limits are arguments.
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import gc
import logging
import math
import os
import pickle
import resource
import select
import signal
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from .errors import BadFile

T = TypeVar("T")

MiB = 1024 * 1024
# The parent never reads more than this from a child (a runaway child cannot
# make the parent allocate without bound).
DEFAULT_MAX_RESULT_BYTES = 64 * MiB
# Extra CPU seconds before RLIMIT_CPU kills a child the wall-clock deadline
# somehow missed.
CPU_LIMIT_MARGIN_S = 2
# Exit codes the child uses when it cannot send its outcome through the pipe.
_EXIT_SEND_FAILED = 70
_EXIT_OUT_OF_MEMORY = 71
_fork_lock = threading.Lock()
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class IsolationError(BadFile):
    """The isolated child did not return an outcome."""


class IsolatedTimeout(IsolationError):
    """The child was still running at the deadline (or used up its CPU limit).

    `cpu_seconds` is the CPU time the child used: close to the timeout when the
    work itself was too long (`user_fault` True), small when the machine was
    too busy to run it (`user_fault` False, worth retrying later).
    """

    def __init__(self, timeout: float, cpu_seconds: float) -> None:
        user_fault = cpu_seconds >= 0.5 * timeout
        if user_fault:
            message = (
                "We could not read this file in time. It may be damaged or unusually "
                "complex; try saving it again or exporting it as a simpler PDF."
            )
        else:
            message = (
                "We could not read this file in time: the server is very busy. "
                "Please try again in a few minutes."
            )
        super().__init__(
            "parse_timeout", message, status=400 if user_fault else 503, user_fault=user_fault
        )
        self.timeout = timeout
        self.cpu_seconds = cpu_seconds


class IsolatedMemoryError(IsolationError):
    """The child ran out of its memory allowance."""

    def __init__(self, memory_mb: int) -> None:
        super().__init__(
            "file_too_complex",
            "This file is too complex to read: it needs more memory than we allow "
            "for one document. Try saving it again or exporting it as a simpler PDF.",
        )
        self.memory_mb = memory_mb


class IsolatedCrash(IsolationError):
    """The child died without sending an outcome (signal or unexpected exit).

    `signum` is the signal that killed it, None when it did not die by one.
    """

    def __init__(self, detail: str, signum: int | None = None) -> None:
        super().__init__(
            "parse_crashed",
            "We could not read this file: the reader stopped unexpectedly. "
            "The file may be damaged; try saving it again.",
        )
        self.detail = detail
        self.signum = signum

    def __str__(self) -> str:
        return f"{self.message} ({self.detail})"


# ---------------------------------------------------------------- child side


def _vm_size_bytes() -> int:
    """This process's current virtual memory size (VmSize), 0 if unknown."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _lower_limit(which: int, value: int) -> None:
    """Set both soft and hard limit to `value` (or keep a lower hard limit)."""
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY and hard < value:
        value = hard
    resource.setrlimit(which, (value, value))


def _die_with_parent(parent_pid: int) -> None:
    """Have the kernel SIGKILL this child when the process that forked it dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the CPU limit still ends it
        return
    if os.getppid() != parent_pid:
        os._exit(_EXIT_SEND_FAILED)  # the parent died before the request took


def _prepare_child(timeout: float, memory_mb: int, *, cpu_limit: bool = True) -> None:
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM, signal.SIGUSR1):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    faulthandler.disable()  # a crash is reported by the parent, not dumped on stderr
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if cpu_limit:  # (a warm pool's child sets one per call)
        # Soft limit: SIGXCPU; one second later the hard limit: SIGKILL.
        cpu = int(math.ceil(timeout)) + CPU_LIMIT_MARGIN_S
        _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
        if cpu_hard == resource.RLIM_INFINITY or cpu_hard > cpu + 1:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    # RLIMIT_AS counts the whole address space, including what was inherited
    # from the parent (a Django process may already map hundreds of MB), so
    # the allowance is on top of the current size.
    _lower_limit(resource.RLIMIT_AS, _vm_size_bytes() + memory_mb * MiB)


def _encode_outcome(ok: bool, value: Any) -> bytes:
    if ok:
        return pickle.dumps(("ok", value), protocol=pickle.HIGHEST_PROTOCOL)
    exc = value
    if isinstance(exc, MemoryError):
        return pickle.dumps(("memory", None))
    # Exceptions are sent as (class, args, __dict__) and re-created with
    # __new__: this works for classes whose __init__ takes other arguments
    # than `args` (ExtractionError takes keyword-only ones).
    try:
        payload = ("exc", (type(exc), exc.args, dict(getattr(exc, "__dict__", {}))))
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(data)  # noqa: S301 - our own bytes; proves the parent can load them
        return data
    except MemoryError:
        raise
    except Exception:
        summary = f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"[:2000]
        return pickle.dumps(("unpicklable", summary))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _child_main(
    write_fd: int, func: Callable[..., Any], args, kwargs, timeout, memory_mb, parent_pid
):
    code = _EXIT_SEND_FAILED
    try:
        _die_with_parent(parent_pid)
        try:
            # Objects inherited from the parent are never collected here: keep
            # the collector from walking (and so copying) every inherited page.
            gc.freeze()
            _prepare_child(timeout, memory_mb)
            outcome = _encode_outcome(True, func(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
            outcome = _encode_outcome(False, exc)
        _write_all(write_fd, outcome)
        code = 0
    except MemoryError:
        code = _EXIT_OUT_OF_MEMORY
    except BaseException:  # noqa: BLE001, S110 - nothing to report it to
        pass
    finally:
        os._exit(code)


# --------------------------------------------------------------- parent side


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _reap(pid: int, *, block: bool) -> tuple[int | None, float]:
    """Wait for the child; return (raw wait status, CPU seconds used).

    The status is None when not blocking and the child is still running, -1
    when it cannot be known (the host ignores SIGCHLD, so the kernel reaped it).
    """
    try:
        reaped, status, usage = os.wait4(pid, 0 if block else os.WNOHANG)
    except ChildProcessError:  # SIGCHLD ignored by the host: reaped by the kernel
        return -1, 0.0
    if reaped == 0:
        return None, 0.0
    return status, usage.ru_utime + usage.ru_stime


def _reap_soon(pid: int, grace: float) -> tuple[int, float]:
    """The child closed its pipe, so it is exiting: wait up to `grace`, then kill it."""
    status, cpu = _reap(pid, block=False)
    if status is not None:
        return status, cpu
    deadline = time.monotonic() + grace
    try:
        pidfd = os.pidfd_open(pid)  # readable once the child has exited
    except (AttributeError, OSError):
        pidfd = None
    if pidfd is not None:
        try:
            select.select([pidfd], [], [], grace)
        finally:
            os.close(pidfd)
    pause = 0.0005
    while True:
        status, cpu = _reap(pid, block=False)
        if status is not None:
            return status, cpu
        if time.monotonic() >= deadline:
            _kill(pid)
            status, cpu = _reap(pid, block=True)
            return (-1 if status is None else status), cpu
        time.sleep(pause)
        pause = min(pause * 2, 0.02)


def _describe(status: int) -> str:
    if status == -1:
        return "exit status unknown"
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = str(signum)
        return f"killed by signal {name}"
    if os.WIFEXITED(status):
        return f"exited with status {os.WEXITSTATUS(status)}"
    return f"wait status {status}"


def _decode_outcome(data: bytes) -> tuple[str, Any]:
    kind, value = pickle.loads(data)  # noqa: S301 - written by our own forked child
    if kind == "exc":
        cls, args, state = value
        exc = cls.__new__(cls)
        exc.args = args
        exc.__dict__.update(state)
        return "raise", exc
    return kind, value


def run_isolated(
    func: Callable[..., T],
    *args: Any,
    timeout: float,
    memory_mb: int,
    max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES,
    **kwargs: Any,
) -> T:
    """Run `func(*args, **kwargs)` in a forked child and return its result.

    `timeout` is wall-clock seconds; `memory_mb` is the address space the
    child may add to what it inherits. The result and any exception raised by
    `func` must be picklable (an exception that is not comes back as
    `IsolatedCrash`). See the module docstring for the outcomes.

    Linux only (RLIMIT_AS, /proc). Safe to call from several threads: pipe
    creation and fork are serialised so that no child inherits the write end
    of another call's pipe (which would hold that call open until it exits).
    """
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    if memory_mb <= 0:
        raise ValueError("memory_mb must be positive")
    deadline = time.monotonic() + timeout
    parent_pid = os.getpid()
    with _fork_lock:
        read_fd, write_fd = os.pipe()
        try:
            pid = os.fork()
        except OSError as exc:
            os.close(read_fd)
            os.close(write_fd)
            raise IsolationError(
                "parser_unavailable",
                "The server is too busy to read this file right now. Please try again shortly.",
                status=503,
                user_fault=False,
            ) from exc
        if pid == 0:  # pragma: no cover - the child never returns
            os.close(read_fd)
            _child_main(write_fd, func, args, kwargs, timeout, memory_mb, parent_pid)
        os.close(write_fd)

    chunks: list[bytes] = []
    received = 0
    timed_out = too_big = finished = False
    try:
        poller = select.poll()
        poller.register(read_fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            if not poller.poll(max(1, math.ceil(remaining * 1000))):
                continue
            chunk = os.read(read_fd, 1024 * 1024)
            if not chunk:
                break
            chunks.append(chunk)
            received += len(chunk)
            if received > max_result_bytes:
                too_big = True
                break
        finished = not (timed_out or too_big)
    finally:
        os.close(read_fd)
        if finished:
            status, cpu = _reap_soon(pid, grace=1.0)
        else:  # timeout, oversized outcome, or an exception (KeyboardInterrupt...) here
            _kill(pid)
            status, cpu = _reap(pid, block=True)
            status = -1 if status is None else status

    if timed_out:
        raise IsolatedTimeout(timeout, cpu)
    if too_big:
        raise IsolatedCrash(f"outcome larger than {max_result_bytes} bytes")
    data = b"".join(chunks)
    outcome: tuple[str, Any] | None = None
    if data:
        try:
            outcome = _decode_outcome(data)
        except Exception:  # partial or unreadable: decided by the exit status below
            outcome = None
    if outcome is None:
        raise _error_from_status(status, cpu, timeout, memory_mb)
    kind, value = outcome
    if kind == "ok":
        return value
    if kind == "raise":
        raise value
    if kind == "memory":
        raise IsolatedMemoryError(memory_mb)
    raise IsolatedCrash(f"child raised {value}")


def _error_from_status(status: int, cpu: float, timeout: float, memory_mb: int) -> IsolationError:
    """The error for a child that sent no usable outcome, from its wait status."""
    if status != -1 and os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        if signum == signal.SIGXCPU or (signum == signal.SIGKILL and cpu >= timeout):
            return IsolatedTimeout(timeout, cpu)  # RLIMIT_CPU: soft, then hard limit
        if signum == signal.SIGKILL:  # neither us nor the CPU limit: the OOM killer
            return IsolatedMemoryError(memory_mb)
    if status != -1 and os.WIFEXITED(status) and os.WEXITSTATUS(status) == _EXIT_OUT_OF_MEMORY:
        return IsolatedMemoryError(memory_mb)
    signum = os.WTERMSIG(status) if status != -1 and os.WIFSIGNALED(status) else None
    return IsolatedCrash(_describe(status), signum)


# ------------------------------------------------------------------ warm pool


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a running child has used, from /proc; 0 if unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def _read_exact(fd: int, size: int) -> bytes | None:
    """`size` bytes from a blocking pipe, or None at end of file."""
    chunks, got = [], 0
    while got < size:
        chunk = os.read(fd, min(size - got, 1024 * 1024))
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _close_inherited(keep: set[int]) -> None:
    """Close every descriptor the fork copied but `keep` and the standard
    streams: a long-lived child must not hold the web worker's client sockets
    open (a closed keep-alive connection would stay open for the client)."""
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return
    for fd in fds:
        if fd > 2 and fd not in keep:
            with contextlib.suppress(OSError):
                os.close(fd)


# What `_encode_outcome` sends for a MemoryError.
_MEMORY_OUTCOME = pickle.dumps(("memory", None))


def _pool_child_main(req_fd: int, resp_fd: int, memory_mb: int, parent_pid: int, max_uses: int):
    code = _EXIT_SEND_FAILED
    try:
        _die_with_parent(parent_pid)
        _close_inherited({req_fd, resp_fd})
        gc.freeze()
        _prepare_child(0, memory_mb, cpu_limit=False)
        _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
        for _ in range(max_uses):
            header = _read_exact(req_fd, 8)
            if header is None:
                break  # the pool closed this child
            payload = _read_exact(req_fd, int.from_bytes(header, "big"))
            if payload is None:
                break
            func, args, kwargs, timeout = pickle.loads(payload)  # noqa: S301 - from our parent
            # A CPU backstop for this call only: SIGXCPU past what it has
            # used so far plus the timeout (the hard limit stays where it is).
            used = resource.getrusage(resource.RUSAGE_SELF)
            soft = int(used.ru_utime + used.ru_stime + math.ceil(timeout)) + CPU_LIMIT_MARGIN_S
            if cpu_hard != resource.RLIM_INFINITY:
                soft = min(soft, cpu_hard)
            resource.setrlimit(resource.RLIMIT_CPU, (soft, cpu_hard))
            try:
                outcome = _encode_outcome(True, func(*args, **kwargs))
            except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
                outcome = _encode_outcome(False, exc)
            _write_all(resp_fd, len(outcome).to_bytes(8, "big") + outcome)
            if outcome == _MEMORY_OUTCOME:
                break  # after a MemoryError this process's heap is not to be trusted
        code = 0
    except MemoryError:
        code = _EXIT_OUT_OF_MEMORY
    except BaseException:  # noqa: BLE001, S110 - nothing to report it to
        pass
    finally:
        os._exit(code)


class _PoolChild:
    def __init__(self, pid: int, req_w: int, resp_r: int) -> None:
        self.pid, self.req_w, self.resp_r = pid, req_w, resp_r
        self.uses = 0
        self.alive = True

    def close(self, *, kill: bool, wait: bool = False) -> None:
        """Close our ends; the child sees end of file and leaves (or is killed).
        Reaped at once when killed or `wait`ed for, else by a later call."""
        for fd in (self.req_w, self.resp_r):
            with contextlib.suppress(OSError):
                os.close(fd)
        _pool_fds.difference_update((self.req_w, self.resp_r))
        self.alive = False
        if kill:
            _kill(self.pid)
            _reap(self.pid, block=True)
        elif wait:
            _reap_soon(self.pid, grace=1.0)
        elif _reap(self.pid, block=False)[0] is None:
            _exiting.add(self.pid)


# Parent ends of every pool child's pipes (closed in each new child), and
# children told to leave that have not been reaped yet.
_pool_fds: set[int] = set()
_exiting: set[int] = set()


def _reap_exited() -> None:
    for pid in list(_exiting):
        status, _ = _reap(pid, block=False)
        if status is not None:
            _exiting.discard(pid)


class WarmPool:
    """Children forked ahead of need that each run many calls, one at a time.

    The same limits and outcomes as `run_isolated` (the address space on top
    of what the child inherited, a wall-clock deadline with SIGKILL, a CPU
    backstop per call, logging off, dies with its parent), without a fork of
    the whole calling process per call: for frequent, short work such as the
    upload-time probe. A child that timed out, crashed, ran out of memory or
    served `max_uses` calls is replaced by a fresh one; when all `size`
    children are busy the call forks a child of its own (`run_isolated`), so
    no caller waits for another's file.
    """

    def __init__(self, size: int, memory_mb: int, max_uses: int) -> None:
        if size < 1 or memory_mb <= 0 or max_uses < 1:
            raise ValueError("size, memory_mb and max_uses must be positive")
        self.size, self.memory_mb, self.max_uses = size, memory_mb, max_uses
        self._idle: list[_PoolChild] = []
        self._count = 0
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def run(
        self,
        func: Callable[..., T],
        *args: Any,
        timeout: float,
        max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES,
        **kwargs: Any,
    ) -> T:
        return self.start(
            func, *args, timeout=timeout, max_result_bytes=max_result_bytes, **kwargs
        ).result()

    def start(
        self,
        func: Callable[..., T],
        *args: Any,
        timeout: float,
        max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES,
        **kwargs: Any,
    ) -> Pending[T]:
        """`run`, handed to an idle child and not waited for: the caller does
        other work meanwhile and must then call `result()` (or `discard()`),
        which frees the child. With every child busy the call runs here, at
        once, in a child forked for it, as `run` does."""
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        payload = pickle.dumps((func, args, kwargs, timeout), protocol=pickle.HIGHEST_PROTOCOL)
        child = self._take()
        if child is None:
            return Pending.ran(
                run_isolated,
                func,
                *args,
                timeout=timeout,
                memory_mb=self.memory_mb,
                max_result_bytes=max_result_bytes,
                **kwargs,
            )
        try:
            call = self._send(child, payload, timeout)
        except BaseException:
            self._give_back(child)
            raise
        return Pending(lambda: self._finish(child, call, timeout, max_result_bytes))

    def _finish(self, child: _PoolChild, call: tuple[float, float], timeout: float, max_bytes):
        try:
            return self._receive(child, call, timeout, max_bytes)
        finally:
            self._give_back(child)

    def close(self) -> None:
        """Let every idle child go (tests; a process's pool lives as long as it)."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._count -= len(idle)
        for child in idle:
            child.close(kill=False, wait=True)
        _reap_exited()

    # -- children

    def _take(self) -> _PoolChild | None:
        with self._lock:
            if self._pid != os.getpid():
                # Inherited through a fork (gunicorn's preloading master):
                # those children belong to the other process.
                self._idle, self._count, self._pid = [], 0, os.getpid()
            _reap_exited()
            while self._idle:
                child = self._idle.pop()
                if _reap(child.pid, block=False)[0] is None:
                    return child
                child.close(kill=False)  # died idle (its forking thread ended...)
                self._count -= 1
            if self._count >= self.size:
                return None
            self._count += 1
        try:
            return self._spawn()
        except BaseException:
            with self._lock:
                self._count -= 1
            raise

    def _give_back(self, child: _PoolChild) -> None:
        keep = child.alive and child.uses < self.max_uses
        if not keep and child.alive:
            child.close(kill=False)
        with self._lock:
            if keep and self._pid == os.getpid():
                self._idle.append(child)
            else:
                self._count -= 1

    def _spawn(self) -> _PoolChild:
        parent_pid = os.getpid()
        with _fork_lock:
            req_r, req_w = os.pipe()
            resp_r, resp_w = os.pipe()
            try:
                pid = os.fork()
            except OSError as exc:
                for fd in (req_r, req_w, resp_r, resp_w):
                    os.close(fd)
                raise IsolationError(
                    "parser_unavailable",
                    "The server is too busy to read this file right now. Please try again shortly.",
                    status=503,
                    user_fault=False,
                ) from exc
            if pid == 0:  # pragma: no cover - the child never returns
                _pool_child_main(req_r, resp_w, self.memory_mb, parent_pid, self.max_uses)
            os.close(req_r)
            os.close(resp_w)
            _pool_fds.update((req_w, resp_r))
        return _PoolChild(pid, req_w, resp_r)

    # -- one call

    def _send(self, child: _PoolChild, payload: bytes, timeout: float) -> tuple[float, float]:
        """Hand `payload` to `child`: its deadline and CPU time so far."""
        deadline = time.monotonic() + timeout
        cpu_before = _cpu_seconds(child.pid)
        child.uses += 1
        try:
            _write_all(child.req_w, len(payload).to_bytes(8, "big") + payload)
        except OSError as exc:  # it died while idle
            child.close(kill=True)
            raise IsolatedCrash(f"pool child gone ({exc})") from exc
        return deadline, cpu_before

    def _receive(self, child: _PoolChild, call: tuple[float, float], timeout: float, max_bytes):
        deadline, cpu_before = call
        buffer = bytearray()
        expected: int | None = None
        timed_out = too_big = False
        poller = select.poll()
        poller.register(child.resp_r, select.POLLIN | select.POLLHUP | select.POLLERR)
        try:
            while expected is None or len(buffer) < expected:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                if not poller.poll(max(1, math.ceil(remaining * 1000))):
                    continue
                chunk = os.read(child.resp_r, 1024 * 1024)
                if not chunk:
                    break  # it died without a complete outcome
                buffer += chunk
                if expected is None and len(buffer) >= 8:
                    expected = 8 + int.from_bytes(buffer[:8], "big")
                    if expected - 8 > max_bytes:
                        too_big = True
                        break
        except BaseException:
            child.close(kill=True)
            raise
        if timed_out or too_big:
            cpu = _cpu_seconds(child.pid) - cpu_before
            child.close(kill=True)
            if timed_out:
                raise IsolatedTimeout(timeout, max(cpu, 0.0))
            raise IsolatedCrash(f"outcome larger than {max_bytes} bytes")
        if expected is None or len(buffer) < expected:
            # Died mid-call: the exit status says how.
            _kill(child.pid)
            status, cpu = _reap(child.pid, block=True)
            child.alive = False
            for fd in (child.req_w, child.resp_r):
                with contextlib.suppress(OSError):
                    os.close(fd)
            _pool_fds.difference_update((child.req_w, child.resp_r))
            status = -1 if status is None else status
            raise _error_from_status(status, max(cpu - cpu_before, 0.0), timeout, self.memory_mb)
        kind, value = _decode_outcome(bytes(buffer[8:expected]))
        if kind == "ok":
            return value
        if kind == "raise":
            raise value
        if kind == "memory":
            child.close(kill=False)  # it leaves after a MemoryError
            raise IsolatedMemoryError(self.memory_mb)
        raise IsolatedCrash(f"child raised {value}")


class Pending(Generic[T]):
    """A call handed to a pool child (`WarmPool.start`): `result()` waits for
    its outcome, once, and frees the child; `discard()` does the same for a
    caller that no longer wants it (its own work failed meanwhile)."""

    def __init__(self, finish: Callable[[], T]) -> None:
        self._finish: Callable[[], T] | None = finish
        self._outcome: tuple[bool, Any] | None = None

    @classmethod
    def ran(cls, func: Callable[..., T], *args: Any, **kwargs: Any) -> Pending[T]:
        """The outcome of running `func` now, as a Pending."""
        pending: Pending[T] = cls(lambda: func(*args, **kwargs))
        pending._settle()
        return pending

    def _settle(self) -> None:
        if self._finish is not None:
            finish, self._finish = self._finish, None
            try:
                self._outcome = (True, finish())
            except BaseException as exc:  # given back by result()
                self._outcome = (False, exc)

    def result(self) -> T:
        self._settle()
        assert self._outcome is not None
        ok, value = self._outcome
        if ok:
            return value
        raise value

    def discard(self) -> None:
        self._settle()


_pools: dict[tuple[int, int, int], WarmPool] = {}
_pools_lock = threading.Lock()


def run_warm(
    func: Callable[..., T],
    *args: Any,
    timeout: float,
    memory_mb: int,
    pool_size: int,
    max_uses: int,
    **kwargs: Any,
) -> T:
    """`run_isolated`, in this process's warm pool for these limits (`pool_size`
    children, each replaced after `max_uses` calls); `pool_size` 0 forks a
    child per call."""
    return start_warm(
        func,
        *args,
        timeout=timeout,
        memory_mb=memory_mb,
        pool_size=pool_size,
        max_uses=max_uses,
        **kwargs,
    ).result()


def start_warm(
    func: Callable[..., T],
    *args: Any,
    timeout: float,
    memory_mb: int,
    pool_size: int,
    max_uses: int,
    **kwargs: Any,
) -> Pending[T]:
    """`run_warm`, not waited for (`WarmPool.start`): call `result()` on the
    answer. `pool_size` 0 runs it now, in a child forked for it."""
    if pool_size <= 0:
        return Pending.ran(
            run_isolated, func, *args, timeout=timeout, memory_mb=memory_mb, **kwargs
        )
    key = (memory_mb, pool_size, max_uses)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = WarmPool(pool_size, memory_mb, max_uses)
    return pool.start(func, *args, timeout=timeout, **kwargs)
