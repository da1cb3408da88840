"""What every fuzzed POST must satisfy, and the expected stored values for a successful one."""

import datetime
from contextlib import contextmanager
from decimal import Decimal

from django import forms
from django.db import transaction
from django.http import QueryDict
from django.utils.html import escape
from hypothesis import event

from integrations.models import GitHubIssue, IssueLink, WebhookDelivery
from okrs.models import CheckIn, Horizon, KeyResult, Objective, Period, RoadmapItem
from platformhub.models import Team
from sprints.models import Card, CardMove, Project, Sprint

# Every table a form of the fuzzed views writes to: on a 4xx none of them may change.
WATCHED = [
    Team,
    Period,
    Objective,
    Objective.owners.through,
    KeyResult,
    KeyResult.owners.through,
    CheckIn,
    Horizon,
    RoadmapItem,
    RoadmapItem.owners.through,
    RoadmapItem.key_results.through,
    RoadmapItem.objectives.through,
    Project,
    Sprint,
    Card,
    Card.owners.through,
    Card.sprints.through,
    CardMove,
    GitHubIssue,
    IssueLink,
    WebhookDelivery,
]


def snapshot() -> dict[str, list[dict]]:
    """Every watched row, to compare before and after a request."""
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in WATCHED}


class _Rollback(Exception):
    pass


@contextmanager
def rolled_back():
    """Run the block in a savepoint that is always rolled back (one Hypothesis example)."""
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


def assert_not_5xx(response) -> None:
    assert response.status_code < 500, f"{response.status_code}: {response.content[:2000]!r}"


def assert_errors_shown(response, form_name: str = "form") -> None:
    """A 422 carries a bound form with errors, and every message is in the HTML that went back."""
    assert response.status_code == 422
    form = response.context[form_name]
    assert form.errors, "422 without any form error"
    # Field errors come from Jinja2's form templates (platformhub/form_renderer.py), which escape
    # quotes as &#39; and &#34; where Django's escape() writes &#x27; and &quot;: the same characters.
    html = response.content.decode().replace("&#39;", "&#x27;").replace("&#34;", "&quot;")
    for name, messages in form.errors.items():
        assert name == "__all__" or name in form.fields, f"error for unknown field {name!r}"
        for message in messages:
            assert escape(message) in html, f"the error for {name!r} is not shown: {message!r}"


def check_response(response, before: dict, *, form_name: str | None = "form") -> bool:
    """Never a 5xx; on a 4xx nothing saved changed and a 422 shows its errors. True on success."""
    event(f"status {response.status_code}")  # see --hypothesis-show-statistics
    assert_not_5xx(response)
    if response.status_code >= 400:
        assert snapshot() == before, f"a {response.status_code} answer changed saved data"
        if response.status_code == 422 and form_name:
            assert_errors_shown(response, form_name)
        return False
    assert response.status_code in (200, 302), response.status_code
    return True


def text(data: QueryDict, name: str, *, multiline: bool = False) -> str:
    """A CharField's cleaned value: stripped (a MultilineField also turns CRLF into LF)."""
    value = (data.get(name) or "").strip()
    return value.replace("\r\n", "\n") if multiline else value


def ids(data: QueryDict, name: str) -> set[int]:
    return {int(value) for value in data.getlist(name)}


def optional_id(data: QueryDict, name: str) -> int | None:
    value = data.get(name)
    return int(value) if value else None


def checkbox(data: QueryDict, name: str) -> bool:
    """What Django's CheckboxInput makes of the submitted value."""
    value = data.get(name)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return bool(value)


def decimal(data: QueryDict, name: str) -> Decimal | None:
    value = (data.get(name) or "").strip()
    return Decimal(value) if value else None


def date(data: QueryDict, name: str) -> datetime.date | None:
    return forms.DateField(required=False).clean(data.get(name) or "")
