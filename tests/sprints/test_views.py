import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import GitHubIssue
from sprints.models import Card, CardMove, Milestone, Project, Sprint, SprintGoal
from sprints.selectors import OPEN_SHOWN
from sprints.services import card_create, sprint_goal_create, sprints_ensure
from tests.factories import PersonFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
ROLES = ["lead", "engineer", "viewer", "outsider", "staff", "anonymous"]


def _expect(response, role, allowed):
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif role == "outsider":
        assert response.status_code == 404
    elif role in allowed:
        assert response.status_code in (200, 302), response.content[:300]
    else:
        assert response.status_code == 403


READERS = {"lead", "engineer", "viewer", "staff"}
WORKERS = {"lead", "engineer", "staff"}
PLANNERS = {"lead", "staff"}


@pytest.mark.parametrize("role", ROLES)
def test_board_and_projects_pages_by_role(board, client_as, role):
    client = client_as(role)
    _expect(client.get(reverse("sprints:board", args=["platform"])), role, READERS)
    _expect(client.get(reverse("sprints:projects", args=["platform"])), role, READERS)


@pytest.mark.parametrize("role", ROLES)
def test_moving_and_taking_cards_by_role(board, client_as, role):
    client = client_as(role)
    card = board["card"]
    _expect(
        client.post(reverse("sprints:card_move", args=[card.pk]), {"column": "in_review", "version": 1}), role, WORKERS
    )
    take = client.post(reverse("sprints:card_take", args=[card.pk]))
    if role == "staff":  # an administrator without a profile cannot own cards
        assert take.status_code == 403
    else:
        _expect(take, role, WORKERS)
    _expect(client.post(reverse("sprints:card_create", args=["platform"]), {"title": "New"}), role, WORKERS)
    card.refresh_from_db()
    assert (card.column == "in_review") is (role in WORKERS)


@pytest.mark.parametrize("role", ROLES)
def test_planning_by_role(board, client_as, role):
    client = client_as(role)
    _expect(client.post(reverse("sprints:projects", args=["platform"]), {"title": "Project X"}), role, PLANNERS)
    _expect(
        client.post(reverse("sprints:milestone_create", args=[board["project"].pk]), {"title": "M", "target": "5"}),
        role,
        PLANNERS,
    )
    sub_team_pk = board["goal"].team_id
    _expect(
        client.post(
            reverse("sprints:goal_create", args=[board["sprint"].number, "infrastructure"]),
            {f"goal-{sub_team_pk}-title": "Goal"},
        ),
        role,
        PLANNERS,
    )
    _expect(
        client.post(reverse("sprints:roster_update", args=[board["sprint"].number, "infrastructure"]), {}),
        role,
        PLANNERS,
    )
    _expect(
        client.post(reverse("sprints:goal_outcome", args=[board["goal"].pk]), {"outcome": "met", "version": 1}),
        role,
        PLANNERS,
    )
    _expect(
        client.post(
            reverse("sprints:milestone_progress", args=[board["milestone"].pk]), {"current": "10", "version": 1}
        ),
        role,
        WORKERS,
    )
    assert Project.objects.filter(title="Project X").exists() is (role in PLANNERS)
    assert SprintGoal.objects.filter(title="Goal").exists() is (role in PLANNERS)


@pytest.mark.parametrize("role", ROLES)
def test_sprint_pages_are_for_everyone_logged_in_and_closing_for_leads(board, client_as, role):
    client = client_as(role)
    number = board["sprint"].number
    current = client.get(reverse("sprints:current"))
    assert current.status_code == 302
    if role != "anonymous":
        assert current["Location"] == reverse("sprints:sprint", args=[number])
    for url in (reverse("sprints:sprint", args=[number]), reverse("sprints:report", args=[number])):
        assert client.get(url).status_code == (302 if role == "anonymous" else 200)
    response = client.post(reverse("sprints:close", args=[number]))
    closed = Sprint.objects.get(number=number).is_closed
    if role == "anonymous":
        assert response.status_code == 302
    elif role in ("lead", "staff"):
        assert closed
    else:
        assert response.status_code == 403
        assert not closed


