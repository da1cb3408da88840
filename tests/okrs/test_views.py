import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from okrs.models import CheckIn, KeyResult, Objective
from okrs.services import check_in_record, key_result_create, objective_create, period_close
from tests.factories import KeyResultFactory, MembershipFactory, PersonFactory, TeamFactory, key_result_form_data

HTMX = {"HTTP_HX_REQUEST": "true"}
ALL_ROLES = ["lead", "engineer", "viewer", "outsider", "staff", "anonymous"]


# Each row: name, method, url(okr), form data(okr) or None, roles allowed to do it.
LEADS = {"lead", "staff"}
READERS = {"lead", "engineer", "viewer", "staff"}
CHECKERS = {"lead", "engineer", "staff"}
ROUTES = [
    ("team okrs (current)", "get", lambda o: reverse("okrs:team_okrs_current", args=["platform"]), None, READERS),
    ("team okrs", "get", lambda o: reverse("okrs:team_okrs", args=["platform", "2022-q4"]), None, READERS),
    (
        "add objective form",
        "get",
        lambda o: reverse("okrs:objective_create", args=["platform", "2022-q4"]),
        None,
        LEADS,
    ),
    (
        "add objective",
        "post",
        lambda o: reverse("okrs:objective_create", args=["platform", "2022-q4"]),
        lambda o: {"title": "New objective", "why": ""},
        LEADS,
    ),
    ("objective card", "get", lambda o: reverse("okrs:objective_card", args=[o.objective.pk]), None, READERS),
    ("edit objective form", "get", lambda o: reverse("okrs:objective_edit", args=[o.objective.pk]), None, LEADS),
    (
        "edit objective",
        "post",
        lambda o: reverse("okrs:objective_edit", args=[o.objective.pk]),
        lambda o: {"title": "Renamed", "why": "", "version": o.objective.version},
        LEADS,
    ),
    ("delete objective form", "get", lambda o: reverse("okrs:objective_delete", args=[o.objective.pk]), None, LEADS),
    (
        "delete objective",
        "post",
        lambda o: reverse("okrs:objective_delete", args=[o.objective.pk]),
        lambda o: {},
        LEADS,
    ),
    (
        "move objective",
        "post",
        lambda o: reverse("okrs:objective_move", args=[o.objective.pk]),
        lambda o: {"direction": "down"},
        LEADS,
    ),
    ("add KR form", "get", lambda o: reverse("okrs:key_result_create", args=[o.objective.pk]), None, LEADS),
    (
        "add KR",
        "post",
        lambda o: reverse("okrs:key_result_create", args=[o.objective.pk]),
        lambda o: key_result_form_data(),
        LEADS,
    ),
    ("KR detail", "get", lambda o: reverse("okrs:key_result_detail", args=[o.kr.pk]), None, READERS),
    ("edit KR form", "get", lambda o: reverse("okrs:key_result_edit", args=[o.kr.pk]), None, LEADS),
    (
        "edit KR",
        "post",
        lambda o: reverse("okrs:key_result_edit", args=[o.kr.pk]),
        lambda o: key_result_form_data(version=o.kr.version),
        LEADS,
    ),
    ("delete KR form", "get", lambda o: reverse("okrs:key_result_delete", args=[o.kr.pk]), None, LEADS),
    ("delete KR", "post", lambda o: reverse("okrs:key_result_delete", args=[o.kr.pk]), lambda o: {}, LEADS),
    (
        "move KR",
        "post",
        lambda o: reverse("okrs:key_result_move", args=[o.kr.pk]),
        lambda o: {"direction": "up"},
        LEADS,
    ),
    ("check-in form", "get", lambda o: reverse("okrs:check_in", args=[o.kr.pk]), None, CHECKERS),
    (
        "check in",
        "post",
        lambda o: reverse("okrs:check_in", args=[o.kr.pk]),
        lambda o: {"value": "1", "confidence": "high", "note": "", "version": o.kr.version},
        CHECKERS,
    ),
    ("open next form", "get", lambda o: reverse("okrs:period_open_next", args=["platform", "2022-q4"]), None, LEADS),
    (
        "open next",
        "post",
        lambda o: reverse("okrs:period_open_next", args=["platform", "2022-q4"]),
        lambda o: {"copy_unfinished": "on"},
        LEADS,
    ),
    ("close form", "get", lambda o: reverse("okrs:period_close", args=["platform", "2022-q4"]), None, LEADS),
    (
        "close",
        "post",
        lambda o: reverse("okrs:period_close", args=["platform", "2022-q4"]),
        lambda o: {f"kr{o.kr.pk}-score": "0.5", f"kr{o.kr.pk}-comment": ""},
        LEADS,
    ),
]


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize(("name", "method", "url", "data", "allowed"), ROUTES, ids=[route[0] for route in ROUTES])
def test_okr_routes_by_role(okr, client_as, role, name, method, url, data, allowed):
    client = client_as(role)
    response = client.get(url(okr)) if method == "get" else client.post(url(okr), data(okr))
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif role == "outsider":
        assert response.status_code == 404
    elif role in allowed:
        expected = {200, 302} if method == "get" else {302}
        assert response.status_code in expected, response.content.decode()[:2000]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ["lead", "staff"])
