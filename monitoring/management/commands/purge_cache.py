from monitoring.management.jobcommand import JobCommand


class Command(JobCommand):
    job = "expired extraction cache entries"
