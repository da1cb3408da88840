"""Every "may this user do X to Y?" question the app asks, answered in one place (django-rules).

Views call `user.has_perm(<permission>, obj)`; the predicates below read a per-request
`Access` summary of the user's memberships, so a page full of checks costs one query.
"""

from dataclasses import dataclass

import rules
from django.contrib.auth.models import AnonymousUser, User

from platformhub.models import Membership, Person, Team

_ACCESS_ATTR = "_platformhub_access"


@dataclass(frozen=True)
class Access:
    is_staff: bool
    is_org_viewer: bool
    member_team_ids: frozenset[int]
    lead_team_ids: frozenset[int]
    root_team_ids: frozenset[int]


def access_for(user: User | AnonymousUser) -> Access:
    """The user's memberships, loaded once and kept on the user object for the request."""
    cached = getattr(user, _ACCESS_ATTR, None)
    if cached is not None:
        return cached
    if not user.is_authenticated:
        return Access(False, False, frozenset(), frozenset(), frozenset())
    memberships = list(Membership.objects.filter(person__user=user).values_list("team_id", "team__parent_id", "role"))
    is_viewer = Person.objects.filter(user=user, is_org_viewer=True).exists()
    access = Access(
        is_staff=user.is_staff,
        is_org_viewer=is_viewer,
        member_team_ids=frozenset(team_id for team_id, _, _ in memberships),
        lead_team_ids=frozenset(team_id for team_id, _, role in memberships if role == Membership.Role.LEAD),
        root_team_ids=frozenset(parent_id or team_id for team_id, parent_id, _ in memberships),
    )
    setattr(user, _ACCESS_ATTR, access)
    return access


@rules.predicate
def is_staff(user) -> bool:
    return access_for(user).is_staff


@rules.predicate
def is_org_viewer(user) -> bool:
    return access_for(user).is_org_viewer


@rules.predicate
def is_in_team_tree(user, team: Team) -> bool:
    """Members of a team, of its parent or of any of its sub-teams share its plans."""
    return team.root_id in access_for(user).root_team_ids


@rules.predicate
def is_team_member(user, team: Team) -> bool:
    """A member of the team itself or of its parent team (Platform members work in its sub-teams)."""
    member_of = access_for(user).member_team_ids
    return team.pk in member_of or team.parent_id in member_of


@rules.predicate
def leads_team(user, team: Team) -> bool:
    """Leads of a team also lead its sub-teams."""
    led = access_for(user).lead_team_ids
    return team.pk in led or team.parent_id in led


can_view_team = is_staff | is_org_viewer | is_in_team_tree
can_edit_team = is_staff | leads_team

rules.add_perm("platformhub.view_team", can_view_team)
rules.add_perm("platformhub.change_team", can_edit_team)
