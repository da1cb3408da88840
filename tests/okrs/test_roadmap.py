import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from integrations.models import GitHubIssue, IssueLink
from okrs.models import Horizon, KeyResult, Objective, RoadmapItem, RoadmapShareLink, with_issue_counts
from okrs.progress import key_result_progress, roadmap_item_rollup
from okrs.selectors import (
    HEALTH_COUNT_CAP,
    ROADMAP_TEAMS_PER_PAGE,
    _health_counts,
    org_roadmap_page,
    readable_root_ids,
    roadmap_diff,
    roadmap_item_summaries,
    share_link_for_token,
)
from okrs.services import (
    check_in_record,
    horizon_create,
    key_result_create,
    objective_create,
    roadmap_item_create,
    roadmap_item_link_key_result,
    roadmap_item_link_objective,
    roadmap_item_move,
    roadmap_share_link_create,
    roadmap_share_link_revoke,
    roadmap_snapshot_take,
)
from platformhub import fragments
from platformhub.models import Team
from tests.factories import TeamFactory, UserFactory
from tests.pager import pager_link
from tests.rows import calls_of, normalised, same_as_built_afresh

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def roadmap(org, okr):
    """Org-wide 6 month and 3-year horizons; "No Heroku" on 6 month delivered by the okr fixture's KR."""
    six_month = horizon_create(team=None, name="6 month", target_date=datetime.date(2023, 6, 30))
    three_year = horizon_create(team=None, name="3-year")
    item = roadmap_item_create(team=org.team, horizon=six_month, title="No Heroku", status="in_progress")
    roadmap_item_link_key_result(item=item, key_result=okr.kr)
    unlinked = key_result_create(objective=okr.objective, title="Load testing", kind=KeyResult.Kind.PERCENT)
    return {"six_month": six_month, "three_year": three_year, "item": item, "kr": okr.kr, "unlinked": unlinked}


def test_the_roadmap_with_remembered_items_is_the_page_built_afresh_after_each_change(
    roadmap, org, okr, client_as, client
):
    lead = client_as("lead")
    url = reverse("okrs:team_roadmap", args=[org.team.slug])
    same_as_built_afresh(lead, url)
    check_in_record(key_result=okr.kr, author=None, expected_version=okr.kr.version, confidence="low", value=2)
    assert 'aria-valuenow="67"' in same_as_built_afresh(lead, url)
    roadmap_item_link_objective(item=roadmap["item"], objective=okr.objective)
    assert f"Objective · {okr.period.name}" in same_as_built_afresh(lead, url)
    item = RoadmapItem.objects.get(pk=roadmap["item"].pk)
    roadmap_item_move(item=item, horizon=roadmap["three_year"], expected_version=item.version)
    moved = same_as_built_afresh(lead, url)
    assert moved.index("3-year") < moved.index("No Heroku")
    assert "No Heroku" in same_as_built_afresh(lead, reverse("okrs:roadmap"))
    assert "Unlink" not in same_as_built_afresh(client_as("viewer"), url)
    _, token = roadmap_share_link_create(team=org.team, label="Board", created_by=None)
    assert "/key-results/" not in same_as_built_afresh(client, reverse("okrs:shared_roadmap", args=[token]))


def test_the_lanes_remembered_are_the_lanes_drawn_afresh_when_they_fill_empty_and_are_renamed(roadmap, org, client_as):
    """Whole lanes are remembered rows too: a lane that empties or fills, a horizon renamed or
    given a date, and the reader (who may add items) each draw a lane again."""
    lead, viewer = client_as("lead"), client_as("viewer")
    url = reverse("okrs:team_roadmap", args=[org.team.slug])
    assert "Nothing here." in same_as_built_afresh(lead, url)  # the 3-year lane
    roadmap_item_create(team=org.team, horizon=roadmap["three_year"], title="Own the <ingestion> path")
    page = same_as_built_afresh(lead, url)
    assert "Nothing here." not in page
    assert "Own the &lt;ingestion&gt; path" in page
    renamed = {"name": "Three years", "target_date": datetime.date(2029, 1, 1)}
    Horizon.objects.filter(pk=roadmap["three_year"].pk).update(**renamed)
    page = same_as_built_afresh(lead, url)
    assert ">Three years<" in page
    assert "by Jan 2029" in page
    assert "Add item" in page
    assert "Add item" not in same_as_built_afresh(viewer, url)
    everyone = same_as_built_afresh(viewer, reverse("okrs:roadmap"))
    assert f'aria-labelledby="tree-{org.team.pk} lane-' in everyone


def test_the_roadmap_of_every_team_is_drawn_again_only_when_something_on_it_changed(
    roadmap, org, okr, client_as, monkeypatch
):
    fragments.forget_rendered_rows()
    drawn = []
    monkeypatch.setattr(fragments, "check_plain", lambda row, path="row": drawn.append(type(row).__name__))
    url = reverse("okrs:roadmap")
    viewer = client_as("viewer")
    first = normalised(viewer.get(url).content)
    lanes = drawn.count("LaneRow")
    assert drawn.count("OrgRoadmapBody") == drawn.count("RoadmapHead") == 1
    assert lanes >= 2, "the Now lane and the horizons'"
    assert normalised(viewer.get(url).content) == first
    assert (drawn.count("OrgRoadmapBody"), drawn.count("LaneRow")) == (1, lanes), "drawn from memory"

    check_in_record(key_result=okr.kr, author=None, expected_version=okr.kr.version, confidence="low", value=2)

    assert 'aria-valuenow="67"' in viewer.get(url).content.decode()
    assert drawn.count("OrgRoadmapBody") == 2
    assert drawn.count("LaneRow") == lanes + 2, "only the Now lane (the KR's objective) and the item's lane"
    assert drawn.count("RoadmapHead") == 1, "the head and filters did not change"
    assert 'value="health"' not in viewer.get(url + "?health=at_risk").content.decode()
    assert drawn.count("RoadmapHead") == 2, "a filter is part of the head"


