"""Page weights on the "S" scale data (issue 9): the team OKR page (10 objectives of 5 key results)
stays under 100 KiB of HTML, and its in-place check-in and objective edit answer with less than
10 KiB, each still with everything the reader needs."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from okrs.models import KeyResult, Period
from platformhub.scale import LEAD_USERNAME, REFERENCE_TEAM_SLUG, seed_scale

pytestmark = pytest.mark.django_db

PAGE_LIMIT = 100 * 1024
PARTIAL_LIMIT = 10 * 1024
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def lead() -> Client:
    seed_scale(size="S")
    client = Client()
    client.force_login(User.objects.get(username=LEAD_USERNAME))
    return client


@pytest.fixture
def page_url(lead) -> str:
    today = timezone.localdate()
    period = Period.objects.get(start__lte=today, end__gte=today)
    return reverse("okrs:team_okrs", args=[REFERENCE_TEAM_SLUG, period.slug])


def _metric_key_result() -> KeyResult:
    """The key result the benchmark checks in on."""
    today = timezone.localdate()
    return (
        KeyResult.objects.filter(
            objective__team__slug=REFERENCE_TEAM_SLUG,
            objective__period__start__lte=today,
            objective__period__end__gte=today,
            kind=KeyResult.Kind.METRIC,
        )
        .select_related("objective")
        .order_by("pk")
        .first()
    )


def test_the_team_okr_page_is_under_100_kib_with_everything_on_it(lead, page_url):
    response = lead.get(page_url)
    content = response.content.decode()
    assert response.status_code == 200
    assert len(response.content) <= PAGE_LIMIT, f"{len(response.content):,} bytes"
    assert content.count('class="card objective"') == 10
    assert content.count('class="child-objective"') == 4
    assert content.count('role="progressbar"') == 10 + 50 + 4  # objectives, key results, aligned objectives
    assert content.count('<span class="owners"><span class="visually-hidden">Owners: </span>') == 10 + 50
    assert content.count(">Check in</a>") == 50
    assert content.count(">Edit</a>") == content.count(">Delete</a>") == 50 + 10
    assert content.count('role="group" aria-labelledby="kr-') == 50, "each row's buttons are named after its KR"
    assert content.count(">Reorder key results</a>") == 10
    assert content.count('aria-label="Move up"') == 10, "the objectives' (the key results' only while reordering)"


def test_reordering_an_objectives_key_results_keeps_the_page_under_100_kib(lead, page_url):
    objective_pk = _metric_key_result().objective_id
    response = lead.get(f"{page_url}?reorder={objective_pk}")
    assert len(response.content) <= PAGE_LIMIT, f"{len(response.content):,} bytes"
    assert response.content.decode().count('aria-label="Move up"') == 10 + 5


def test_an_in_place_check_in_answers_with_less_than_10_kib(lead):
    key_result = _metric_key_result()
    response = lead.post(
        reverse("okrs:check_in", args=[key_result.pk]),
        {"value": str(key_result.current_value + 1), "confidence": "medium", "note": "", "version": key_result.version},
        HTTP_HX_TARGET=f"kr-{key_result.pk}",
        **HTMX,
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert len(response.content) <= PARTIAL_LIMIT, f"{len(response.content):,} bytes"
    assert content.lstrip().startswith(f'<div id="kr-{key_result.pk}" class="kr')
    assert "Medium confidence" in content
    assert "Checked in 0\xa0minutes ago" in content
    assert f'<div id="objective-{key_result.objective_id}-summary" class="objective__summary" hx-swap-oob' in content
    assert '<div id="okr-status" hx-swap-oob="true">' in content
    assert "50</strong> key results" in content


def test_an_in_place_objective_edit_answers_with_less_than_10_kib(lead):
    objective = _metric_key_result().objective
    response = lead.post(
        reverse("okrs:objective_edit", args=[objective.pk]),
        {
            "title": "Renamed in place",
            "why": objective.why,
            "owners": list(objective.owners.values_list("pk", flat=True)),
            "parent": "",
            "version": objective.version,
        },
        HTTP_HX_TARGET=f"objective-{objective.pk}-head",
        **HTMX,
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert len(response.content) <= PARTIAL_LIMIT, f"{len(response.content):,} bytes"
    assert content.lstrip().startswith(f'<div id="objective-{objective.pk}-head">')
    assert "Renamed in place" in content
    assert 'role="progressbar"' in content
    assert f'<footer id="objective-{objective.pk}-actions"' in content
