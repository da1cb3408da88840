from django.apps import AppConfig


class PlatformHubConfig(AppConfig):
    name = "platformhub"
    verbose_name = "PlatformHub"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from platformhub import (
            data_version,
            permissions,  # noqa: F401 - registers the permission rules
        )

        connection_created.connect(data_version.install, dispatch_uid="platformhub.data_version")
