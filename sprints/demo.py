"""Sprints from the handbook's "How we work": two-week sprints, the Re-partition project with its
measurable milestones, goals per sub-team, and a board of realistic cards. Dates follow today."""

import datetime

from django.db import transaction
from django.utils import timezone

from platformhub.models import Person, Team
from sprints.models import Card, CardMove, Sprint, SprintGoal
from sprints.services import (
    board_for,
    cadence_set,
    card_create,
    milestone_create,
    project_create,
    roster_set,
    sprint_goal_create,
    sprint_goal_set_outcome,
    sprints_ensure,
)

C = Card.Column


def load_platform_sprints(platform: Team, *, today: datetime.date | None = None) -> bool:
    """Add the demo sprints unless there are sprints already."""
    if Sprint.objects.exists():
        return False
    _create(platform, today or timezone.localdate())
    return True


@transaction.atomic
def _create(platform: Team, today: datetime.date) -> None:
    monday = today - datetime.timedelta(days=today.weekday())
    cadence_set(length_days=14, first_start=monday - datetime.timedelta(days=14))
    current = sprints_ensure(today=today)
    previous = Sprint.objects.get(number=current.number - 1)
    people = {person.user.username: person for person in Person.objects.select_related("user")}
    ellie, guido, daniel = people["ellie"], people["guido"], people["daniel"]
    infrastructure, ingestion = Team.objects.get(slug="infrastructure"), Team.objects.get(slug="ingestion")
    for sprint in (previous, current):
        roster_set(sprint=sprint, team=infrastructure, people=[guido, daniel])
        roster_set(sprint=sprint, team=ingestion, people=[ellie, daniel])
    board_for(platform)

    project = project_create(team=platform, title="Re-partition 100 tables", owners=[guido, daniel])
    half = milestone_create(project=project, title="Migrate 50 of the 100 tables", target=50, current=32)
    milestone_create(project=project, title="Migration framework is production ready", is_done=True)
    milestone_create(
        project=project, title="We have migrated 10% of customers with all 100 tables", target=10, current=4
    )
    project_create(team=platform, title="EU Cloud on-call handbook", owners=[ellie])

    done_goal = sprint_goal_create(
        sprint=previous, team=infrastructure, title="Migration framework is production ready", owners=[guido, daniel]
    )
    sprint_goal_set_outcome(goal=done_goal, outcome=SprintGoal.Outcome.MET)
    partly = sprint_goal_create(
        sprint=previous, team=ingestion, title="Kafka consumers autoscale", owners=[ellie, daniel]
    )
    sprint_goal_set_outcome(goal=partly, outcome=SprintGoal.Outcome.PARTLY)
    sprint_goal_create(
        sprint=current,
        team=infrastructure,
        title="Migrate 50 of the 100 tables",
        owners=[guido, daniel],
        milestone=half,
    )
    sprint_goal_create(sprint=current, team=ingestion, title="Load test ingestion at 2× peak", owners=[daniel])

    started = timezone.make_aware(datetime.datetime.combine(previous.start, datetime.time(10)))
    cards = [
        ("Write the table migration runner", [guido], C.DONE, [previous], project, 2),
        ("Dry-run the migration on staging", [daniel, guido], C.DONE, [previous], project, 5),
        ("Autoscale plugin-server on lag", [ellie], C.DONE, [previous], None, 8),
        ("Migrate the events tables (1–25)", [guido], C.IN_PROGRESS, [previous, current], project, None),
        ("Migrate the person tables (26–32)", [daniel], C.IN_REVIEW, [current], project, None),
        ("Kafka consumer lag alert", [ellie, daniel], C.IN_PROGRESS, [previous, current], None, None),
        ("k6 scenario for 2× peak ingestion", [daniel], C.ON_DECK, [current], None, None),
        ("Upgrade ClickHouse to 22.8", [], C.BLOCKED, [current], None, None),
        ("Dashboards for replication lag", [], C.BACKLOG, [], project, None),
        ("Terraform the EU bastion hosts", [], C.BACKLOG, [], None, None),
    ]
    for title, owners, column, sprints, card_project, done_on_day in cards:
        card = card_create(
            team=platform,
            title=title,
            owners=owners,
            sprints=sprints,
            column=column,
            project=card_project,
            blocked_reason="Waiting on the ClickHouse team's upgrade window" if column == C.BLOCKED else "",
        )
        if len(sprints) > 1:
            Card.objects.filter(pk=card.pk).update(carry_overs=1)
        if done_on_day is not None:
            CardMove.objects.create(
                card=card,
                moved_by=owners[0],
                moved_at=started + datetime.timedelta(days=done_on_day),
                from_column=C.IN_REVIEW,
                to_column=C.DONE,
            )
    closed_at = timezone.make_aware(datetime.datetime.combine(previous.end, datetime.time(17)))
    Sprint.objects.filter(pk=previous.pk).update(closed_at=closed_at, closed_by=ellie)
