"""django-q2 entry points for monitoring: thin, they call domain code."""

from __future__ import annotations

from . import alerts, jobs, metrics


def run_job(name: str) -> dict:
    """What every schedule of monitoring/schedules.py calls."""
    record = jobs.run(name)
    return {"outcome": record.outcome, **record.stats}


def sample_and_check(dry_run: bool = False) -> dict:
    """The "metrics sample and alert check" job: one sample, then the alerts."""
    stats = {"sampled": metrics.sample(dry_run=dry_run).get("written", 0)}
    if dry_run:
        stats["firing"] = [r.key for r in alerts.readings() if r.firing]
    else:
        stats.update(alerts.evaluate())
    return stats
