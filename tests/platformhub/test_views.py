import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from platformhub.html import CSRF_PLACEHOLDER
from platformhub.models import Membership
from tests.conftest import ROLES
from tests.factories import TEST_PASSWORD, MembershipFactory, TeamFactory

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "team-about"}


def _edit_url(team):
    return reverse("team_about_edit", args=[team.slug])


def _login_redirect(response):
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("role", "expected"),
    [("lead", 200), ("engineer", 200), ("viewer", 200), ("outsider", 200), ("staff", 200), ("anonymous", 302)],
)
def test_home_lists_teams_for_everyone_logged_in(org, client_as, role, expected):
    response = client_as(role).get(reverse("team_list"))
    assert response.status_code == expected
    if expected == 302:
        assert _login_redirect(response)


@pytest.mark.parametrize(
    ("role", "sees_platform", "sees_payments"),
    [
        ("lead", True, False),
        ("engineer", True, False),
        ("viewer", True, True),
        ("outsider", False, True),
        ("staff", True, True),
    ],
)
def test_home_lists_only_the_teams_a_user_may_read(org, client_as, role, sees_platform, sees_payments):
    content = client_as(role).get(reverse("team_list")).content.decode()
    assert ('href="/teams/platform/"' in content) is sees_platform
    assert ('href="/teams/infrastructure/"' in content) is sees_platform
    assert ('href="/teams/payments/"' in content) is sees_payments


def test_home_tells_someone_without_a_team_what_to_do(db, client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert "You're not on a team yet" in client.get(reverse("team_list")).content.decode()


@pytest.mark.parametrize(
    ("role", "expected"),
    [("lead", 200), ("engineer", 200), ("viewer", 200), ("outsider", 404), ("staff", 200), ("anonymous", 302)],
)
def test_team_page_access_by_role(org, client_as, role, expected):
    response = client_as(role).get(org.team.get_absolute_url())
    assert response.status_code == expected


def test_team_page_shows_mission_people_sub_teams_slack_and_guidelines(org, client_as):
    org.team.guidelines = "- We finish what we start"
    org.team.save()
    content = client_as("engineer").get(org.team.get_absolute_url()).content.decode()
    assert "Ship reliable things." in content
    assert "Lena Lead" in content
    assert "Eric Engineer" in content
    assert "Software Engineer" in content
    assert "Europe/London" in content
    assert 'href="/teams/infrastructure/"' in content
    assert "https://slack.com/app_redirect?channel=team-things" in content
    assert "<li>We finish what we start</li>" in content


def test_team_page_shows_each_persons_local_time(org, client_as):
    org.users["engineer"].person.timezone = "Asia/Tokyo"
    org.users["engineer"].person.save()
    content = client_as("lead").get(org.team.get_absolute_url()).content.decode()
    assert "+09:00" in content  # the <time datetime> of Tokyo local time
    assert "Asia/Tokyo" in content


def test_unknown_team_is_a_styled_404(org, client_as):
    response = client_as("lead").get("/teams/no-such-team/")
    assert response.status_code == 404
    assert "We couldn't find that page" in response.content.decode()


@pytest.mark.parametrize(
    ("role", "shows_edit"), [(r, r in ("lead", "staff")) for r in ROLES if r not in ("outsider", "anonymous")]
)
def test_only_leads_and_staff_see_the_edit_control(org, client_as, role, shows_edit):
    content = client_as(role).get(org.team.get_absolute_url()).content.decode()
    assert ("Edit mission and guidelines" in content) is shows_edit


@pytest.mark.parametrize(
    ("role", "expected"),
    [("lead", 200), ("engineer", 403), ("viewer", 403), ("outsider", 404), ("staff", 200), ("anonymous", 302)],
)
def test_edit_form_access_by_role(org, client_as, role, expected):
    response = client_as(role).get(_edit_url(org.team))
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [("lead", 302), ("engineer", 403), ("viewer", 403), ("outsider", 404), ("staff", 302), ("anonymous", 302)],
)
def test_saving_the_mission_by_role(org, client_as, role, expected):
    response = client_as(role).post(_edit_url(org.team), {"mission": "Changed", "guidelines": "", "version": 1})
    assert response.status_code == expected
    org.team.refresh_from_db()
    assert (org.team.mission == "Changed") is (role in ("lead", "staff"))


