"""The bugs the fuzzing found, one plain test each with the input that shows it.

Each is marked xfail(strict=True) until the app is fixed: a fix makes it pass, which fails the
run (XPASS) so that the mark gets removed, and the input it excludes from the fuzz strategies
(see the "Known bug" comments there) gets put back.
"""

import copy
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from integrations.models import GitHubIssue, WebhookDelivery
from integrations.webhooks import sign
from okrs.models import KeyResult, Objective
from sprints.models import Card
from tests.fuzz.checks import snapshot
from tests.fuzz.test_webhook import PAYLOADS

SECRET = "fuzz-webhook-secret"


def _post_quietly(client: Client, url: str, data, **extra):
    """POST and return the response, a 500 included (instead of re-raising the view's exception)."""
    client.raise_request_exception = False
    return client.post(url, data, **extra)


# Forms


def test_a_huge_id_is_refused_not_a_500(world, lead_client):
    before = snapshot()
    url = reverse("okrs:objective_create", args=["platform", "2022-q4"])
    response = _post_quietly(lead_client, url, {"title": "Fine", "owners": "9" * 4301})
    assert response.status_code == 422
    assert snapshot() == before


def test_a_20_digit_target_does_not_break_the_okr_page(world, lead_client):
    url = reverse("okrs:key_result_create", args=[world.objective.pk])
    data = {"title": "Big", "kind": "metric", "start_value": "0", "target_value": "9999999999999999.9999"}
    response = _post_quietly(lead_client, url, {**data, "direction": "increase"})
    assert response.status_code in (302, 422)
    assert lead_client.get(reverse("okrs:team_okrs", args=["platform", "2022-q4"])).status_code == 200


def test_a_16_digit_decimal_is_stored_as_typed(world, lead_client):
    url = reverse("okrs:key_result_create", args=[world.objective.pk])
    data = {"title": "Precise", "kind": "metric", "start_value": "0", "target_value": "1234567890123456.1234"}
    response = _post_quietly(lead_client, url, {**data, "direction": "increase"})
    if response.status_code == 302:
        assert KeyResult.objects.get(title="Precise").target_value == Decimal("1234567890123456.1234")
    else:
        assert response.status_code == 422


def test_a_bad_version_is_explained(world, lead_client):
    url = reverse("okrs:objective_edit", args=[world.objective.pk])
    response = _post_quietly(lead_client, url, {"title": "Renamed", "version": ""})
    assert response.status_code == 422
    message = response.context["form"].errors["version"][0]
    assert escape(message) in response.content.decode()
    assert Objective.objects.get(pk=world.objective.pk).title == "High uptime"


def test_a_refused_choice_with_quotes_is_shown_next_to_its_field(world, lead_client):
    """The fuzzing's check looked for Django's escaping of quotes (&#x27;, &quot;) where the
    field's error, drawn by Jinja2's form templates, has &#39; and &#34;: the message was there."""
    url = reverse("okrs:key_result_create", args=[world.objective.pk])
    data = {"title": "Typed", "kind": "metric", "start_value": "0", "target_value": "3", "direction": "'\""}
    response = _post_quietly(lead_client, url, data)
    assert response.status_code == 422
    assert "Select a valid choice. &#39;&#34; is not one of the available choices." in response.content.decode()


def test_a_check_in_on_a_closed_quarter_from_the_kr_page_says_why(world, lead_client):
    key_result = world.closed["key_result"]
    data = {"value": "5", "confidence": "high", "version": str(key_result.version)}
    url = reverse("okrs:check_in", args=[key_result.pk])
    response = _post_quietly(lead_client, url, data, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="kr-summary")
    assert response.status_code == 422
    assert "is closed for Platform" in response.content.decode()


def test_an_empty_link_post_says_what_is_missing(world, lead_client):
    response = _post_quietly(lead_client, reverse("okrs:roadmap_item_link", args=[world.item.pk]), {})
    assert response.status_code == 422
    assert response.context["form"].errors