def test_keyboard_move_records_who_when_from_and_to(board, client_as, org):
    response = client_as("engineer").post(
        reverse("sprints:card_move", args=[board["card"].pk]), {"column": "in_progress", "version": 1}, **HTMX
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert '<div hx-swap-oob="beforeend:#cards-in_progress"><article class="board-card"' in content
    assert 'name="version" value="2"' in content
    move = CardMove.objects.get()
    assert (move.from_column, move.to_column, move.moved_by) == ("backlog", "in_progress", org.users["engineer"].person)


def test_a_card_moved_meanwhile_answers_409_with_the_board_saying_who_moved_it_where(board, client_as):
    url = reverse("sprints:card_move", args=[board["card"].pk])
    client_as("lead").post(url, {"column": "in_progress", "version": 1})

    stale = client_as("engineer").post(url, {"column": "done", "version": 1, "board": "platform"}, **HTMX)

    assert stale.status_code == 409
    content = stale.content.decode()
    assert "<html" not in content
    assert '<div hx-swap-oob="innerHTML:#board-alert">' in content
    assert '<div hx-swap-oob="beforeend:#cards-in_progress"><article' in content, "the card where it is now"
    assert "Lena Lead saved a change" in content
    assert "while you were moving “Cut over Postgres” to Done:" in content
    assert "they moved it from Backlog to In progress, where it stays." in content
    assert '<option value="done" selected>' in content, "the column picked is still picked"
    assert 'name="version" value="2"' in content
    assert list(CardMove.objects.values_list("to_column", flat=True)) == ["in_progress"]
    page = client_as("engineer").post(url, {"column": "done", "version": 1, "board": "platform"})
    assert page.status_code == 409
    assert "<html" in page.content.decode()
    assert "where it stays" in page.content.decode()


def test_a_bad_column_is_a_400(board, client_as):
    assert (
        client_as("lead")
        .post(reverse("sprints:card_move", args=[board["card"].pk]), {"column": "nowhere", "version": 1})
        .status_code
        == 400
    )


def test_taking_a_card_is_one_click(board, client_as, org):
    client_as("engineer").post(reverse("sprints:card_take", args=[board["card"].pk]), **HTMX)
    assert list(board["card"].owners.all()) == [org.users["engineer"].person]


def test_wip_limits_warn_when_exceeded(board, client_as, org):
    for number in range(5):
        card_create(team=org.team, title=f"Busy {number}", column=Card.Column.IN_PROGRESS)
    content = client_as("viewer").get(reverse("sprints:board", args=["platform"])).content.decode()
    assert "Over the WIP limit of 4" in content


def test_board_filters_are_sharable_urls(board, client_as, org):
    other = card_create(team=org.team, title="Not in the sprint")
    client = client_as("viewer")
    filtered = client.get(
        reverse("sprints:board", args=["platform"]) + f"?sprint={board['sprint'].number}"
    ).content.decode()
    assert "Cut over Postgres" in filtered
    assert other.title not in filtered
    junk = client.get(reverse("sprints:board", args=["platform"]) + "?sprint=x&owner=y&project=z&sub_team=nope")
    assert junk.status_code == 200


def test_lone_wolf_goals_are_flagged_on_the_board(board, client_as):
    content = client_as("viewer").get(reverse("sprints:board", args=["platform"])).content.decode()
    assert "Goal “Migrate 50 tables”: no owner." in content


def test_the_board_flags_goals_and_projects_by_their_owners_timezones_and_keeps_the_project_filtered_on(
    board, client_as, org
):
    london, rome, bogota = (PersonFactory(timezone=zone) for zone in ("Europe/London", "Europe/Rome", "America/Bogota"))
    board["project"].owners.set([london, bogota])
    board["goal"].owners.set([london, rome])
    paired = Project.objects.create(team=org.sub_team, title="Paired project")
    paired.owners.set([london, rome])
    client = client_as("viewer")
    content = client.get(reverse("sprints:board", args=["platform"])).content.decode()
    assert "Project “Re-partition 100 tables”: no two owners within 3 hours of each other." in content
    assert "Migrate 50 tables”" not in content
    assert "Paired project”" not in content
    filtered = client.get(reverse("sprints:board", args=["platform"]) + f"?project={paired.pk}").content.decode()
    assert f'<option value="{paired.pk}" selected>Paired project</option>' in filtered
    assert f'<option value="{board["project"].pk}">Re-partition 100 tables</option>' in filtered
    engineer = org.users["engineer"].person
    by_owner = client.get(reverse("sprints:board", args=["platform"]) + f"?owner={engineer.pk}").content.decode()
    assert f'<option value="{engineer.pk}" selected>{engineer.display_name}</option>' in by_owner


@pytest.mark.parametrize("cards", [10, 500])
def test_board_runs_a_constant_number_of_queries(board, client_as, org, django_assert_num_queries, cards):
    Card.objects.bulk_create(
        Card(team=org.team, title=f"Card {n}", column=Card.Column.BACKLOG, order=n) for n in range(cards)
    )
    client = client_as("viewer")
    # the same number whatever the number of cards (cards, owners and sprints are fetched for all at
    # once; goals and projects each with their owners' timezones), plus open requests
    with django_assert_num_queries(15):
        response = client.get(reverse("sprints:board", args=["platform"]))
    content = response.content.decode()
    assert content.count('<article class="board-card') == min(cards + 1, OPEN_SHOWN)
    assert f'<span class="board-column__count">{cards + 1}</span>' in content, "the backlog counts every card"


def test_milestone_progress_updates_the_project(board, client_as):
    client_as("engineer").post(
        reverse("sprints:milestone_progress", args=[board["milestone"].pk]), {"current": "25", "version": 1}
    )
    content = client_as("viewer").get(reverse("sprints:projects", args=["platform"])).content.decode()
    assert "25 of 50" in content
    assert 'aria-valuenow="50"' in content


def test_goal_outcome_is_recorded(board, client_as):
    client_as("lead").post(
        reverse("sprints:goal_outcome", args=[board["goal"].pk]), {"outcome": "partly", "version": 1}
    )
    assert SprintGoal.objects.get().outcome == "partly"


def test_a_goal_is_set_against_a_milestone_with_its_owners(board, client_as, org):
    sub_team = board["goal"].team
    engineer = org.users["engineer"].person
    client_as("lead").post(
        reverse("sprints:goal_create", args=[board["sprint"].number, sub_team.slug]),
        {
            f"goal-{sub_team.pk}-title": "Half the tables",
            f"goal-{sub_team.pk}-owners": [engineer.pk],
            f"goal-{sub_team.pk}-milestone": board["milestone"].pk,
        },
    )
    goal = SprintGoal.objects.get(title="Half the tables")
    assert goal.milestone == board["milestone"]
    assert list(goal.owners.all()) == [engineer]
    page = client_as("viewer").get(reverse("sprints:sprint", args=[board["sprint"].number])).content.decode()
    assert "Re-partition 100 tables: Migrate 50 tables" in page
    assert "Lone wolf: only one owner" in page


def test_the_roster_is_changed_in_one_place_on_the_sprint_page(board, client_as, org):
    sub_team = board["goal"].team
    people = [org.users["lead"].person, org.users["engineer"].person]
    client_as("lead").post(
        reverse("sprints:roster_update", args=[board["sprint"].number, sub_team.slug]),
        {f"r{sub_team.pk}-people": [person.pk for person in people]},
    )
    page = client_as("viewer").get(reverse("sprints:sprint", args=[board["sprint"].number])).content.decode()
    assert all(person.display_name in page.split("Who is on which sub-team")[1] for person in people)


def test_a_roster_changed_since_the_form_opened_answers_409_with_the_roster_now_and_the_choice_kept(
    board, client_as, org
):
    from sprints.models import RosterEntry
    from sprints.services import roster_set

    sub_team = board["goal"].team
    lead, engineer = org.users["lead"].person, org.users["engineer"].person
    url = reverse("sprints:roster_update", args=[board["sprint"].number, sub_team.slug])
    client = client_as("lead")
    client.get(url)  # the form shows nobody on the roster
    roster_set(sprint=board["sprint"], team=sub_team, people=[engineer])  # another lead adds Eric

    stale = client.post(url, {f"r{sub_team.pk}-people": [lead.pk]})

    assert stale.status_code == 409
    content = stale.content.decode()
    assert "On it now: Eric Engineer." in content
    assert re.findall(r'value="(\d+)"[^>]*checked', content) == [str(lead.pk)], "the lead's choice is kept"
    assert f'name="r{sub_team.pk}-shown" value="{engineer.pk}"' in content
    assert list(RosterEntry.objects.values_list("person", flat=True)) == [engineer.pk]
    again = client.post(url, {f"r{sub_team.pk}-people": [lead.pk], f"r{sub_team.pk}-shown": [engineer.pk]})
    assert again.status_code == 302
    assert list(RosterEntry.objects.values_list("person", flat=True)) == [lead.pk]


def test_a_goal_outcome_recorded_meanwhile_answers_409_with_both_outcomes(board, client_as):
    url = reverse("sprints:goal_outcome", args=[board["goal"].pk])
    client_as("lead").post(url, {"outcome": "met", "version": 1})

    stale = client_as("staff").post(url, {"outcome": "missed", "version": 1})

    assert stale.status_code == 409
    content = stale.content.decode()
    assert "Lena Lead saved a change" in content
    assert "Their outcome</dt><dd>met</dd>" in content
    assert '<option value="missed" selected>' in content
    assert SprintGoal.objects.get().outcome == "met"


def test_a_card_can_link_a_project_and_a_github_issue(board, client_as):
    response = client_as("engineer").post(
        reverse("sprints:card_create", args=["platform"]),
        {"title": "Shard events", "project": board["project"].pk, "issue": "PostHog/posthog#77"},
    )
    assert response.status_code == 302
    card = Card.objects.get(title="Shard events")
    assert (card.project, str(card.issue)) == (board["project"], "posthog/posthog#77")
    bad = client_as("engineer").post(reverse("sprints:card_create", args=["platform"]), {"title": "X", "issue": "nope"})
    assert bad.status_code == 422
    assert "Not an issue" in bad.content.decode()


def test_a_card_shows_its_project_and_issue_alike_on_the_board_its_column_and_after_a_move(board, client_as):
    """The board reads its cards as rows and the other answers as models: all draw the same card."""
    client = client_as("engineer")
    client.post(
        reverse("sprints:card_create", args=["platform"]),
        {"title": "Shard events", "project": board["project"].pk, "issue": "PostHog/posthog#77"},
    )
    card = Card.objects.get(title="Shard events")
    GitHubIssue.objects.filter(pk=card.issue_id).update(html_url="https://github.com/posthog/posthog/pull/77")

    def meta(html: str) -> str:
        """The card's line of owners, project, sprints and issue."""
        pattern = rf'<article class="board-card[^"]*" id="card-{card.pk}".*?(<p class="board-card__meta">.*?</p>)'
        return re.search(pattern, html, re.S).group(1)

    on_board = meta(client.get(reverse("sprints:board", args=["platform"])).content.decode())
    assert f'<span class="pill">{board["project"].title}</span>' in on_board
    assert (
        '<a href="https://github.com/posthog/posthog/pull/77" rel="noopener noreferrer">posthog/posthog#77</a>'
        in on_board
    )
    in_column = client.get(reverse("sprints:board_column", args=["platform", card.column])).content.decode()
    assert meta(in_column) == on_board
    moved = client.post(
        reverse("sprints:card_move", args=[card.pk]),
        {"column": "in_progress", "version": card.version, "board": "platform"},
        headers={"HX-Request": "true"},
    )
    assert meta(moved.content.decode()) == on_board


def test_the_report_counts_planned_done_and_carried_over_and_draws_the_burn_up(board, client_as, org):
    sprint = board["sprint"]
    done = card_create(team=org.team, title="Finished", sprints=[sprint])
    CardMove.objects.create(
        card=done,
        moved_at=timezone.make_aware(datetime.datetime.combine(sprint.start, datetime.time(12))),
        from_column="in_review",
        to_column="done",
    )
    Card.objects.filter(pk=done.pk).update(column="done")
    following = Sprint.objects.get(number=sprint.number + 1)
    board["card"].sprints.add(following)
    content = client_as("viewer").get(reverse("sprints:report", args=[sprint.number])).content.decode()
    assert "<strong>2</strong> planned" in content
    assert "<strong>1</strong> done" in content
    assert "<strong>1</strong> carried over" in content
    assert 'class="chart__line" points="30.0,64.0' in content  # half the planned cards done on day one
    assert "Cut over Postgres" in content.split("Carried over")[1]


def test_upcoming_sprints_appear_as_time_goes_on(board, client_as):
    Sprint.objects.filter(number__gt=board["sprint"].number).delete()
    response = client_as("viewer").get(reverse("sprints:current"))
    assert response["Location"] == reverse("sprints:sprint", args=[board["sprint"].number])
    assert Sprint.objects.filter(number=board["sprint"].number + 2).exists()


def test_a_project_links_the_key_results_it_serves(board, client_as, okr):
    client_as("lead").post(
        reverse("sprints:projects", args=["platform"]), {"title": "Postgres off Heroku", "key_results": [okr.kr.pk]}
    )
    project = Project.objects.get(title="Postgres off Heroku")
    assert list(project.key_results.all()) == [okr.kr]
    page = client_as("viewer").get(reverse("sprints:projects", args=["platform"])).content.decode()
    assert "serves" in page
    assert "Migrate postgres out of heroku" in page


def test_goal_owners_come_from_the_sprints_roster(board, client_as, org):
    from sprints.services import roster_set

    sub_team = board["goal"].team
    roster_set(sprint=board["sprint"], team=sub_team, people=[org.users["engineer"].person])
    url = reverse("sprints:goal_create", args=[board["sprint"].number, sub_team.slug])
    goal_form = client_as("lead").get(url, **HTMX).content.decode()
    assert goal_form.lstrip().startswith("<form")
    assert org.users["engineer"].person.display_name in goal_form
    assert org.users["lead"].person.display_name not in goal_form
    assert "<html" in client_as("lead").get(url).content.decode(), "a page of its own without JavaScript"


def test_the_roster_form_opens_with_who_is_on_the_sub_team(board, client_as, org):
    from sprints.services import roster_set

    sub_team = board["goal"].team
    engineer = org.users["engineer"].person
    roster_set(sprint=board["sprint"], team=sub_team, people=[engineer])
    url = reverse("sprints:roster_update", args=[board["sprint"].number, sub_team.slug])
    form = client_as("lead").get(url, **HTMX).content.decode()
    checked = re.findall(r'value="(\d+)"[^>]*checked', form)
    assert checked == [str(engineer.pk)]
    assert client_as("engineer").get(url).status_code == 403


@pytest.mark.parametrize("extra_teams", [0, 5])
def test_the_sprint_page_runs_a_constant_number_of_queries(board, client_as, django_assert_num_queries, extra_teams):
    from tests.factories import TeamFactory

    for _ in range(extra_teams):
        parent = TeamFactory()
        TeamFactory(parent=parent)
        sprint_goal_create(sprint=board["sprint"], team=parent, title="Goal elsewhere")
    client = client_as("staff")
    # session, user, access, sprint, teams, goals + owners, roster, neighbours, the reader's person
    with django_assert_num_queries(9):
        response = client.get(reverse("sprints:sprint", args=[board["sprint"].number]))
    assert response.content.count(b"Add a goal for") == 3 + 2 * extra_teams  # every team staff plans for


def test_a_bad_or_huge_id_anywhere_is_refused_not_a_crash(board, client_as):
    client = client_as("lead")
    for query in ("?owner=²", "?project=²", "?sprint=²", "?owner=99999999999999999999"):
        assert client.get(reverse("sprints:board", args=["platform"]) + query).status_code == 200
    huge = "99999999999999999999"
    assert (
        client.post(reverse("sprints:projects", args=["platform"]), {"title": "P", "owners": huge}).status_code == 422
    )
    sub_team = board["goal"].team
    response = client.post(
        reverse("sprints:roster_update", args=[board["sprint"].number, sub_team.slug]), {f"r{sub_team.pk}-people": huge}
    )
    assert response.status_code == 302


def test_a_move_on_the_parent_board_answers_with_that_board_and_its_filters(board, client_as, org):
    sub_card = card_create(team=org.sub_team, title="Infra card", sprints=[board["sprint"]])
    card_create(team=org.team, title="Unplanned thing")
    card_create(team=org.team, title="Planned thing", sprints=[board["sprint"]], column=Card.Column.IN_PROGRESS)
    query = f"sprint={board['sprint'].number}"
    response = client_as("lead").post(
        reverse("sprints:card_move", args=[sub_card.pk]),
        {"column": "in_progress", "version": 1, "board": "platform", "query": query},
        **HTMX,
    )
    content = response.content.decode()
    counts = dict(
        re.findall(r'<h2 id="column-(\w+)">[^<]*</h2><span class="board-column__count">([^<]*)</span>', content)
    )
    # The Platform board's columns (the sub-team's has no other card), filtered by the sprint (the
    # backlog holds "Cut over Postgres" and, outside the sprint, "Unplanned thing")
    assert counts == {"backlog": "1", "in_progress": "2 / 4"}
    assert '<input type="hidden" name="board" value="platform">' in content, "the card stays on the Platform board"
    assert f'<input type="hidden" name="query" value="{query}">' in content


def test_a_sprint_report_does_not_change_when_a_card_is_reopened_later(board, client_as, org):
    sprint = board["sprint"]
    card = board["card"]
    at = timezone.make_aware(datetime.datetime.combine(sprint.start, datetime.time(12)))
    CardMove.objects.create(card=card, moved_at=at, from_column="in_review", to_column="done")
    CardMove.objects.create(
        card=card, moved_at=at + datetime.timedelta(days=40), from_column="done", to_column="in_progress"
    )
    Card.objects.filter(pk=card.pk).update(column="in_progress")
    content = client_as("viewer").get(reverse("sprints:report", args=[sprint.number])).content.decode()
    assert "<strong>1</strong> done" in content
    assert f"Sprint {sprint.number}</span>" in content
    assert "1 done</span>" in content


def test_closing_twice_or_out_of_order_is_refused(board, client_as):
    client = client_as("lead")
    later = Sprint.objects.get(number=board["sprint"].number + 1)
    client.post(reverse("sprints:close", args=[later.number]))
    assert not Sprint.objects.get(pk=later.pk).is_closed
    client.post(reverse("sprints:close", args=[board["sprint"].number]))
    client.post(reverse("sprints:close", args=[board["sprint"].number]))
    board["card"].refresh_from_db()
    assert board["card"].carry_overs == 1


def test_new_sprints_start_from_the_previous_roster(board, org):
    from sprints.models import RosterEntry
    from sprints.services import roster_set

    last = Sprint.objects.order_by("-number").first()
    roster_set(sprint=last, team=org.sub_team, people=[org.users["engineer"].person])
    sprints_ensure(today=last.start + datetime.timedelta(days=1))
    following = Sprint.objects.get(number=last.number + 1)
    assert list(RosterEntry.objects.filter(sprint=following).values_list("person", flat=True)) == [
        org.users["engineer"].person.pk
    ]


def test_reading_the_board_of_a_team_without_board_settings_writes_nothing(org, client_as):
    from sprints.models import Board

    assert client_as("lead").get(reverse("sprints:board", args=[org.sub_team.slug])).status_code == 200
    assert not Board.objects.filter(team=org.sub_team).exists()


def test_a_goal_outcome_that_is_not_one_of_the_choices_says_so_and_saves_nothing(board, client_as):
    goal = board["goal"]
    response = client_as("lead").post(
        reverse("sprints:goal_outcome", args=[goal.pk]), {"outcome": "smashed it", "version": goal.version}, follow=True
    )
    assert "nothing was saved" in response.content.decode()
    goal.refresh_from_db()
    assert goal.outcome == ""


def test_a_board_filter_that_is_not_a_slug_is_ignored(board, client_as):
    """PostgreSQL refuses a NUL in text: a sub-team filter is checked to be a slug before it is looked up."""
    client = client_as("viewer")
    for sub_team in ("%00", "infrastructure%00", "in%20fra"):
        response = client.get(reverse("sprints:board", args=["platform"]) + f"?sub_team={sub_team}")
        assert response.status_code == 200
        assert "Cut over Postgres" in response.content.decode()


def test_a_card_with_an_issue_number_past_the_column_says_how_far_they_go(board, client_as):
    url = reverse("sprints:card_create", args=["platform"])
    response = client_as("lead").post(url, {"title": "Card", "issue": "octo/repo#2147483648"})
    assert response.status_code == 422
    assert "No issue has a number that big: they go up to 2147483647." in response.content.decode()
    assert client_as("lead").post(url, {"title": "Card", "issue": "octo/repo#2147483647"}).status_code == 302
    assert Card.objects.get(title="Card").issue.number == 2147483647


def test_milestone_progress_and_goal_outcome_with_a_bad_version_say_to_reload(board, client_as):
    client = client_as("lead")
    progress = reverse("sprints:milestone_progress", args=[board["milestone"].pk])
    outcome = reverse("sprints:goal_outcome", args=[board["goal"].pk])
    for url, data in ((progress, {"current": "25"}), (outcome, {"outcome": "partly", "version": "0"})):
        response = client.post(url, data, follow=True)
        assert "This form is out of date; reload the page and try again." in response.content.decode()
    assert Milestone.objects.get().current == 0
    assert SprintGoal.objects.get().outcome == ""
