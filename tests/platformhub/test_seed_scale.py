"""Scale data (issue 9): the documented sizes, the same rows for the same seed, one run per
database, valid rows that the app keeps working with, and pages that render against them."""

import datetime
import io

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from integrations.models import GitHubIssue, IssueLink
from okrs.models import CheckIn, KeyResult, Objective, Period, RoadmapItem
from okrs.services import check_in_record, objective_create
from platformhub.models import Membership, Person, Team
from platformhub.scale import (
    ALREADY_PRESENT,
    LEAD_USERNAME,
    PASSWORD,
    REFERENCE_TEAM_SLUG,
    SIZES,
    VIEWER_USERNAME,
    seed_scale,
)
from sprints.models import ActionItem, Board, Card, CardMove, Meeting, MeetingSeries, Sprint, SprintGoal, StandupUpdate

pytestmark = pytest.mark.django_db

PINNED_TODAY = datetime.date(2026, 2, 18)  # a Wednesday in the middle of a quarter

# The table in platformhub/scale.py's docstring.
DOCUMENTED = {
    #   teams, people, quarters, objectives, KRs, check-ins, issues, sprints, cards, meetings
    "S": (5, 18, 1, 14, 70, 700, 1_400, 8, 200, 25),
    "M": (60, 181, 4, 400, 1_600, 16_000, 10_000, 50, 20_000, 500),
    "L": (600, 1_801, 8, 8_000, 32_000, 320_000, 100_000, 100, 200_000, 5_000),
}
COUNTED = [Team, Person, Period, Objective, KeyResult, CheckIn, GitHubIssue, Sprint, Card, Meeting]


def shape_of(size: str) -> tuple[int, ...]:
    """What a size's shape multiplies out to, in the order of the documented table."""
    s = SIZES[size]
    objectives = s.top_teams * s.quarters * (s.objectives_per_team + s.sub_teams_per_team * s.objectives_per_sub_team)
    key_results = objectives * s.key_results_per_objective
    return (
        s.top_teams * (1 + s.sub_teams_per_team),
        s.top_teams * (1 + s.sub_teams_per_team * (1 + s.engineers_per_sub_team)) + 1,
        s.quarters,
        objectives,
        key_results,
        key_results * s.check_ins_per_key_result,
        s.linked_issues,
        s.sprints,
        s.cards,
        s.top_teams * (s.standups_per_team + s.retros_per_team),
    )


@pytest.mark.parametrize("size", ["S", "M", "L"])
def test_each_size_adds_up_to_the_documented_table(size):
    assert shape_of(size) == DOCUMENTED[size]


@pytest.mark.parametrize("size", ["S", "M"])
def test_a_size_creates_exactly_the_documented_rows(size):
    counts = seed_scale(size=size, seed=0)

    documented = dict(zip(COUNTED, DOCUMENTED[size], strict=True))
    assert {model: counts[model._meta.label] for model in COUNTED} == documented
    assert {model: model.objects.count() for model in COUNTED} == documented
    assert IssueLink.objects.count() == GitHubIssue.objects.count()
    assert {label: apps.get_model(label).objects.count() for label in counts} == counts
    assert sum(counts.values()) > 2 * DOCUMENTED[size][5]  # check-ins are far from the only rows


def test_scale_data_has_no_history():
    seed_scale(size="S")
    historical = [model for model in apps.get_models() if model.__name__.startswith("Historical")]
    assert historical
    assert [model.__name__ for model in historical if model.objects.exists()] == []


def test_the_reference_page_is_ten_objectives_of_five_key_results_of_twenty_issues():
    seed_scale(size="S")
    period = Period.objects.get()
    assert period.contains(timezone.localdate())
    team = Team.objects.get(slug=REFERENCE_TEAM_SLUG)
    assert team.sub_teams.count() == 4
    objectives = Objective.objects.filter(team=team, period=period)
    assert objectives.count() == 10
    for objective in objectives:
        key_results = objective.key_results.all()
        assert key_results.count() == 5
        assert set(KeyResult.Kind.values) <= {kr.kind for kr in key_results}
        assert all(kr.issue_links.count() == 20 for kr in key_results)
    lead = Membership.objects.get(person__user__username=LEAD_USERNAME)
    assert (lead.team, lead.role) == (team, Membership.Role.LEAD)
    assert Person.objects.get(user__username=VIEWER_USERNAME).is_org_viewer


