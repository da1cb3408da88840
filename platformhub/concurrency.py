"""Optimistic locking shared by every editable model.

Each edit form carries the `version` it started from. `save_versioned()` bumps the version
with a compare-and-set UPDATE inside the caller's transaction; when another writer got there
first, nothing is written and `EditConflict` carries the current row so the form can show it.
"""

from collections.abc import Iterable

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
