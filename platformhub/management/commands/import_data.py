"""Restore a backup made by `export_data`, all or nothing."""

from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from integrations.services import issues_keep_in_line


class Command(BaseCommand):
    help = "Restore the database from FILE, made by export_data. Refuses a database with data unless --replace."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="A backup made by export_data")
        parser.add_argument(
            "--replace", action="store_true", help="Delete everything in this database first (no undo)."
        )

    def handle(self, *args, file: str, replace: bool, **options) -> None:
        if User.objects.exists() and not replace:
            raise CommandError("This database already has data. Restore into an empty one, or pass --replace.")
        # All or nothing (a failed restore leaves the database as it was, even with --replace), and
        # no new history rows: the backup carries the history as it was.
        with transaction.atomic(), override_settings(SIMPLE_HISTORY_ENABLED=False):
            if replace:
                call_command("flush", interactive=False, verbosity=0)
            call_command("loaddata", file, verbosity=0)
            # loaddata writes rows as the backup has them, without the fields working anything out.
            issues_keep_in_line()
        self.stdout.write(self.style.SUCCESS(f"Restored the database from {file}."))
