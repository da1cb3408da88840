"""Reads for team pages: each returns everything its page needs in a fixed number of queries."""

from django.contrib.auth.models import User
from django.db.models import Case, Count, IntegerField, Prefetch, QuerySet, Value, When

from platformhub.models import Membership, Person, Team
from platformhub.permissions import access_for


def team_list_visible_to(user: User) -> QuerySet[Team]:
    """Top-level teams the user may read, each with its sub-teams and member counts."""
    access = access_for(user)
    teams = Team.objects.filter(parent__isnull=True)
    if not (access.is_staff or access.is_org_viewer):
        teams = teams.filter(pk__in=access.root_team_ids)
    return teams.annotate(member_count=Count("memberships", distinct=True)).prefetch_related(
        Prefetch(
            "sub_teams",
            queryset=Team.objects.annotate(member_count=Count("memberships")).order_by("name"),
        )
    )


def _memberships_leads_first() -> QuerySet[Membership]:
    return (
        Membership.objects.select_related("person")
        .annotate(
            role_order=Case(
                When(role=Membership.Role.LEAD, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("role_order", "person__display_name")
    )


def team_get_for_page_queryset() -> QuerySet[Team]:
    """Teams with their parent, people (leads first) and sub-teams with their people."""
    return Team.objects.select_related("parent").prefetch_related(
        Prefetch("memberships", queryset=_memberships_leads_first()),
        Prefetch(
            "sub_teams",
            queryset=Team.objects.order_by("name").prefetch_related(
                Prefetch("memberships", queryset=_memberships_leads_first())
            ),
        ),
    )


def person_for_page(pk: int) -> Person | None:
    return (
        Person.objects.prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("team__parent").order_by("team__name"))
        )
        .filter(pk=pk)
        .first()
    )


def person_is_visible_to(person: Person, user: User) -> bool:
    """Colleagues in the same team tree, org-wide viewers and staff see a person's page."""
    access = access_for(user)
    if access.is_staff or access.is_org_viewer or access.person_id == person.pk:
        return True
    return any(membership.team.root_id in access.root_team_ids for membership in person.memberships.all())
