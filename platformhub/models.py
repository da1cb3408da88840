"""People and teams: who is on which team, in which role."""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models

from platformhub.concurrency import Versioned
from platformhub.history_records import HistoricalRecords
from platformhub.urls_cache import reverse_cached


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not an IANA timezone such as Europe/London.")


slack_channel_validator = RegexValidator(
    r"^#?[a-z0-9][a-z0-9._-]{0,79}$",
    "Use a Slack channel name such as #team-platform: lower-case letters, digits, - _ and .",
)


class Team(Versioned):
    """A team or, when it has a parent, a sub-team. Trees are two levels deep at most."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="sub_teams")
    mission = models.TextField(max_length=1000, blank=True, validators=[MaxLengthValidator(1000)])
    slack_channel = models.CharField(max_length=81, blank=True, validators=[slack_channel_validator])
    guidelines = models.TextField(
        max_length=20_000,
        blank=True,
        validators=[MaxLengthValidator(20_000)],
        help_text="How the team works, in Markdown.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse_cached("team_detail", self.slug)

    @property
    def root_id(self) -> int:
        """The id of the top-level team this team belongs to (itself if it has no parent)."""
        return self.parent_id or self.pk

    @property
    def slack_channel_name(self) -> str:
        return self.slack_channel.lstrip("#")

    @property
    def slack_url(self) -> str:
        """A link that opens the channel in whichever Slack workspace the reader is signed in to."""
        return f"https://slack.com/app_redirect?channel={self.slack_channel_name}"

    def clean(self) -> None:
        if self.parent_id is None:
            return
        if self.parent_id == self.pk:
            raise ValidationError({"parent": "A team cannot be its own parent."})
        if self.parent.parent_id is not None:
            raise ValidationError({"parent": "Sub-teams cannot have sub-teams of their own."})
        if self.pk and self.sub_teams.exists():
            raise ValidationError({"parent": "A team with sub-teams cannot become a sub-team."})


class Person(Versioned):
    """The profile of a user: how colleagues see them and where they are in the world."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="person")
    display_name = models.CharField(max_length=100)
    title = models.CharField(max_length=100, blank=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    github_handle = models.CharField(
        max_length=39,
        blank=True,
        validators=[RegexValidator(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$", "Not a GitHub username.")],
    )
    is_org_viewer = models.BooleanField(
        default=False, help_text="Reads every team's plans without being a member (e.g. executives)."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["display_name"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.display_name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Membership(Versioned):
    class Role(models.TextChoices):
        LEAD = "lead", "Lead"
        ENGINEER = "engineer", "Engineer"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ENGINEER)
    joined_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "team"], name="unique_membership")]
        ordering = ["team__name", "person__display_name"]

    def __str__(self) -> str:
        return f"{self.person} · {self.team} ({self.get_role_display()})"

    @property
    def is_lead(self) -> bool:
        return self.role == self.Role.LEAD


class DataVersion(models.Model):
    """One row whose number goes up after every committed write to the app's tables, so that
    "has anything changed since?" is one indexed read (see platformhub/data_version.py)."""

    number = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"data version {self.number}"
