"""Hosts of a test network on this machine: network namespaces on one bridge.

Each host is a network namespace (`ip netns add`) with a veth pair whose other
end hangs on a bridge in the root namespace; the bridge's address is the
"services host" where PostgreSQL and Redis are reached (through `forward.py`,
since they listen on 127.0.0.1 only). A process on a host also gets a hostname
of its own (a UTS namespace), so what it records as its name is the host's.

Everything made here is removed by `Network.close()`, also after a failure.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=30)


def netns_unavailable() -> str | None:
    """Why network namespaces cannot be made here (None: they can)."""
    probe = f"cv2w-probe-{secrets.token_hex(3)}"
    try:
        out = ip("netns", "add", probe, check=False)
    except FileNotFoundError:
        return "the `ip` command (iproute2) is not installed"
    if out.returncode != 0:
        return f"`ip netns add` is not permitted here: {out.stderr.strip()}"
    ip("netns", "del", probe, check=False)
    return None


@dataclass
class Host:
    name: str  # also its hostname
    netns: str
    address: str
    procs: list[subprocess.Popen] = field(default_factory=list)

    def spawn(self, args: list[str], *, env: dict[str, str], cwd: str, log) -> subprocess.Popen:
        """Run `args` on this host, under the host's own hostname."""
        wrapped = [
            "ip", "netns", "exec", self.netns,
            "unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', self.name, *args,
        ]  # fmt: skip
        proc = subprocess.Popen(
            wrapped, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs.append(proc)
        return proc

    def pids(self) -> list[int]:
        out = ip("netns", "pids", self.netns, check=False)
        return [int(p) for p in out.stdout.split()]

    def kill(self) -> None:
        """The host dies: every process in it is killed at once, with no warning."""
        for _ in range(5):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)


class Network:
    """A bridge in the root namespace and hosts on it, in 10.213.N.0/24 (N random,
    so that two runs at once do not meet)."""

    def __init__(self) -> None:
        self.tag = secrets.token_hex(2)
        self.subnet = 10 + secrets.randbelow(240)
        self.bridge = f"cv2w{self.tag}br"
        self.gateway = f"10.213.{self.subnet}.1"
        self.hosts: list[Host] = []
        self._made_bridge = False

    def open(self) -> Network:
        ip("link", "add", self.bridge, "type", "bridge")
        self._made_bridge = True
        ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        return self

    def add_host(self, name: str) -> Host:
        index = len(self.hosts) + 1
        host = Host(
            name=name,
            netns=f"cv2w-{self.tag}-{name}",
            address=f"10.213.{self.subnet}.{10 + index}",
        )
        outside, inside = f"cv2w{self.tag}v{index}", f"cv2w{self.tag}p{index}"
        ip("netns", "add", host.netns)
        self.hosts.append(host)
        ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        ip("link", "set", inside, "netns", host.netns)
        ip("link", "set", outside, "master", self.bridge)
        ip("link", "set", outside, "up")
        ip("-n", host.netns, "addr", "add", f"{host.address}/24", "dev", inside)
        ip("-n", host.netns, "link", "set", inside, "up")
        ip("-n", host.netns, "link", "set", "lo", "up")
        return host

    def close(self) -> None:
        for host in self.hosts:
            host.kill()
            ip("netns", "del", host.netns, check=False)  # its veth pair goes with it
        if self._made_bridge:
            ip("link", "del", self.bridge, check=False)

    def __enter__(self) -> Network:
        try:
            return self.open()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc) -> None:
        self.close()
