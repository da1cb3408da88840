"""Optimistic locking shared by every editable model.

Each edit form carries the `version` it started from. `save_versioned()` bumps the version
with a compare-and-set UPDATE inside the caller's transaction; when another writer got there
first, nothing is written and `EditConflict` carries the current row so the form can show it.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
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


def save_versioned(instance: Versioned, *, expected_version: int, update_fields: Iterable[str]) -> None:
    """Save `update_fields` of `instance` only if the row is still at `expected_version`.

    Must run inside `transaction.atomic`. The UPDATE takes the row lock (and SQLite's write
    lock), so of two concurrent writers exactly one wins and the other gets EditConflict.
    """
    model = type(instance)
    claimed = model._default_manager.filter(pk=instance.pk, version=expected_version).update(version=F("version") + 1)
    if not claimed:
        raise EditConflict(current=model._default_manager.get(pk=instance.pk))
    instance.version = expected_version + 1
    instance.save(update_fields=[*update_fields, "version"])


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
