"""Engineering-wide sprint planning: every team's proposed goals side by side, comments and
concerns on them, and "blocked on you" requests that show on the receiving team's board and
planning agenda until that team answers."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from platformhub.permissions import team_of
from sprints.models import BlockedRequest, MeetingSeries, Milestone, PlanningComment, Project, Sprint
from sprints.selectors import agenda_suggestions
from sprints.services import (
    blocked_request_answer,
    blocked_request_create,
    cadence_set,
    meeting_for,
    meeting_series_create,
    planning_comment_add,
    sprint_goal_create,
    sprints_ensure,
)
from tests.factories import MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db

ROLES = ["lead", "engineer", "viewer", "outsider", "staff", "anonymous"]
PLANNING_KINDS = [MeetingSeries.Kind.TEAM_PLANNING, MeetingSeries.Kind.SPRINT_PLANNING]


@pytest.fixture
def sprint(org) -> Sprint:
    """The sprint after the current one: the one being planned."""
    today = timezone.localdate()
    cadence_set(length_days=14, first_start=today - datetime.timedelta(days=today.weekday() + 14))
    current = sprints_ensure(today=today)
    return Sprint.objects.get(number=current.number + 1)


def planning_url(sprint: Sprint, team_slug: str | None = None) -> str:
    url = reverse("sprints:planning", args=[sprint.number])
    return f"{url}#team-{team_slug}" if team_slug else url


def board_url(team) -> str:
    return reverse("sprints:board", args=[team.slug])


def comment(client, sprint, team, body, *, concern=False):
    data = {f"c{team.pk}-body": body}
    if concern:
        data[f"c{team.pk}-is_concern"] = "on"
    return client.post(reverse("sprints:planning_comment", args=[sprint.number, team.slug]), data)


def ask(client, sprint, from_team, to_team, body="Review our Terraform plan"):
    return client.post(
        reverse("sprints:request_create", args=[sprint.number]),
        {"from_team": from_team.pk, "to_team": to_team.pk, "body": body},
    )


def answer(client, blocked, text, **extra):
    return client.post(reverse("sprints:request_answer", args=[blocked.pk]), {f"a{blocked.pk}-answer": text, **extra})


def column(content: str, team_slug: str) -> str:
    """The part of the planning page that is one team's column."""
    return content.split(f'id="team-{team_slug}"')[1].split('<section id="team-')[0]


def request_suggestions(series, sprint) -> list[str]:
    meeting = meeting_for(series=series, date=series.date_for_sprint(sprint))
    return [s.text for s in agenda_suggestions(meeting=meeting, now=timezone.now()) if s.kind == "request"]


def planning_series(team, kind=MeetingSeries.Kind.TEAM_PLANNING) -> MeetingSeries:
    return meeting_series_create(team=team, kind=kind, name=f"{team.name} planning", weekdays=[])


@pytest.fixture
def goals(org, sprint):
    """A proposed goal for each team, and one for the current sprint that is not being planned."""
    sprint_goal_create(sprint=sprint, team=org.team, title="Postgres off Heroku", owners=[org.users["lead"].person])
    sprint_goal_create(sprint=sprint, team=org.sub_team, title="Migrate 50 tables")
    sprint_goal_create(sprint=sprint, team=org.other_team, title="Card payments in Brazil")
    current = Sprint.objects.get(number=sprint.number - 1)
    sprint_goal_create(sprint=current, team=org.team, title="Last sprint's goal")


# The page


def test_the_planning_page_shows_every_readable_teams_goals_side_by_side(org, sprint, goals, client_as):
    for_engineer = client_as("engineer").get(planning_url(sprint)).content.decode()
    for_viewer = client_as("viewer").get(planning_url(sprint)).content.decode()

    assert "Postgres off Heroku" in column(for_engineer, "platform")
    assert "Migrate 50 tables" in column(for_engineer, "infrastructure")
    assert 'id="team-payments"' not in for_engineer, "another team tree is not the engineer's to read"
    assert "Card payments in Brazil" not in for_engineer
    assert "Last sprint's goal" not in for_engineer
    assert "Card payments in Brazil" in column(for_viewer, "payments"), "org-wide viewers read every team"
    assert for_viewer.index('id="team-infrastructure"') < for_viewer.index('id="team-payments"')
    assert for_viewer.index('id="team-payments"') < for_viewer.index('id="team-platform"')


def test_a_team_without_goals_yet_says_so(org, sprint, client_as):
    content = client_as("engineer").get(planning_url(sprint)).content.decode()
    assert "No goals proposed yet." in column(content, "platform")


