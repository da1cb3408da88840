"""The OKR overview of every team (/okrs/): a page of top-level teams at a time, each followed by
its sub-teams, with the quarter's objectives and their roll-up."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from okrs.models import KeyResult
from okrs.selectors import OVERVIEW_TEAMS_PER_PAGE
from okrs.services import check_in_record, key_result_create, objective_create
from platformhub.models import Team
from tests.factories import TeamFactory
from tests.pager import pager_link
from tests.rows import same_as_built_afresh

OVERVIEW = reverse("okrs:overview")


def _trees(count: int, period, *, name: str = "Squad") -> list[Team]:
    """`count` top-level teams, each with two sub-teams, all three with an objective and a key result."""
    tops = []
    for number in range(count):
        top = TeamFactory(name=f"{name} {number:02}")
        for team in (top, *(TeamFactory(name=f"{top.name} {part}", parent=top) for part in ("api", "web"))):
            objective = objective_create(team=team, period=period, title=f"{team.name} objective")
            kind = KeyResult.Kind.ISSUES if team is top else KeyResult.Kind.PERCENT  # issues: counts are read
            key_result_create(objective=objective, title=f"{team.name} KR", kind=kind)
        tops.append(top)
    return tops


def _team_ids(content: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<h2 id="team-(\d+)-heading"', content)]


def _address(content: str, rel: str) -> str | None:
    query = pager_link(content, rel)
    return OVERVIEW + query if query else None


def _walk(client, url: str, rel: str) -> tuple[list[list[int]], str]:
    """The teams of each page from `url` on, following the `rel` links, and the last page's address."""
    pages = []
    while True:
        content = client.get(url).content.decode()
        pages.append(_team_ids(content))
        following = _address(content, rel)
        if following is None:
            return pages, url
        url = following


def _in_tree_order() -> list[int]:
    """Every team: top-level teams by name, each followed by its sub-teams by name."""
    order = []
    for top in Team.objects.filter(parent=None).order_by("name", "pk"):
        order += [top.pk, *top.sub_teams.order_by("name", "pk").values_list("pk", flat=True)]
    return order


def test_paging_forward_and_back_shows_every_team_once_with_its_sub_teams(okr, client_as):
    _trees(OVERVIEW_TEAMS_PER_PAGE + 3, okr.period)
    client = client_as("viewer")
    forward, last_page = _walk(client, OVERVIEW + "?period=2022-q4", "next")
    assert [pk for page in forward for pk in page] == _in_tree_order()
    assert len(forward) == 2
    backward, _ = _walk(client, last_page, "prev")
    assert backward == forward[::-1]


def test_a_page_has_at_most_100_rows_and_keeps_the_quarter(okr, client_as):
    _trees(OVERVIEW_TEAMS_PER_PAGE + 1, okr.period)
    client = client_as("viewer")
    url = OVERVIEW + "?period=2022-q4"
    while url:
        content = client.get(url).content.decode()
        assert 0 < len(_team_ids(content)) <= 100
        assert content.count("<li>") <= 100  # objectives
        assert '<option value="2022-q4" selected>' in content
        url = _address(content, "next")
        assert url is None or "period=2022-q4" in url


def test_switching_quarter_stays_on_the_same_teams(okr, client_as):
    _trees(OVERVIEW_TEAMS_PER_PAGE + 1, okr.period)
    client = client_as("viewer")
    second = _address(client.get(OVERVIEW + "?period=2022-q4").content.decode(), "next")
    cursor = re.search(r"after=([^&]+)", second).group(1)
    content = client.get(second).content.decode()
    assert f'<input type="hidden" name="after" value="{cursor}">' in content
    assert _team_ids(client.get(OVERVIEW + f"?period=2022-q3&after={cursor}").content.decode()) == _team_ids(content)


@pytest.mark.parametrize("trees", [2, 12])
def test_the_overview_runs_a_constant_number_of_queries(okr, client_as, django_assert_num_queries, trees):
    _trees(trees, okr.period)
    client = client_as("viewer")
    # session, user, access, quarter, top-level teams with their sub-teams, objectives, KRs, their
    # linked issues' counts, quarters
    with django_assert_num_queries(9):
        response = client.get(OVERVIEW + "?period=2022-q4")
    assert len(_team_ids(response.content.decode())) > trees


@pytest.mark.parametrize(
    "cursor", ["after=nonsense", "before=%00", "after=WzFd", "before=WyJhIiwgInh4Il0", "after=" + "A" * 2000]
)
def test_a_bad_cursor_shows_the_first_page(okr, client_as, cursor):
    _trees(OVERVIEW_TEAMS_PER_PAGE, okr.period)
    client = client_as("viewer")
    first = _team_ids(client.get(OVERVIEW + "?period=2022-q4").content.decode())
    response = client.get(OVERVIEW + "?period=2022-q4&" + cursor)
    assert response.status_code == 200
    assert _team_ids(response.content.decode()) == first


@pytest.mark.parametrize(
    ("role", "teams"),
    [
        ("lead", ["Platform", "Infrastructure"]),
        ("engineer", ["Platform", "Infrastructure"]),
        ("viewer", ["Payments", "Platform", "Infrastructure"]),
        ("staff", ["Payments", "Platform", "Infrastructure"]),
        ("outsider", ["Payments"]),
    ],
)
def test_who_sees_which_teams(okr, org, client_as, role, teams):
    objective_create(team=org.other_team, period=okr.period, title="Payments objective")
    content = client_as(role).get(OVERVIEW + "?period=2022-q4").content.decode()
    assert [Team.objects.get(pk=pk).name for pk in _team_ids(content)] == teams
    assert ("High uptime" in content) == ("Platform" in teams)
    assert ("Payments objective" in content) == ("Payments" in teams)
    in_platform = 'Infrastructure</a> <span class="muted page-head__sub">in Platform</span>'
    assert (in_platform in content) == ("Infrastructure" in teams), "a sub-team says whose it is"


def test_a_team_shows_its_roll_up_and_each_objective_with_its_key_results(okr, org, client_as):
    check_in_record(
        key_result=okr.kr, author=None, expected_version=okr.kr.version, confidence="high", value=Decimal(3)
    )
    content = client_as("viewer").get(OVERVIEW + "?period=2022-q4").content.decode()
    platform = content.split(f'id="team-{org.team.pk}-heading"', 1)[1].split("</section>", 1)[0]
    assert 'aria-label="Platform overall: 100%"' in platform
    assert f'href="{okr.objective.get_absolute_url()}">High uptime</a>' in platform
    assert "1 key result<" in platform
    assert "No objectives for Q4 2022." in content.split(f'id="team-{org.sub_team.pk}-heading"', 1)[1]


def test_the_overview_with_remembered_teams_is_the_page_built_afresh_after_each_change(okr, org, client_as):
    url = OVERVIEW + "?period=2022-q4"
    lead = client_as("lead")
    same_as_built_afresh(lead, url)
    check_in_record(key_result=okr.kr, author=None, expected_version=okr.kr.version, confidence="low", value=2)
    assert 'aria-label="Platform overall: 67%"' in same_as_built_afresh(lead, url)
    key_result_create(objective=okr.objective, title="Load testing", kind=KeyResult.Kind.PERCENT)
    assert "2 key results<" in same_as_built_afresh(lead, url)
    org.team.name = "Platform & Infra"
    org.team.save(update_fields=["name"])
    assert "in Platform &amp; Infra<" in same_as_built_afresh(client_as("viewer"), url)