def test_reopen_is_for_leads_and_staff(okr, client_as, org, role):
    period_close(team=org.team, period=okr.period, closed_by=None, scores={okr.kr.pk: (Decimal("0.5"), "")})
    response = client_as(role).post(reverse("okrs:period_reopen", args=["platform", "2022-q4"]))
    assert response.status_code == 302
    assert not org.team.team_periods.get().is_closed


@pytest.mark.parametrize(("role", "expected"), [("engineer", 403), ("viewer", 403), ("outsider", 404)])
def test_others_cannot_reopen_a_quarter(okr, client_as, org, role, expected):
    period_close(team=org.team, period=okr.period, closed_by=None, scores={okr.kr.pk: (Decimal("0.5"), "")})
    assert client_as(role).post(reverse("okrs:period_reopen", args=["platform", "2022-q4"])).status_code == expected
    assert org.team.team_periods.get().is_closed


def test_overview_lists_only_teams_the_user_reads(okr, client_as, org):
    objective_create(team=org.other_team, period=okr.period, title="Payments objective")
    url = reverse("okrs:overview") + "?period=2022-q4"
    outsider_page = client_as("outsider").get(url).content.decode()
    viewer_page = client_as("viewer").get(url).content.decode()
    assert "Payments objective" in outsider_page
    assert "High uptime" not in outsider_page
    assert "Payments objective" in viewer_page
    assert "High uptime" in viewer_page
    assert client_as("anonymous").get(url).status_code == 302


def test_a_key_result_owner_on_another_team_may_check_in(okr, client):
    owner = MembershipFactory(team=TeamFactory()).person
    okr.kr.owners.add(owner)
    client.force_login(owner.user)
    response = client.post(
        reverse("okrs:check_in", args=[okr.kr.pk]), {"value": "2", "confidence": "medium", "version": okr.kr.version}
    )
    assert response.status_code == 302
    okr.kr.refresh_from_db()
    assert okr.kr.current_value == 2


def test_a_sub_team_member_may_check_in_on_the_teams_key_results_they_own_and_no_others(okr, org, client):
    others = KeyResultFactory(objective=okr.objective, title="Not theirs")
    owner = MembershipFactory(team=org.sub_team).person
    okr.kr.owners.add(owner)
    client.force_login(owner.user)

    page = client.get(reverse("okrs:team_okrs", args=["platform", "2022-q4"])).content.decode()
    data = {"value": "2", "confidence": "medium", "version": okr.kr.version}
    row = client.post(reverse("okrs:check_in", args=[okr.kr.pk]), data, HTTP_HX_REQUEST="true").content.decode()

    assert reverse("okrs:check_in", args=[okr.kr.pk]) in page
    assert reverse("okrs:check_in", args=[others.pk]) not in page
    assert reverse("okrs:check_in", args=[okr.kr.pk]) in row


def test_unknown_quarter_and_objective_are_404(okr, client_as):
    client = client_as("lead")
    assert client.get("/teams/platform/okrs/1999-q4/").status_code == 404
    assert client.get(reverse("okrs:objective_edit", args=[999_999])).status_code == 404


def test_team_okr_page_shows_bars_status_confidence_owners_and_why(okr, client_as, org):
    check_in_record(
        key_result=okr.kr, author=None, expected_version=okr.kr.version, confidence="medium", value=Decimal(1)
    )
    content = client_as("viewer").get(reverse("okrs:team_okrs", args=["platform", "2022-q4"])).content.decode()
    assert "A lack of reliability will cause churn." in content
    assert 'aria-valuenow="33"' in content
    assert "1 of 3 databases (from 0)" in content
    assert "Medium confidence" in content
    assert "Off track" in content  # Q4 2022 is over and the KR is a third done
    assert org.users["engineer"].person.display_name in content


def test_viewer_sees_no_edit_or_check_in_controls(okr, client_as):
    content = client_as("viewer").get(reverse("okrs:team_okrs", args=["platform", "2022-q4"])).content.decode()
    for control in ("Add objective", "Add key result", ">Check in<", ">Edit<", ">Delete<"):
        assert control not in content


