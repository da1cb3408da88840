import pytest
from django.core.exceptions import ValidationError

from tests.factories import PersonFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_sub_team_belongs_to_its_parents_tree():
    platform = TeamFactory()
    infrastructure = TeamFactory(parent=platform)
    assert platform.root_id == platform.pk
    assert infrastructure.root_id == platform.pk


def test_sub_team_cannot_have_sub_teams():
    platform = TeamFactory()
    infrastructure = TeamFactory(parent=platform)
    too_deep = TeamFactory.build(parent=infrastructure)
    with pytest.raises(ValidationError, match="Sub-teams cannot have sub-teams"):
        too_deep.full_clean()


def test_team_with_sub_teams_cannot_become_a_sub_team():
    platform, other = TeamFactory(), TeamFactory()
    TeamFactory(parent=platform)
    platform.parent = other
    with pytest.raises(ValidationError, match="cannot become a sub-team"):
        platform.full_clean()


def test_team_cannot_be_its_own_parent():
    team = TeamFactory()
    team.parent = team
    with pytest.raises(ValidationError, match="its own parent"):
        team.full_clean()


def test_slack_link_opens_the_channel_by_name():
    team = TeamFactory.build(slack_channel="#team-platform")
    assert team.slack_channel_name == "team-platform"
    assert team.slack_url == "https://slack.com/app_redirect?channel=team-platform"


@pytest.mark.parametrize("channel", ["#Team Platform", "#", "team/platform"])
def test_slack_channel_must_be_a_channel_name(channel):
    team = TeamFactory.build(slack_channel=channel)
    with pytest.raises(ValidationError) as error:
        team.full_clean()
    assert "slack_channel" in error.value.message_dict


def test_person_timezone_must_be_an_iana_name():
    person = PersonFactory(timezone="Europe/Rome")
    assert person.tzinfo.key == "Europe/Rome"
    person.timezone = "Mars/Olympus_Mons"
    with pytest.raises(ValidationError, match="not an IANA timezone"):
        person.full_clean()


def test_person_github_handle_is_validated():
    person = PersonFactory(github_handle="-not-valid-")
    with pytest.raises(ValidationError) as error:
        person.full_clean()
    assert "github_handle" in error.value.message_dict
