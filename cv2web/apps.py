from django.apps import AppConfig


class Cv2webConfig(AppConfig):
    """The project itself, installed so that its system checks are registered."""

    name = "cv2web"
    verbose_name = "cv2web"

    def ready(self) -> None:
        # Imported here: the checks read models and settings (the AppConfig.ready() idiom).
        from . import checks  # noqa: F401 - registers the project-wide checks
