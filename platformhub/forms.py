from django import forms

from platformhub.models import Team


class VersionedForm(forms.Form):
    """Carries the version of the object the user started editing, for the conflict check."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class TeamAboutForm(VersionedForm):
    mission = forms.CharField(
        label="Mission",
        required=False,
        max_length=Team._meta.get_field("mission").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    guidelines = forms.CharField(
        label="Guidelines",
        required=False,
        max_length=Team._meta.get_field("guidelines").max_length,
        help_text="Markdown: lists, **bold**, links.",
        widget=forms.Textarea(attrs={"rows": 10}),
    )
