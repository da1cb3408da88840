from django import forms

from integrations.references import InvalidReference, parse_reference
from platformhub.forms import (
    ModelChoiceField,
    ModelMultipleChoiceField,
    MultilineField,
    PlatformForm,
    VersionedForm,
    VersionField,
)
from platformhub.models import Person, validate_timezone
from sprints.models import TITLE_MAX, Card, MeetingSeries, RetroNote, SprintGoal


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
        if not text:
            return None
        try:
            return parse_reference(text)
        except InvalidReference as error:
            raise forms.ValidationError(str(error)) from None

    description = MultilineField(
        label="Description", required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 2})
    )


class MoveCardForm(VersionedForm):
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
    # The roster the lead was shown: saving over a roster someone changed since is refused.
    shown = ModelMultipleChoiceField(queryset=Person.objects.all(), required=False, widget=forms.MultipleHiddenInput)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = people


class OutcomeForm(VersionedForm):
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


# Rituals

WEEKDAY_CHOICES = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]


class MeetingSeriesForm(PlatformForm):
    name = forms.CharField(label="Name", max_length=100)
    kind = forms.ChoiceField(label="Kind", choices=MeetingSeries.Kind.choices)
    weekdays = forms.TypedMultipleChoiceField(
        label="Meets on",
        choices=WEEKDAY_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="For standups and custom meetings. Planning and retros follow the sprints.",
    )
    starts_at = forms.TimeField(label="Starts at", required=False, help_text="Leave empty for an all-day entry.")
    duration_minutes = forms.IntegerField(label="Minutes", min_value=5, max_value=480, initial=30)
    timezone = forms.CharField(label="Time zone", max_length=64, initial="UTC")
    org_wide = forms.BooleanField(
        label="Org-wide", required=False, help_text="For every team, like engineering-wide sprint planning."
    )

    def __init__(self, *args, may_run_org_wide: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_run_org_wide:
            del self.fields["org_wide"]

    def clean_timezone(self):
        value = self.cleaned_data["timezone"].strip()
        validate_timezone(value)
        return value


class AgendaItemForm(PlatformForm):
    title = forms.CharField(label="Add to the agenda", max_length=TITLE_MAX)


class ActionItemForm(PlatformForm):
    title = forms.CharField(label="Action", max_length=TITLE_MAX)
    owner = ModelChoiceField(label="Owner", queryset=None, required=False)
    due_date = forms.DateField(label="Due", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people

    @classmethod
    def empty(cls, *, owners: tuple[tuple[int, str], ...], prefix: str) -> "ActionItemForm":
        """The form before anything is typed, with who may own the action given as (id, name):
        what a remembered copy of it is drawn from (platformhub/fragments.py)."""
        form = cls(people=Person.objects.none(), prefix=prefix)
        form.fields["owner"].choices = [("", form.fields["owner"].empty_label), *owners]
        return form


class MeetingNotesForm(VersionedForm):
    attendees = ModelMultipleChoiceField(
        label="Attendees", queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    notes = MultilineField(label="Notes", required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 6}))
    decisions = MultilineField(
        label="Decisions", required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = people


class StandupForm(PlatformForm):
    version = VersionField(min_value=0)
    yesterday = MultilineField(
        label="Yesterday", required=False, max_length=5_000, widget=forms.Textarea(attrs={"rows": 4})
    )
    today = MultilineField(label="Today", required=False, max_length=5_000, widget=forms.Textarea(attrs={"rows": 3}))
    blockers = MultilineField(
        label="Blockers",
        required=False,
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Anything in your way. It is flagged on the team page until it is cleared.",
    )

    def clean(self):
        data = super().clean()
        if not any(data.get(name, "").strip() for name in ("yesterday", "today", "blockers")):
            raise forms.ValidationError("Write at least one of yesterday, today or blockers.")
        return data


class RetroNoteForm(PlatformForm):
    kind = forms.ChoiceField(label="Column", choices=RetroNote.Kind.choices, widget=forms.HiddenInput)
    text = forms.CharField(label="Note", max_length=TITLE_MAX)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.prefix in RetroNote.Kind.values:
            self.fields["text"].label = f"{RetroNote.Kind(self.prefix).label}: add a note"


class PlanningCommentForm(PlatformForm):
    body = MultilineField(label="Comment", max_length=5_000, widget=forms.Textarea(attrs={"rows": 2}))
    is_concern = forms.BooleanField(label="This is a concern", required=False)


class BlockedRequestForm(PlatformForm):
    from_team = ModelChoiceField(label="We are", queryset=None)
    to_team = ModelChoiceField(label="Blocked on", queryset=None)
    body = MultilineField(label="What we need from them", max_length=5_000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, own_teams, other_teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_team"].queryset = own_teams
        self.fields["to_team"].queryset = other_teams

    def clean(self):
        data = super().clean()
        if data.get("from_team") and data.get("from_team") == data.get("to_team"):
            self.add_error("to_team", "A team cannot be blocked on itself.")
        return data


class RequestAnswerForm(PlatformForm):
    answer = MultilineField(label="Answer", max_length=5_000, widget=forms.Textarea(attrs={"rows": 2}))
