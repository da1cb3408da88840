"""The change history of every tracked object, read from django-simple-history's tables.

Each kind of object the History page can show is registered here with who may read it and,
for objectives, key results and roadmap items, how a lead restores an earlier version.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import Http404

from okrs.models import CheckIn, KeyResult, Objective, RoadmapItem
from okrs.services import KEY_RESULT_FIELDS, key_result_update, objective_update, roadmap_item_update
from platformhub.models import Membership, Team
from sprints.models import ActionItem, Card, Meeting, Milestone, Project, Sprint, SprintGoal

PAGE_SIZE = 50
SAME_EDIT_WITHIN = datetime.timedelta(seconds=5)
HIDDEN_FIELDS = {"id", "version", "created_at", "updated_at", "order"}


@dataclass(frozen=True)
class Tracked:
    """One kind of object with a History page."""

    model: type[models.Model]
    kind: str
    permission: str
    restore_fields: tuple[str, ...] = ()
    restore: Callable | None = None

    @property
    def label(self) -> str:
        return self.model._meta.verbose_name

    @property
    def restore_labels(self) -> str:
        """What a restore puts back, as people call it: "title, why, owners"."""
        return ", ".join(str(self.model._meta.get_field(name).verbose_name) for name in self.restore_fields)

    def guard(self, obj: models.Model):
        """The object the read permission is checked against: a check-in follows its key
        result, a membership its team."""
        if isinstance(obj, CheckIn):
            return obj.key_result
        return obj.team if isinstance(obj, Membership) else obj


def _restore_objective(obj: Objective, values: dict, owners: list, expected_version: int):
    parent = None
    if values["parent_id"] is not None:
        parent = Objective.objects.filter(pk=values["parent_id"]).first()
        if parent is None:
            raise ValidationError("The objective this version aligned to has been deleted; edit the alignment instead.")
    return objective_update(
        objective=obj,
        expected_version=expected_version,
        title=values["title"],
        why=values["why"],
        owners=owners,
        parent=parent,
        archived=values["archived"],
    )


def _restore_key_result(obj: KeyResult, values: dict, owners: list, expected_version: int):
    return key_result_update(
        key_result=obj,
        expected_version=expected_version,
        owners=owners,
        **{name: values[name] for name in KEY_RESULT_FIELDS},
    )


def _restore_roadmap_item(obj: RoadmapItem, values: dict, owners: list, expected_version: int):
    return roadmap_item_update(
        item=obj,
        expected_version=expected_version,
        owners=owners,
        **{name: values[name] for name in _ROADMAP_ITEM_FIELDS},
    )


_ROADMAP_ITEM_FIELDS = ("title", "description", "status", "commitment", "health")

TRACKED = {
    tracked.kind: tracked
    for tracked in (
        Tracked(Team, "team", "platformhub.view_team"),
        Tracked(Membership, "membership", "platformhub.view_team"),
        Tracked(
            Objective,
            "objective",
            "okrs.view",
            ("title", "why", "parent", "archived", "owners"),
            _restore_objective,
        ),
        Tracked(KeyResult, "key-result", "okrs.view", (*KEY_RESULT_FIELDS, "owners"), _restore_key_result),
        Tracked(CheckIn, "check-in", "okrs.view"),
        Tracked(RoadmapItem, "roadmap-item", "okrs.view", (*_ROADMAP_ITEM_FIELDS, "owners"), _restore_roadmap_item),
        Tracked(Sprint, "sprint", "sprints.view_sprint"),
        Tracked(SprintGoal, "goal", "sprints.view"),
        Tracked(Project, "project", "sprints.view"),
        Tracked(Milestone, "milestone", "sprints.view"),
        Tracked(Card, "card", "sprints.view"),
        Tracked(Meeting, "meeting", "sprints.view_meetings"),
        Tracked(ActionItem, "action", "sprints.view_meetings"),
    )
}
KIND_OF_MODEL = {tracked.model: tracked.kind for tracked in TRACKED.values()}


def history_url_args(obj: models.Model) -> tuple[str, int]:
    return KIND_OF_MODEL[type(obj)], obj.pk


@dataclass
class Change:
    label: str
    before: str
    after: str
    long: bool = False


@dataclass
class Entry:
    """One edit as people made it: simple-history writes a row for the save and one per
    many-to-many change, so rows from the same person within seconds are shown as one."""

    record: models.Model
    oldest: models.Model
    changes: list[Change] = field(default_factory=list)
    is_current: bool = False

    @property
    def author(self) -> str:
        user = self.record.history_user
        if user is None:
            return "the system"
        person = getattr(user, "person", None)
        return person.display_name if person is not None else user.get_username()

    @property
    def action(self) -> str:
        if self.record.history_type == "-":
            return "Deleted"
        if self.oldest.history_type == "+":
            return "Created"
        return "Restored" if (self.record.history_change_reason or "").startswith("Restored") else "Changed"


@dataclass
class History:
    tracked: Tracked
    pk: int
    obj: models.Model | None
    title: str
    entries: list[Entry]
    older_than: int | None
    can_restore: bool = False


def _tracked_or_404(kind: str) -> Tracked:
    try:
        return TRACKED[kind]
    except KeyError:
        raise Http404("No history for that kind of object") from None


def history_subject(*, kind: str, pk: int) -> tuple[Tracked, models.Model, bool]:
    """The object whose history is asked for, or, once deleted, its last recorded state,
    so that a deleted object's history stays readable by the people who could read it."""
    tracked = _tracked_or_404(kind)
    obj = tracked.model._default_manager.filter(pk=pk).first()
    if obj is not None:
        return tracked, obj, True
    last = tracked.model.history.filter(id=pk).order_by("-history_id").first()
    if last is None:
        raise Http404("No such object")
    return tracked, last.instance, False


