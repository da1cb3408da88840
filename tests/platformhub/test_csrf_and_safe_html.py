"""Issue 8 guards that hold for the whole codebase: the GitHub webhook is the only view exempt
from CSRF, writes without a CSRF token are refused, and HTML is marked safe in one module only."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from platformhub.models import Team
from sprints.models import CalendarFeed, Card, MeetingSeries, StandupUpdate

REPO = Path(__file__).resolve().parents[2]
CODE = ["platformhub", "okrs", "sprints", "integrations", "templates"]
SAFE_HTML_MODULE = REPO / "platformhub" / "html.py"
MARKS_SAFE = re.compile(r"mark_safe|SafeString|format_html|\|\s*safe\b|autoescape\s+off|safeseq")


def _views(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_the_github_webhook_is_the_only_view_exempt_from_csrf():
    exempt = sorted(route for route, view in _views(get_resolver().url_patterns) if getattr(view, "csrf_exempt", False))

    assert exempt == ["integrations/github/webhook"]


def test_html_is_marked_safe_only_in_the_audited_module():
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for folder in CODE
        for path in (REPO / folder).rglob("*")
        if path.suffix in (".py", ".html") and path != SAFE_HTML_MODULE
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if MARKS_SAFE.search(line)
    ]

    assert offenders == [], "mark HTML safe only in platformhub/html.py, after sanitising it"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("route", "data"),
    [
        ("team_about_edit", {"mission": "Taken over", "guidelines": "", "version": "1"}),
        ("sprints:card_create", {"title": "Forged card"}),
        ("sprints:standup", {"version": "0", "today": "Forged standup"}),
        ("sprints:calendar_feed_create", {}),
        ("sprints:series_create", {"name": "Forged", "kind": "custom", "duration_minutes": "30", "timezone": "UTC"}),
    ],
)
def test_a_write_without_a_csrf_token_is_refused_and_changes_nothing(org, route, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.users["lead"])
    before = Team.objects.get(pk=org.team.pk).version

    response = client.post(reverse(route, args=["platform"]), data)

    assert response.status_code == 403
    assert Team.objects.get(pk=org.team.pk).version == before
    assert not any(model.objects.exists() for model in (Card, StandupUpdate, CalendarFeed, MeetingSeries))


@pytest.mark.django_db
def test_logging_in_without_a_csrf_token_is_refused(org):
    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "x", "password": "y"})

    assert response.status_code == 403
