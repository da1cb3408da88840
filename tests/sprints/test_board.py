"""The board at scale: bounded columns (Done shows what was done in the sprint, every column's
other cards are a page away), counts that stay right, small answers to a move and a take, and the
same number of queries whatever the number of cards."""

import datetime
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from platformhub.scale import LEAD_USERNAME, REFERENCE_TEAM_SLUG, seed_scale
from sprints.models import Card, Sprint
from sprints.selectors import COLUMN_PAGE_SIZE, DONE_SHOWN, OPEN_SHOWN, BoardFilters, board_cards
from sprints.services import card_create, card_move, roster_set
from tests.factories import PersonFactory
from tests.pager import pager_link
from tests.rows import same_as_built_afresh

HTMX = {"HTTP_HX_REQUEST": "true"}
KIB = 1024


def done_cards(team, count: int, *, sprints=(), title: str = "Done", minutes_ago: int = 0) -> None:
    """`count` done cards finished a minute apart, "<title> 000" the newest."""
    now = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    made = Card.objects.bulk_create(
        Card(team=team, title=f"{title} {n:03d}", column=Card.Column.DONE, order=n) for n in range(count)
    )
    for n, card in enumerate(made):
        Card.objects.filter(pk=card.pk).update(updated_at=now - datetime.timedelta(minutes=n))
        card.sprints.set(sprints)


def column_html(content: str, key: str) -> str:
    return content.split(f'id="status-{key}"', 1)[1].split("</section>", 1)[0]


def titles(html: str) -> list[str]:
    return re.findall(r'<h3 id="c\d+">([^<]+)</h3>', html)


def count_of(html: str, key: str) -> str:
    return re.search(rf'<h2 id="column-{key}">[^<]*</h2><span class="board-column__count">([^<]*)</span>', html)[1]


def more_link(html: str) -> str:
    return re.search(r'<a class="board-column__more" href="([^"]+)">', html)[1].replace("&amp;", "&")


def test_the_done_column_shows_the_newest_cards_done_in_the_running_sprint(board, org, client_as):
    sprint = board["sprint"]
    done_cards(org.team, DONE_SHOWN + 5, sprints=[sprint])
    previous = Sprint.objects.get(number=sprint.number - 1)
    done_cards(org.team, 3, title="Earlier", sprints=[previous], minutes_ago=-30)  # changed since, but planned before
    done_cards(org.team, 2, title="Unplanned", minutes_ago=-60)  # done last, in no sprint
    content = client_as("viewer").get(reverse("sprints:board", args=["platform"])).content.decode()
    done = column_html(content, "done")
    assert titles(done) == [f"Done {n:03d}" for n in range(DONE_SHOWN)]
    assert count_of(content, "done") == str(DONE_SHOWN + 10), "the count is every done card on the board"
    assert f'href="{reverse("sprints:board_column", args=["platform", "done"])}">Show older done cards' in done


def test_without_a_running_sprint_the_done_column_shows_the_newest_done_cards(org, client_as):
    done_cards(org.team, DONE_SHOWN + 5)
    content = client_as("viewer").get(reverse("sprints:board", args=["platform"])).content.decode()
    assert titles(column_html(content, "done")) == [f"Done {n:03d}" for n in range(DONE_SHOWN)]


def test_older_done_cards_are_reachable_page_by_page(org, client_as):
    done_cards(org.team, 130)
    client = client_as("viewer")
    board = client.get(reverse("sprints:board", args=["platform"])).content.decode()
    column_url = reverse("sprints:board_column", args=["platform", "done"])
    assert more_link(column_html(board, "done")) == column_url

    pages = [client.get(column_url).content.decode()]
    while next_page := pager_link(pages[-1], "next"):
        pages.append(client.get(column_url + next_page).content.decode())

    assert [titles(page) for page in pages] == [
        [f"Done {n:03d}" for n in range(start, min(start + COLUMN_PAGE_SIZE, 130))] for start in (0, 50, 100)
    ], "every done card once, newest first, a page at a time"
    back = client.get(column_url + pager_link(pages[-1], "prev")).content.decode()
    assert titles(back) == titles(pages[1])
    assert "130 cards" in pages[0]


def test_the_done_column_and_its_pages_keep_the_board_filters(board, org, client_as):
    sprint = board["sprint"]
    done_cards(org.team, 30, sprints=[sprint])
    done_cards(org.team, 3, title="Elsewhere")  # in no sprint
    client = client_as("viewer")
    content = client.get(reverse("sprints:board", args=["platform"]) + f"?sprint={sprint.number}").content.decode()
    assert count_of(content, "done") == "30"
    older = more_link(column_html(content, "done"))
    assert older.endswith(f"?sprint={sprint.number}")
    page = client.get(older).content.decode()
    assert titles(page) == [f"Done {n:03d}" for n in range(30)]
    assert "filtered as on the board" in page