def history_page(*, tracked: Tracked, obj: models.Model, exists: bool, before: int | None = None) -> History:
    """Up to PAGE_SIZE recorded versions, newest first, each compared with the one before it,
    in a fixed number of queries."""
    records = tracked.model.history.filter(id=obj.pk).select_related("history_user__person")
    if before is not None:
        records = records.filter(history_id__lt=before)
    records = list(records.order_by("-history_id")[: PAGE_SIZE + 1])
    m2m_names = [m2m.name for m2m in getattr(tracked.model.history.model, "_history_m2m_fields", [])]
    if m2m_names:
        _attach_m2m(records, tracked, m2m_names)
    shown, older = records[:PAGE_SIZE], records[PAGE_SIZE:]
    fields = [f for f in tracked.model._meta.concrete_fields if f.name not in HIDDEN_FIELDS]
    names = _related_names(records, fields)
    entries = _group(shown, predecessor=older[0] if older else None, fields=fields, m2m=m2m_names, names=names)
    if entries and before is None:
        entries[0].is_current = True
    return History(
        tracked=tracked,
        pk=obj.pk,
        obj=obj if exists else None,
        title=str(obj),
        entries=entries,
        older_than=shown[-1].history_id if older else None,
    )


def _attach_m2m(records: list, tracked: Tracked, m2m_names: list[str]) -> None:
    """Set `record.m2m_values[name]` to the (pk, display name) pairs the record held, one query
    per many-to-many field."""
    history_model = tracked.model.history.model
    for record in records:
        record.m2m_values = {name: [] for name in m2m_names}
    by_id = {record.history_id: record for record in records}
    for name in m2m_names:
        m2m_model = getattr(history_model, name).model
        target = tracked.model._meta.get_field(name).related_model
        target_field = next(f.name for f in m2m_model._meta.fields if f.related_model is target)
        rows = m2m_model.objects.filter(history__in=list(by_id)).select_related(target_field)
        for row in rows:
            value = (getattr(row, f"{target_field}_id"), str(getattr(row, target_field)))
            by_id[row.history_id].m2m_values[name].append(value)
    for record in records:
        for values in record.m2m_values.values():
            values.sort(key=lambda pair: pair[1])


def _related_names(records: list, fields: list) -> dict:
    """Display names of the objects foreign keys point to, one query per related model."""
    wanted: dict[type, set] = {}
    for f in fields:
        if f.is_relation:
            wanted.setdefault(f.related_model, set()).update(
                getattr(r, f.attname) for r in records if getattr(r, f.attname) is not None
            )
    return {
        model: {obj.pk: str(obj) for obj in model._default_manager.filter(pk__in=pks)}
        for model, pks in wanted.items()
        if pks
    }