def test_comments_and_concerns_are_posted_and_shown_on_the_teams_column(org, sprint, client_as):
    client = client_as("engineer")

    posted = comment(client, sprint, org.team, "Do we need the read replica first?")
    concern = comment(client, sprint, org.team, "Three goals for two people is a lot.", concern=True)

    assert posted.status_code == concern.status_code == 302
    assert posted["Location"] == planning_url(sprint, "platform")
    platform = column(client.get(planning_url(sprint)).content.decode(), "platform")
    assert "Do we need the read replica first?" in platform
    assert "Three goals for two people is a lot." in platform
    assert platform.count("Concern</span>") == 1
    assert "Eric Engineer" in platform
    assert [(c.body, c.is_concern, c.author) for c in PlanningComment.objects.all()] == [
        ("Do we need the read replica first?", False, org.users["engineer"].person),
        ("Three goals for two people is a lot.", True, org.users["engineer"].person),
    ]


def test_an_empty_comment_is_refused_with_the_error_next_to_the_field(org, sprint, client_as):
    response = comment(client_as("engineer"), sprint, org.sub_team, "   ")

    assert response.status_code == 422
    infrastructure = column(response.content.decode(), "infrastructure")
    assert f'aria-describedby="id_c{org.sub_team.pk}-body_error"' in infrastructure
    assert "This field is required." in infrastructure
    assert "This field is required." not in column(response.content.decode(), "platform")
    assert not PlanningComment.objects.exists()


def test_planning_next_opens_the_next_sprints_planning(org, sprint, client_as):
    response = client_as("engineer").get(reverse("sprints:planning_next"))

    assert response.status_code == 302
    assert response["Location"] == planning_url(sprint)


def test_without_a_cadence_planning_next_says_there_are_no_sprints(org, client_as):
    response = client_as("engineer").get(reverse("sprints:planning_next"))

    assert response.status_code == 200
    assert "No sprints yet" in response.content.decode()


def test_an_unknown_sprint_has_no_planning_page(org, sprint, client_as):
    assert client_as("engineer").get(reverse("sprints:planning", args=[999])).status_code == 404


def lone_goal_suggestions(series, sprint) -> list[str]:
    meeting = meeting_for(series=series, date=series.date_for_sprint(sprint))
    return [s.text for s in agenda_suggestions(meeting=meeting, now=timezone.now()) if s.kind == "lone_goal"]


def test_sprint_planning_flags_lone_goals_of_the_sprint_it_plans_not_of_the_running_one(org, sprint, goals):
    planning = planning_series(org.team, MeetingSeries.Kind.SPRINT_PLANNING)
    running = Sprint.objects.get(number=sprint.number - 1)
    assert running.start <= sprint.planning_date <= running.end, "planned while the sprint before it runs"

    assert sorted(lone_goal_suggestions(planning, sprint)) == [
        "Goal “Migrate 50 tables” has fewer than two owners",
        "Goal “Postgres off Heroku” has fewer than two owners",
    ]


# "Blocked on you" requests


@pytest.mark.parametrize("kind", PLANNING_KINDS)
@pytest.mark.parametrize("direction", ["infrastructure to platform", "platform to infrastructure"])
def test_a_request_shows_on_the_receiving_teams_board_and_planning_agenda(org, sprint, client_as, direction, kind):
    from_team, to_team = (org.sub_team, org.team) if direction.startswith("infra") else (org.team, org.sub_team)
    series = planning_series(to_team, kind)
    client = client_as("engineer")

    response = ask(client, sprint, from_team, to_team, "Review our Terraform plan by Tuesday")

    assert response.status_code == 302
    assert response["Location"] == planning_url(sprint, from_team.slug)
    blocked = BlockedRequest.objects.get()
    assert (blocked.from_team, blocked.to_team, blocked.requested_by) == (
        from_team,
        to_team,
        org.users["engineer"].person,
    )
    board = client.get(board_url(to_team)).content.decode()
    assert "Blocked on you" in board
    assert (
        f'<strong>{from_team.name}</strong> needs from {to_team.name} <span class="muted">'
        f"({org.users['engineer'].person.display_name}, {sprint.name} planning)</span>: "
        "Review our Terraform plan by Tuesday</p>"
    ) in board
    assert f'<label for="a{blocked.pk}-answer">Answer {from_team.name}</label>' in board
    assert request_suggestions(series, sprint) == [
        f"{from_team.name} is blocked on {to_team.name}: Review our Terraform plan by Tuesday"
    ]
    page = client.get(planning_url(sprint)).content.decode()
    assert "Review our Terraform plan by Tuesday" in column(page, to_team.slug).split("Blocked on")[1]
    assert "Open</span>" in column(page, from_team.slug)