def test_a_huge_issue_number_is_refused(world, lead_client):
    before = snapshot()
    url = reverse("sprints:card_create", args=["platform"])
    response = _post_quietly(lead_client, url, {"title": "Card", "issue": "octo/repo#99999999999999999999"})
    assert response.status_code == 422
    assert snapshot() == before


def test_a_huge_issue_number_in_linked_issues_is_refused(world, lead_client):
    url = reverse("integrations:link_issues", args=[world.key_results["issues"].pk])
    response = _post_quietly(lead_client, url, {"references": "octo/repo#99999999999999999999"})
    assert response.status_code == 422
    assert not GitHubIssue.objects.exists()


def test_a_nul_in_the_board_slug_is_ignored(world, lead_client):
    url = reverse("sprints:card_move", args=[world.card.pk])
    response = _post_quietly(
        lead_client, url, {"column": "on_deck", "version": 1, "board": "\x00"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert Card.objects.get(pk=world.card.pk).column == "on_deck"


def test_a_nul_in_the_board_filters_is_ignored(world, lead_client):
    url = reverse("sprints:card_move", args=[world.card.pk])
    data = {"column": "on_deck", "version": 1, "query": "sub_team=%00"}
    response = _post_quietly(lead_client, url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert Card.objects.get(pk=world.card.pk).column == "on_deck"


def test_a_malformed_current_url_is_ignored(world, lead_client):
    url = reverse("okrs:roadmap_item_edit", args=[world.item.pk])
    data = {"title": "Renamed", "status": "planned", "commitment": "likely", "health": "on_track", "version": "1"}
    response = _post_quietly(lead_client, url, data, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://[::1")
    assert response.status_code == 200


# The webhook


@pytest.fixture
def deliver(settings, db):
    settings.GITHUB_WEBHOOK_SECRET = SECRET
    client = Client(raise_request_exception=False)

    def send(event: str, raw: bytes):
        return client.post(
            reverse("integrations:github_webhook"),
            raw,
            content_type="application/json",
            HTTP_X_GITHUB_EVENT=event,
            HTTP_X_GITHUB_DELIVERY="fuzz-1",
            HTTP_X_HUB_SIGNATURE_256=sign(secret=SECRET, body=raw),
        )

    return send


def _opened(**changes) -> dict:
    payload = copy.deepcopy(PAYLOADS["issues.opened"])
    payload.update(changes)
    return payload


def test_an_unhashable_action_is_refused(deliver):
    response = deliver("issues", json.dumps(_opened(action=["opened"])).encode())
    assert response.status_code == 422
    assert not WebhookDelivery.objects.exists()


def test_a_transferred_delivery_with_odd_changes_is_refused(deliver):
    payload = copy.deepcopy(PAYLOADS["issues.transferred"])
    payload["changes"] = ["new_issue"]
    response = deliver("issues", json.dumps(payload).encode())
    assert response.status_code == 422
    assert not WebhookDelivery.objects.exists()


def test_a_nan_in_the_body_is_refused(deliver):
    raw = json.dumps(_opened(extra=float("nan"))).encode()
    assert b"NaN" in raw
    response = deliver("issues", raw)
    assert response.status_code == 400
    assert not WebhookDelivery.objects.exists()


def test_a_nul_escape_in_the_body_is_refused_or_stored(deliver):
    issue = {**PAYLOADS["issues.opened"]["issue"], "title": "bad\x00title"}
    response = deliver("issues", json.dumps(_opened(issue=issue)).encode())
    assert response.status_code in (202, 400, 422)


def test_a_lone_surrogate_in_the_body_is_refused_or_stored(deliver):
    raw = json.dumps(_opened(extra="\ud800")).encode()
    response = deliver("issues", raw)
    assert response.status_code in (202, 400, 422)


def test_deeply_nested_json_is_refused(deliver):
    response = deliver("issues", b"[" * 100_000 + b"]" * 100_000)
    assert response.status_code == 400