def test_lead_of_the_parent_team_edits_a_sub_team(org, client_as):
    response = client_as("lead").post(_edit_url(org.sub_team), {"mission": "Infra!", "guidelines": "", "version": 1})
    assert response.status_code == 302
    org.sub_team.refresh_from_db()
    assert org.sub_team.mission == "Infra!"


def test_team_page_refuses_post(org, client_as):
    assert client_as("lead").post(org.team.get_absolute_url()).status_code == 405


def test_htmx_edit_returns_only_the_form(org, client_as):
    response = client_as("lead").get(_edit_url(org.team), **HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<form id="team-about"')
    assert "<html" not in content
    assert 'name="version" value="1"' in content


def test_edit_without_javascript_is_a_full_page(org, client_as):
    content = client_as("lead").get(_edit_url(org.team)).content.decode()
    assert "<html" in content
    assert '<form id="team-about"' in content


def test_htmx_save_swaps_back_the_updated_section(org, client_as):
    response = client_as("lead").post(
        _edit_url(org.team),
        {"mission": "Make PostHog boring to run", "guidelines": "- **Be frugal**", "version": 1},
        **HTMX,
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<section id="team-about"')
    assert "Make PostHog boring to run" in content
    assert "<strong>Be frugal</strong>" in content


def test_save_without_javascript_redirects_with_a_message(org, client_as):
    response = client_as("lead").post(
        _edit_url(org.team), {"mission": "No JS", "guidelines": "", "version": 1}, follow=True
    )
    assert response.redirect_chain[-1][0] == org.team.get_absolute_url()
    assert "Saved the team&#x27;s mission and guidelines." in response.content.decode()


def test_invalid_input_is_shown_next_to_the_field_and_kept(org, client_as):
    too_long = "m" * 1001
    response = client_as("lead").post(
        _edit_url(org.team), {"mission": too_long, "guidelines": "my careful notes", "version": 1}, **HTMX
    )
    content = response.content.decode()
    assert response.status_code == 422
    assert "Ensure this value has at most 1000 characters" in content
    assert "my careful notes" in content
    assert too_long in content
    org.team.refresh_from_db()
    assert org.team.mission == "Ship reliable things."


def test_a_save_against_a_newer_version_is_refused_with_both_versions_shown(org, client_as):
    client_as("staff").post(_edit_url(org.team), {"mission": "Staff's mission", "guidelines": "", "version": 1})

    response = client_as("lead").post(
        _edit_url(org.team), {"mission": "Lead's mission", "guidelines": "", "version": 1}, **HTMX
    )

    content = response.content.decode()
    assert response.status_code == 409
    assert "saved a change" in content
    assert "Staff's mission" in unescape(content)  # theirs, shown
    assert "Lead's mission" in unescape(content.split('name="mission"', 1)[1])  # mine, still in the form
    assert 'name="version" value="2"' in content
    org.team.refresh_from_db()
    assert org.team.mission == "Staff's mission"


def test_saving_again_after_a_conflict_wins_knowingly(org, client_as):
    client_as("staff").post(_edit_url(org.team), {"mission": "Theirs", "guidelines": "", "version": 1})
    client_as("lead").post(_edit_url(org.team), {"mission": "Mine", "guidelines": "", "version": 2})
    org.team.refresh_from_db()
    assert (org.team.mission, org.team.version) == ("Mine", 3)


def test_a_missing_version_is_a_form_error_not_a_crash(org, client_as):
    response = client_as("lead").post(_edit_url(org.team), {"mission": "x", "guidelines": ""})
    assert response.status_code == 422


def _team_with_members(count: int):
    team = TeamFactory()
    sub = TeamFactory(parent=team)
    MembershipFactory(team=team, role=Membership.Role.LEAD)
    for _ in range(count - 1):
        MembershipFactory(team=team)
        MembershipFactory(team=sub)
    return team


@pytest.mark.parametrize("members", [3, 30])
def test_team_page_runs_a_constant_number_of_queries(db, client, django_assert_num_queries, members):
    team = _team_with_members(members)
    viewer = MembershipFactory(team=TeamFactory(), person__is_org_viewer=True).person.user
    client.force_login(viewer)
    # session + user, the reader's access, team, people, sub-teams, their people, open standup blockers
    with django_assert_num_queries(8):
        response = client.get(team.get_absolute_url())
    assert response.status_code == 200
    assert response.content.decode().count('class="person"') == members + members - 1


def test_forbidden_edit_shows_the_styled_403_page(org, client_as):
    response = client_as("engineer").get(_edit_url(org.team))
    assert response.status_code == 403
    assert "You can't do that here" in response.content.decode()


def test_server_errors_render_the_styled_500_page(org, rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_login_page_and_logging_in_and_out(org, client):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(
        reverse("login"), {"username": org.users["lead"].username, "password": TEST_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert response.context["user"] == org.users["lead"]
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert not response.context["user"].is_authenticated


def test_wrong_password_is_explained_on_the_login_form(org, client):
    response = client.post(reverse("login"), {"username": org.users["lead"].username, "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_an_about_edit_without_its_version_says_to_reload(org, client_as):
    response = client_as("lead").post(_edit_url(org.team), {"mission": "Changed"}, **HTMX)
    assert response.status_code == 422
    assert "This form is out of date; reload the page and try again." in response.content.decode()
    org.team.refresh_from_db()
    assert org.team.mission != "Changed"


def _current_sections(content: str) -> list[str]:
    nav = content[content.index('<nav class="site-nav"') : content.index("</nav>")]
    return re.findall(r'aria-current="page">([^<]+)</a>', nav)


@pytest.mark.parametrize(
    ("address", "current"),
    [
        (lambda org: reverse("dashboard"), ["Dashboard"]),
        (lambda org: reverse("team_list"), ["Teams"]),
        (lambda org: reverse("team_detail", args=[org.team.slug]), ["Teams"]),
        (lambda org: reverse("okrs:overview"), ["OKRs"]),
        (lambda org: reverse("okrs:roadmap"), ["Roadmap"]),
        (lambda org: reverse("sprints:current"), ["Sprints"]),
    ],
)
def test_the_header_marks_the_section_of_the_page(org, client_as, address, current):
    response = client_as("lead").get(address(org), follow=True)
    assert _current_sections(response.content.decode()) == current


def test_the_header_names_each_reader_and_offers_the_admin_to_staff_only(org, client_as):
    """The header is drawn from memory (platformhub/fragments.py), keyed by what it shows."""
    org.users["lead"].first_name, org.users["lead"].last_name = "Ada <b>", "Lovelace"
    org.users["lead"].save(update_fields=["first_name", "last_name"])
    lead = client_as("lead").get(reverse("team_list")).content.decode()
    staff = client_as("staff").get(reverse("team_list")).content.decode()
    assert "Ada &lt;b&gt; Lovelace" in lead
    assert org.users["lead"].get_full_name() not in staff
    assert reverse("admin:index") not in lead
    assert reverse("admin:index") in staff


def test_the_headers_log_out_form_carries_the_readers_own_csrf_token(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.users["engineer"])
    content = client.get(reverse("team_list")).content.decode()
    form = content[content.index(f'action="{reverse("logout")}"') :]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    assert token != CSRF_PLACEHOLDER
    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": token}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert not response.context["user"].is_authenticated


def test_a_page_for_no_one_signed_in_has_no_navigation(client):
    content = client.get(reverse("login")).content.decode()
    assert 'class="site-header"' in content
    assert "site-nav" not in content
    assert "Log out" not in content