def test_a_roadmap_of_every_team_whose_reads_are_unchanged_is_drawn_without_making_its_lanes(
    roadmap, okr, client_as, monkeypatch
):
    from okrs import selectors

    made = calls_of(monkeypatch, selectors, "_lanes_from")
    fragments.forget_rendered_rows()
    url = reverse("okrs:roadmap")
    viewer = client_as("viewer")
    pages = [normalised(viewer.get(url).content) for _ in range(3)]

    assert len(made) == 1, "the second and third requests read the same rows and drew them from memory"
    assert pages[0] == pages[1] == pages[2]
    check_in_record(key_result=okr.kr, author=None, expected_version=okr.kr.version, confidence="low", value=2)
    assert 'aria-valuenow="67"' in viewer.get(url).content.decode()
    assert len(made) == 2


def test_the_roadmap_of_every_team_drawn_from_memory_follows_each_thing_it_shows(
    roadmap, org, okr, client_as, monkeypatch
):
    """What the page is remembered under is what it shows: items, horizons, objectives, key
    results and their linked issues, and the time they are judged at."""
    url = reverse("okrs:roadmap")
    lead = client_as("lead")
    same_as_built_afresh(lead, url)
    RoadmapItem.objects.filter(pk=roadmap["item"].pk).update(title="No Heroku, ever")
    assert "No Heroku, ever" in same_as_built_afresh(lead, url)
    RoadmapItem.objects.filter(pk=roadmap["item"].pk).update(health="at_risk")
    assert 'status status--at_risk">At risk</span>' in same_as_built_afresh(lead, url)
    Horizon.objects.filter(pk=roadmap["six_month"].pk).update(name="Half a year")
    assert "Half a year" in same_as_built_afresh(lead, url)
    roadmap_item_link_objective(item=roadmap["item"], objective=okr.objective)
    Objective.objects.filter(pk=okr.objective.pk).update(title="Boring uptime")
    assert "Boring uptime" in same_as_built_afresh(lead, url)
    KeyResult.objects.filter(pk=okr.kr.pk).update(kind=KeyResult.Kind.ISSUES)
    issue = GitHubIssue.objects.create(repo="posthog/posthog", number=7, title="Move the database", state="open")
    IssueLink.objects.create(issue=issue, key_result=okr.kr)
    assert 'aria-valuenow="0"' in same_as_built_afresh(lead, url)
    GitHubIssue.objects.filter(pk=issue.pk).update(state="closed", closed_at=timezone.now())
    assert 'aria-valuenow="100"' in same_as_built_afresh(lead, url)

    KeyResult.objects.filter(pk=okr.kr.pk).update(kind=KeyResult.Kind.PERCENT, current_value=10, start_value=0)
    quarter_start = datetime.datetime(2022, 10, 3, 9, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: quarter_start)
    assert "bar bar--on_track" in same_as_built_afresh(lead, url), "10% a few days into the quarter"
    monkeypatch.setattr(timezone, "now", lambda: quarter_start + datetime.timedelta(days=80))
    page = same_as_built_afresh(lead, url)
    assert "bar bar--on_track" not in page, "10% with most of the quarter gone"
    assert "bar bar--off_track" in page


# Roll-up


def test_item_progress_is_the_mean_of_its_key_results_and_says_how(okr):
    other = key_result_create(objective=okr.objective, title="SOC2", kind=KeyResult.Kind.PERCENT)
    check_in_record(
        key_result=okr.kr, author=None, expected_version=okr.kr.version, confidence="high", value=Decimal(3)
    )
    check_in_record(key_result=other, author=None, expected_version=other.version, confidence="high", value=Decimal(50))
    okr.kr.refresh_from_db()
    other.refresh_from_db()
    rollup = roadmap_item_rollup([okr.kr, other])
    assert rollup.percent == 75
    assert rollup.explanation == "Mean of 2 key results: Migrate postgres out of heroku 100%, SOC2 50%."


def test_item_without_key_results_says_so():
    rollup = roadmap_item_rollup([])
    assert rollup.percent is None
    assert rollup.explanation == "No key result linked yet, so no progress to show."


def test_only_key_results_of_the_same_team_tree_can_be_linked(roadmap, org, okr):
    foreign_objective = objective_create(team=org.other_team, period=okr.period, title="Payments")
    foreign = key_result_create(objective=foreign_objective, title="Foreign KR", kind="percent")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="this team, its parent or its sub-teams"):
        roadmap_item_link_key_result(item=roadmap["item"], key_result=foreign)


def test_an_item_cannot_sit_on_another_teams_horizon(org):
    payments_horizon = horizon_create(team=org.other_team, name="FY27")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        roadmap_item_create(team=org.team, horizon=payments_horizon, title="Wrong lane")


def test_moving_to_another_horizon_puts_the_item_at_its_end(roadmap, org):
    existing = roadmap_item_create(team=org.team, horizon=roadmap["three_year"], title="Cloud is global")
    roadmap_item_move(item=roadmap["item"], horizon=roadmap["three_year"], expected_version=roadmap["item"].version)
    roadmap["item"].refresh_from_db()
    assert roadmap["item"].horizon == roadmap["three_year"]
    assert roadmap["item"].order > existing.order


# What changed


