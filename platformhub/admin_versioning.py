"""Optimistic locking in the admin, as in the app's own forms (`platformhub/concurrency.py`).

A change form of a Versioned model (and each row of its inlines) carries the version it was opened at.
When saving, the row is locked and the save refused if someone saved it since; a save bumps the
version, so a form of the app opened before it gets its 409 instead of overwriting the admin's change.
"""

from django import forms
from django.db import router, transaction
from simple_history.models import is_historic

from platformhub.concurrency import last_change

EXPECTED_VERSION = "expected_version"


class VersionedAdminForm(forms.ModelForm):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # simple-history's revert form holds an old version of the row: check against the current one
            current = self._stored_version() if is_historic(self.instance) else self.instance.version
            self.fields[EXPECTED_VERSION].initial = current

    def _stored_version(self, *, lock: bool = False) -> int | None:
        rows = type(self.instance)._default_manager.filter(pk=self.instance.pk)
        return (rows.select_for_update() if lock else rows).values_list("version", flat=True).first()

    def clean(self):
        cleaned = super().clean()
        # Locked until the admin's transaction ends, so nobody saves between this check and the save.
        if self.instance.pk is not None and self._stored_version(lock=True) != cleaned.get(EXPECTED_VERSION):
            raise forms.ValidationError(
                "%(who)s changed this since you opened it; reload to see their change.",
                code="edit_conflict",
                params={"who": _who(self.instance)},
            )
        return cleaned

    def save(self, commit=True):
        if self.instance.pk is not None:
            self.instance.version = self.cleaned_data[EXPECTED_VERSION] + 1
        return super().save(commit)


def _who(obj) -> str:
    record = last_change(obj)
    user = record.history_user if record is not None else None
    if user is None:
        return "Someone else"
    person = getattr(user, "person", None)
    return person.display_name if person is not None else user.get_username()


class VersionedAdminMixin:
    """For every ModelAdmin and inline of a Versioned model: its forms carry and check the version."""

    form = VersionedAdminForm

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if EXPECTED_VERSION in fields else [*fields, EXPECTED_VERSION]

    def history_form_view(self, request, *args, **kwargs):
        """simple-history's revert form saves outside a transaction; the row lock needs one."""
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().history_form_view(request, *args, **kwargs)