def test_engineer_sees_check_in_but_not_edit_controls(okr, client_as):
    content = client_as("engineer").get(reverse("okrs:team_okrs", args=["platform", "2022-q4"])).content.decode()
    assert ">Check in</a>" in content
    assert ">Edit<" not in content
    assert "Add objective" not in content
    assert "Add key result" not in content


def test_sub_team_objectives_show_under_the_objective_they_align_to(okr, client_as, org):
    objective_create(team=org.sub_team, period=okr.period, title="RDS replicas", parent=okr.objective)
    content = client_as("engineer").get(reverse("okrs:team_okrs", args=["platform", "2022-q4"])).content.decode()
    card = content.split(f'id="objective-{okr.objective.pk}"')[1]
    assert "Sub-team objectives" in card
    assert "RDS replicas" in card


@pytest.mark.parametrize(
    ("title", "message"),
    [("", "This field is required."), ("x" * 201, "Ensure this value has at most 200 characters")],
)
def test_bad_objective_title_is_explained_next_to_the_field(okr, client_as, title, message):
    response = client_as("lead").post(
        reverse("okrs:objective_create", args=["platform", "2022-q4"]), {"title": title, "why": "Keep me"}, **HTMX
    )
    content = response.content.decode()
    assert response.status_code == 422
    assert message in content
    assert "Keep me" in content
    assert Objective.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"target_value": "0"}, "The target must differ from the start"),
        ({"target_value": "ten"}, "Enter a number."),
        ({"due_date": "2023-01-15"}, "Pick a date within Q4 2022"),
        ({"direction": "decrease"}, "To decrease, the target must be below the start."),
        ({"title": ""}, "This field is required."),
    ],
)
def test_bad_key_result_input_is_explained_and_kept(okr, client_as, overrides, field_message):
    response = client_as("lead").post(
        reverse("okrs:key_result_create", args=[okr.objective.pk]), key_result_form_data(**overrides), **HTMX
    )
    content = response.content.decode()
    assert response.status_code == 422
    assert field_message in content
    assert 'value="runs"' in content
    assert KeyResult.objects.count() == 1