@pytest.mark.parametrize("username", [LEAD_USERNAME, VIEWER_USERNAME])
def test_the_known_users_log_in_with_the_documented_password(username):
    seed_scale(size="S")
    assert authenticate(RequestFactory().post("/accounts/login/"), username=username, password=PASSWORD)
    others = User.objects.exclude(username__in=[LEAD_USERNAME, VIEWER_USERNAME])
    assert others.exists()
    assert not any(user.has_usable_password() for user in others)


def test_every_key_result_stands_where_its_latest_check_in_left_it():
    """The denormalised fields that check_in_record keeps in sync with the latest check-in."""
    seed_scale(size="M", today=PINNED_TODAY)
    latest = {}
    for check_in in CheckIn.objects.order_by("key_result_id", "created_at", "pk"):
        latest[check_in.key_result_id] = check_in
    key_results = list(KeyResult.objects.select_related("objective__period"))
    assert len(latest) == len(key_results)
    for key_result in key_results:
        check_in = latest[key_result.pk]
        assert key_result.confidence == check_in.confidence
        assert key_result.last_check_in_at == check_in.created_at
        if key_result.kind in (KeyResult.Kind.METRIC, KeyResult.Kind.PERCENT):
            assert key_result.current_value == check_in.value
        if key_result.kind == KeyResult.Kind.MILESTONE:
            assert key_result.is_done == check_in.done
        if key_result.kind == KeyResult.Kind.ISSUES:
            assert (check_in.value, check_in.done) == (None, None)
        assert check_in.created_at.date() < PINNED_TODAY
        assert key_result.objective.period.start <= check_in.created_at.date() <= key_result.objective.period.end
        past = key_result.objective.period.end < PINNED_TODAY
        assert (key_result.final_score is not None) == past


def test_the_rows_pass_the_models_own_validation():
    seed_scale(size="S")
    for model in [Team, Person, Objective, KeyResult, CheckIn, RoadmapItem, Card, SprintGoal, MeetingSeries]:
        for row in model.objects.all():
            row.full_clean()
    for model in [Meeting, ActionItem, StandupUpdate, Board, CardMove, GitHubIssue]:
        for row in model.objects.all()[:200]:
            row.full_clean()


def canonical_dump() -> dict[str, list[tuple]]:
    """A few models row by row, without the times the models stamp themselves when saved
    (and without the salted password hashes)."""
    stamped = {"created_at", "updated_at", "added_at", "joined_at", "password"}
    dump = {}
    for model in [User, Team, Objective, KeyResult, CheckIn, GitHubIssue, IssueLink, Sprint, Card, CardMove, Meeting]:
        names = [
            f.attname
            for f in model._meta.concrete_fields
            if f.attname not in stamped or (model is CheckIn and f.attname == "created_at")
        ]
        dump[model.__name__] = list(model.objects.order_by("pk").values_list(*names))
    return dump


@pytest.mark.django_db(transaction=True)  # PostgreSQL flushes only committed data
def test_the_same_seed_gives_the_same_rows_and_another_seed_others():
    seed_scale(size="S", seed=7, today=PINNED_TODAY)
    first = canonical_dump()
    call_command("flush", interactive=False, verbosity=0)
    seed_scale(size="S", seed=7, today=PINNED_TODAY)
    assert canonical_dump() == first
    call_command("flush", interactive=False, verbosity=0)
    seed_scale(size="S", seed=8, today=PINNED_TODAY)
    other = canonical_dump()
    assert other["KeyResult"] != first["KeyResult"]
    assert len(other["CheckIn"]) == len(first["CheckIn"])


def test_the_command_prints_the_counts_and_refuses_a_second_run():
    out = io.StringIO()
    call_command("seed_scale", "--size", "S", "--seed", "3", stdout=out)
    printed = out.getvalue()
    assert "okrs.KeyResult" in printed
    assert "Seeded size S with seed 3 in" in printed
    assert PASSWORD in printed
    with pytest.raises(CommandError, match=ALREADY_PRESENT):
        call_command("seed_scale", "--size", "S", stdout=io.StringIO())
    assert Team.objects.count() == 5


def test_the_app_keeps_writing_after_it():
    """Keys numbered by the seeding do not collide with the app's own inserts (PostgreSQL's
    sequences are moved past them), and the seeded rows take the services' edits."""
    seed_scale(size="S")
    team = Team.objects.get(slug=REFERENCE_TEAM_SLUG)
    objective = objective_create(team=team, period=Period.objects.get(), title="One more")
    assert objective.pk > Objective.objects.exclude(pk=objective.pk).order_by("-pk").first().pk
    key_result = KeyResult.objects.filter(kind=KeyResult.Kind.PERCENT).first()
    check_in_record(
        key_result=key_result,
        author=Person.objects.get(user__username=LEAD_USERNAME),
        expected_version=key_result.version,
        confidence=KeyResult.Confidence.HIGH,
        value=key_result.current_value,
    )
    Card.objects.create(team=team, title="New card")


