import copy
import json
import math

import pytest
from django.db import DataError, IntegrityError, OperationalError, transaction
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django_tasks_db.models import DBTaskResult

from integrations import services
from integrations.models import GitHubIssue, IssueLink, WebhookDelivery
from integrations.services import key_result_link_issues
from integrations.webhooks import sign
from platformhub.data_version import data_version_current
from tests.integrations.conftest import PAYLOADS, SECRET, payload, run_worker

pytestmark = pytest.mark.django_db(transaction=True)  # the task worker closes its connections

HELLO = "codertocat/hello-world"


def _issue(number: int = 1) -> GitHubIssue:
    return GitHubIssue.objects.get(repo=HELLO, number=number)


def test_ping_is_answered(deliver):
    response = deliver("ping", payload("ping"))
    assert response.status_code == 200
    assert response.json()["status"] == "pong"


@pytest.mark.parametrize("name", ["issues.opened", "issues.opened.with-empty-body"])
def test_opened_stores_the_issue(deliver, name):
    assert deliver("issues", payload(name)).status_code == 202
    issue = _issue()
    assert issue.title == "Spelling error in the README file"
    assert issue.state == "open"
    assert issue.labels == ["bug"]
    assert issue.html_url == "https://github.com/Codertocat/Hello-World/issues/1"


def test_an_issue_address_that_is_not_a_web_address_is_never_stored(deliver):
    opened = copy.deepcopy(payload("issues.opened"))
    opened["issue"]["html_url"] = "javascript:alert(document.cookie)"
    assert deliver("issues", opened).status_code == 202
    assert not _issue().html_url.startswith("javascript:")


def test_edited_changes_the_title(deliver):
    deliver("issues", payload("issues.opened"))
    edited = payload("issues.edited")
    edited["issue"]["title"] = "Spelling error in the README"
    deliver("issues", edited)
    assert _issue().title == "Spelling error in the README"


def test_closed_and_reopened_change_the_state(deliver):
    deliver("issues", payload("issues.opened"))
    closed = copy.deepcopy(payload("issues.reopened"))
    closed["action"] = "closed"
    closed["issue"].update(state="closed", closed_at="2019-05-15T16:00:00Z")
    deliver("issues", closed)
    assert _issue().state == "closed"
    assert _issue().closed_at == parse_datetime("2019-05-15T16:00:00Z")
    deliver("issues", payload("issues.reopened"))
    assert _issue().state == "open"
    assert _issue().closed_at is None


@pytest.mark.parametrize("action", ["labeled", "unlabeled"])
def test_label_changes_are_stored(deliver, action):
    body = payload(f"issues.{action}")
    deliver("issues", body)
    assert _issue().labels == [label["name"] for label in body["issue"]["labels"]]
    assert _issue().blocked_label == _issue().is_blocked


def test_a_blocked_label_added_and_removed_is_counted_and_then_not(deliver):
    body = payload("issues.labeled")
    body["issue"]["labels"].append({"name": "Status: Blocked"})
    body["issue"]["updated_at"] = "2030-01-01T00:00:00Z"
    deliver("issues", body)
    assert _issue().blocked_label
    body["issue"]["labels"].pop()
    body["issue"]["updated_at"] = "2030-01-02T00:00:00Z"
    deliver("issues", body)
    assert not _issue().blocked_label


@pytest.mark.parametrize("action", ["assigned", "unassigned"])
def test_assignee_changes_are_stored(deliver, action):
    body = payload(f"issues.{action}")
    deliver("issues", body)
    assert _issue().assignees == [person["login"] for person in body["issue"]["assignees"]]
    assert _issue().unassigned == (not body["issue"]["assignees"])


@pytest.mark.parametrize("action", ["milestoned", "demilestoned"])
def test_milestone_changes_are_stored(deliver, action):
    body = payload(f"issues.{action}")
    deliver("issues", body)
    expected = (body["issue"].get("milestone") or {}).get("title") or ""
    assert _issue(2).milestone == expected


@pytest.mark.parametrize("action", ["locked", "unlocked", "pinned", "unpinned"])
def test_actions_that_change_nothing_we_track_keep_the_issue_as_it_was(deliver, action):
    deliver("issues", payload("issues.labeled"))
    response = deliver("issues", payload(f"issues.{action}"))
    assert response.status_code == 202
    issue = _issue()
    assert (issue.state, issue.labels) == ("open", ["bug"])
    assert WebhookDelivery.objects.get(action=action).processed_at is not None


def test_deleted_issue_stops_counting(deliver, okr):
    key_result_link_issues(key_result=okr.kr, text="Codertocat/Hello-World#1", added_by=None)
    deliver("issues", payload("issues.deleted"))
    assert _issue().deleted is True


