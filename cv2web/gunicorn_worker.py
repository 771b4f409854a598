"""gunicorn's threaded worker, leaving its own listening socket cleanly.

With `reuse_port` (gunicorn.conf.py) every worker listens on a socket of its
own and the kernel shares new connections out among them. A worker that
stops (recycled after GUNICORN_MAX_REQUESTS, or a graceful restart) stopped
accepting but kept its socket open until it exited: the kernel went on
queueing connections on it for the whole graceful period, and reset them
all when the process ended (issue 13: 226 reset connections in 20 s of load
with a worker recycled every second; none on one shared socket). So when
this worker stops, it takes the connections already queued for it (and
answers them, with "Connection: close"), then closes its sockets at once:
the kernel then sends new connections to the other workers. What is left is
a connection arriving between that last accept and the close, a window of
microseconds; Linux 5.14 and later hand even those to another worker when
the sysctl net.ipv4.tcp_migrate_req is 1 (docs/deploy.md).
"""

from __future__ import annotations

from gunicorn.workers import gthread


class ThreadWorker(gthread.ThreadWorker):
    def set_accept_enabled(self, enabled: bool) -> None:
        stopping = not enabled and not self.alive and self._accepting
        if stopping and self.cfg.reuse_port:
            for listener in self.sockets:
                self._take_queued(listener)
        super().set_accept_enabled(enabled)
        if stopping and self.cfg.reuse_port:
            for listener in self.sockets:
                listener.close()

    def _take_queued(self, listener) -> None:
        """Accept every connection the kernel has queued on `listener`."""
        while True:
            try:
                client, address = listener.accept()
            except OSError:  # BlockingIOError once the queue is empty
                return
            self.nr_conns += 1
            client.setblocking(True)
            self.enqueue_req(gthread.TConn(self.cfg, client, address, listener.getsockname()))
