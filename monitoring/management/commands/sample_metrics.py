from monitoring.management.jobcommand import JobCommand


class Command(JobCommand):
    job = "metrics sample and alert check"
