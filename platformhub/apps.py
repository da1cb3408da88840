from django.apps import AppConfig


class PlatformHubConfig(AppConfig):
    name = "platformhub"
    verbose_name = "PlatformHub"

    def ready(self) -> None:
        from platformhub import permissions  # noqa: F401 - registers the permission rules
