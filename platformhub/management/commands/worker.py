from django.conf import settings
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from integrations.services import sync_runs_close_interrupted
from platformhub.services import tasks_requeue_abandoned


class Command(DBWorkerCommand):
    help = (
        "Run the task worker (django-tasks-db's db_worker), first putting back in the queue the tasks "
        "a killed worker left running: those this --worker-id had claimed, and any running for longer "
        "than TASK_ABANDONED_AFTER seconds. Every task is safe to run again."
    )

    def handle(self, *args, **options) -> None:
        requeued = tasks_requeue_abandoned(
            worker_id=options["worker_id"], older_than=settings.TASK_ABANDONED_AFTER, now=timezone.now()
        )
        if requeued:
            sync_runs_close_interrupted(since=min(task.started_at for task in requeued))
            self.stdout.write(f"Queued again {len(requeued)} task(s) a stopped worker had left running.")
        super().handle(*args, **options)
