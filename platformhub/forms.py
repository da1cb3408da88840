from django import forms

from platformhub.models import Team


class MultilineField(forms.CharField):
    """Text from a textarea, with the browser's CRLF line ends stored as plain newlines."""

    widget = forms.Textarea

    def to_python(self, value):
        return super().to_python(value).replace("\r\n", "\n")


class PlatformForm(forms.Form):
    """Labels without a trailing colon, as the design shows them; `rebound(data)` makes the same
    kind of form (same choices) bound to other data, as a conflict response needs."""

    def __new__(cls, *args, **kwargs):
        form = super().__new__(cls)
        form._setup_kwargs = {name: value for name, value in kwargs.items() if name not in ("data", "initial")}
        return form

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def rebound(self, data) -> "PlatformForm":
        return type(self)(data, **self._setup_kwargs)


class VersionedForm(PlatformForm):
    """Carries the version of the object the user started editing, for the conflict check."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class TeamAboutForm(VersionedForm):
    mission = MultilineField(
        label="Mission",
        required=False,
        max_length=Team._meta.get_field("mission").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    guidelines = MultilineField(
        label="Guidelines",
        required=False,
        max_length=Team._meta.get_field("guidelines").max_length,
        help_text="Markdown: lists, **bold**, links.",
        widget=forms.Textarea(attrs={"rows": 10}),
    )


_LARGEST_ID = 2**63 - 1


def _is_id(value) -> bool:
    text = str(value)
    return text.isascii() and text.isdigit() and 0 < int(text) <= _LARGEST_ID


class ModelChoiceField(forms.ModelChoiceField):
    """Refuses values that cannot be ids before asking the database (SQLite overflows on huge ones)."""

    def to_python(self, value):
        if value not in self.empty_values and not _is_id(value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Refuses values that cannot be ids before asking the database (SQLite overflows on huge ones)."""

    def _check_values(self, value):
        for each in value:
            if not _is_id(each):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": each}
                )
        return super()._check_values(value)