def test_a_request_to_the_parent_team_is_not_on_the_sub_teams_board(org, sprint, client_as):
    ask(client_as("engineer"), sprint, org.sub_team, org.team, "Review our Terraform plan by Tuesday")

    assert "Blocked on you" not in client_as("engineer").get(board_url(org.sub_team)).content.decode()


def test_another_team_trees_planning_agenda_does_not_list_the_request(org, sprint, client_as):
    payments = planning_series(org.other_team)
    ask(client_as("engineer"), sprint, org.sub_team, org.team)

    assert request_suggestions(payments, sprint) == []


def test_answering_takes_the_request_off_the_board_and_the_agenda(org, sprint, client_as):
    series = planning_series(org.team)
    ask(client_as("engineer"), sprint, org.sub_team, org.team, "Review our Terraform plan by Tuesday")
    blocked = BlockedRequest.objects.get()
    lead = client_as("lead")

    response = answer(lead, blocked, "Reviewed; ship it", next="board")

    assert response.status_code == 302
    assert response["Location"] == board_url(org.team)
    board = lead.get(response["Location"]).content.decode()
    assert "Answered Infrastructure." in board
    assert "Blocked on you" not in board
    assert "Review our Terraform plan by Tuesday" not in board
    assert request_suggestions(series, sprint) == []
    blocked.refresh_from_db()
    assert (blocked.answer, blocked.answered_by, blocked.is_open) == (
        "Reviewed; ship it",
        org.users["lead"].person,
        False,
    )
    page = lead.get(planning_url(sprint)).content.decode()
    assert "↳ Reviewed; ship it" in column(page, "platform")
    assert "Answered</span>" in column(page, "infrastructure")


def test_answering_from_the_planning_page_returns_to_the_teams_column(org, sprint, client_as):
    ask(client_as("engineer"), sprint, org.sub_team, org.team)
    blocked = BlockedRequest.objects.get()

    response = answer(client_as("engineer"), blocked, "Done")

    assert response["Location"] == planning_url(sprint, "platform")


def test_answering_twice_is_refused_the_first_answer_stands_and_the_second_is_kept(org, sprint, client_as):
    ask(client_as("engineer"), sprint, org.sub_team, org.team)
    blocked = BlockedRequest.objects.get()
    answer(client_as("lead"), blocked, "Reviewed; ship it")

    second = answer(client_as("engineer"), blocked, "Not yet, we need a day", next="board")

    assert second.status_code == 409
    page = second.content.decode()
    assert "Someone on the team answered this request already." in page
    assert "Reviewed; ship it" in page, "the answer that won is shown"
    assert "Not yet, we need a day" in page, "what the second person typed is kept"
    blocked.refresh_from_db()
    assert (blocked.answer, blocked.answered_by) == ("Reviewed; ship it", org.users["lead"].person)
    with pytest.raises(ValidationError, match="answered this request already"):
        blocked_request_answer(request=blocked, answer="Again", answered_by=None)


def test_an_empty_answer_is_refused_with_the_error_next_to_the_field(org, sprint, client_as):
    ask(client_as("engineer"), sprint, org.sub_team, org.team)
    blocked = BlockedRequest.objects.get()

    response = answer(client_as("lead"), blocked, "")

    assert response.status_code == 422
    assert f'aria-describedby="id_a{blocked.pk}-answer_error"' in column(response.content.decode(), "platform")
    blocked.refresh_from_db()
    assert blocked.is_open


def test_a_team_cannot_be_blocked_on_itself(org, sprint, client_as):
    response = ask(client_as("engineer"), sprint, org.team, org.team)

    assert response.status_code == 422
    assert "A team cannot be blocked on itself." in response.content.decode()
    assert not BlockedRequest.objects.exists()
    with pytest.raises(ValidationError, match="cannot be blocked on itself"):
        blocked_request_create(sprint=sprint, from_team=org.team, to_team=org.team, requested_by=None, body="Help")


def test_a_goals_milestone_belongs_to_its_projects_team(org, sprint):
    project = Project.objects.create(team=org.sub_team, title="Re-partition 100 tables")
    milestone = Milestone.objects.create(project=project, title="Migrate 50 tables", target=50)
    goal = sprint_goal_create(sprint=sprint, team=org.sub_team, title="Half the tables", milestone=milestone)

    assert team_of(goal.milestone) == org.sub_team, "permissions on a milestone follow its project's team"


# Who may do what