def test_transferred_issue_moves_its_links_to_the_new_home(deliver, okr):
    key_result_link_issues(key_result=okr.kr, text="octo-org/hello-world-npm#1", added_by=None)
    deliver("issues", payload("issues.transferred"))
    old = GitHubIssue.objects.get(repo="octo-org/hello-world-npm", number=1)
    assert old.deleted is True
    assert IssueLink.objects.filter(issue=_issue(), key_result=okr.kr).exists()


@pytest.mark.parametrize("action", ["created", "edited", "deleted"])
def test_comments_count_as_activity(deliver, action):
    deliver("issues", payload("issues.opened"))
    GitHubIssue.objects.filter(repo=HELLO).update(last_activity_at=parse_datetime("2019-01-01T00:00:00Z"))
    deliver("issue_comment", payload(f"issue_comment.{action}"))
    assert _issue().last_activity_at > parse_datetime("2019-05-15T00:00:00Z")


@pytest.mark.parametrize("name", ["milestone.created", "milestone.closed", "milestone.deleted"])
def test_other_events_are_accepted_and_ignored(deliver, name):
    response = deliver("milestone", payload(name))
    assert response.status_code == 202
    assert response.json()["status"] == "ignored"
    assert not GitHubIssue.objects.exists()


def test_a_repeated_delivery_is_ignored(deliver):
    deliver("issues", payload("issues.opened"), delivery="same-id")
    GitHubIssue.objects.update(title="Changed since")
    response = deliver("issues", payload("issues.opened"), delivery="same-id")
    assert response.status_code == 200
    assert response.json()["status"] == "duplicate"
    assert _issue().title == "Changed since"
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, "sha1=abc", sign(secret="another-secret", body=b"{}")])
def test_a_missing_or_wrong_signature_is_refused_and_changes_nothing(deliver, signature):
    response = deliver("issues", payload("issues.opened"), signature=signature)
    assert response.status_code == 401
    assert not GitHubIssue.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_without_a_configured_secret_nothing_is_accepted(client, settings):
    settings.GITHUB_WEBHOOK_SECRET = ""
    body = b"{}"
    response = client.post(
        reverse("integrations:github_webhook"),
        body,
        content_type="application/json",
        HTTP_X_GITHUB_EVENT="ping",
        HTTP_X_GITHUB_DELIVERY="x",
        HTTP_X_HUB_SIGNATURE_256=sign(secret="", body=body),
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b"\xff\xfe", b'{"action": "opened", "x": 1e999}', b'{"x": Infinity}']
)
def test_malformed_bodies_get_a_400(deliver, body):
    response = deliver("issues", body)
    assert response.status_code == 400
    assert "error" in response.json()


def test_missing_event_headers_get_a_400(client, webhook_secret):
    body = b"{}"
    response = client.post(
        reverse("integrations:github_webhook"),
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=sign(secret=SECRET, body=body),
    )
    assert response.status_code == 400


def test_an_unknown_action_gets_a_422(deliver):
    body = payload("issues.opened")
    body["action"] = "teleported"
    response = deliver("issues", body)
    assert response.status_code == 422
    assert "teleported" in response.json()["error"]
    assert not WebhookDelivery.objects.exists()


def test_an_issues_event_without_an_issue_gets_a_422(deliver):
    assert deliver("issues", {"action": "opened"}).status_code == 422


def test_the_webhook_only_takes_post(client):
    assert client.get(reverse("integrations:github_webhook")).status_code == 405


def test_processing_a_delivery_twice_applies_it_once(deliver):
    from integrations.tasks import process_webhook_delivery

    deliver("issues", payload("issues.opened"))
    GitHubIssue.objects.update(title="Edited here since")
    process_webhook_delivery.call(WebhookDelivery.objects.get().pk)
    assert _issue().title == "Edited here since"


def test_a_closed_webhook_moves_an_issues_key_result(deliver, okr, client_as):
    from django.utils import timezone

    from okrs.models import KeyResult
    from okrs.progress import key_result_progress
    from okrs.selectors import key_result_for_page

    KeyResult.objects.filter(pk=okr.kr.pk).update(kind=KeyResult.Kind.ISSUES)
    key_result_link_issues(key_result=okr.kr, text="Codertocat/Hello-World#1\nCodertocat/Hello-World#2", added_by=None)
    deliver("issues", payload("issues.opened"))
    deliver("issues", payload("issues.milestoned"))
    assert key_result_progress(key_result_for_page(key_result_id=okr.kr.pk, now=timezone.now())) == 0
    closed = payload("issues.reopened")
    closed.update(action="closed")
    closed["issue"].update(state="closed", closed_at="2019-05-15T16:00:00Z")
    deliver("issues", closed)
    assert key_result_progress(key_result_for_page(key_result_id=okr.kr.pk, now=timezone.now())) == 0.5