def test_a_long_backlog_shows_its_first_cards_and_lists_them_all_a_page_away(board, org, client_as):
    Card.objects.bulk_create(
        Card(team=org.team, title=f"Idea {n:03d}", column=Card.Column.BACKLOG, order=n + 2) for n in range(60)
    )
    client = client_as("viewer")
    content = client.get(reverse("sprints:board", args=["platform"])).content.decode()
    backlog = column_html(content, "backlog")
    assert len(titles(backlog)) == OPEN_SHOWN
    assert count_of(content, "backlog") == "61"
    assert "All 61 cards in Backlog" in backlog
    first = client.get(more_link(backlog)).content.decode()
    second = client.get(reverse("sprints:board_column", args=["platform", "backlog"]) + pager_link(first, "next"))
    listed = titles(first) + titles(second.content.decode())
    assert listed == ["Cut over Postgres"] + [f"Idea {n:03d}" for n in range(60)], "in the board's order"


ROLES = ["lead", "engineer", "viewer", "outsider", "staff", "anonymous"]


@pytest.mark.parametrize("role", ROLES)
def test_a_column_page_is_for_whoever_reads_the_board(board, client_as, role):
    response = client_as(role).get(reverse("sprints:board_column", args=["platform", "backlog"]))
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif role == "outsider":
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        assert ("Move to" in response.content.decode()) == (role != "viewer"), "viewers read, members move"


def test_a_column_that_is_not_one_is_a_404(board, client_as):
    assert client_as("lead").get(reverse("sprints:board_column", args=["platform", "archive"])).status_code == 404


@pytest.mark.parametrize("cards", [10, 200])
def test_a_column_page_runs_a_constant_number_of_queries(org, client_as, django_assert_num_queries, cards):
    done_cards(org.team, cards)
    client = client_as("engineer")
    with django_assert_num_queries(8):
        response = client.get(reverse("sprints:board_column", args=["platform", "done"]))
    assert len(titles(response.content.decode())) == min(cards, COLUMN_PAGE_SIZE)


@pytest.mark.parametrize("cards", [10, 300])
def test_a_move_runs_a_constant_number_of_queries(board, org, client_as, django_assert_num_queries, cards):
    done_cards(org.team, cards)
    card = board["card"]
    card.owners.add(org.users["engineer"].person)
    client = client_as("engineer")
    with django_assert_num_queries(19):
        response = client.post(
            reverse("sprints:card_move", args=[card.pk]), {"column": "done", "version": 1, "board": "platform"}, **HTMX
        )
    assert response.status_code == 200
    assert count_of(response.content.decode(), "done") == str(cards + 1)


def test_a_card_moved_to_done_goes_on_top_of_the_column(board, client_as):
    response = client_as("engineer").post(
        reverse("sprints:card_move", args=[board["card"].pk]), {"column": "done", "version": 1}, **HTMX
    )
    content = response.content.decode()
    assert '<div hx-swap-oob="afterbegin:#cards-done"><article class="board-card" id="card-' in content
    assert "Take" not in content, "nobody takes a card that is done"