def _entry(item_id, **overrides):
    entry = {
        "id": item_id,
        "title": f"Item {item_id}",
        "horizon_id": 1,
        "horizon": "6 month",
        "status": "planned",
        "commitment": "candidate",
        "health": "on_track",
        "progress": None,
    }
    return {**entry, **overrides}


def test_diff_finds_added_and_removed_items():
    changes = roadmap_diff(before=[_entry(1), _entry(2)], after=[_entry(2), _entry(3)])
    assert [(c.kind, c.title) for c in changes] == [("added", "Item 3"), ("removed", "Item 1")]


def test_diff_finds_items_moved_between_horizons():
    changes = roadmap_diff(before=[_entry(1)], after=[_entry(1, horizon_id=2, horizon="3-year")])
    assert [(c.kind, c.before, c.after) for c in changes] == [("moved", "6 month", "3-year")]


@pytest.mark.parametrize(
    ("field", "before", "after", "labels"),
    [
        ("status", "planned", "in_progress", ("Planned", "In progress")),
        ("commitment", "candidate", "committed", ("Candidate", "Committed")),
        ("health", "on_track", "off_track", ("On track", "Off track")),
        ("progress", None, 40, ("no linked KR", "40%")),
    ],
)
def test_diff_finds_status_commitment_health_and_progress_changes(field, before, after, labels):
    changes = roadmap_diff(before=[_entry(1, **{field: before})], after=[_entry(1, **{field: after})])
    assert [(c.kind, c.before, c.after) for c in changes] == [(field, *labels)]


def test_an_unchanged_roadmap_has_no_changes(roadmap, org):
    now = timezone.now()
    summaries = roadmap_item_summaries(team=org.team, now=now)
    assert roadmap_diff(before=summaries, after=roadmap_item_summaries(team=org.team, now=now)) == []


def test_what_changed_page_compares_with_a_snapshot(roadmap, org, client_as):
    roadmap_snapshot_take(
        team=org.team, name="Q3 review", taken_by=None, items=roadmap_item_summaries(team=org.team, now=timezone.now())
    )
    roadmap_item_move(item=roadmap["item"], horizon=roadmap["three_year"], expected_version=roadmap["item"].version)
    roadmap_item_create(team=org.team, horizon=roadmap["six_month"], title="SOC 2 Ready")
    content = client_as("viewer").get(reverse("okrs:roadmap_changes", args=["platform"])).content.decode()
    assert "Since “Q3 review”" in content
    assert "SOC 2 Ready" in content
    assert "Added" in content
    assert "Moved" in content
    assert "3-year" in content


def test_lead_saves_a_snapshot_from_the_page(roadmap, org, client_as):
    response = client_as("lead").post(reverse("okrs:snapshot_create", args=["platform"]), {"name": "Q4 review"})
    snapshot = org.team.roadmap_snapshots.get()
    assert response.status_code == 302
    assert snapshot.name == "Q4 review"
    assert [entry["title"] for entry in snapshot.items] == ["No Heroku"]


# Share links


