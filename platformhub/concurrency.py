"""Optimistic locking shared by every editable model.

Each edit form carries the `version` it started from. `save_versioned()` bumps the version
with a compare-and-set UPDATE inside the caller's transaction; when another writer got there
first, nothing is written and `EditConflict` carries the current row so the form can show it.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import models, transaction
from django.db.models import F


class EditConflict(Exception):
    """Someone else saved the object after this edit started."""

    def __init__(self, current: models.Model):
        super().__init__(f"{current._meta.verbose_name} was changed by someone else")
        self.current = current


class Versioned(models.Model):
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    def _do_update(self, base_qs, *args, **kwargs):
        """Django's UPDATE of a saved row, only where the row is still at the version
        `save_versioned` expects (`_expected_version`): the compare-and-set and the write are one
        statement, as django-concurrency makes them."""
        expected = self.__dict__.get("_expected_version")
        if expected is None:
            return super()._do_update(base_qs, *args, **kwargs)
        try:
            return super()._do_update(base_qs.filter(version=expected), *args, **kwargs)
        except EmptyResultSet:  # a version beyond the column's range (PostgreSQL's integer): no row
            return []


def save_versioned(instance: Versioned, *, expected_version: int, update_fields: Iterable[str]) -> None:
    """Save `update_fields` of `instance` only if the row is still at `expected_version`.

    Must run inside `transaction.atomic`. The one UPDATE (`WHERE id = … AND version = …`) takes
    the row lock (and SQLite's write lock), so of two concurrent writers exactly one wins and the
    other gets EditConflict; nothing is written for it, and no post_save (history) is sent.
    """
    model = type(instance)
    loaded_version = instance.version
    instance._expected_version = expected_version
    # Counted up by the database, which answers the new version (RETURNING) before post_save: a
    # version no row holds (a form's 2**63 - 1) is compared, never written.
    instance.version = F("version") + 1
    try:
        instance.save(update_fields=[*update_fields, "version"])
    except model.NotUpdated:
        # The UPDATE ran and matched no row: no statement failed, so the caller's transaction
        # stays usable (save() marks it for rollback on any exception it raises).
        if transaction.get_connection(instance._state.db).in_atomic_block:
            transaction.set_rollback(False, using=instance._state.db)
        raise EditConflict(current=model._default_manager.get(pk=instance.pk)) from None
    finally:
        del instance._expected_version
        if hasattr(instance.version, "resolve_expression"):  # not saved: as it was loaded
            instance.version = loaded_version


def set_versioned_many(instance: Versioned, name: str, chosen: Iterable[models.Model]) -> None:
    """Set the many-to-many `name` of `instance` to `chosen`, just after `save_versioned`: as the
    version the form was read at was still the row's, nobody changed the row since it was read,
    so when the relation was prefetched with it, that is what is stored, and an unchanged choice
    writes (and reads) nothing. Without a prefetch, Django's `set()` reads the stored ids. This
    holds while every change of the relation also moves the row's version (services, restore,
    admin); one that did not would have to call `set()` itself."""
    chosen = list(chosen)
    stored = getattr(instance, "_prefetched_objects_cache", {}).get(name)
    if stored is not None and {item.pk for item in stored} == {item.pk for item in chosen}:
        return
    getattr(instance, name).set(chosen)


@dataclass(frozen=True)
class Difference:
    label: str
    theirs: str


def conflict_context(*, current: Versioned, form) -> dict:
    """What a 409 page needs: the user's form (input kept, now against the current version, so
    saving again overwrites knowingly) and the fields where the other person's save differs."""
    data = form.data.copy()
    data["version"] = current.version
    differences = []
    for name, field in form.fields.items():
        if name == "version" or not hasattr(current, name):
            continue
        theirs, mine = getattr(current, name), form.cleaned_data.get(name)
        if hasattr(theirs, "all"):
            theirs, mine = set(theirs.all()), set(mine or ())
        if theirs != mine:
            shown = ", ".join(sorted(str(item) for item in theirs)) if isinstance(theirs, set) else theirs
            differences.append(Difference(label=field.label, theirs=str(shown) if shown != "" else "(empty)"))
    return {"form": form.rebound(data), "differences": differences, "changed_by": last_change(current)}


def last_change(obj):
    """The newest history record of `obj` (who saved its current version, and when), or None."""
    history = getattr(obj, "history", None)
    return history.select_related("history_user__person").first() if history is not None else None
