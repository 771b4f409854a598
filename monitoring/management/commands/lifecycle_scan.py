from monitoring.management.jobcommand import JobCommand


class Command(JobCommand):
    job = "portfolio lifecycle scan"