def test_moving_a_card_where_it_is_answers_with_the_card_alone(board, client_as):
    response = client_as("engineer").post(
        reverse("sprints:card_move", args=[board["card"].pk]), {"column": "backlog", "version": 1}, **HTMX
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert content.startswith(f'<article class="board-card" id="card-{board["card"].pk}"')
    assert "hx-swap-oob" not in content


def test_taking_a_card_answers_with_the_card_alone(board, client_as, org):
    response = client_as("engineer").post(reverse("sprints:card_take", args=[board["card"].pk]), **HTMX)
    content = response.content.decode()
    assert content.startswith(f'<article class="board-card" id="card-{board["card"].pk}"')
    assert 'title="Eric Engineer"' in content
    assert ">Take</button>" not in content, "it is theirs now"


def test_a_card_added_in_place_answers_with_the_columns(board, client_as):
    response = client_as("engineer").post(reverse("sprints:card_create", args=["platform"]), {"title": "Shard"}, **HTMX)
    content = response.content.decode()
    assert response["HX-Retarget"] == "#board-columns"
    assert '<div id="board-columns"' in content
    assert "<html" not in content
    assert titles(column_html(content, "backlog")) == ["Cut over Postgres", "Shard"]


def test_the_board_marks_the_readers_own_cards_and_the_wip_limits(board, org, client_as):
    engineer = org.users["engineer"].person
    for n in range(5):
        card_create(team=org.team, title=f"Busy {n}", column=Card.Column.IN_PROGRESS, owners=[engineer])
    card_create(team=org.team, title="Someone else's", column=Card.Column.IN_PROGRESS, owners=[PersonFactory()])
    content = client_as("engineer").get(reverse("sprints:board", args=["platform"])).content.decode()
    in_progress = column_html(content, "in_progress")
    assert count_of(content, "in_progress") == "6 / 4"
    assert "Over the WIP limit of 4" in in_progress
    assert in_progress.count(">Take</button>") == 1, "only the card that is not theirs"
    assert "Eric Engineer has 5 cards in progress" in content


@pytest.fixture
def scale_lead(db) -> Client:
    seed_scale(size="S")
    client = Client()
    client.force_login(User.objects.get(username=LEAD_USERNAME))
    return client


def test_the_board_and_a_move_stay_small_on_scale_data(scale_lead):
    board_url = reverse("sprints:board", args=[REFERENCE_TEAM_SLUG])
    page = scale_lead.get(board_url)
    content = page.content.decode()
    assert len(page.content) <= 100 * KIB, f"the board is {len(page.content)} bytes"
    assert 0 < len(titles(column_html(content, "done"))) <= DONE_SHOWN, "the running sprint's done cards"
    assert int(count_of(content, "done")) > DONE_SHOWN

    card = Card.objects.filter(team__slug=REFERENCE_TEAM_SLUG, column=Card.Column.DONE).order_by("pk").first()
    version = card.version
    move = scale_lead.post(
        reverse("sprints:card_move", args=[card.pk]),
        {"column": "in_progress", "version": version, "board": REFERENCE_TEAM_SLUG},
        **HTMX,
    )
    assert move.status_code == 200
    assert len(move.content) <= 10 * KIB, f"the move's answer is {len(move.content)} bytes"
    assert f'id="card-{card.pk}"' in move.content.decode()
    assert set(re.findall(r'id="column-(\w+)"', move.content.decode())) == {"done", "in_progress"}

    card.refresh_from_db()
    card_move(card=card, to_column=Card.Column.IN_REVIEW, expected_version=version + 1, moved_by=None)
    stale = scale_lead.post(
        reverse("sprints:card_move", args=[card.pk]),
        {"column": "done", "version": version + 1, "board": REFERENCE_TEAM_SLUG},
        **HTMX,
    )
    assert stale.status_code == 409
    assert len(stale.content) <= 10 * KIB
    assert "Someone else saved a change" in stale.content.decode()

    without_js = scale_lead.post(
        reverse("sprints:card_move", args=[card.pk]), {"column": "done", "version": version + 2}
    )
    assert without_js.status_code == 302
    assert without_js["Location"] == board_url


def test_the_board_with_remembered_cards_is_the_board_built_afresh_after_each_change(board, org, client_as):
    lead = client_as("lead")
    url = reverse("sprints:board", args=[org.team.slug])
    card = board["card"]
    same_as_built_afresh(lead, url)
    lead.post(
        reverse("sprints:card_move", args=[card.pk]), {"column": "in_progress", "version": card.version}, follow=True
    )  # the redirect shows (and uses up) the flash message
    card.refresh_from_db()
    assert card.column == Card.Column.IN_PROGRESS
    shown = same_as_built_afresh(lead, url)
    assert re.search(rf'<option value="in_progress" selected>In progress.*id="m{card.pk}"', shown, re.S)
    assert "Take" not in same_as_built_afresh(client_as("viewer"), url)
    number = board["sprint"].number
    filtered = same_as_built_afresh(lead, f"{url}?sprint={number}")
    assert f'<input type="hidden" name="query" value="sprint={number}">' in filtered


def test_a_card_cannot_print_the_csrf_placeholder(board, org, client_as):
    card_create(team=org.team, title="<csrf-token>", sprints=[board["sprint"]])
    content = client_as("lead").get(reverse("sprints:board", args=[org.team.slug])).content.decode()
    assert "&lt;csrf-token&gt;" in content
    assert "<csrf-token>" not in content


def test_a_sub_team_filter_shows_its_cards_and_those_of_its_roster_in_the_sprint_shown(board, org, client_as):
    """A sub-team's cards are its own and those owned by the people on its roster: for the running
    sprint, or for the sprint filtered on (the board's queries are compiled once, per filter used)."""
    running = board["sprint"]
    following = Sprint.objects.get(number=running.number + 1)
    rostered, later = PersonFactory(display_name="Rita Roster"), PersonFactory(display_name="Lou Later")
    roster_set(sprint=running, team=org.sub_team, people=[rostered])
    roster_set(sprint=following, team=org.sub_team, people=[later])
    card_create(team=org.sub_team, title="Own card of the sub-team")
    card_create(team=org.team, title="Owned by the rostered", owners=[rostered], project=board["project"])
    card_create(team=org.team, title="Owned by next sprint's roster", owners=[later], sprints=[following])
    client = client_as("viewer")
    url = reverse("sprints:board", args=["platform"]) + f"?sub_team={org.sub_team.slug}"

    running_board = same_as_built_afresh(client, url)
    with_project = client.get(url + f"&project={board['project'].pk}").content.decode()
    in_next_sprint = client.get(url + f"&sprint={following.number}").content.decode()
    next_sprint = [
        card.title
        for card in board_cards(
            team=org.team, filters=BoardFilters(sprint=following, sub_team=org.sub_team), today=timezone.localdate()
        )
    ]

    assert "Own card of the sub-team" in running_board
    assert "Owned by the rostered" in running_board
    assert "Owned by next sprint's roster" not in running_board
    assert "Cut over Postgres" not in running_board
    assert "Owned by the rostered" in with_project
    assert "Own card of the sub-team" not in with_project
    assert next_sprint == ["Owned by next sprint's roster"]
    assert "Owned by next sprint&#x27;s roster" in in_next_sprint
    assert "Owned by the rostered" not in in_next_sprint