def reference_pages() -> list[str]:
    team = Team.objects.get(slug=REFERENCE_TEAM_SLUG)
    period = Period.objects.get(year=timezone.localdate().year, quarter=(timezone.localdate().month - 1) // 3 + 1)
    today = timezone.localdate()
    current = Sprint.objects.get(start__lte=today, end__gte=today)
    standup = MeetingSeries.objects.get(team=team, kind=MeetingSeries.Kind.STANDUP)
    retro = MeetingSeries.objects.get(team=team, kind=MeetingSeries.Kind.RETRO)
    key_result = KeyResult.objects.filter(objective__team=team, kind=KeyResult.Kind.ISSUES).first()
    slug = team.slug
    return [
        reverse("dashboard"),
        reverse("team_dashboard", args=[slug]),
        reverse("team_detail", args=[slug]),
        reverse("okrs:team_okrs", args=[slug, period.slug]),
        reverse("okrs:overview"),
        reverse("okrs:key_result_detail", args=[key_result.pk]),
        reverse("okrs:team_roadmap", args=[slug]),
        reverse("okrs:roadmap"),
        reverse("okrs:roadmap_changes", args=[slug]),
        reverse("sprints:board", args=[slug]),
        reverse("sprints:projects", args=[slug]),
        reverse("sprints:sprint", args=[current.number]),
        reverse("sprints:report", args=[current.number - 1]),
        reverse("sprints:planning", args=[current.number + 1]),
        reverse("sprints:meetings", args=[slug]),
        reverse("sprints:meeting", args=[standup.pk, standup.meetings.latest("date").date.isoformat()]),
        reverse("sprints:meeting", args=[retro.pk, retro.meetings.latest("date").date.isoformat()]),
        reverse("sprints:standup", args=[slug]),
        reverse("person", args=[Person.objects.get(user__username=LEAD_USERNAME).pk]),
    ]


@pytest.mark.parametrize("username", [LEAD_USERNAME, VIEWER_USERNAME])
def test_the_pages_render_on_scale_data(username):
    seed_scale(size="S")
    client = Client()
    client.force_login(User.objects.get(username=username))
    for url in reference_pages():
        response = client.get(url)
        assert response.status_code == 200, url
    okr_page = client.get(reverse("okrs:team_okrs_current", args=[REFERENCE_TEAM_SLUG]), follow=True)
    objectives = Objective.objects.filter(team__slug=REFERENCE_TEAM_SLUG)
    assert all(objective.title in okr_page.text for objective in objectives)
    assert "scale-org/reference#" in client.get(reverse("dashboard")).text
    board = client.get(reverse("sprints:board", args=[REFERENCE_TEAM_SLUG])).text
    assert all(card.title in board for card in Card.objects.exclude(column=Card.Column.DONE)[:20])


def test_it_runs_after_the_demo_and_shares_its_sprints():
    call_command("load_demo", stdout=io.StringIO())
    demo_sprints = set(Sprint.objects.values_list("number", flat=True))
    seed_scale(size="S")
    assert set(Sprint.objects.values_list("number", flat=True)) == demo_sprints
    assert Team.objects.count() == 3 + 5
    client = Client()
    client.force_login(User.objects.get(username=LEAD_USERNAME))
    for url in reference_pages():
        assert client.get(url).status_code == 200, url
    client.force_login(User.objects.get(username="ellie"))
    assert client.get(reverse("sprints:board", args=["platform"])).status_code == 200
    assert "Reference" not in client.get(reverse("okrs:team_roadmap", args=["platform"])).text


def test_the_demo_loads_after_it_without_its_sprints_and_rituals():
    """load_demo adds sprints and meetings only to a database that has none, so after scale
    data it brings its team, OKRs, issues and roadmap but not its board and meetings."""
    seed_scale(size="S")
    call_command("load_demo", stdout=io.StringIO())
    platform = Team.objects.get(slug="platform")
    assert Objective.objects.filter(team=platform).exists()
    assert RoadmapItem.objects.filter(team=platform).exists()
    assert not Card.objects.filter(team=platform).exists()
    assert not MeetingSeries.objects.filter(team=platform).exists()
