from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here: Django loads apps before their models, and these
        # modules import models (the AppConfig.ready() idiom).
        from django_q.signals import post_spawn

        from extraction import crypto

        from . import backups, heartbeat

        # Backups are sealed too: `rotate_encryption_keys` re-encrypts them
        # with the rest, so dropping an old key loses no backup.
        crypto.register_resealer("backups", backups.reseal)

        # Sent inside each django-q2 worker process once it is forked (never
        # in the qcluster parent, whose connections must stay closed for the
        # fork): every worker beats on its own.
        post_spawn.connect(heartbeat.on_worker_spawn, dispatch_uid="monitoring.heartbeat")
