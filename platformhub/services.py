"""Writes for people and teams. Each validates the whole row and runs in one transaction."""

import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from platformhub.concurrency import save_versioned
from platformhub.models import Membership, Person, Team


@transaction.atomic
def team_update_about(*, team: Team, mission: str, guidelines: str, expected_version: int) -> Team:
    """Change a team's mission and guidelines unless someone else changed the team meanwhile."""
    team.mission = mission
    team.guidelines = guidelines
    team.full_clean()
    save_versioned(team, expected_version=expected_version, update_fields=["mission", "guidelines", "updated_at"])
    return team


@transaction.atomic
def team_create(
    *,
    slug: str,
    name: str,
    parent: Team | None = None,
    mission: str = "",
    slack_channel: str = "",
    guidelines: str = "",
) -> Team:
    team = Team(
        slug=slug, name=name, parent=parent, mission=mission, slack_channel=slack_channel, guidelines=guidelines
    )
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def person_create(
    *,
    username: str,
    display_name: str,
    password: str,
    title: str = "",
    timezone: str = "UTC",
    github_handle: str = "",
    is_org_viewer: bool = False,
) -> Person:
    """Create a user who can log in, with the profile colleagues see."""
    first_name, _, last_name = display_name.partition(" ")
    user = User(username=username, first_name=first_name, last_name=last_name)
    user.set_password(password)
    user.full_clean()
    user.save()
    person = Person(
        user=user,
        display_name=display_name,
        title=title,
        timezone=timezone,
        github_handle=github_handle,
        is_org_viewer=is_org_viewer,
    )
    person.full_clean()
    person.save()
    return person


@transaction.atomic
def membership_add(*, person: Person, team: Team, role: str) -> Membership:
    membership = Membership(person=person, team=team, role=role)
    membership.full_clean()
    membership.save()
    return membership


@transaction.atomic
def tasks_requeue_abandoned(*, worker_id: str, older_than: int, now: datetime.datetime) -> list[DBTaskResult]:
    """Put back in the queue the tasks a killed worker left RUNNING (django-tasks-db never does):
    those claimed last by `worker_id`, which is starting again so cannot be running them, and any
    started more than `older_than` seconds ago. Returns them as they were, with `started_at`."""
    running = DBTaskResult.objects.select_for_update().filter(status=TaskResultStatus.RUNNING)
    cutoff = now - datetime.timedelta(seconds=older_than)
    abandoned = [
        task for task in running if (task.worker_ids and task.worker_ids[-1] == worker_id) or task.started_at < cutoff
    ]
    DBTaskResult.objects.filter(pk__in=[task.pk for task in abandoned]).update(status=TaskResultStatus.READY)
    return abandoned
