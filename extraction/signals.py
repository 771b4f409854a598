"""Signals of extraction. Quotas' handling is connected to them by extraction
itself (extraction.receivers), so that quotas imports nothing of extraction;
the queue clock listens too, so that the queue does not import the clock that
calls it; webhooks (an app above extraction) listens to `job_finished`."""

from django.dispatch import Signal

# Sent once when a job that ran (or waited) ends without a result for the
# system's own reasons, or is cancelled: kwargs `job`. Quotas give the
# allowance back on it (extraction.receivers).
job_not_done = Signal()

# Sent by dispatch() when a waiting job is still in its backoff: kwargs `when`,
# its end. This process's queue clock (if it runs one) looks again then.
backoff_pending = Signal()

# Sent after the transaction that moved jobs to an end state (succeeded,
# failed, cancelled) commits, whatever the mode or the path (a run, a cache
# hit at upload, a joined job following its leader, a cancel): kwargs
# `job_ids`, the primary keys of every job that ended in that step; `jobs`,
# the jobs themselves when the sender holds them; `made_finished`, True for
# jobs made already finished in that transaction (a cache hit at upload, a JSON
# Resume import): nothing can follow them before it commits. A job that staff
# run again may end, and be announced, a second time.
job_finished = Signal()