def test_check_in_value_must_be_a_number(okr, client_as):
    response = client_as("engineer").post(
        reverse("okrs:check_in", args=[okr.kr.pk]),
        {"value": "two", "confidence": "high", "note": "my note", "version": okr.kr.version},
        **HTMX,
    )
    assert response.status_code == 422
    assert "Enter a number." in response.content.decode()
    assert "my note" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_htmx_check_in_from_the_team_page_returns_the_row_and_out_of_band_the_objectives_progress(okr, client_as):
    key_result_create(objective=okr.objective, title="Second KR", kind="percent")
    response = client_as("engineer").post(
        reverse("okrs:check_in", args=[okr.kr.pk]),
        {"value": "2", "confidence": "high", "note": "", "version": okr.kr.version},
        HTTP_HX_TARGET=f"kr-{okr.kr.pk}",
        **HTMX,
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "HX-Retarget" not in response, "the row replaces the form, which is its target"
    row, summary = content.split(f'<div id="objective-{okr.objective.pk}-summary"')
    assert row.lstrip().startswith(f'<div id="kr-{okr.kr.pk}" class="kr')
    assert 'aria-valuenow="67"' in row
    assert "2 of 3 databases (from 0)" in row
    assert "High confidence" in row
    assert ">Check in</a>" in row
    assert summary.startswith(' class="objective__summary" hx-swap-oob="true">')
    assert 'aria-valuenow="33"' in summary, "the mean of 67% and the second KR's 0%"
    assert '<div id="okr-status" hx-swap-oob="true">' in summary
    assert "Second KR" not in content, "the other key results' rows stay as they are"


def test_htmx_check_in_from_the_kr_page_returns_summary_chart_and_history(okr, client_as):
    response = client_as("engineer").post(
        reverse("okrs:check_in", args=[okr.kr.pk]),
        {"value": "3", "confidence": "high", "note": "All moved", "version": okr.kr.version},
        HTTP_HX_TARGET="kr-summary",
        **HTMX,
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<div id="kr-summary"')
    assert 'aria-valuenow="100"' in content
    assert "Done" in content
    assert "<polyline" in content
    assert "All moved" in content


def test_a_check_in_against_a_newer_version_shows_the_other_check_in(okr, client_as):
    stale_version = okr.kr.version
    client_as("lead").post(
        reverse("okrs:check_in", args=[okr.kr.pk]),
        {"value": "1", "confidence": "low", "note": "theirs", "version": stale_version},
    )
    response = client_as("engineer").post(
        reverse("okrs:check_in", args=[okr.kr.pk]),
        {"value": "2", "confidence": "high", "note": "mine", "version": stale_version},
        **HTMX,
    )
    content = response.content.decode()
    assert response.status_code == 409
    assert "theirs" in content
    assert "mine" in content
    assert CheckIn.objects.count() == 1


def test_editing_an_objective_someone_else_changed_shows_both_versions(okr, client_as):
    url = reverse("okrs:objective_edit", args=[okr.objective.pk])
    client_as("staff").post(url, {"title": "Staff title", "why": "", "version": 1})
    response = client_as("lead").post(url, {"title": "Lead title", "why": "", "version": 1}, **HTMX)
    content = response.content.decode()
    assert response.status_code == 409
    assert "Their title" in content
    assert "Staff title" in content
    assert 'value="Lead title"' in content
    okr.objective.refresh_from_db()
    assert okr.objective.title == "Staff title"


def test_a_closed_quarter_hides_controls_and_refuses_edits(okr, client_as, org):
    period_close(team=org.team, period=okr.period, closed_by=None, scores={okr.kr.pk: (Decimal("0.4"), "ok")})
    page = client_as("lead").get(reverse("okrs:team_okrs", args=["platform", "2022-q4"])).content.decode()
    assert "Add objective" not in page
    assert ">Check in<" not in page
    assert "Reopen Q4 2022" in page
    assert "Score 0.40" in page
    response = client_as("lead").post(
        reverse("okrs:objective_edit", args=[okr.objective.pk]), {"title": "Sneaky", "why": "", "version": 1}
    )
    assert response.status_code == 422
    assert "Q4 2022 is closed for Platform" in response.content.decode()


def test_closing_prefills_scores_from_progress(okr, client_as):
    check_in_record(
        key_result=okr.kr, author=None, expected_version=okr.kr.version, confidence="high", value=Decimal(2)
    )
    content = client_as("lead").get(reverse("okrs:period_close", args=["platform", "2022-q4"])).content.decode()
    assert f'name="kr{okr.kr.pk}-score" value="0.7"' in content


def test_deleting_asks_first_then_removes_the_objective(okr, client_as):
    client = client_as("lead")
    confirm = client.get(reverse("okrs:objective_delete", args=[okr.objective.pk]), **HTMX).content.decode()
    assert "Delete the objective “High uptime”?" in confirm
    response = client.post(reverse("okrs:objective_delete", args=[okr.objective.pk]), **HTMX)
    assert response["HX-Retarget"] == "#okr-list"
    assert not Objective.objects.exists()


def test_moving_a_key_result_up_reorders_the_card(okr, client_as):
    second = key_result_create(objective=okr.objective, title="Second KR", kind="percent")
    response = client_as("lead").post(reverse("okrs:key_result_move", args=[second.pk]), {"direction": "up"}, **HTMX)
    content = response.content.decode()
    assert content.index("Second KR") < content.index("Migrate postgres out of heroku")


def test_a_bad_move_direction_is_a_400(okr, client_as):
    response = client_as("lead").post(
        reverse("okrs:objective_move", args=[okr.objective.pk]), {"direction": "sideways"}
    )
    assert response.status_code == 400


def _quarter_with(org, period, objectives: int):
    people = [PersonFactory() for _ in range(3)]
    for number in range(objectives):
        objective = objective_create(team=org.team, period=period, title=f"Objective {number}", owners=people[:2])
        objective_create(team=org.sub_team, period=period, title=f"Aligned {number}", parent=objective)
        for kr_number in range(4):
            kr = key_result_create(
                objective=objective,
                title=f"KR {kr_number}",
                kind="issues" if kr_number == 0 else "percent",  # issues: their counts are read too
                owners=people[kr_number % 3 :],
            )
            CheckIn.objects.bulk_create(
                CheckIn(key_result=kr, value=Decimal(day), confidence="high", created_at=okr_time(day))
                for day in range(20)
            )


def okr_time(day: int):
    import datetime

    return datetime.datetime(2022, 10, 1 + day, 9, tzinfo=datetime.UTC)


@pytest.mark.parametrize("objectives", [2, 40])
def test_team_okr_page_runs_a_constant_number_of_queries(org, client_as, django_assert_num_queries, objectives):
    from okrs.services import period_get_or_create

    _quarter_with(org, period_get_or_create(year=2022, quarter=4), objectives)
    client = client_as("engineer")
    # session, user, team, access, quarter, current quarter, the team's and its sub-teams' objectives
    # + owners + KRs + KR owners, team period, quarter switcher
    with django_assert_num_queries(12):
        response = client.get(reverse("okrs:team_okrs", args=["platform", "2022-q4"]))
    assert response.content.decode().count('class="card objective"') == objectives


@pytest.mark.parametrize("objectives", [2, 40])
def test_org_overview_runs_a_constant_number_of_queries(org, client_as, django_assert_num_queries, objectives):
    from okrs.services import period_get_or_create

    _quarter_with(org, period_get_or_create(year=2022, quarter=4), objectives)
    client = client_as("viewer")
    # session, user, access, quarter, top-level teams with their sub-teams, objectives, KRs, their
    # linked issues' counts, quarters
    with django_assert_num_queries(9):
        response = client.get(reverse("okrs:overview") + "?period=2022-q4")
    assert response.content.decode().count("key results</span>") >= objectives


def test_deleting_an_objective_keeps_its_key_results_and_check_ins_in_the_history(okr, client_as):
    check_in_record(
        key_result=okr.kr, author=None, expected_version=okr.kr.version, confidence="high", value=Decimal(1)
    )
    client_as("lead").post(reverse("okrs:objective_delete", args=[okr.objective.pk]))
    assert KeyResult.history.filter(id=okr.kr.pk, history_type="-").exists()
    assert CheckIn.history.filter(key_result_id=okr.kr.pk, history_type="-").exists()
    assert Objective.history.filter(id=okr.objective.pk, history_type="-").exists()


def test_a_lead_makes_an_issues_key_result_weigh_by_points(okr, client_as):
    from integrations.models import GitHubIssue, IssueLink

    response = client_as("lead").post(
        reverse("okrs:key_result_create", args=[okr.objective.pk]),
        key_result_form_data(title="Heroku issues", kind="issues", weight_by_points="on"),
    )
    assert response.status_code == 302
    key_result = KeyResult.objects.get(title="Heroku issues")
    assert key_result.weight_by_points
    big = GitHubIssue.objects.create(repo="posthog/posthog", number=1, state="closed", points=3)
    small = GitHubIssue.objects.create(repo="posthog/posthog", number=2, state="open", points=1)
    IssueLink.objects.bulk_create(
        [IssueLink(issue=big, key_result=key_result), IssueLink(issue=small, key_result=key_result)]
    )
    content = client_as("viewer").get(key_result.get_absolute_url()).content.decode()
    assert "3 of 4 points of linked issues closed" in content
    assert 'aria-valuenow="75"' in content


def test_moving_an_archived_objective_changes_nothing_and_does_not_fail(okr, client_as):
    Objective.objects.filter(pk=okr.objective.pk).update(archived=True)
    response = client_as("lead").post(reverse("okrs:objective_move", args=[okr.objective.pk]), {"direction": "up"})
    assert response.status_code == 302


def test_a_refused_check_in_on_the_kr_page_keeps_the_bar_and_status(okr, client_as):
    response = client_as("engineer").post(
        reverse("okrs:check_in", args=[okr.kr.pk]),
        {"value": "", "confidence": "high", "version": okr.kr.version},
        HTTP_HX_TARGET="kr-summary",
        **HTMX,
    )
    content = response.content.decode()
    assert response.status_code == 422
    assert 'aria-valuenow="0"' in content
    assert "Off track" in content


def test_a_weighted_issues_kr_with_zero_points_still_shows_its_page(okr, client_as):
    from integrations.models import GitHubIssue, IssueLink

    KeyResult.objects.filter(pk=okr.kr.pk).update(kind="issues", weight_by_points=True)
    issue = GitHubIssue.objects.create(
        repo="a/b", number=1, state="closed", points=0, closed_at=datetime.datetime(2022, 11, 1, tzinfo=datetime.UTC)
    )
    IssueLink.objects.create(issue=issue, key_result=okr.kr)
    assert client_as("viewer").get(okr.kr.get_absolute_url()).status_code == 200


def test_opening_the_next_quarter_leaves_finished_issue_krs_behind(okr, org):
    from integrations.models import GitHubIssue, IssueLink
    from okrs.services import period_open_next

    done = key_result_create(objective=okr.objective, title="Issues done", kind="issues", weight_by_points=True)
    IssueLink.objects.create(issue=GitHubIssue.objects.create(repo="a/b", number=1, state="closed"), key_result=done)
    following = period_open_next(team=org.team, period=okr.period, copy_unfinished=True)
    titles = list(KeyResult.objects.filter(objective__period=following).values_list("title", flat=True))
    assert titles == ["Migrate postgres out of heroku"]


def test_an_in_place_check_in_also_refreshes_the_pages_status_counts(okr, client_as):
    response = client_as("engineer").post(
        reverse("okrs:check_in", args=[okr.kr.pk]),
        {"value": "3", "confidence": "high", "note": "", "version": okr.kr.version},
        HTTP_HX_TARGET=f"kr-{okr.kr.pk}",
        **HTMX,
    )
    status_strip = response.content.decode().split('<div id="okr-status" hx-swap-oob="true">')[1]
    assert "1 done" in status_strip


@pytest.mark.parametrize(
    "value", ["1234567890123456.1234", "9999999999999999.9999", "1234567890123456", "0.1234567890123456"]
)
def test_a_number_of_more_than_15_digits_is_refused_next_to_the_field(okr, client_as, value):
    """SQLite keeps 15 significant digits of a decimal: more would come back changed, or not at all."""
    client = client_as("lead")
    target = client.post(
        reverse("okrs:key_result_create", args=[okr.objective.pk]), key_result_form_data(target_value=value)
    )
    check_in = client.post(
        reverse("okrs:check_in", args=[okr.kr.pk]), {"value": value, "confidence": "high", "version": okr.kr.version}
    )
    for response, field in ((target, "target_value"), (check_in, "value")):
        assert response.status_code == 422
        assert response.context["form"].errors[field] == ["Use at most 15 digits."]
        assert "Use at most 15 digits." in response.content.decode()
    assert KeyResult.objects.count() == 1
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    ("start", "target"), [("-9999999999999990", "9999999999999990"), ("-99999999999.9999", "0.0001")]
)
def test_15_digit_numbers_are_stored_as_typed(okr, client_as, start, target):
    client = client_as("lead")
    form = key_result_form_data(title="Precise", start_value=start, target_value=target)
    assert client.post(reverse("okrs:key_result_create", args=[okr.objective.pk]), form).status_code == 302
    key_result = KeyResult.objects.get(title="Precise")
    assert (key_result.start_value, key_result.target_value) == (Decimal(start), Decimal(target))
    assert client.get(reverse("okrs:team_okrs", args=["platform", "2022-q4"])).status_code == 200
    assert client.get(key_result.get_absolute_url()).status_code == 200


def test_a_check_in_with_a_missing_version_says_to_reload(okr, client_as):
    response = client_as("engineer").post(
        reverse("okrs:check_in", args=[okr.kr.pk]),
        {"value": "2", "confidence": "high"},
        HTTP_HX_TARGET="kr-summary",
        **HTMX,
    )
    assert response.status_code == 422
    assert "This form is out of date; reload the page and try again." in response.content.decode()
    assert not CheckIn.objects.exists()


def test_a_bad_check_in_on_a_closed_quarter_from_the_kr_page_still_shows_its_errors(okr, client_as, org):
    period_close(team=org.team, period=okr.period, closed_by=None, scores={okr.kr.pk: (Decimal("0.4"), "ok")})
    response = client_as("lead").post(
        reverse("okrs:check_in", args=[okr.kr.pk]),
        {"value": "two", "confidence": "high", "version": okr.kr.version},
        HTTP_HX_TARGET="kr-summary",
        **HTMX,
    )
    content = response.content.decode()
    assert response.status_code == 422
    assert "Value: Enter a number." in content
    assert 'name="value"' not in content, "the form stays hidden: the quarter is closed"


def test_a_quarter_that_is_not_one_is_not_found(okr, client_as):
    for period in ("9" * 5000 + "-q1", "02022-q4", "2022-q%00"):
        assert client_as("viewer").get(reverse("okrs:overview") + f"?period={period}").status_code == 404


def test_htmx_objective_edit_returns_the_head_of_the_card_and_out_of_band_its_buttons(okr, client_as):
    response = client_as("lead").post(
        reverse("okrs:objective_edit", args=[okr.objective.pk]),
        {"title": "Higher uptime", "why": "Churn.", "version": okr.objective.version},
        HTTP_HX_TARGET=f"objective-{okr.objective.pk}-head",
        **HTMX,
    )
    content = response.content.decode()
    assert response.status_code == 200
    head, actions = content.split(f'<footer id="objective-{okr.objective.pk}-actions"')
    assert head.lstrip().startswith(f'<div id="objective-{okr.objective.pk}-head">')
    assert "Higher uptime" in head
    assert "Churn." in head
    assert 'aria-valuenow="0"' in head, "the objective's progress"
    assert 'hx-swap-oob="true"' in actions
    assert "Add key result" in actions
    assert f'aria-labelledby="objective-{okr.objective.pk}-title"' in actions, "its buttons are named after it"
    assert "Migrate postgres out of heroku" not in content, "the key results' rows stay as they are"


def test_the_objective_edit_form_takes_the_place_of_the_head_and_cancel_brings_the_head_back(okr, client_as):
    client = client_as("lead")
    form = client.get(reverse("okrs:objective_edit", args=[okr.objective.pk]), **HTMX).content.decode()
    assert form.lstrip().startswith(f'<form id="objective-{okr.objective.pk}-head"')
    assert f'hx-target="#objective-{okr.objective.pk}-head"' in form  # Cancel
    cancelled = client.get(
        reverse("okrs:objective_card", args=[okr.objective.pk]),
        HTTP_HX_TARGET=f"objective-{okr.objective.pk}-head",
        **HTMX,
    ).content.decode()
    assert cancelled.lstrip().startswith(f'<div id="objective-{okr.objective.pk}-head">')
    assert "High uptime" in cancelled
    assert "Migrate postgres out of heroku" not in cancelled


def test_an_in_place_objective_edit_against_a_newer_version_keeps_the_form_in_place_of_the_head(okr, client_as):
    url = reverse("okrs:objective_edit", args=[okr.objective.pk])
    client_as("staff").post(url, {"title": "Staff title", "why": "", "version": okr.objective.version})
    response = client_as("lead").post(url, {"title": "Lead title", "why": "", "version": okr.objective.version}, **HTMX)
    assert response.status_code == 409
    assert response.content.decode().lstrip().startswith(f'<form id="objective-{okr.objective.pk}-head"')


def _move_buttons(content: str, key_result: KeyResult) -> bool:
    return (
        f'<form class="move" method="post" action="{reverse("okrs:key_result_move", args=[key_result.pk])}"' in content
    )


def test_key_results_show_move_buttons_only_while_their_objective_is_reordered(okr, client_as):
    second = key_result_create(objective=okr.objective, title="Second KR", kind="percent")
    client = client_as("lead")
    page_url = reverse("okrs:team_okrs", args=["platform", "2022-q4"])
    page = client.get(page_url).content.decode()
    assert not _move_buttons(page, okr.kr)
    assert f"{page_url}?reorder={okr.objective.pk}#objective-{okr.objective.pk}" in page  # without JavaScript
    reordering = client.get(f"{page_url}?reorder={okr.objective.pk}").content.decode()
    assert _move_buttons(reordering, okr.kr)
    assert _move_buttons(reordering, second)
    assert "Done reordering" in reordering
    card_url = reverse("okrs:objective_card", args=[okr.objective.pk])
    rows_target = f"objective-{okr.objective.pk}-krs"
    rows = client.get(f"{card_url}?reorder=1", HTTP_HX_TARGET=rows_target, **HTMX).content.decode()
    assert rows.lstrip().startswith(f'<div id="{rows_target}" class="krs"')
    assert _move_buttons(rows, okr.kr)
    actions = rows.split(f'<footer id="objective-{okr.objective.pk}-actions"')[1]
    assert actions.startswith(' class="objective__actions" role="group"')
    assert 'hx-swap-oob="true"' in actions
    assert "Done reordering" in actions
    assert "High uptime" not in rows, "not the card's head"
    done = client.get(card_url, HTTP_HX_TARGET=rows_target, **HTMX).content.decode()
    assert not _move_buttons(done, okr.kr)
    assert "Reorder key results" in done


def test_moving_a_key_result_answers_with_the_rows_still_being_reordered(okr, client_as):
    second = key_result_create(objective=okr.objective, title="Second KR", kind="percent")
    client = client_as("lead")
    url = reverse("okrs:key_result_move", args=[second.pk])
    rows = client.post(url, {"direction": "up"}, **HTMX)
    assert rows["HX-Retarget"] == f"#objective-{okr.objective.pk}-krs"
    assert _move_buttons(rows.content.decode(), second)
    assert "High uptime" not in rows.content.decode(), "only the rows, not the whole card"
    plain = client.post(url, {"direction": "down"})
    page = reverse("okrs:team_okrs", args=["platform", "2022-q4"])
    assert plain.url == f"{page}?reorder={okr.objective.pk}#objective-{okr.objective.pk}"
    assert list(okr.objective.key_results.values_list("title", flat=True)) == [
        "Migrate postgres out of heroku",
        "Second KR",
    ]


def test_a_reader_who_owns_a_key_result_gets_the_check_in_button_only_on_that_one(okr, client_as, org):
    okr.kr.owners.add(org.users["viewer"].person)  # an org-wide viewer, not on the team
    other = key_result_create(objective=okr.objective, title="Second KR", kind="percent")
    page = client_as("viewer").get(reverse("okrs:team_okrs", args=["platform", "2022-q4"])).content.decode()
    assert f'href="{reverse("okrs:check_in", args=[okr.kr.pk])}"' in page
    assert f'href="{reverse("okrs:check_in", args=[other.pk])}"' not in page


def test_htmx_key_result_edit_returns_the_row_and_out_of_band_the_objectives_progress(okr, client_as):
    response = client_as("lead").post(
        reverse("okrs:key_result_edit", args=[okr.kr.pk]),
        key_result_form_data(title="Load test weekly", version=okr.kr.version),
        HTTP_HX_TARGET=f"kr-{okr.kr.pk}",
        **HTMX,
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith(f'<div id="kr-{okr.kr.pk}" class="kr')
    assert "Load test weekly" in content
    assert "0 of 12 runs (from 0)" in content
    assert f'<div id="objective-{okr.objective.pk}-summary" class="objective__summary" hx-swap-oob="true">' in content
    assert '<div id="okr-status" hx-swap-oob="true">' in content
    assert "High uptime" not in content, "the card's head stays as it is"


def test_cancelling_a_form_in_place_of_a_row_brings_the_row_back(okr, client_as):
    client = client_as("engineer")
    form = client.get(reverse("okrs:check_in", args=[okr.kr.pk]), **HTMX).content.decode()
    detail = reverse("okrs:key_result_detail", args=[okr.kr.pk])
    assert f'hx-get="{detail}" hx-target="#kr-{okr.kr.pk}"' in form
    row = client.get(detail, HTTP_HX_TARGET=f"kr-{okr.kr.pk}", **HTMX).content.decode()
    assert row.lstrip().startswith(f'<div id="kr-{okr.kr.pk}" class="kr')
    assert ">Check in</a>" in row
    assert "Check-ins" not in row, "not the KR page's summary"


def test_deleting_a_key_result_in_place_asks_in_its_row_and_answers_with_the_card(okr, client_as):
    client = client_as("lead")
    confirm = client.get(reverse("okrs:key_result_delete", args=[okr.kr.pk]), **HTMX).content.decode()
    assert confirm.lstrip().startswith(f'<form id="kr-{okr.kr.pk}"')
    assert f'hx-get="{reverse("okrs:key_result_detail", args=[okr.kr.pk])}" hx-target="#kr-{okr.kr.pk}"' in confirm
    response = client.post(reverse("okrs:key_result_delete", args=[okr.kr.pk]), **HTMX)
    assert response["HX-Retarget"] == f"#objective-{okr.objective.pk}"
    assert "No key results yet." in response.content.decode()


def test_the_row_after_a_check_in_or_an_edit_lists_the_owners_in_the_pages_order(okr, org, client_as):
    zed = MembershipFactory(team=org.team, person__display_name="Zed Zulu").person
    ann = MembershipFactory(team=org.team, person__display_name="Ann Able").person
    okr.kr.owners.set([zed, ann])
    page = client_as("lead").get(reverse("okrs:team_okrs", args=["platform", "2022-q4"])).content.decode()
    assert page.index("Ann Able") < page.index("Zed Zulu")

    checked_in = client_as("lead").post(
        reverse("okrs:check_in", args=[okr.kr.pk]),
        {"value": "2", "confidence": "high", "note": "", "version": okr.kr.version},
        HTTP_HX_TARGET=f"kr-{okr.kr.pk}",
        **HTMX,
    )
    row = checked_in.content.decode()
    assert row.index("Ann Able") < row.index("Zed Zulu")

    okr.kr.refresh_from_db()
    edited = client_as("lead").post(
        reverse("okrs:key_result_edit", args=[okr.kr.pk]),
        key_result_form_data(version=okr.kr.version, owners=[zed.pk]),
        HTTP_HX_TARGET=f"kr-{okr.kr.pk}",
        **HTMX,
    )
    row = edited.content.decode()
    assert edited.status_code == 200
    assert "Zed Zulu" in row
    assert "Ann Able" not in row, "the owners the edit saved, not the ones read before it"


def test_an_owner_from_outside_the_teams_tree_is_refused_next_to_the_field_and_nothing_is_saved(okr, org, client_as):
    insider = MembershipFactory(team=org.team, person__display_name="Ann Able").person
    outsider = MembershipFactory(team=TeamFactory(), person__display_name="Otto Other").person
    owners_before = set(okr.objective.owners.all())
    response = client_as("lead").post(
        reverse("okrs:objective_edit", args=[okr.objective.pk]),
        {"title": "Renamed", "why": "", "owners": [insider.pk, outsider.pk], "version": okr.objective.version},
    )
    assert response.status_code == 422
    assert f"Select a valid choice. {outsider.pk} is not one of the available choices." in response.content.decode()
    okr.objective.refresh_from_db()
    assert okr.objective.title != "Renamed"
    assert set(okr.objective.owners.all()) == owners_before


def test_owners_chosen_from_the_teams_tree_and_its_sub_teams_are_saved(okr, org, client_as):
    sub_team_member = MembershipFactory(team=org.sub_team, person__display_name="Sam Sub").person
    lead_member = MembershipFactory(team=org.team, person__display_name="Ann Able").person
    response = client_as("lead").post(
        reverse("okrs:key_result_edit", args=[okr.kr.pk]),
        key_result_form_data(version=okr.kr.version, owners=[sub_team_member.pk, lead_member.pk]),
    )
    assert response.status_code == 302
    assert set(okr.kr.owners.all()) == {sub_team_member, lead_member}
