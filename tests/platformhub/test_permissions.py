import pytest
from django.contrib.auth.models import AnonymousUser

from platformhub.models import Membership
from platformhub.permissions import access_for
from tests.factories import MembershipFactory, PersonFactory, UserFactory

VIEW, CHANGE = "platformhub.view_team", "platformhub.change_team"

# role -> (may view Platform, may edit Platform, may view its sub-team, may edit its sub-team)
MATRIX = {
    "lead": (True, True, True, True),
    "engineer": (True, False, True, False),
    "viewer": (True, False, True, False),
    "outsider": (False, False, False, False),
    "staff": (True, True, True, True),
}


@pytest.mark.parametrize("role", MATRIX)
def test_team_permissions_by_role(org, role):
    user = org.users[role]
    expected = MATRIX[role]
    actual = (
        user.has_perm(VIEW, org.team),
        user.has_perm(CHANGE, org.team),
        user.has_perm(VIEW, org.sub_team),
        user.has_perm(CHANGE, org.sub_team),
    )
    assert actual == expected


def test_anonymous_user_has_no_team_permissions(org):
    anonymous = AnonymousUser()
    assert not anonymous.has_perm(VIEW, org.team)
    assert not anonymous.has_perm(CHANGE, org.team)


def test_sub_team_member_reads_the_parent_team_but_does_not_edit_it(org):
    sub_lead = MembershipFactory(team=org.sub_team, role=Membership.Role.LEAD).person.user
    assert sub_lead.has_perm(VIEW, org.team)
    assert not sub_lead.has_perm(CHANGE, org.team)
    assert sub_lead.has_perm(CHANGE, org.sub_team)


def test_outsider_cannot_read_or_edit_the_other_tree(org):
    outsider = org.users["outsider"]
    assert outsider.has_perm(CHANGE, org.other_team) is False
    assert outsider.has_perm(VIEW, org.other_team) is True
    assert outsider.has_perm(VIEW, org.team) is False


def test_permission_checks_cost_queries_once_per_request(org, django_assert_num_queries):
    lead = type(org.users["lead"]).objects.get(pk=org.users["lead"].pk)
    with django_assert_num_queries(1):
        for _ in range(10):
            lead.has_perm(VIEW, org.team)
            lead.has_perm(CHANGE, org.sub_team)


def test_access_reads_a_person_in_several_teams_and_one_in_none(org):
    """One query reads the person with every membership; a person in no team still has a person
    (and an org-wide viewer flag), and a user without a person has neither."""
    lead = org.users["lead"]
    MembershipFactory(person=lead.person, team=org.other_team)
    access = access_for(type(lead).objects.get(pk=lead.pk))
    assert access.person_id == lead.person.pk
    assert access.member_team_ids == {org.team.pk, org.other_team.pk}
    assert access.lead_team_ids == {org.team.pk}
    assert access.root_team_ids == {org.team.pk, org.other_team.pk}

    exec_person = PersonFactory(is_org_viewer=True)
    access = access_for(type(lead).objects.get(pk=exec_person.user.pk))
    assert (access.person_id, access.is_org_viewer, access.member_team_ids) == (exec_person.pk, True, frozenset())

    without_person = UserFactory()
    access = access_for(without_person)
    assert (access.person_id, access.is_org_viewer, access.member_team_ids) == (None, False, frozenset())
