"""The History page of every tracked object, and restoring an earlier version of an objective,
key result or roadmap item."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from platformhub import history
from platformhub.concurrency import EditConflict

RESTORE_PERMISSION = "okrs.change"


class RestoreForm(forms.Form):
    record = forms.IntegerField(min_value=1)
    version = forms.IntegerField(min_value=1)


def _subject_for_user(request: HttpRequest, kind: str, pk: int):
    """The tracked kind, the object (or its last recorded state once deleted) and whether it
    still exists; 404 unless the user may read it."""
    tracked, obj, exists = history.history_subject(kind=kind, pk=pk)
    try:
        readable = history.can_read_history(request.user, tracked, obj)
    except ObjectDoesNotExist:  # deleted along with what it belonged to
        readable = request.user.is_staff
    if not readable:
        raise Http404("No such object")
    return tracked, obj, exists


def _before(request: HttpRequest) -> int | None:
    """The ?before= history id, or None: ASCII digits (isdigit() accepts "²", int() does not), no more
    than a bigint has (int() raises over 4300)."""
    value = request.GET.get("before", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 19 else None


def _render(request: HttpRequest, tracked, obj, exists: bool, *, status: int = 200, error: str = "") -> HttpResponse:
    page = history.history_page(tracked=tracked, obj=obj, exists=exists, before=_before(request))
    page.can_restore = exists and tracked.restore is not None and request.user.has_perm(RESTORE_PERMISSION, obj)
    return render(request, "platformhub/history.html", {"history": page, "error": error}, status=status)


@require_GET
def object_history(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    tracked, obj, exists = _subject_for_user(request, kind, pk)
    return _render(request, tracked, obj, exists)


@require_POST
def object_restore(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    tracked, obj, exists = _subject_for_user(request, kind, pk)
    if not exists or tracked.restore is None:
        raise Http404("Only an existing objective, key result or roadmap item can be restored")
    if not request.user.has_perm(RESTORE_PERMISSION, obj):
        raise PermissionDenied
    form = RestoreForm(request.POST)
    if not form.is_valid():
        return _render(request, tracked, obj, exists, status=422, error="Pick a version from the list to restore.")
    try:
        history.history_restore(
            tracked=tracked,
            obj=obj,
            history_id=form.cleaned_data["record"],
            expected_version=form.cleaned_data["version"],
        )
    except EditConflict as conflict:
        error = (
            "Someone changed it after you opened this page, so nothing was restored. "
            "Their change is at the top of the list; restore again if you still want that version."
        )
        return _render(request, tracked, conflict.current, exists, status=409, error=error)
    except ValidationError as invalid:
        return _render(request, tracked, obj, exists, status=422, error=" ".join(invalid.messages))
    messages.success(request, f"Restored the earlier version of “{obj}”.")
    return redirect("history", kind=kind, pk=pk)
