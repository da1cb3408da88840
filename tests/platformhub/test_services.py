import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.test import RequestFactory

from platformhub.concurrency import EditConflict
from platformhub.models import Membership
from platformhub.services import membership_add, person_create, team_create, team_update_about
from tests.factories import PersonFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_team_update_about_saves_and_bumps_the_version():
    team = TeamFactory(mission="Old")
    team_update_about(team=team, mission="New mission", guidelines="- be kind", expected_version=1)
    team.refresh_from_db()
    assert (team.mission, team.guidelines, team.version) == ("New mission", "- be kind", 2)


def test_team_update_about_refuses_a_stale_version_and_keeps_the_other_write():
    team = TeamFactory(mission="Original")
    first_reader = type(team).objects.get(pk=team.pk)
    second_reader = type(team).objects.get(pk=team.pk)
    team_update_about(team=first_reader, mission="First writer", guidelines="", expected_version=1)

    with pytest.raises(EditConflict) as conflict:
        team_update_about(team=second_reader, mission="Second writer", guidelines="", expected_version=1)

    assert conflict.value.current.mission == "First writer"
    team.refresh_from_db()
    assert (team.mission, team.version) == ("First writer", 2)


def test_team_update_about_rejects_a_mission_that_is_too_long_and_saves_nothing():
    team = TeamFactory(mission="Keep me")
    with pytest.raises(ValidationError):
        team_update_about(team=team, mission="x" * 1001, guidelines="", expected_version=1)
    team.refresh_from_db()
    assert (team.mission, team.version) == ("Keep me", 1)


def test_team_create_validates_the_slack_channel():
    with pytest.raises(ValidationError):
        team_create(slug="ops", name="Ops", slack_channel="not a channel")


def test_person_create_makes_a_user_who_can_log_in():
    person = person_create(
        username="grace", display_name="Grace Hopper", password="s3cret-pass", timezone="America/New_York"
    )
    assert person.user.first_name == "Grace"
    assert (
        authenticate(RequestFactory().post("/accounts/login/"), username="grace", password="s3cret-pass") == person.user
    )


def test_person_create_rejects_an_unknown_timezone_and_creates_no_user():
    with pytest.raises(ValidationError):
        person_create(username="nobody", display_name="No Body", password="pw-123456", timezone="Nowhere/Land")
    assert not User.objects.filter(username="nobody").exists()


def test_a_person_is_on_a_team_once():
    person, team = PersonFactory(), TeamFactory()
    membership_add(person=person, team=team, role=Membership.Role.ENGINEER)
    with pytest.raises((ValidationError, IntegrityError)):
        membership_add(person=person, team=team, role=Membership.Role.LEAD)
