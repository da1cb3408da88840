"""Back up the whole database to one JSON file that `import_data` restores, on SQLite or PostgreSQL."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

# Rebuilt by `migrate` (content types, permissions) or not worth keeping (sessions, log-in
# throttling counts, finished or queued background tasks: the next sync redoes them; the data
# version, which the restore's own writes move on).
NOT_BACKED_UP = [
    "contenttypes",
    "auth.permission",
    "sessions",
    "axes",
    "django_tasks_database",
    "platformhub.dataversion",
]


class Command(BaseCommand):
    help = "Back up every team, plan, meeting and their history to FILE (JSON; .json.gz compresses it)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="Where to write the backup, e.g. backup.json or backup.json.gz")

    def handle(self, *args, file: str, **options) -> None:
        call_command(
            "dumpdata",
            exclude=NOT_BACKED_UP,
            natural_foreign=True,  # permissions and content types by name, so ids may differ between databases
            output=file,
            verbosity=0,
        )
        self.stdout.write(self.style.SUCCESS(f"Backed up the database to {file}."))
