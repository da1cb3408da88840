"""Background work: applying webhook deliveries and syncing linked issues with GitHub."""

import datetime

from django.conf import settings
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from integrations import services
from integrations.github import GitHubClient
from integrations.models import GitHubIssue, WebhookDelivery


@task
def process_webhook_delivery(delivery_id: int) -> None:
    """Apply a stored delivery. Running it again (a worker restarted midway) changes nothing."""
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        return
    try:
        services.webhook_delivery_process(delivery=delivery)
    except Exception as error:
        # Keep why it failed on the delivery (GitHub's redelivery will try again), then let the
        # task fail so the worker records it too.
        WebhookDelivery.objects.filter(pk=delivery_id).update(error=f"{type(error).__name__}: {error}"[:2000])
        raise


@task
def sync_issues(issue_ids: list[int]) -> None:
    """Fetch issues just linked, so they show their titles and states without waiting for the next sync."""
    with GitHubClient() as client:
        services.sync_linked_issues(client=client, issues=list(GitHubIssue.objects.filter(pk__in=issue_ids)))


@task
def sync_linked_issues(repeat: bool = False) -> None:
    """Sync every linked issue and saved search; with `repeat`, schedule the next run."""
    try:
        with GitHubClient() as client:
            services.sync_linked_issues(client=client)
    finally:
        if repeat:
            schedule_periodic_sync()


def schedule_periodic_sync() -> bool:
    """Queue the next periodic sync unless one is already waiting; returns whether it queued one."""
    if DBTaskResult.objects.filter(task_path=sync_linked_issues.module_path, status=TaskResultStatus.READY).exists():
        return False
    run_after = timezone.now() + datetime.timedelta(seconds=settings.GITHUB_SYNC_INTERVAL)
    sync_linked_issues.using(run_after=run_after).enqueue(repeat=True)
    return True