@pytest.mark.parametrize("role", ROLES)
def test_reading_and_commenting_by_role(org, sprint, goals, client_as, role):
    client = client_as(role)

    page = client.get(planning_url(sprint))
    posted = comment(client, sprint, org.team, "Looks good")

    if role == "anonymous":
        for response in (page, posted):
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))
    else:
        content = page.content.decode()
        assert page.status_code == 200
        if role == "outsider":
            assert posted.status_code == 404
            assert 'id="team-platform"' not in content
            assert "Postgres off Heroku" not in content
            assert "Card payments in Brazil" in column(content, "payments")
        else:
            assert "Postgres off Heroku" in column(content, "platform")
            assert posted.status_code == (403 if role == "viewer" else 302)
            assert ("Looks good" in column(client.get(planning_url(sprint)).content.decode(), "platform")) is (
                role != "viewer"
            )
            assert (">Comment</button>" in content) is (role != "viewer")
    assert PlanningComment.objects.filter(body="Looks good").exists() is (role in ("lead", "engineer", "staff"))


@pytest.mark.parametrize("role", ["lead", "engineer"])
def test_members_file_requests(org, sprint, client_as, role):
    page = client_as(role).get(planning_url(sprint)).content.decode()

    response = ask(client_as(role), sprint, org.sub_team, org.team)

    assert "File a “blocked on you” request" in page
    assert response.status_code == 302
    assert BlockedRequest.objects.get().requested_by == org.users[role].person


def test_a_viewer_is_not_offered_the_request_form(org, sprint, client_as):
    assert "File a “blocked on you” request" not in client_as("viewer").get(planning_url(sprint)).content.decode()


def test_a_viewer_filing_a_request_is_forbidden(org, sprint, client_as):
    response = ask(client_as("viewer"), sprint, org.sub_team, org.team)

    assert not BlockedRequest.objects.exists()
    assert response.status_code == 403


def test_a_viewer_filing_a_request_is_refused(org, sprint, client_as):
    response = ask(client_as("viewer"), sprint, org.sub_team, org.team)

    assert response.status_code in (403, 422)
    assert not BlockedRequest.objects.exists()


def test_an_outsider_cannot_file_a_request_to_a_team_they_cannot_see(org, sprint, client_as):
    response = ask(client_as("outsider"), sprint, org.other_team, org.team)

    assert response.status_code == 422
    assert 'id="team-platform"' not in response.content.decode()
    assert not BlockedRequest.objects.exists()


def test_nobody_files_a_request_in_another_teams_name(org, sprint, client_as):
    response = ask(client_as("engineer"), sprint, org.other_team, org.team)

    assert response.status_code == 422
    assert not BlockedRequest.objects.exists()


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("outsider", 404)])
def test_only_the_team_tree_answers_requests(org, sprint, client_as, role, status):
    ask(client_as("engineer"), sprint, org.sub_team, org.team)
    blocked = BlockedRequest.objects.get()

    response = answer(client_as(role), blocked, "Sure")

    assert response.status_code == status
    blocked.refresh_from_db()
    assert blocked.is_open


# Cost


@pytest.mark.parametrize("items", [1, 10])
@pytest.mark.parametrize(
    ("reader", "queries", "teams_read"),
    [
        # session, user, sprint, access, readable teams, goals + their owners, comments,
        # requests, neighbouring sprints, and the request form's two team lists
        ("engineer", 12, 2),
        ("viewer", 10, 3),  # reads every team, and files no requests: no request form
    ],
)
def test_the_planning_page_runs_a_constant_number_of_queries(
    org, sprint, client_as, django_assert_num_queries, items, reader, queries, teams_read
):
    lead, engineer = org.users["lead"].person, org.users["engineer"].person
    colleague = MembershipFactory(team=org.team).person
    for n in range(items):
        other_tree = TeamFactory()
        TeamFactory(parent=other_tree)
        for team in (org.team, org.sub_team, other_tree):
            sprint_goal_create(sprint=sprint, team=team, title=f"Goal {n}", owners=[lead, engineer, colleague])
            planning_comment_add(sprint=sprint, team=team, author=engineer, body=f"Comment {n}", is_concern=bool(n % 2))
        made = blocked_request_create(
            sprint=sprint, from_team=org.sub_team, to_team=org.team, requested_by=engineer, body=f"Need {n}"
        )
        blocked_request_create(sprint=sprint, from_team=org.team, to_team=org.sub_team, requested_by=lead, body="Hi")
        blocked_request_answer(request=made, answer=f"Answer {n}", answered_by=lead)
    client = client_as(reader)

    with django_assert_num_queries(queries):
        response = client.get(planning_url(sprint))

    content = response.content.decode()
    assert content.count("<strong>Goal ") == teams_read * items
    assert content.count("<p>Comment ") == teams_read * items
    assert content.count("↳ Answer") == items
