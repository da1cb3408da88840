"""Sprints and rituals from the handbook's "How we work": two-week sprints, the Re-partition project with its
measurable milestones, goals per sub-team, and a board of realistic cards. Dates follow today."""

import datetime

from django.db import transaction
from django.utils import timezone

from platformhub.models import Person, Team
from sprints.models import Card, CardMove, MeetingSeries, RetroNote, Sprint, SprintGoal, StandupUpdate
from sprints.services import (
    action_item_add,
    action_item_complete,
    agenda_item_add,
    blocked_request_create,
    board_for,
    cadence_set,
    card_create,
    meeting_for,
    meeting_series_create,
    meeting_update,
    milestone_create,
    planning_comment_add,
    project_create,
    retro_note_add,
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
    sprint_goal_set_outcome(goal=done_goal, expected_version=done_goal.version, outcome=SprintGoal.Outcome.MET)
    partly = sprint_goal_create(
        sprint=previous, team=ingestion, title="Kafka consumers autoscale", owners=[ellie, daniel]
    )
    sprint_goal_set_outcome(goal=partly, expected_version=partly.version, outcome=SprintGoal.Outcome.PARTLY)
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


def load_platform_rituals(platform: Team, *, today: datetime.date | None = None) -> bool:
    """Add the handbook's rituals unless there are meetings already: standups on Monday,
    Wednesday and Friday, engineering-wide sprint planning, a retro and team planning after
    each sprint, with agendas, notes, actions, standups and planning requests."""
    if MeetingSeries.objects.exists() or not Sprint.objects.exists():
        return False
    _create_rituals(platform, today or timezone.localdate())
    return True


@transaction.atomic
def _create_rituals(platform: Team, today: datetime.date) -> None:
    people = {person.user.username: person for person in Person.objects.select_related("user")}
    ellie, guido, daniel = people["ellie"], people["guido"], people["daniel"]
    infrastructure, ingestion = Team.objects.get(slug="infrastructure"), Team.objects.get(slug="ingestion")
    current = Sprint.objects.filter(start__lte=today, end__gte=today).get()
    previous = Sprint.objects.get(number=current.number - 1)
    following = Sprint.objects.get(number=current.number + 1)
    standup = meeting_series_create(
        team=platform,
        kind=MeetingSeries.Kind.STANDUP,
        name="Platform standup",
        weekdays=[0, 2, 4],
        starts_at=datetime.time(16),
        duration_minutes=15,
        timezone_name="Europe/London",
    )
    meeting_series_create(
        team=None,
        kind=MeetingSeries.Kind.SPRINT_PLANNING,
        name="Engineering sprint planning",
        weekdays=[],
        starts_at=datetime.time(16),
        duration_minutes=60,
        timezone_name="Europe/London",
    )
    retro = meeting_series_create(team=platform, kind=MeetingSeries.Kind.RETRO, name="Platform retro", weekdays=[])
    meeting_series_create(
        team=platform, kind=MeetingSeries.Kind.TEAM_PLANNING, name="Platform team planning", weekdays=[]
    )
    started = timezone.make_aware(datetime.datetime.combine(previous.start, datetime.time(9)))
    MeetingSeries.objects.filter(pk=standup.pk).update(created_at=started)

    last_standup = today - datetime.timedelta(days=1)
    while last_standup.weekday() not in standup.weekdays:
        last_standup -= datetime.timedelta(days=1)
    meeting = meeting_for(series=standup, date=last_standup)
    agenda_item_add(meeting=meeting, title="Who covers on-call over the holidays?", added_by=ellie)
    agenda_item_add(meeting=meeting, title="Staging is out of disk again", added_by=guido)
    meeting_update(
        meeting=meeting,
        expected_version=meeting.version,
        notes="Disk on staging filled up with old ClickHouse parts.\n\n- Guido cleans up and adds an alert.",
        decisions="Holiday on-call: Guido until the 27th, Daniel after.",
        attendees=[ellie, guido, daniel],
    )
    action_item_add(
        meeting=meeting, title="Add a disk-usage alert for staging", owner=guido, due_date=today + datetime.timedelta(2)
    )
    action_item_add(
        meeting=meeting, title="Share the holiday on-call rota in #team-platform", owner=ellie, due_date=last_standup
    )
    done = action_item_add(meeting=meeting, title="Clean up old ClickHouse parts on staging", owner=guido)
    action_item_complete(item=done)

    retro_meeting = meeting_for(series=retro, date=retro.date_for_sprint(previous))
    for kind, text, author in [
        (RetroNote.Kind.WENT_WELL, "Migration framework shipped a day early", guido),
        (RetroNote.Kind.WENT_WELL, "Pairing across timezones on the staging dry-run", daniel),
        (RetroNote.Kind.TO_IMPROVE, "Autoscaling work lacked a second owner", ellie),
        (RetroNote.Kind.TO_IMPROVE, "ClickHouse upgrade blocked us for a week", daniel),
    ]:
        retro_note_add(meeting=retro_meeting, kind=kind, text=text, author=author)
    action_item_add(
        meeting=retro_meeting,
        title="Pair someone with Ellie on autoscaling",
        owner=ellie,
        due_date=current.start + datetime.timedelta(days=3),
    )

    now = timezone.now()
    StandupUpdate.objects.bulk_create(
        [
            StandupUpdate(
                team=platform,
                person=guido,
                date=last_standup,
                yesterday="- Migrated the events tables 1–20",
                today="- Tables 21–25, then the staging disk alert",
                blockers="Need a ClickHouse upgrade window from the ClickHouse team",
                posted_at=now - datetime.timedelta(days=1),
            ),
            StandupUpdate(
                team=platform,
                person=ellie,
                date=last_standup,
                yesterday="- Kafka consumer lag alert in review",
                today="- Holiday on-call rota",
                posted_at=now - datetime.timedelta(days=1),
            ),
        ]
    )

    sprint_goal_create(
        sprint=following,
        team=infrastructure,
        title="Migrate the remaining 50 tables",
        owners=[guido, daniel],
    )
    sprint_goal_create(sprint=following, team=ingestion, title="Ingestion survives a 2× peak load test", owners=[ellie])
    planning_comment_add(
        sprint=following,
        team=ingestion,
        author=guido,
        body="2× peak needs the new Kafka brokers; are they in this sprint?",
        is_concern=True,
    )
    planning_comment_add(
        sprint=following, team=infrastructure, author=ellie, body="Let's keep a day for the EU bastion hosts."
    )
    blocked_request_create(
        sprint=following,
        from_team=ingestion,
        to_team=infrastructure,
        requested_by=ellie,
        body="Three more Kafka brokers in EU before the load test.",
    )
