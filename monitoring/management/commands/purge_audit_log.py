from monitoring.management.jobcommand import JobCommand


class Command(JobCommand):
    job = "audit log retention"
