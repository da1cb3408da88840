from django.core.management.base import BaseCommand

from integrations.github import GitHubClient
from integrations.services import sync_linked_issues
from integrations.tasks import schedule_periodic_sync


class Command(BaseCommand):
    help = "Sync every linked GitHub issue and saved search now, or (--schedule) queue the periodic sync."

    def add_arguments(self, parser):
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Queue the repeating background sync (every GITHUB_SYNC_INTERVAL seconds) if it is not queued.",
        )

    def handle(self, *args, schedule: bool = False, **options) -> None:
        if schedule:
            queued = schedule_periodic_sync()
            self.stdout.write("Queued the periodic sync." if queued else "The periodic sync is already queued.")
            return
        with GitHubClient() as client:
            run = sync_linked_issues(client=client)
        seconds = (run.finished_at - run.started_at).total_seconds()
        self.stdout.write(
            f"Checked {run.issues_checked} issues in {seconds:.1f} s; {run.issues_changed} changed on GitHub."
        )
        if run.error:
            self.stderr.write(self.style.WARNING(f"Some of the sync failed:\n{run.error}"))
