from django.apps import AppConfig


class QuotasConfig(AppConfig):
    name = "quotas"
    verbose_name = "Quotas and accounts"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connect the receivers)
