from django import forms

from integrations.references import parse_reference
from platformhub.forms import ModelChoiceField, ModelMultipleChoiceField, MultilineField, PlatformForm, VersionedForm
from sprints.models import TITLE_MAX, Card, SprintGoal


class CardForm(PlatformForm):
    title = forms.CharField(label="Title", max_length=TITLE_MAX)
    project = ModelChoiceField(label="Project", queryset=None, required=False)
    issue = forms.CharField(
        label="GitHub issue", required=False, max_length=300, help_text="A URL or owner/repo#123 (optional)."
    )

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects

    def clean_issue(self):
        text = self.cleaned_data["issue"].strip()
        if text and parse_reference(text) is None:
            raise forms.ValidationError("Not an issue: use a GitHub URL or owner/repo#123.")
        return parse_reference(text) if text else None

    description = MultilineField(
        label="Description", required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 2})
    )


class MoveCardForm(PlatformForm):
    column = forms.ChoiceField(label="Move to", choices=Card.Column.choices)
    blocked_reason = forms.CharField(label="Blocked on", required=False, max_length=500)


class GoalForm(PlatformForm):
    title = forms.CharField(label="Goal", max_length=TITLE_MAX)
    owners = ModelMultipleChoiceField(
        label="Owners", queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    milestone = ModelChoiceField(label="Project milestone", queryset=None, required=False)
    key_result = ModelChoiceField(label="Key result", queryset=None, required=False)

    def __init__(self, *args, people, milestones, key_results, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owners"].queryset = people
        self.fields["milestone"].queryset = milestones
        self.fields["milestone"].label_from_instance = lambda m: f"{m.project.title}: {m.title}"
        self.fields["key_result"].queryset = key_results


class RosterForm(PlatformForm):
    people = ModelMultipleChoiceField(
        label="People", queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = people


class OutcomeForm(PlatformForm):
    outcome = forms.ChoiceField(label="Outcome", choices=SprintGoal.Outcome.choices)


class ProjectForm(PlatformForm):
    title = forms.CharField(label="Title", max_length=TITLE_MAX)
    owners = ModelMultipleChoiceField(
        label="Owners", queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    key_results = ModelMultipleChoiceField(label="Key results it serves", queryset=None, required=False)

    def __init__(self, *args, people, key_results, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owners"].queryset = people
        self.fields["key_results"].queryset = key_results


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
