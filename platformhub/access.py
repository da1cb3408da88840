"""The access-checked lookup every view uses: 404 for what the user may not see, 403 for
what they may see but not do, and the object preloaded for the page."""

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from platformhub.permissions import team_of


def get_for_user[M: Model](request: HttpRequest, queryset: QuerySet[M], *, permission: str, **lookup) -> M:
    """The object matching `lookup`, if the user may read its team (else 404) and holds
    `permission` on it (else 403)."""
    try:
        obj = queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError):
        raise Http404(f"No such {queryset.model._meta.verbose_name}") from None
    if not request.user.has_perm("platformhub.view_team", team_of(obj)):
        raise Http404(f"No such {queryset.model._meta.verbose_name}")
    if not request.user.has_perm(permission, obj):
        raise PermissionDenied
    return obj
