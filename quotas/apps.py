from django.apps import AppConfig


class QuotasConfig(AppConfig):
    name = "quotas"
    verbose_name = "Quotas and accounts"

    def ready(self) -> None:
        from . import receivers, signals  # noqa: F401  (connect the receivers)
