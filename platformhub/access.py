"""The access-checked lookup every view uses: 404 for what the user may not see, 403 for
what they may see but not do, and the object preloaded for the page."""

from django.core.exceptions import PermissionDenied
from django.core.validators import slug_re
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from platformhub.models import Person, Team
from platformhub.permissions import access_for, team_of
from platformhub.prepared import prepared


def get_for_user[M: Model](request: HttpRequest, queryset: QuerySet[M], *, permission: str, **lookup) -> M:
    """The object matching `lookup` if the user holds `permission` on it; otherwise 403 when
    they may at least read its team, and 404 when they may not even know it exists."""
    try:
        obj = queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError):
        raise Http404(f"No such {queryset.model._meta.verbose_name}") from None
    return allowed_for_user(request, obj, permission=permission)


def found_for_user[M: Model](request: HttpRequest, found: list[M], *, permission: str) -> M:
    """The one object of `found` (a prepared query's rows, platformhub/prepared.py), as
    `get_for_user` gives it: 404 when there is none."""
    if not found:
        raise Http404("Not found")
    return allowed_for_user(request, found[0], permission=permission)


def team_for_user(request: HttpRequest, slug: str, *, permission: str, with_board: bool = False) -> Team:
    """The team with `slug` and its parent (and `with_board`, its board settings), as
    `get_for_user` gives it: every team page starts with this lookup, so it is compiled once."""
    return found_for_user(request, _team_with_slug(slug=slug, with_board=with_board), permission=permission)


@prepared(text=("slug",))
def _team_with_slug(*, slug: str, with_board: bool) -> QuerySet[Team]:
    related = ("parent", "board") if with_board else ("parent",)
    return Team.objects.filter(slug=slug).select_related(*related)


def allowed_for_user[M: Model](request: HttpRequest, obj: M, *, permission: str) -> M:
    """`obj`, found by the view, if the user holds `permission` on it; as `get_for_user`, 403
    when they may at least read its team, else 404."""
    if request.user.has_perm(permission, obj):
        return obj
    if request.user.has_perm("platformhub.view_team", team_of(obj)):
        raise PermissionDenied
    raise Http404(f"No such {obj._meta.verbose_name}")


def is_slug(value: str) -> bool:
    """Whether `value` can be a team's slug. A slug from a query string or a form is checked before
    it is looked up: anything else is simply not found (PostgreSQL refuses a NUL in text outright)."""
    return bool(slug_re.match(value))


def author_of(request: HttpRequest) -> Person | None:
    """The user's person, as the author of a row they write: only its id is loaded, which came
    with the memberships every permission check reads, so recording who did something costs no
    query. Its other fields load when first read; a view that shows the person reads it whole."""
    person_id = access_for(request.user).person_id
    return None if person_id is None else Person.from_db(DEFAULT_DB_ALIAS, ["id"], [person_id])
