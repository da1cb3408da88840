from collections.abc import Callable

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

    def top_errors(self) -> list[str]:
        """The errors with no field on the page to stand next to: the form's own and its hidden
        fields' (an out-of-date version), for the box above the fields."""
        return [*self.non_field_errors(), *(error for field in self.hidden_fields() for error in field.errors)]


OUT_OF_DATE = "This form is out of date; reload the page and try again."


class VersionField(forms.IntegerField):
    """The hidden version an edit started from. The person cannot fix it by hand, so whatever is
    wrong with it (missing, not a number, tampered with) gets the one message that helps."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        messages = dict.fromkeys(("required", "invalid", "min_value"), OUT_OF_DATE)
        super().__init__(error_messages=messages, **kwargs)


class VersionedForm(PlatformForm):
    """Carries the version of the object the user started editing, for the conflict check."""

    version = VersionField(min_value=1)


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
    """Whether `value` can be a row's id. The length goes first: int() raises over 4300 digits."""
    text = str(value)
    return text.isascii() and text.isdigit() and len(text) <= len(str(_LARGEST_ID)) and 0 < int(text) <= _LARGEST_ID


SIGNIFICANT_DIGITS = 15


class DecimalField(forms.DecimalField):
    """A number of at most 15 significant digits. SQLite stores decimals as floats, which keep no
    more: a longer number would come back changed, or not fit the column and break every page
    showing it. Refused on PostgreSQL too, so both databases accept the same numbers."""

    def validate(self, value):
        super().validate(value)
        if value not in self.empty_values and len(value.normalize().as_tuple().digits) > SIGNIFICANT_DIGITS:
            raise forms.ValidationError(f"Use at most {SIGNIFICANT_DIGITS} digits.", code="significant_digits")


class ModelChoiceField(forms.ModelChoiceField):
    """Refuses values that cannot be ids before asking the database (SQLite overflows on huge ones)."""

    def to_python(self, value):
        if value not in self.empty_values and not _is_id(value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Refuses values that cannot be ids before asking the database (SQLite overflows on huge ones).
    With `among` (the choices narrowed to given ids, `among(pks=[…])`: a compiled query, as
    `okrs.selectors.people_for_team_among` makes), the chosen ids are checked with it instead of
    a query built from the field's queryset."""

    among: Callable[..., list] | None = None

    def _check_values(self, value):
        for each in value:
            if not _is_id(each):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": each}
                )
        if self.among is None:
            return super()._check_values(value)
        found = self.among(pks=sorted({int(each) for each in value}))
        known = {str(item.pk) for item in found}
        for each in value:
            if str(each) not in known:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": each}
                )
        return found
