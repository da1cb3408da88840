import pytest
from django.contrib.auth.models import AnonymousUser

from platformhub.models import Membership
from tests.factories import MembershipFactory

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
    with django_assert_num_queries(2):
        for _ in range(10):
            lead.has_perm(VIEW, org.team)
            lead.has_perm(CHANGE, org.sub_team)