def test_a_non_ascii_signature_is_refused_not_a_crash(deliver):
    assert deliver("issues", payload("issues.opened"), signature="sha256=é").status_code == 401


def test_an_older_delivery_does_not_undo_a_newer_one(deliver):
    newer = payload("issues.reopened")
    newer["issue"]["updated_at"] = "2024-01-02T00:00:00Z"
    deliver("issues", newer)
    older = payload("issues.reopened")
    older.update(action="closed")
    older["issue"].update(state="closed", closed_at="2024-01-01T00:00:00Z", updated_at="2024-01-01T00:00:00Z")
    deliver("issues", older)
    assert _issue().state == "open"


def test_a_delivery_missing_what_we_need_gets_a_422_and_is_not_stored(deliver):
    assert (
        deliver("issues", {"action": "opened", "issue": {"url": "https://example.com/x", "number": 1}}).status_code
        == 422
    )
    comment = payload("issue_comment.created")
    del comment["comment"]
    assert deliver("issue_comment", comment).status_code == 422
    assert not WebhookDelivery.objects.exists()


def test_a_delivery_that_failed_is_recorded_and_processed_again_when_redelivered(deliver, monkeypatch):
    """A malformed delivery is refused at the door, but applying one can still fail for a passing
    reason (here the database): the reason is kept, and GitHub's redelivery applies it."""

    def database_gone(data):
        raise OperationalError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr(services, "issue_upsert_from_payload", database_gone)  # applying it fails
        deliver("issues", payload("issues.opened"), delivery="fails-first")
    failed = WebhookDelivery.objects.get(delivery_id="fails-first")
    assert failed.processed_at is None
    assert failed.error.startswith("OperationalError: the database went away")
    response = deliver("issues", payload("issues.opened"), delivery="fails-first")
    assert response.status_code == 202
    assert WebhookDelivery.objects.get(delivery_id="fails-first").processed_at is not None


@pytest.mark.parametrize("path", sorted(PAYLOADS.glob("*.payload.json")), ids=lambda path: path.name)
def test_every_real_payload_is_accepted_and_applied(deliver, path):
    """The shape checks at the door must never refuse what GitHub really sends."""
    event = path.name.split(".")[0]
    response = deliver(event, path.read_bytes())
    assert response.status_code in (200, 202), response.content
    assert not WebhookDelivery.objects.filter(processed_at__isnull=True, event__in=["issues", "issue_comment"])


def _opened_with(**issue_changes) -> dict:
    body = payload("issues.opened")
    body["issue"].update(issue_changes)
    return body


MALFORMED_ISSUES = {
    "huge number": ("number", {"number": 10**30}),
    "number past the column": ("number", {"number": 2**31}),
    "negative number": ("number", {"number": -1}),
    "zero number": ("number", {"number": 0}),
    "number as text": ("number", {"number": "1"}),
    "number as boolean": ("number", {"number": True}),
    "url naming no repository": ("url", {"url": "https://api.github.com/repos/x"}),
    "id as text": ("id", {"id": "444500041"}),
    "numeric title": ("title", {"title": 12345}),
    "state as a list": ("state", {"state": ["open"]}),
    "html_url as a number": ("html_url", {"html_url": 1}),
    "assignee without login": ("assignees", {"assignees": [{"id": 1}]}),
    "assignees as text": ("assignees", {"assignees": "octocat"}),
    "label with a null name": ("labels", {"labels": [{"name": None}]}),
    "label as a number": ("labels", {"labels": [3]}),
    "milestone without title": ("milestone", {"milestone": {"number": 1}}),
    "milestone as text": ("milestone", {"milestone": "v1"}),
    "impossible date": ("updated_at", {"updated_at": "2019-13-45T10:00:00Z"}),
    "date without offset": ("created_at", {"created_at": "2019-05-15T15:20:18"}),
    "not a date": ("closed_at", {"closed_at": "yesterday"}),
    "date past year 9999 in UTC": ("updated_at", {"updated_at": "9999-12-31T23:59:59-14:00"}),
}


@pytest.mark.parametrize(("field", "changes"), MALFORMED_ISSUES.values(), ids=MALFORMED_ISSUES.keys())
def test_a_malformed_field_gets_a_422_and_is_not_stored(deliver, field, changes):
    """Acknowledged, it would fail in the task, and GitHub never sends a 2xx delivery again."""
    response = deliver("issues", _opened_with(**changes))
    assert response.status_code == 422
    assert f"issue.{field} " in response.json()["error"]
    assert not WebhookDelivery.objects.exists()
    assert not GitHubIssue.objects.exists()


def test_a_malformed_new_issue_of_a_transfer_gets_a_422(deliver):
    body = payload("issues.transferred")
    body["changes"]["new_issue"]["number"] = -1
    response = deliver("issues", body)
    assert response.status_code == 422
    assert "changes.new_issue.number" in response.json()["error"]
    assert not WebhookDelivery.objects.exists()


