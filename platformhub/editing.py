"""The one way the app saves a submitted form, so every form behaves alike: errors next to the
fields with what was typed kept (422), another person's newer save shown instead of overwritten
(409), and the view's own response after a successful save."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from platformhub.concurrency import EditConflict, conflict_context


def add_service_errors(form, error: ValidationError, field_map: dict[str, str] | None = None) -> None:
    """Put a service's validation errors next to the form fields they are about."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        field = (field_map or {}).get(field, field)
        form.add_error(field if field in form.fields else None, messages)


def save_form(
    request: HttpRequest,
    *,
    form,
    template: str,
    context: dict,
    save: Callable[[dict], object],
    done: Callable[[object], HttpResponse],
    field_map: dict[str, str] | None = None,
) -> HttpResponse:
    """Validate `form`, call `save(cleaned_data)` (a service), and answer with `done(result)`,
    or with the form again: 422 for errors, 409 when someone else saved first."""
    if form.is_valid():
        try:
            result = save(form.cleaned_data)
        except EditConflict as conflict:
            conflict_data = conflict_context(current=conflict.current, form=form)
            return render(request, template, {**context, **conflict_data}, status=409)
        except ValidationError as error:
            add_service_errors(form, error, field_map)
        else:
            return done(result)
    return render(request, template, {**context, "form": form}, status=422)
