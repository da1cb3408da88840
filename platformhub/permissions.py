"""Every "may this user do X to Y?" question the app asks, answered in one place (django-rules).

Views call `user.has_perm(<permission>, obj)`; the predicates below read a per-request
`Access` summary of the user's memberships, so a page full of checks costs one query.
"""

from dataclasses import dataclass

import rules
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from okrs.models import KeyResult
from platformhub.models import Membership, Person, Team
from platformhub.prepared import prepared

_ACCESS_ATTR = "_platformhub_access"


@dataclass(frozen=True)
class Access:
    is_staff: bool
    is_org_viewer: bool
    member_team_ids: frozenset[int]
    lead_team_ids: frozenset[int]
    root_team_ids: frozenset[int]
    person_id: int | None


def access_for(user: User | AnonymousUser) -> Access:
    """The user's person and memberships, loaded once (one query) and kept on the user object for the request."""
    cached = getattr(user, _ACCESS_ATTR, None)
    if cached is not None:
        return cached
    if not user.is_authenticated:
        return Access(False, False, frozenset(), frozenset(), frozenset(), None)
    # One row per membership, or one row with no team for a person in no team: a single query.
    rows = _membership_rows(user_id=user.pk)
    memberships = [(team_id, parent_id, role) for _, _, team_id, parent_id, role in rows if team_id is not None]
    access = Access(
        is_staff=user.is_staff,
        is_org_viewer=bool(rows) and rows[0][1],
        member_team_ids=frozenset(team_id for team_id, _, _ in memberships),
        lead_team_ids=frozenset(team_id for team_id, _, role in memberships if role == Membership.Role.LEAD),
        root_team_ids=frozenset(parent_id or team_id for team_id, parent_id, _ in memberships),
        person_id=rows[0][0] if rows else None,
    )
    setattr(user, _ACCESS_ATTR, access)
    return access


@prepared
def _membership_rows(*, user_id: int) -> QuerySet[Person]:
    return (
        Person.objects.filter(user_id=user_id)
        .order_by()
        .values_list("pk", "is_org_viewer", "memberships__team_id", "memberships__team__parent_id", "memberships__role")
    )


@rules.predicate
def is_staff(user) -> bool:
    return access_for(user).is_staff


@rules.predicate
def is_org_viewer(user) -> bool:
    return access_for(user).is_org_viewer


@rules.predicate
def is_in_team_tree(user, team: Team | None) -> bool:
    """Members of a team, of its parent or of any of its sub-teams share its plans. What belongs
    to no team (an org-wide meeting series) is shared by every member of any team."""
    if team is None:
        return bool(access_for(user).member_team_ids)
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


def is_one_of(user, owner_ids) -> bool:
    """Whether the user's person is among these owners (person ids): owners of a key result may
    update it even when they sit on another team. Pages that load many key results' owners as
    ids ask this of each, rather than `owns_key_result` of a model."""
    person_id = access_for(user).person_id
    return person_id is not None and person_id in owner_ids


@rules.predicate
def owns_key_result(user, key_result: KeyResult) -> bool:
    if not isinstance(key_result, KeyResult):
        return False
    return is_one_of(user, {owner.pk for owner in key_result.owners.all()})


def _of_team(predicate):
    """Apply a team predicate to the team an object (objective, key result, roadmap item…) belongs to."""

    @rules.predicate(name=f"{predicate.name}_of_team")
    def of_team(user, obj) -> bool:
        return predicate.test(user, team_of(obj))

    return of_team


def team_of(obj) -> Team:
    """The team whose plans `obj` is part of (a Team, a KeyResult, or anything with a `team`)."""
    if isinstance(obj, Team):
        return obj
    if isinstance(obj, KeyResult):
        return obj.objective.team
    if not hasattr(obj, "team") and hasattr(obj, "project"):
        return obj.project.team  # a project's milestone
    return obj.team


@rules.predicate
def leads_any_team(user) -> bool:
    return bool(access_for(user).lead_team_ids)


can_view_team = is_staff | is_org_viewer | is_in_team_tree
can_edit_team = is_staff | leads_team

rules.add_perm("platformhub.view_team", can_view_team)
rules.add_perm("platformhub.change_team", can_edit_team)

# OKRs: `obj` is a Team (adding objectives, closing a quarter), an Objective or a KeyResult.
rules.add_perm("okrs.view", _of_team(can_view_team) | owns_key_result)
rules.add_perm("okrs.change", _of_team(can_edit_team))
rules.add_perm("okrs.check_in", _of_team(can_edit_team | is_team_member) | owns_key_result)

# Sprints: `obj` is a Team, Card, Project, Milestone or SprintGoal. Sprints are org-wide:
# any lead (or staff) closes one.
rules.add_perm("sprints.view", _of_team(can_view_team))
rules.add_perm("sprints.plan", _of_team(can_edit_team))
rules.add_perm("sprints.work", _of_team(can_edit_team | is_team_member))
rules.add_perm("sprints.close_sprint", is_staff | leads_any_team)

# Rituals: `obj` is a Team, or a meeting series, meeting, agenda or action item, retro note,
# standup, planning comment, request or calendar feed. Org-wide series (no team) belong to
# everyone: any member attends, any lead runs them.


@rules.predicate
def is_member_anywhere(user) -> bool:
    return bool(access_for(user).member_team_ids)


@rules.predicate
def leads_meeting_team(user, obj) -> bool:
    team = team_of(obj)
    return leads_any_team.test(user) if team is None else leads_team.test(user, team)


# Sprints themselves (dates, who closed them) are org-wide: anyone on a team, viewers and staff read them.
rules.add_perm("sprints.view_sprint", is_staff | is_org_viewer | is_member_anywhere)
rules.add_perm("sprints.view_meetings", _of_team(can_view_team))
rules.add_perm("sprints.attend", is_staff | _of_team(is_in_team_tree))
rules.add_perm("sprints.run_meetings", is_staff | leads_meeting_team)
# Engineering-wide planning: anyone on a team comments on, and files requests to, the teams they can see.
rules.add_perm("sprints.discuss", is_staff | (is_member_anywhere & _of_team(can_view_team)))
