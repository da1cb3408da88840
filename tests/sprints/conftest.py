import datetime

import pytest
from django.utils import timezone

from sprints.models import Milestone, Project, Sprint
from sprints.services import cadence_set, card_create, sprint_goal_create, sprints_ensure


@pytest.fixture
def board(org):
    """The Platform board in the running sprint: a card in the backlog, a project with a milestone,
    and a sub-team's goal."""
    today = timezone.localdate()
    cadence_set(length_days=14, first_start=today - datetime.timedelta(days=today.weekday() + 14))
    current = sprints_ensure(today=today)
    Sprint.objects.filter(number__lt=current.number).update(closed_at=timezone.now())
    card = card_create(team=org.team, title="Cut over Postgres", sprints=[current])
    project = Project.objects.create(team=org.team, title="Re-partition 100 tables")
    milestone = Milestone.objects.create(project=project, title="Migrate 50 tables", target=50)
    goal = sprint_goal_create(sprint=current, team=org.sub_team, title="Migrate 50 tables")
    return {"sprint": current, "card": card, "project": project, "milestone": milestone, "goal": goal}