def test_a_share_link_shows_the_roadmap_without_login(roadmap, org, client):
    link, token = roadmap_share_link_create(team=org.team, label="Board", created_by=None)
    response = client.get(reverse("okrs:shared_roadmap", args=[token]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "No Heroku" in content
    assert "Migrate postgres out of heroku" in content
    assert "Log out" not in content
    assert "/teams/" not in content
    assert "/key-results/" not in content
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert token not in link.token_hash


def test_a_revoked_or_wrong_token_shows_nothing(roadmap, org, client):
    link, token = roadmap_share_link_create(team=org.team, label="Board", created_by=None)
    assert client.get(reverse("okrs:shared_roadmap", args=[token + "x"])).status_code == 404
    roadmap_share_link_revoke(link=link)
    assert client.get(reverse("okrs:shared_roadmap", args=[token])).status_code == 404
    assert share_link_for_token(token) is None


def test_a_share_link_opens_no_other_page(roadmap, org, client):
    _, token = roadmap_share_link_create(team=org.team, label="Board", created_by=None)
    client.get(reverse("okrs:shared_roadmap", args=[token]))
    for url in ("/", "/roadmap/", "/teams/platform/", "/teams/platform/roadmap/", f"/key-results/{roadmap['kr'].pk}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_share_link_of_one_team_does_not_show_another_teams_items(roadmap, org, client):
    roadmap_item_create(team=org.other_team, horizon=roadmap["six_month"], title="Payments secret plan")
    _, token = roadmap_share_link_create(team=org.team, label="", created_by=None)
    assert "Payments secret plan" not in client.get(reverse("okrs:shared_roadmap", args=[token])).content.decode()


def test_lead_creates_a_link_sees_it_once_and_revokes_it(roadmap, org, client_as):
    client = client_as("lead")
    content = client.post(reverse("okrs:share_links", args=["platform"]), {"label": "Board"}).content.decode()
    assert "Copy it now" in content
    shown = content.split('id="new-link" type="text" readonly value="')[1].split('"')[0]
    assert client_as("anonymous").get(shown).status_code == 200
    assert "Copy it now" not in client.get(reverse("okrs:share_links", args=["platform"])).content.decode()
    link = RoadmapShareLink.objects.get()
    client.post(reverse("okrs:share_link_revoke", args=[link.pk]))
    assert client_as("anonymous").get(shown).status_code == 404


# Pages and permissions

LEADS = {"lead", "staff"}
READERS = {"lead", "engineer", "viewer", "staff"}
ROUTES = [
    ("roadmap", "get", lambda r: reverse("okrs:roadmap"), None, READERS | {"outsider"}),
    ("team roadmap", "get", lambda r: reverse("okrs:team_roadmap", args=["platform"]), None, READERS),
    ("what changed", "get", lambda r: reverse("okrs:roadmap_changes", args=["platform"]), None, READERS),
    ("snapshot", "post", lambda r: reverse("okrs:snapshot_create", args=["platform"]), lambda r: {"name": "x"}, LEADS),
    ("share links", "get", lambda r: reverse("okrs:share_links", args=["platform"]), None, LEADS),
    ("create share link", "post", lambda r: reverse("okrs:share_links", args=["platform"]), lambda r: {}, LEADS),
    ("add horizon form", "get", lambda r: reverse("okrs:horizon_create", args=["platform"]), None, LEADS),
    (
        "add horizon",
        "post",
        lambda r: reverse("okrs:horizon_create", args=["platform"]),
        lambda r: {"name": "FY27"},
        LEADS,
    ),
    (
        "add item form",
        "get",
        lambda r: reverse("okrs:roadmap_item_create", args=["platform"]) + f"?horizon={r['six_month'].pk}",
        None,
        LEADS,
    ),
    (
        "add item",
        "post",
        lambda r: reverse("okrs:roadmap_item_create", args=["platform"]),
        lambda r: {
            "horizon": r["six_month"].pk,
            "title": "SOC 2 Ready",
            "status": "planned",
            "commitment": "likely",
            "health": "on_track",
        },
        LEADS,
    ),
    ("edit item form", "get", lambda r: reverse("okrs:roadmap_item_edit", args=[r["item"].pk]), None, LEADS),
    (
        "edit item",
        "post",
        lambda r: reverse("okrs:roadmap_item_edit", args=[r["item"].pk]),
        lambda r: {
            "title": "No Heroku!",
            "status": "done",
            "commitment": "committed",
            "health": "on_track",
            "version": r["item"].version,
        },
        LEADS,
    ),
    ("delete item form", "get", lambda r: reverse("okrs:roadmap_item_delete", args=[r["item"].pk]), None, LEADS),
    ("delete item", "post", lambda r: reverse("okrs:roadmap_item_delete", args=[r["item"].pk]), lambda r: {}, LEADS),
    (
        "move item",
        "post",
        lambda r: reverse("okrs:roadmap_item_move", args=[r["item"].pk]),
        lambda r: {"horizon": r["three_year"].pk, "version": r["item"].version},
        LEADS,
    ),
    ("link form", "get", lambda r: reverse("okrs:roadmap_item_link", args=[r["item"].pk]), None, LEADS),
    (
        "link",
        "post",
        lambda r: reverse("okrs:roadmap_item_link", args=[r["item"].pk]),
        lambda r: {"key_result": r["unlinked"].pk},
        LEADS,
    ),
    (
        "unlink",
        "post",
        lambda r: reverse("okrs:roadmap_item_unlink", args=[r["item"].pk, r["kr"].pk]),
        lambda r: {},
        LEADS,
    ),
]


@pytest.mark.parametrize("role", ["lead", "engineer", "viewer", "outsider", "staff", "anonymous"])
@pytest.mark.parametrize(("name", "method", "url", "data", "allowed"), ROUTES, ids=[route[0] for route in ROUTES])
def test_roadmap_routes_by_role(roadmap, client_as, role, name, method, url, data, allowed):
    client = client_as(role)
    response = client.get(url(roadmap)) if method == "get" else client.post(url(roadmap), data(roadmap))
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif role in allowed:
        expected = {200} if name == "create share link" else ({200, 302} if method == "get" else {302})
        assert response.status_code in expected, response.content[:500]
    elif role == "outsider":
        assert response.status_code == 404
    else:
        assert response.status_code == 403


def test_roadmap_page_shows_items_with_their_key_results_and_progress(roadmap, client_as):
    content = client_as("viewer").get(reverse("okrs:team_roadmap", args=["platform"])).content.decode()
    assert "Now · Q4 2022" in content
    assert "No Heroku" in content
    assert "Migrate postgres out of heroku" in content
    assert "Mean of key result: Migrate postgres out of heroku 0%." in content
    assert "Load testing" not in content
    assert "Move to" not in content
    assert "Add item" not in content


@pytest.mark.parametrize(("weight_by_points", "percent"), [(False, 50), (True, 60)])
def test_roadmap_counts_the_linked_issues_as_the_key_result_page_does(
    roadmap, okr, client_as, weight_by_points, percent
):
    kr = key_result_create(
        objective=okr.objective, title="Shipped", kind=KeyResult.Kind.ISSUES, weight_by_points=weight_by_points
    )
    roadmap_item_link_key_result(item=roadmap["item"], key_result=kr)
    for number, (state, points, deleted) in enumerate([("open", 2, False), ("closed", 3, False), ("closed", 5, True)]):
        issue = GitHubIssue.objects.create(repo="acme/api", number=number, state=state, points=points, deleted=deleted)
        IssueLink.objects.create(issue=issue, key_result=kr)
    content = client_as("viewer").get(reverse("okrs:team_roadmap", args=["platform"])).content.decode()
    assert f"Shipped {percent}%." in content
    assert key_result_progress(with_issue_counts(KeyResult.objects.filter(pk=kr.pk)).get()) == percent / 100


def test_roadmap_filters_by_health_and_team(roadmap, org, client_as):
    roadmap_item_create(team=org.team, horizon=roadmap["three_year"], title="Cloud is global", health="at_risk")
    roadmap_item_create(team=org.other_team, horizon=roadmap["three_year"], title="Payments plan")
    roadmap_item_create(team=org.sub_team, horizon=roadmap["three_year"], title="RDS everywhere")
    client = client_as("viewer")
    at_risk = client.get(reverse("okrs:roadmap") + "?health=at_risk").content.decode()
    assert "Cloud is global" in at_risk
    assert "No Heroku" not in at_risk
    assert "Payments" not in at_risk, "a team without items of that health is left out"
    platform_only = client.get(reverse("okrs:roadmap") + "?team=platform").content.decode()
    assert "No Heroku" in platform_only
    assert "Payments plan" not in platform_only
    by_sub_team = client.get(reverse("okrs:roadmap") + "?team=INFRA").content.decode()
    assert "RDS everywhere" in by_sub_team
    assert "No Heroku" in by_sub_team, "a sub-team's name finds its whole tree"
    assert "Payments plan" not in by_sub_team
    everything = client.get(reverse("okrs:roadmap")).content.decode()
    assert "Payments plan" in everything


def test_an_outsider_sees_only_their_own_teams_on_the_all_teams_roadmap(roadmap, org, client_as):
    roadmap_item_create(team=org.other_team, horizon=roadmap["three_year"], title="Payments plan")
    content = client_as("outsider").get(reverse("okrs:roadmap")).content.decode()
    assert "Payments plan" in content
    assert "No Heroku" not in content
    searched = client_as("outsider").get(reverse("okrs:roadmap") + "?team=platform")
    assert searched.status_code == 200
    assert "No Heroku" not in searched.content.decode()
    assert "No team you can read matches these filters." in searched.content.decode()


def test_lead_moves_an_item_in_place(roadmap, client_as):
    response = client_as("lead").post(
        reverse("okrs:roadmap_item_move", args=[roadmap["item"].pk]),
        {"horizon": roadmap["three_year"].pk, "version": 1},
        **HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#roadmap-lanes"
    lanes = response.content.decode()
    three_year_lane = lanes.split('id="lane-h{}"'.format(roadmap["three_year"].pk))[1]
    assert "No Heroku" in three_year_lane


def test_an_item_moved_meanwhile_answers_409_naming_the_horizon_it_is_in(roadmap, client_as):
    url = reverse("okrs:roadmap_item_move", args=[roadmap["item"].pk])
    roadmap_item_move(item=roadmap["item"], horizon=roadmap["three_year"], expected_version=1)
    wanted = horizon_create(team=None, name="FY27")

    stale = client_as("lead").post(url, {"horizon": wanted.pk, "version": 1}, **HTMX)

    assert stale.status_code == 409
    assert stale["HX-Retarget"] == "#roadmap-lanes"
    content = stale.content.decode()
    assert "while you were moving it to FY27:</strong>" in content
    assert "it is in 3-year now." in content
    assert f'<option value="{wanted.pk}" selected>' in content
    roadmap["item"].refresh_from_db()
    assert roadmap["item"].horizon == roadmap["three_year"]
    assert client_as("lead").post(url, {"direction": "up"}).status_code == 302, "up and down need no version"


def test_moving_to_another_teams_horizon_is_refused(roadmap, org, client_as):
    payments = horizon_create(team=org.other_team, name="Payments FY27")
    response = client_as("lead").post(
        reverse("okrs:roadmap_item_move", args=[roadmap["item"].pk]), {"horizon": payments.pk, "version": 1}
    )
    assert response.status_code == 400
    roadmap["item"].refresh_from_db()
    assert roadmap["item"].horizon == roadmap["six_month"]


def test_bad_item_input_is_shown_next_to_the_field(roadmap, client_as):
    response = client_as("lead").post(
        reverse("okrs:roadmap_item_create", args=["platform"]),
        {
            "horizon": roadmap["six_month"].pk,
            "title": "",
            "description": "keep me",
            "status": "planned",
            "commitment": "likely",
            "health": "on_track",
        },
        **HTMX,
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert "keep me" in response.content.decode()


def test_editing_an_item_someone_else_changed_shows_their_version(roadmap, client_as):
    url = reverse("okrs:roadmap_item_edit", args=[roadmap["item"].pk])
    base = {"status": "in_progress", "commitment": "committed", "health": "on_track", "version": 1}
    client_as("staff").post(url, {**base, "title": "No Heroku (staff)"})
    response = client_as("lead").post(url, {**base, "title": "No Heroku (lead)"}, **HTMX)
    assert response.status_code == 409
    assert "No Heroku (staff)" in response.content.decode()
    assert 'value="No Heroku (lead)"' in response.content.decode()


@pytest.mark.parametrize("items", [5, 100])
def test_a_team_roadmap_runs_a_constant_number_of_queries(
    roadmap, okr, org, client_as, django_assert_num_queries, items
):
    for number in range(items):
        team = (org.team, org.sub_team)[number % 2]
        item = roadmap_item_create(team=team, horizon=roadmap["six_month"], title=f"Item {number}")
        objective = objective_create(team=team, period=okr.period, title=f"Objective {number}")
        kind = "issues" if number == 0 else "percent"  # issues: their linked issues are counted too
        kr = key_result_create(objective=objective, title=f"KR {number}", kind=kind)
        roadmap_item_link_key_result(item=item, key_result=kr)
        roadmap_item_link_objective(item=item, objective=objective)
    client = client_as("lead")
    # session, user, access, team, sub-teams, horizons, quarter lookups (2), the items with their
    # links to objectives and KRs, the quarter's and the linked objectives, their KRs and the linked
    # ones, the KRs' issue counts
    with django_assert_num_queries(12):
        response = client.get(reverse("okrs:team_roadmap", args=["platform"]))
    assert response.content.decode().count('class="roadmap-item roadmap-item--') >= items


def test_an_item_linking_several_objectives_and_key_results_is_drawn_once_with_all_of_them(
    roadmap, okr, org, client_as
):
    """Its links come as a row each (objective × key result); the item is one card."""
    second = objective_create(team=org.team, period=okr.period, title="Cheaper hosting")
    roadmap_item_link_objective(item=roadmap["item"], objective=okr.objective)
    roadmap_item_link_objective(item=roadmap["item"], objective=second)
    roadmap_item_link_key_result(item=roadmap["item"], key_result=roadmap["unlinked"])

    page = client_as("lead").get(reverse("okrs:team_roadmap", args=[org.team.slug])).content.decode()

    card = page[page.index(f'<article id="item-{roadmap["item"].pk}"') :]
    card = card[: card.index("</article>")]
    assert page.count(f'<article id="item-{roadmap["item"].pk}"') == 1
    for title in ("High uptime", "Cheaper hosting", "Migrate postgres out of heroku", "Load testing"):
        assert card.count(f">{title}</a>") == 1, title


def test_demo_roadmap_tells_the_story(db, client):
    from django.core.management import call_command

    call_command("load_demo", stdout=None)
    assert RoadmapItem.objects.count() == 11
    no_heroku = RoadmapItem.objects.get(title="No Heroku")
    assert [kr.title for kr in no_heroku.key_results.all()] == ["Migrate postgres out of heroku"]
    assert Horizon.objects.filter(team=None).count() == 2
    client.force_login(User.objects.get(username="exec"))
    changes = client.get(reverse("okrs:roadmap_changes", args=["platform"])).content.decode()
    for kind in ("Added", "Removed", "Moved", "Status", "Health", "Commitment", "Progress"):
        assert f'class="change__kind">{kind}<' in changes


def test_linking_a_key_result_twice_is_explained(roadmap, client_as):
    response = client_as("lead").post(
        reverse("okrs:roadmap_item_link", args=[roadmap["item"].pk]), {"key_result": roadmap["kr"].pk}, **HTMX
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()


def test_a_horizon_name_is_unique_within_a_team(roadmap, client_as):
    url = reverse("okrs:horizon_create", args=["platform"])
    assert client_as("lead").post(url, {"name": "FY27"}).status_code == 302
    response = client_as("lead").post(url, {"name": "FY27"})
    assert response.status_code == 422
    assert "already exists" in response.content.decode()


def test_lead_links_an_objective_that_works_towards_an_item(roadmap, okr, client_as):
    client = client_as("lead")
    url = reverse("okrs:roadmap_item_link_objective", args=[roadmap["item"].pk])
    response = client.post(url, {"objective": okr.objective.pk}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#roadmap-lanes"
    assert "Objective · Q4 2022" in response.content.decode()
    assert list(roadmap["item"].objectives.all()) == [okr.objective]
    assert client.post(url, {"objective": okr.objective.pk}, **HTMX).status_code == 422  # already linked
    unlink = reverse("okrs:roadmap_item_unlink_objective", args=[roadmap["item"].pk, okr.objective.pk])
    assert client.post(unlink).status_code == 302
    assert not roadmap["item"].objectives.exists()


@pytest.mark.parametrize(
    ("role", "expected"), [("engineer", 403), ("viewer", 403), ("outsider", 404), ("anonymous", 302)]
)
def test_others_cannot_link_objectives(roadmap, okr, client_as, role, expected):
    url = reverse("okrs:roadmap_item_link_objective", args=[roadmap["item"].pk])
    assert client_as(role).post(url, {"objective": okr.objective.pk}).status_code == expected
    unlink = reverse("okrs:roadmap_item_unlink_objective", args=[roadmap["item"].pk, okr.objective.pk])
    assert client_as(role).post(unlink).status_code == expected
    assert not roadmap["item"].objectives.exists()


def test_a_sub_teams_share_link_shows_none_of_the_other_teams_work(roadmap, okr, org, client):
    infra_item = roadmap_item_create(team=org.sub_team, horizon=roadmap["six_month"], title="RDS everywhere")
    roadmap_item_link_key_result(item=infra_item, key_result=okr.kr)  # a Platform KR
    _, token = roadmap_share_link_create(team=org.sub_team, label="", created_by=None)
    content = client.get(reverse("okrs:shared_roadmap", args=[token])).content.decode()
    assert "RDS everywhere" in content
    assert "Migrate postgres out of heroku" not in content


def test_an_in_place_change_answers_with_the_roadmap_being_looked_at(roadmap, org, client_as):
    sub_item = roadmap_item_create(team=org.sub_team, horizon=roadmap["six_month"], title="RDS everywhere")
    response = client_as("lead").post(
        reverse("okrs:roadmap_item_move", args=[sub_item.pk]),
        {"horizon": roadmap["three_year"].pk, "version": 1},
        HTTP_HX_CURRENT_URL="http://testserver/teams/platform/roadmap/?health=on_track",
        **HTMX,
    )
    content = response.content.decode()
    assert "No Heroku" in content, "Platform's own items are still there"
    assert "RDS everywhere" in content


def test_a_nul_in_the_team_search_is_dropped(roadmap, client_as):
    """PostgreSQL refuses a NUL in text: the search leaves it out."""
    client = client_as("viewer")
    for team in ("%00", "platform%00", "plat%00form"):
        response = client.get(reverse("okrs:roadmap") + f"?team={team}")
        assert response.status_code == 200
        assert "No Heroku" in response.content.decode()


@pytest.mark.parametrize("current_url", ["http://[::1", "http://[nope]/teams/platform/roadmap/"])
def test_an_in_place_change_with_a_current_url_that_is_not_one_answers_with_the_items_team(
    roadmap, client_as, current_url
):
    response = client_as("lead").post(
        reverse("okrs:roadmap_item_move", args=[roadmap["item"].pk]),
        {"horizon": roadmap["three_year"].pk, "version": 1},
        HTTP_HX_CURRENT_URL=current_url,
        **HTMX,
    )
    assert response.status_code == 200
    assert "No Heroku" in response.content.decode()


def test_a_move_with_a_bad_version_says_to_reload(roadmap, client_as):
    response = client_as("lead").post(
        reverse("okrs:roadmap_item_move", args=[roadmap["item"].pk]),
        {"horizon": roadmap["three_year"].pk, "version": "x"},
    )
    assert response.status_code == 400
    assert response.content.decode() == "This form is out of date; reload the page and try again."
    roadmap["item"].refresh_from_db()
    assert roadmap["item"].horizon == roadmap["six_month"]


# The roadmap of every team, a page of top-level teams at a time


def _trees(count: int, period, horizon, *, name: str = "Squad", health: str = "on_track") -> list[Team]:
    """`count` top-level teams, each with two sub-teams, an objective for the quarter, and an item
    of its own and one of a sub-team's, each linked to a KR."""
    tops = []
    for number in range(count):
        top = TeamFactory(name=f"{name} {number:02}")
        subs = [TeamFactory(name=f"{top.name} {part}", parent=top) for part in ("api", "web")]
        objective = objective_create(team=top, period=period, title=f"{top.name} objective")
        for team in (top, subs[0]):
            item = roadmap_item_create(team=team, horizon=horizon, title=f"{team.name} plan", health=health)
            kind = "issues" if team is top else "percent"  # issues: their linked issues are counted too
            kr = key_result_create(objective=objective, title=f"{team.name} KR", kind=kind)
            roadmap_item_link_key_result(item=item, key_result=kr)
            roadmap_item_link_objective(item=item, objective=objective)
        tops.append(top)
    return tops


def _tree_ids(content: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<h2 id="tree-(\d+)"', content)]


def _address(content: str, rel: str) -> str | None:
    query = pager_link(content, rel)
    return reverse("okrs:roadmap") + query if query else None


def _walk(client, url: str, rel: str) -> tuple[list[list[int]], str]:
    """The trees of each page from `url` on, following the `rel` ("next" or "prev") links, and the
    address of the last page reached."""
    pages = []
    while True:
        content = client.get(url).content.decode()
        pages.append(_tree_ids(content))
        following = _address(content, rel)
        if following is None:
            return pages, url
        url = following


def test_paging_forward_and_back_shows_every_top_level_team_once_in_name_order(roadmap, okr, org, client_as):
    _trees(12, okr.period, roadmap["six_month"])
    client = client_as("viewer")
    forward, last_page = _walk(client, reverse("okrs:roadmap"), "next")
    expected = list(Team.objects.filter(parent=None).order_by("name", "pk").values_list("pk", flat=True))
    assert [pk for page in forward for pk in page] == expected
    assert all(len(page) == ROADMAP_TEAMS_PER_PAGE for page in forward[:-1])
    assert len(forward) == -(-len(expected) // ROADMAP_TEAMS_PER_PAGE) > 1
    backward, _ = _walk(client, last_page, "prev")
    assert backward == forward[::-1]


def test_a_page_has_at_most_100_rows_and_the_filters_survive_paging(roadmap, okr, org, client_as):
    wanted = _trees(7, okr.period, roadmap["six_month"], health="at_risk")
    _trees(3, okr.period, roadmap["six_month"], name="Crew", health="at_risk")
    _trees(3, okr.period, roadmap["six_month"], name="Squad on track")
    client = client_as("viewer")
    url = reverse("okrs:roadmap") + "?team=squad&health=at_risk"
    seen = []
    while url:
        content = client.get(url).content.decode()
        trees = _tree_ids(content)
        rows = Team.objects.filter(Q(pk__in=trees) | Q(parent__in=trees)).count()
        assert 0 < len(trees) <= ROADMAP_TEAMS_PER_PAGE
        assert rows <= 100
        assert 'value="squad"' in content
        assert '<option value="at_risk" selected>' in content
        badges = re.findall(r'class="roadmap-item__badges">(.*?)</p>', content, re.S)
        assert badges
        assert all("status--at_risk" in badge for badge in badges), "only at-risk items"
        seen += trees
        url = _address(content, "next")
        assert url is None or ("team=squad" in url and "health=at_risk" in url)
    assert seen == [team.pk for team in wanted]


@pytest.mark.parametrize("trees", [2, 12])
def test_the_roadmap_of_every_team_runs_a_constant_number_of_queries(
    roadmap, okr, client_as, django_assert_num_queries, trees
):
    _trees(trees, okr.period, roadmap["six_month"])
    client = client_as("viewer")
    # session, user, access, top-level teams with their sub-teams, horizons, quarter lookups (2: this
    # quarter is not planned here), the items with their links to objectives and KRs, the quarter's
    # and the linked objectives, their KRs and the linked ones, the KRs' issue counts, the counts by
    # health
    with django_assert_num_queries(12):
        response = client.get(reverse("okrs:roadmap"))
    assert len(_tree_ids(response.content.decode())) == min(trees + 2, ROADMAP_TEAMS_PER_PAGE)


@pytest.mark.parametrize("trees", [2, 12])
def test_the_roadmap_of_every_team_of_a_lead_runs_a_constant_number_of_queries(
    roadmap, okr, org, client_as, django_assert_num_queries, trees
):
    _trees(trees, okr.period, roadmap["six_month"])  # teams the lead does not read
    for number in range(trees):
        roadmap_item_create(team=org.sub_team, horizon=roadmap["three_year"], title=f"Plan {number}", health="at_risk")
    client = client_as("lead")
    # session, user, access, the lead's tree, horizons, quarter lookups (2), the items with their
    # links, the objectives, their KRs (none measured by issues: nothing to count); and no count by
    # health, as the page holds every item of the one tree the lead reads
    with django_assert_num_queries(10):
        response = client.get(reverse("okrs:roadmap"))
    content = response.content.decode()
    assert "Plan 0" in content
    assert f"Plan {trees - 1}" in content
    assert "Squad 00 plan" not in content


@pytest.mark.parametrize("role", ["lead", "engineer", "outsider", "viewer"])
def test_the_counts_by_health_of_the_items_shown_are_those_counted_in_the_database(roadmap, okr, org, role):
    _trees(3, okr.period, roadmap["six_month"], health="off_track")
    for number, health in enumerate(["at_risk", "at_risk", "off_track", "on_track", "off_track"]):
        team = (org.team, org.sub_team, org.other_team)[number % 3]
        roadmap_item_create(team=team, horizon=roadmap["three_year"], title=f"Plan {number}", health=health)
    user = org.users[role]

    page = org_roadmap_page(user=user, team_query="", health=None, now=timezone.now())

    assert page.health_counts == _health_counts(readable_root_ids(user))
    if role == "lead":
        assert [(count.health, count.count) for count in page.health_counts] == [
            ("off_track", 1),
            ("at_risk", 2),
            ("on_track", 2),
        ]


@pytest.mark.parametrize(
    "cursor",
    ["after=nonsense", "before=%00", "after=WzFd", "before=WyJhIiwgInh4Il0", "after=" + "A" * 2000],
)
def test_a_bad_cursor_shows_the_first_page(roadmap, okr, client_as, cursor):
    _trees(6, okr.period, roadmap["six_month"])
    client = client_as("viewer")
    first = _tree_ids(client.get(reverse("okrs:roadmap")).content.decode())
    response = client.get(reverse("okrs:roadmap") + "?" + cursor)
    assert response.status_code == 200
    assert _tree_ids(response.content.decode()) == first


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("lead", {"No Heroku", "RDS everywhere"}),
        ("engineer", {"No Heroku", "RDS everywhere"}),
        ("viewer", {"No Heroku", "RDS everywhere", "Payments plan"}),
        ("staff", {"No Heroku", "RDS everywhere", "Payments plan"}),
        ("outsider", {"Payments plan"}),
    ],
)
def test_who_sees_what_on_the_roadmap_of_every_team(roadmap, org, client_as, role, sees):
    roadmap_item_create(team=org.sub_team, horizon=roadmap["six_month"], title="RDS everywhere", health="at_risk")
    roadmap_item_create(team=org.other_team, horizon=roadmap["three_year"], title="Payments plan", health="off_track")
    content = client_as(role).get(reverse("okrs:roadmap")).content.decode()
    assert {title for title in ("No Heroku", "RDS everywhere", "Payments plan") if title in content} == sees
    main = content.split("<main", 1)[1]
    for control in ("Move to", "Add item", "Link key result", "Unlink", 'name="csrfmiddlewaretoken"'):
        assert control not in main, "read-only for everyone"
    counts = re.search(r'class="health-counts">(.*?)</p>', content, re.S).group(1)
    expected = {
        "off track": "Payments plan" in sees,
        "at risk": "RDS everywhere" in sees,
        "on track": "No Heroku" in sees,
    }
    for label, one in expected.items():
        assert f">{int(one)} {label}</a>" in counts


def test_the_counts_by_health_stop_at_a_bound(roadmap, org, client_as):
    RoadmapItem.objects.bulk_create(
        RoadmapItem(team=org.other_team, horizon=roadmap["three_year"], title=f"Plan {n}", health="off_track")
        for n in range(HEALTH_COUNT_CAP + 1)
    )
    content = client_as("viewer").get(reverse("okrs:roadmap")).content.decode()
    assert f">{HEALTH_COUNT_CAP}+ off track</a>" in content
    assert ">1 on track</a>" in content
    assert ">0 off track</a>" in client_as("lead").get(reverse("okrs:roadmap")).content.decode()


def test_each_team_links_to_its_own_roadmap_and_shows_which_sub_team_an_item_is_from(roadmap, org, client_as):
    roadmap_item_create(team=org.sub_team, horizon=roadmap["six_month"], title="RDS everywhere")
    content = client_as("viewer").get(reverse("okrs:roadmap")).content.decode()
    platform = content.split(f'id="tree-{org.team.pk}"', 1)[1].split('class="roadmap-tree"', 1)[0]
    assert f'href="{reverse("okrs:team_roadmap", args=["platform"])}">Platform</a>' in platform
    assert '<p class="roadmap-item__team muted">Infrastructure</p>' in platform
    assert '<p class="roadmap-item__team muted">Platform</p>' not in platform
    assert f'aria-labelledby="tree-{org.team.pk} lane-t{org.team.pk}-h{roadmap["six_month"].pk}"' in platform


def test_someone_in_no_team_sees_no_items_counted(roadmap, org, client):
    RoadmapItem.objects.create(team=org.other_team, horizon=roadmap["three_year"], title="Theirs", health="off_track")
    client.force_login(UserFactory())
    content = client.get(reverse("okrs:roadmap")).content.decode()
    for label in ("off track", "at risk", "on track"):
        assert f">0 {label}</a>" in content
