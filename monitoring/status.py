"""The state of the service in one place (SPEC P-5, M-5): portfolio places,
the waiting list and the extraction queue, as the public status page, the
status API and the staff dashboard show them."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from extraction import queue
from extraction.models import ExtractionJob
from portfolios import capacity


@dataclass(frozen=True)
class ExtractionQueueStatus:
    waiting: int
    running: int
    max_waiting: int
    max_running: int
    full: bool

    @property
    def eta_seconds(self) -> int:
        """Until a new upload would be done (read when asked: it costs a query)."""
        return queue.place_eta(self.waiting + 1)


@dataclass(frozen=True)
class ServiceStatus:
    capacity: capacity.Status
    extraction: ExtractionQueueStatus

    @property
    def portfolio_eta_seconds(self) -> int:
        """Until a place frees for the next publication to join the waiting list."""
        return capacity.eta_seconds(self.capacity.waiting + 1)


def extraction_queue() -> ExtractionQueueStatus:
    waiting = ExtractionJob.objects.waiting().count()
    return ExtractionQueueStatus(
        waiting=waiting,
        running=ExtractionJob.objects.running().count(),
        max_waiting=settings.EXTRACTION_MAX_QUEUE_DEPTH,
        max_running=settings.EXTRACTION_MAX_CONCURRENT,
        full=queue.is_full(waiting=waiting),
    )


def service_status() -> ServiceStatus:
    """The one service status: everything below is read here and nowhere else."""
    return ServiceStatus(capacity=capacity.status(), extraction=extraction_queue())
