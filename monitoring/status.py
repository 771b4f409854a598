"""The state of the service in one place (SPEC P-5, M-5): portfolio places,
the waiting list and the extraction queue, as the public status page, the
status API and the staff dashboard show them."""

from __future__ import annotations

from dataclasses import dataclass

from extraction import queue
from portfolios import capacity


@dataclass(frozen=True)
class ServiceStatus:
    capacity: capacity.Status
    extraction: queue.QueueStatus

    @property
    def portfolio_eta_seconds(self) -> int:
        """Until a place frees for the next publication to join the waiting list."""
        return capacity.eta_seconds(self.capacity.waiting + 1)


def service_status() -> ServiceStatus:
    """The one service status: what the status page, /api/v1/status, the
    alerts and the staff dashboard show of places and queues."""
    return ServiceStatus(capacity=capacity.status(), extraction=queue.status())