def _display(record, f, names: dict) -> str:
    value = getattr(record, f.attname)
    if value is None or value == "":
        return "—"
    if f.is_relation:
        return names.get(f.related_model, {}).get(value, f"#{value} (deleted)")
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime.datetime):
        return value.strftime("%-d %b %Y %H:%M %Z")
    if isinstance(value, datetime.date):
        return value.strftime("%-d %b %Y")
    if isinstance(value, dict | list):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, dict) else ", ".join(value)
    return str(value)


def _changes(before, after, *, fields, m2m, names) -> list[Change]:
    changes = []
    for f in fields:
        old = _display(before, f, names) if before is not None else "—"
        new = _display(after, f, names)
        if old != new:
            long = isinstance(f, models.TextField)
            changes.append(Change(label=str(f.verbose_name).capitalize(), before=old, after=new, long=long))
    for name in m2m:
        old = ", ".join(label for _, label in before.m2m_values[name]) if before is not None else ""
        new = ", ".join(label for _, label in after.m2m_values[name])
        if old != new:
            label = str(after.instance_type._meta.get_field(name).verbose_name).capitalize()
            changes.append(Change(label=label, before=old or "—", after=new or "—"))
    return changes


def _group(records: list, *, predecessor, fields, m2m, names) -> list[Entry]:
    """One entry per edit as people made it. simple-history writes a row for a save and then
    one per many-to-many change (owners set after the fields), so a row that changes only
    many-to-many values, by the same person within seconds, joins the edit before it."""
    chronological = [*([predecessor] if predecessor is not None else []), *reversed(records)]
    groups: list[list] = []  # oldest first; each group newest row first
    previous = None
    for record in chronological:
        joins = (
            groups
            and record.history_type == "~"
            and groups[-1][0].history_type != "-"
            and record.history_user_id == previous.history_user_id
            and record.history_date - previous.history_date <= SAME_EDIT_WITHIN
            and all(getattr(record, f.attname) == getattr(previous, f.attname) for f in fields)
        )
        if joins:
            groups[-1].insert(0, record)
        else:
            groups.append([record])
        previous = record
    if predecessor is not None:
        base = groups.pop(0)  # the predecessor's group, shown on the next page
        if len(base) > 1:  # rows of this page that finish an edit begun on the next page
            groups.insert(0, base[:-1])
    entries = []
    for index, group in enumerate(groups):
        newest, oldest = group[0], group[-1]
        entry = Entry(record=newest, oldest=oldest)
        if newest.history_type != "-":
            before = groups[index - 1][0] if index > 0 else predecessor
            if oldest.history_type == "+":
                before = None
            entry.changes = _changes(before, newest, fields=fields, m2m=m2m, names=names)
            if not entry.changes and oldest.history_type != "+":
                continue  # a save that changed nothing shown (a version bump, a reorder)
        entries.append(entry)
    entries.reverse()
    return entries


def can_read_history(user: User | AnonymousUser, tracked: Tracked, obj: models.Model) -> bool:
    return user.has_perm(tracked.permission, tracked.guard(obj))


@transaction.atomic
def history_restore(*, tracked: Tracked, obj: models.Model, history_id: int, expected_version: int):
    """Put back the version recorded in `history_id`, through the same service as an edit, so it
    is validated, version-checked and itself recorded (as "Restored …")."""
    if tracked.restore is None:
        raise Http404("This kind of object cannot be restored")
    record = tracked.model.history.filter(id=obj.pk, history_id=history_id).exclude(history_type="-").first()
    if record is None:
        raise ValidationError("That version is not in this object's history.")
    values = {f.attname: getattr(record, f.attname) for f in tracked.model._meta.concrete_fields}
    _attach_m2m([record], tracked, ["owners"])
    owner_model = tracked.model._meta.get_field("owners").related_model
    owners = list(owner_model._default_manager.filter(pk__in=[pk for pk, _ in record.m2m_values["owners"]]))
    obj._change_reason = f"Restored the version of {record.history_date:%-d %b %Y %H:%M}"
    return tracked.restore(obj, values, owners, expected_version)
