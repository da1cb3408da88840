from django import forms

from platformhub.forms import PlatformForm


class LinkIssuesForm(PlatformForm):
    references = forms.CharField(
        label="Issues",
        max_length=20_000,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "PostHog/posthog#123\nhttps://github.com/PostHog/charts/issues/45"}
        ),
        help_text="GitHub issue or pull request URLs, or owner/repo#123; one per line.",
    )


class SavedSearchForm(PlatformForm):
    query = forms.CharField(
        label="GitHub search",
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "repo:PostHog/posthog label:heroku-migration"}),
        help_text="Every sync links the issues this search finds.",
    )
