"""Signals other apps listen to; extraction itself knows nothing of them."""

from django.dispatch import Signal

# Sent once when a job that ran (or waited) ends without a result for the
# system's own reasons, or is cancelled: kwargs `job`. Quotas give the
# allowance back on it.
job_not_done = Signal()
