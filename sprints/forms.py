from django import forms

from platformhub.forms import MultilineField, PlatformForm, VersionedForm
from sprints.models import TITLE_MAX, Card, SprintGoal


class CardForm(PlatformForm):
    title = forms.CharField(label="Title", max_length=TITLE_MAX)
    description = MultilineField(
        label="Description", required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 2})
    )


class MoveCardForm(PlatformForm):
    column = forms.ChoiceField(label="Move to", choices=Card.Column.choices)
    blocked_reason = forms.CharField(label="Blocked on", required=False, max_length=500)


class GoalForm(PlatformForm):
    title = forms.CharField(label="Goal", max_length=TITLE_MAX)
    owners = forms.ModelMultipleChoiceField(
        label="Owners", queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owners"].queryset = people


class OutcomeForm(PlatformForm):
    outcome = forms.ChoiceField(label="Outcome", choices=SprintGoal.Outcome.choices)


class ProjectForm(PlatformForm):
    title = forms.CharField(label="Title", max_length=TITLE_MAX)
    owners = forms.ModelMultipleChoiceField(
        label="Owners", queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owners"].queryset = people


class MilestoneForm(PlatformForm):
    title = forms.CharField(label="Milestone", max_length=TITLE_MAX)
    target = forms.DecimalField(
        label="Target",
        required=False,
        min_value=0.01,
        max_digits=12,
        decimal_places=2,
        help_text="Leave empty for done / not done.",
    )


class MilestoneProgressForm(VersionedForm):
    current = forms.DecimalField(label="Current", required=False, min_value=0, max_digits=12, decimal_places=2)
    is_done = forms.BooleanField(label="Done", required=False)
