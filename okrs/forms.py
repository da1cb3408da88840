from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from okrs.models import TITLE_MAX, Horizon, KeyResult, Objective, RoadmapItem
from platformhub.forms import (
    DecimalField,
    ModelChoiceField,
    ModelMultipleChoiceField,
    MultilineField,
    PlatformForm,
    VersionedForm,
    VersionField,
)


class ObjectiveForm(PlatformForm):
    title = forms.CharField(label="Title", max_length=TITLE_MAX)
    why = MultilineField(label="Why", required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))
    owners = ModelMultipleChoiceField(
        label="Owners", queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    parent = ModelChoiceField(label="Aligns to", queryset=None, required=False, empty_label="(no parent objective)")

    def __init__(self, *args, people, parent_choices, people_among=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owners"].queryset = people
        self.fields["owners"].among = people_among
        self.fields["parent"].queryset = parent_choices
        if not parent_choices.exists():
            del self.fields["parent"]


class ObjectiveEditForm(VersionedForm, ObjectiveForm):
    archived = forms.BooleanField(label="Archived", required=False, help_text="Hide it from the quarter's list.")

    @classmethod
    def initial_for(cls, objective: Objective) -> dict:
        return {
            "title": objective.title,
            "why": objective.why,
            "owners": list(objective.owners.all()),
            "parent": objective.parent_id,
            "archived": objective.archived,
            "version": objective.version,
        }


class KeyResultForm(PlatformForm):
    title = forms.CharField(label="Title", max_length=TITLE_MAX)
    kind = forms.ChoiceField(label="Measured as", choices=KeyResult.Kind.choices)
    start_value = DecimalField(label="Start", required=False, max_digits=20, decimal_places=4)
    target_value = DecimalField(label="Target", required=False, max_digits=20, decimal_places=4)
    unit = forms.CharField(label="Unit", required=False, max_length=40, help_text="e.g. events / month, %, ms")
    direction = forms.ChoiceField(label="Direction", choices=KeyResult.Direction.choices)
    weight_by_points = forms.BooleanField(
        label="Weigh issues by their points label",
        required=False,
        help_text="For linked issues: an issue labelled points:3 counts 3; without a label, 1.",
    )
    due_date = forms.DateField(
        label="Due date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for the end of the quarter.",
    )
    owners = ModelMultipleChoiceField(
        label="Owners", queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, people, people_among=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owners"].queryset = people
        self.fields["owners"].among = people_among

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == KeyResult.Kind.METRIC:
            for name in ("start_value", "target_value"):
                if cleaned.get(name) is None and name not in self.errors:
                    self.add_error(name, "A metric needs a start and a target.")
        return cleaned

    def measure(self) -> dict:
        """The measurement fields for the service, with the kind's fixed scale where it has one."""
        data = self.cleaned_data
        if data["kind"] == KeyResult.Kind.METRIC:
            start, target = data["start_value"], data["target_value"]
        else:
            start, target = 0, 100
        return {
            "kind": data["kind"],
            "unit": data["unit"] if data["kind"] == KeyResult.Kind.METRIC else "",
            "direction": data["direction"],
            "start_value": start,
            "target_value": target,
            "weight_by_points": data["kind"] == KeyResult.Kind.ISSUES and data["weight_by_points"],
        }


class KeyResultEditForm(VersionedForm, KeyResultForm):
    @classmethod
    def initial_for(cls, key_result: KeyResult) -> dict:
        return {
            "title": key_result.title,
            "kind": key_result.kind,
            "start_value": key_result.start_value.normalize(),
            "target_value": key_result.target_value.normalize(),
            "unit": key_result.unit,
            "direction": key_result.direction,
            "due_date": key_result.due_date,
            "weight_by_points": key_result.weight_by_points,
            "owners": list(key_result.owners.all()),
            "version": key_result.version,
        }


class CheckInForm(VersionedForm):
    value = DecimalField(label="Value", required=False, max_digits=20, decimal_places=4)
    done = forms.BooleanField(label="Done", required=False)
    confidence = forms.ChoiceField(
        label="Confidence", choices=KeyResult.Confidence.choices, initial=KeyResult.Confidence.HIGH
    )
    note = MultilineField(label="Note", required=False, max_length=5_000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, key_result: KeyResult, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_result = key_result
        if key_result.kind == KeyResult.Kind.MILESTONE:
            del self.fields["value"]
        else:
            del self.fields["done"]
            if key_result.kind == KeyResult.Kind.ISSUES:
                del self.fields["value"]
            else:
                self.fields["value"].required = True
                if key_result.kind == KeyResult.Kind.PERCENT:
                    value = self.fields["value"]
                    value.validators += [MinValueValidator(0), MaxValueValidator(100)]
                    value.widget.attrs.update(min=0, max=100)
                    value.help_text = "Percent, 0–100."
                elif key_result.unit:
                    self.fields["value"].help_text = f"In {key_result.unit}."

    @classmethod
    def initial_for(cls, key_result: KeyResult) -> dict:
        return {
            "value": key_result.current_value.normalize(),
            "done": key_result.is_done,
            "confidence": key_result.confidence or KeyResult.Confidence.HIGH,
            "version": key_result.version,
        }


class ScoreForm(PlatformForm):
    """One key result's final score when the quarter closes."""

    score = forms.DecimalField(label="Score", min_value=0, max_value=1, max_digits=3, decimal_places=2)
    comment = MultilineField(
        label="Comment", required=False, max_length=2_000, widget=forms.Textarea(attrs={"rows": 1})
    )


class OpenNextPeriodForm(PlatformForm):
    copy_unfinished = forms.BooleanField(
        label="Copy unfinished objectives",
        required=False,
        initial=True,
        help_text="Each with its unfinished key results, starting from where they stand now.",
    )


class RoadmapItemForm(PlatformForm):
    title = forms.CharField(label="Title", max_length=TITLE_MAX, help_text="Emoji welcome 🎈")
    description = MultilineField(
        label="Description", required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    status = forms.ChoiceField(label="Status", choices=RoadmapItem.Status.choices)
    commitment = forms.ChoiceField(label="Commitment", choices=RoadmapItem.Commitment.choices)
    health = forms.ChoiceField(label="Health", choices=RoadmapItem.Health.choices)
    owners = ModelMultipleChoiceField(
        label="Owners", queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owners"].queryset = people


class RoadmapItemEditForm(VersionedForm, RoadmapItemForm):
    @classmethod
    def initial_for(cls, item: RoadmapItem) -> dict:
        return {
            "title": item.title,
            "description": item.description,
            "status": item.status,
            "commitment": item.commitment,
            "health": item.health,
            "owners": list(item.owners.all()),
            "version": item.version,
        }


class RoadmapMoveForm(PlatformForm):
    """To another horizon (with the version the item was at, as that replaces where someone else put
    it), or one place up or down (relative to where it is now, so without a version)."""

    horizon = ModelChoiceField(label="Move to", queryset=Horizon.objects.none(), required=False)
    version = VersionField(min_value=1, required=False)
    direction = forms.ChoiceField(label="Direction", choices=[("up", "Up"), ("down", "Down")], required=False)

    def __init__(self, *args, horizons, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["horizon"].queryset = horizons

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("horizon") and not cleaned.get("direction") and not self.errors:
            raise forms.ValidationError("Pick a horizon to move the item to.")
        if cleaned.get("horizon") and cleaned.get("version") is None and not self.errors:
            raise forms.ValidationError("Reload the roadmap and move the item again.")
        return cleaned


class LinkKeyResultForm(PlatformForm):
    key_result = ModelChoiceField(label="Key result", queryset=KeyResult.objects.none())

    def __init__(self, *args, key_results, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["key_result"]
        field.queryset = key_results
        field.label_from_instance = lambda kr: f"{kr.objective.period.name} · {kr.title}"


class LinkObjectiveForm(PlatformForm):
    objective = ModelChoiceField(label="Objective", queryset=Objective.objects.none())

    def __init__(self, *args, objectives, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["objective"]
        field.queryset = objectives
        field.label_from_instance = lambda objective: f"{objective.period.name} · {objective.title}"


class HorizonForm(PlatformForm):
    name = forms.CharField(label="Name", max_length=60, help_text="e.g. 6 month, 3-year, FY2027")
    target_date = forms.DateField(label="Target date", required=False, widget=forms.DateInput(attrs={"type": "date"}))


class SnapshotForm(PlatformForm):
    name = forms.CharField(label="Name", max_length=100, help_text="e.g. Q4 2022 review")


class ShareLinkForm(PlatformForm):
    label = forms.CharField(label="Label", max_length=100, required=False, help_text="Who the link is for.")