def test_a_malformed_comment_time_gets_a_422(deliver):
    body = payload("issue_comment.created")
    body["comment"]["updated_at"] = "2019-02-30T10:00:00Z"
    response = deliver("issue_comment", body)
    assert response.status_code == 422
    assert "comment.updated_at" in response.json()["error"]
    assert not WebhookDelivery.objects.exists()


def test_null_fields_are_left_as_they_were(deliver):
    deliver("issues", payload("issues.opened"))
    response = deliver("issues", _opened_with(title=None, updated_at=None, closed_at=None, id=None))
    assert response.status_code == 202
    assert _issue().title == "Spelling error in the README file"


def test_the_sync_leaves_out_a_field_of_the_wrong_shape():
    """GitHub's API is not checked at a door: a malformed field keeps what we had."""
    issue = GitHubIssue.objects.create(repo=HELLO, number=1, title="Kept", labels=["bug"])
    data = {**payload("issues.opened")["issue"], "title": 12345, "labels": [{"name": None}], "updated_at": "soon"}
    services.issue_apply(issue, data)
    issue.refresh_from_db()
    assert (issue.title, issue.labels, issue.github_updated_at) == ("Kept", ["bug"], None)
    assert issue.assignees == ["Codertocat"]


def test_only_a_repeated_delivery_id_counts_as_a_repeat():
    """Any other refusal from the database (here a payload it cannot store) is raised, not taken
    for a repeat of a delivery that was never stored."""
    with pytest.raises((IntegrityError, DataError)):
        services.webhook_delivery_record(delivery_id="nan", event="issues", action="opened", payload={"x": math.nan})
    assert not WebhookDelivery.objects.exists()


def _post_opened(client, *, delivery: str):
    """A signed `issues.opened` delivery posted as GitHub sends it, its task left in the queue
    (the `deliver` fixture runs the worker after each)."""
    body = json.dumps(payload("issues.opened")).encode()
    return client.post(
        reverse("integrations:github_webhook"),
        body,
        content_type="application/json",
        HTTP_X_GITHUB_EVENT="issues",
        HTTP_X_GITHUB_DELIVERY=delivery,
        HTTP_X_HUB_SIGNATURE_256=sign(secret=SECRET, body=body),
    )


def test_a_delivery_is_queued_inside_its_own_transaction(client, webhook_secret):
    """One commit acknowledges a delivery: its task is written in the delivery's transaction, not
    by an on-commit callback after it (seen from inside a transaction around the request)."""
    with transaction.atomic():
        response = _post_opened(client, delivery="one-commit")
        queued = list(DBTaskResult.objects.values_list("args_kwargs", flat=True))
        delivery = WebhookDelivery.objects.get(delivery_id="one-commit")
    assert response.status_code == 202
    assert queued == [{"args": [delivery.pk], "kwargs": {}}]


def test_a_delivery_whose_task_cannot_be_queued_is_not_stored():
    def refuse(delivery_pk: int) -> None:
        raise OperationalError("the queue's table is locked")

    with pytest.raises(OperationalError):
        services.webhook_delivery_record(
            delivery_id="unqueued", event="issues", action="opened", payload=payload("issues.opened"), process=refuse
        )
    assert not WebhookDelivery.objects.exists()


def test_a_retry_of_a_delivery_not_yet_processed_is_queued_again_and_a_processed_one_is_not():
    queued = []
    first, created = services.webhook_delivery_record(
        delivery_id="retried", event="issues", action="opened", payload={}, process=queued.append
    )
    again, created_again = services.webhook_delivery_record(
        delivery_id="retried", event="issues", action="opened", payload={}, process=queued.append
    )
    WebhookDelivery.objects.filter(pk=first.pk).update(processed_at=parse_datetime("2026-11-01T00:00:00Z"))
    services.webhook_delivery_record(
        delivery_id="retried", event="issues", action="opened", payload={}, process=queued.append
    )
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert queued == [first.pk, first.pk]


def test_an_ignored_event_queues_no_task(deliver):
    deliver("milestone", payload("milestone.created"))
    assert WebhookDelivery.objects.count() == 1
    assert not DBTaskResult.objects.exists()


def test_a_stored_delivery_keeps_the_page_copies_and_the_change_it_brings_moves_them_on(client, webhook_secret):
    """Pages are answered from copies until the data they show changes (platformhub/conditional.py):
    a delivery waiting in the queue changes no page; the issue its task then writes does."""
    before = data_version_current()
    response = _post_opened(client, delivery="kept")
    assert response.status_code == 202
    assert data_version_current() == before
    run_worker()
    assert _issue().title
    assert data_version_current() > before
