import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from platformhub.demo import DEMO_PASSWORD, PLATFORM_MISSION
from platformhub.models import Membership, Person, Team

pytestmark = pytest.mark.django_db


def test_load_demo_builds_the_platform_team_from_the_handbook():
    call_command("load_demo", stdout=None)
    platform = Team.objects.get(slug="platform")
    assert platform.mission == "Make deploying, scaling, and managing PostHog easy, fast, and reliable."
    assert platform.slack_channel == "#team-platform"
    assert "The board should be our source of truth" in platform.guidelines
    assert set(platform.sub_teams.values_list("name", flat=True)) == {"Infrastructure", "Ingestion"}
    people = {m.person.display_name: (m.person.title, m.role) for m in platform.memberships.select_related("person")}
    assert people == {
        "Ellie Huxtable": ("Team lead, Full Stack Engineer", Membership.Role.LEAD),
        "Guido Iaquinti": ("Site Reliability Engineer", Membership.Role.ENGINEER),
        "Daniel Jaramillo": ("Site Reliability Engineer", Membership.Role.ENGINEER),
    }
    assert Person.objects.get(user__username="exec").is_org_viewer


@pytest.mark.parametrize("username", ["ellie", "guido", "daniel", "exec"])
def test_demo_logins_work(username):
    call_command("load_demo", stdout=None)
    assert authenticate(RequestFactory().post("/accounts/login/"), username=username, password=DEMO_PASSWORD)


def test_load_demo_twice_keeps_what_people_changed(capsys):
    call_command("load_demo")
    Team.objects.filter(slug="platform").update(mission="Edited in the app")
    call_command("load_demo")
    assert Team.objects.get(slug="platform").mission == "Edited in the app"
    assert Team.objects.count() == 3
    assert Membership.objects.count() == 7
    assert "Kept the existing Platform team" in capsys.readouterr().out
    assert PLATFORM_MISSION != "Edited in the app"
