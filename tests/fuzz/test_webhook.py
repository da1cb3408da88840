"""Fuzz the GitHub webhook: headers (event, delivery id, signature missing, wrong or valid) and
bodies (random bytes, broken JSON, JSON of the wrong shape, and the real payloads of
tests/integrations/payloads/ mutated: keys dropped, types changed, huge numbers, nulls) signed
correctly. The view never answers 5xx, refuses without storing anything, and whatever it queues
is applied by the task function (GitHub does not resend a delivery it saw acknowledged, so one that
fails there would be lost), without taking other deliveries with it."""

import copy
import json
from pathlib import Path

import pytest
from django.tasks import TaskResultStatus
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from hypothesis import event as statistic
from hypothesis import given
from hypothesis import strategies as st

from integrations import tasks
from integrations.models import GitHubIssue, WebhookDelivery
from integrations.services import webhook_delivery_record
from integrations.webhooks import sign
from tests.fuzz.checks import assert_not_5xx, rolled_back, snapshot
from tests.fuzz.strategies import fuzz
from tests.integrations.conftest import run_worker

SECRET = "fuzz-webhook-secret"
PAYLOADS = {
    path.name.removesuffix(".payload.json"): json.loads(path.read_text())
    for path in sorted((Path(__file__).parent.parent / "integrations" / "payloads").glob("*.payload.json"))
}
URL = "/integrations/github/webhook"
EXAMPLES_HEADERS = 80
EXAMPLES_PAYLOADS = 120

# What the app reads from a delivery; mutations aim here half the time.
ISSUE_KEYS = [
    ("url",),
    ("number",),
    ("id",),
    ("title",),
    ("state",),
    ("closed_at",),
    ("html_url",),
    ("pull_request",),
    ("assignees",),
    ("assignees", 0),
    ("assignees", 0, "login"),
    ("labels",),
    ("labels", 0),
    ("labels", 0, "name"),
    ("milestone",),
    ("milestone", "title"),
    ("created_at",),
    ("updated_at",),
]
READ_PATHS = [
    ("action",),
    ("zen",),
    ("issue",),
    ("comment",),
    ("comment", "updated_at"),
    ("changes",),
    ("changes", "new_issue"),
    *[("issue", *key) for key in ISSUE_KEYS],
    *[("changes", "new_issue", *key) for key in ISSUE_KEYS],
]

# Header values as an HTTP server hands them over: visible Latin-1, no control characters.
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=120)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**31), max_value=2**31),
    st.integers(),
    st.sampled_from([0, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64, 10**30, -(10**30)]),
    st.floats(),  # NaN and ±Infinity included: json.dumps writes them as NaN / Infinity literals
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "opened",
            "closed",
            "open",
            "transferred",
            "deleted",
            "2019-05-15T15:20:18Z",
            "2019-05-15T15:20:18",
            "2019-13-45T99:99:99Z",
            "2019-02-30T10:00:00Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59+14:00",
            "9999-12-31T23:59:59-14:00",
            "not a date",
            "https://api.github.com/repos/Codertocat/Hello-World/issues/1",
            "https://api.github.com/repos/",
            "https://api.github.com/repos/x",
            "/repos/a/b/issues/1",
            "https://github.com/Codertocat/Hello-World/pull/1",
            "points:3",
            "x" * 600,
            "bad\x00title",  # PostgreSQL's jsonb refuses NUL
            "\ud800",  # and lone surrogates (json.dumps writes them as \ud800 escapes)
            "a\udfffb",
        ]
    ),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)


def _paths(value, prefix=(), depth=3):
    """Every key path in `value`, `depth` levels deep."""
    if depth == 0:
        return
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield (*prefix, key)
        yield from _paths(item, (*prefix, key), depth - 1)


def _apply(payload: dict, path: tuple, operation: str, value) -> None:
    """Drop the key at `path` or set it to `value`; a path that no longer exists is skipped."""
    parent = payload
    for key in path[:-1]:
        try:
            parent = parent[key]
        except (KeyError, IndexError, TypeError):
            return
    last = path[-1]
    if isinstance(parent, dict) and isinstance(last, str):
        if operation == "drop":
            parent.pop(last, None)
        else:
            parent[last] = value
    elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        if operation == "drop":
            del parent[last]
        else:
            parent[last] = value


@st.composite
def mutated_payloads(draw) -> tuple[str, dict]:
    """A real payload (and its event) with a few keys dropped or changed."""
    name = draw(st.sampled_from(sorted(PAYLOADS)))
    payload = copy.deepcopy(PAYLOADS[name])
    all_paths = sorted(set(_paths(payload)), key=repr)
    for _ in range(draw(st.integers(0, 4))):
        path = draw(st.one_of(st.sampled_from(READ_PATHS), st.sampled_from(all_paths)))
        operation = draw(st.sampled_from(["drop", "null", "set", "set"]))
        value = None if operation == "null" else draw(json_values)
        _apply(payload, path, operation, value)
    if draw(st.booleans()) and isinstance(payload.get("action"), str):
        payload["action"] = draw(st.sampled_from(["opened", "closed", "transferred", "deleted", "created", "edited"]))
    return name.split(".")[0], payload


bodies = st.one_of(
    mutated_payloads().map(lambda pair: (pair[0], json.dumps(pair[1]))),
    st.tuples(st.just(None), json_values.map(json.dumps)),
    st.tuples(st.just(None), st.binary(max_size=200)),
    st.tuples(st.just(None), st.text(max_size=200)),
    st.tuples(
        st.just(None),
        st.sampled_from(
            [
                "",
                "{",
                "null",
                "[]",
                '"issues"',
                "1e999999",
                "9" * 5000,
                '{"action": "opened", "issue": {"url": "https://api.github.com/repos/a/b/issues/1", "number": 1e2}}',
                '{"action": "opened", "issue": {"url": "https://api.github.com/repos/a/b/issues/1", "number": true}}',
                '{"action": "opened", "issue": {"url": "https://api.github.com/repos/a/b/issues/1", "number": -1}}',
                '{"action": "opened", "issue": {"url": "https://api.github.com/repos/a/b/issues/1", "number": '
                + "9" * 30
                + "}}",
                "\ufeff{}",
                '{"a": 1, "a": 2}',
                "[" * 100 + "]" * 100,
                "[" * 100_000 + "]" * 100_000,
                '{"action": "opened", "issue": ' + '{"a": ' * 100_000 + "1" + "}" * 100_001,
                '{"action": "opened", "extra": 1e999}',
                '{"action": "opened", "extra": -Infinity}',
            ]
        ),
    ),
)


@pytest.fixture
def webhook(settings, db):
    settings.GITHUB_WEBHOOK_SECRET = SECRET
    # Deliveries already received: a processed one and one still waiting for the worker.
    processed = webhook_delivery_record(
        delivery_id="seen-processed", event="issues", action="opened", payload=PAYLOADS["issues.opened"]
    )[0]
    WebhookDelivery.objects.filter(pk=processed.pk).update(processed_at=timezone.now())
    webhook_delivery_record(
        delivery_id="seen-pending", event="issues", action="opened", payload=PAYLOADS["issues.opened"]
    )
    return Client()


@pytest.fixture
def baseline(webhook) -> dict:
    """The watched rows before any example (each example is rolled back to it)."""
    return snapshot()


def _control_delivery() -> WebhookDelivery:
    """A good delivery for an issue of its own, to check that the others still get applied."""
    payload = copy.deepcopy(PAYLOADS["issues.opened"])
    payload["issue"].update(url="https://api.github.com/repos/fuzz/control/issues/7", number=7, title="Control")
    delivery, _ = webhook_delivery_record(delivery_id="control", event="issues", action="opened", payload=payload)
    return delivery


def run_task(delivery_id: int) -> Exception | None:
    """Run the queued work as the worker would; the exception it raised (the worker records it), if any."""
    try:
        tasks.process_webhook_delivery.call(delivery_id)
    except Exception as error:  # the worker catches everything a task raises and marks it failed
        return error
    return None


def _deliver(client, baseline: dict, raw: bytes, headers: dict) -> None:
    """POST a delivery and check the answer; run what it queued (then a good delivery) as a worker would."""
    with rolled_back():
        known = {row["id"] for row in baseline["integrations.WebhookDelivery"]}
        response = client.post(URL, raw, content_type="application/json", **headers)
        statistic(f"status {response.status_code}")
        assert_not_5xx(response)
        if response.status_code >= 400:
            assert snapshot() == baseline, "a refused delivery changed saved data"
            assert "error" in response.json()
            statistic(f"refused: {response.json()['error'][:60]}")
            return
        assert response.status_code in (200, 202)
        assert WebhookDelivery.objects.exclude(pk__in=known).count() <= 1
        if response.json()["status"] != "queued":
            return
        queued = WebhookDelivery.objects.get(delivery_id=headers["HTTP_X_GITHUB_DELIVERY"][:100])
        failure = run_task(queued.pk)
        queued.refresh_from_db()
        assert failure is None, f"acknowledged, then failed in the task: {type(failure).__name__}: {failure}"
        assert queued.processed_at is not None
        control = _control_delivery()
        assert run_task(control.pk) is None
        control.refresh_from_db()
        assert control.processed_at is not None
        assert GitHubIssue.objects.get(repo="fuzz/control", number=7).title == "Control"
        assert WebhookDelivery.objects.get(delivery_id="seen-processed").processed_at is not None


@fuzz(EXAMPLES_HEADERS)
@given(
    body=bodies,
    event=st.one_of(
        st.none(), st.sampled_from(["issues", "issue_comment", "ping", "milestone", "push", ""]), header_text
    ),
    use_payload_event=st.booleans(),
    delivery=st.one_of(
        st.none(), st.sampled_from(["", "seen-processed", "seen-pending", "x" * 101]), st.uuids().map(str), header_text
    ),
    signature=st.sampled_from(["valid", "valid", "valid", "missing", "wrong", "sha1", "upper", "non-ascii", "spaced"]),
)
def test_any_headers_and_body(webhook, baseline, body, event, use_payload_event, delivery, signature):
    """Every combination of the headers with any body: refused with 400/401, or accepted."""
    payload_event, text = body
    raw = text if isinstance(text, bytes) else text.encode()
    if payload_event and use_payload_event:
        event = payload_event
    valid = sign(secret=SECRET, body=raw)
    signatures = {
        "valid": valid,
        "missing": None,
        "wrong": sign(secret=SECRET, body=raw + b" "),
        "sha1": "sha1=" + valid.removeprefix("sha256="),
        "upper": valid.upper(),
        "non-ascii": valid[:-1] + "é",
        "spaced": f" {valid} ",
    }
    headers = {
        name: value
        for name, value in (
            ("HTTP_X_GITHUB_EVENT", event),
            ("HTTP_X_GITHUB_DELIVERY", delivery),
            ("HTTP_X_HUB_SIGNATURE_256", signatures[signature]),
        )
        if value is not None
    }
    if signature != "valid":
        response = webhook.post(URL, raw, content_type="application/json", **headers)
        assert response.status_code == 401
        assert not WebhookDelivery.objects.exclude(delivery_id__startswith="seen-").exists()
        return
    _deliver(webhook, baseline, raw, headers)


@fuzz(EXAMPLES_PAYLOADS)
@given(pair=mutated_payloads(), delivery=st.uuids().map(str))
def test_mutated_real_payloads(webhook, baseline, pair, delivery):
    """The real payloads, mutated and correctly signed: a 4xx, or a 2xx whose queued work applies
    (a malformed field is refused at the door), never taking other deliveries with it."""
    event, payload = pair
    raw = json.dumps(payload).encode()
    headers = {
        "HTTP_X_GITHUB_EVENT": event,
        "HTTP_X_GITHUB_DELIVERY": delivery,
        "HTTP_X_HUB_SIGNATURE_256": sign(secret=SECRET, body=raw),
    }
    _deliver(webhook, baseline, raw, headers)


@pytest.mark.django_db(transaction=True)  # the real worker closes its database connections
def test_deliveries_the_task_cannot_apply_do_not_stop_the_worker(settings, django_capture_on_commit_callbacks):
    """The real db_worker over a queue where some deliveries fail in the task (shapes the fuzzing
    found; the webhook refuses them now, so they are stored as if received before it did): those
    are marked failed with the reason kept, a field of the wrong shape is left out rather than
    failing, and every other delivery is applied."""
    settings.GITHUB_WEBHOOK_SECRET = SECRET
    client = Client()

    def opened(number: int, **issue_changes) -> dict:
        payload = copy.deepcopy(PAYLOADS["issues.opened"])
        url = f"https://api.github.com/repos/fuzz/worker/issues/{number}"
        payload["issue"].update(url=url, number=number, **issue_changes)
        return payload

    def post(delivery: str, payload: dict) -> None:
        raw = json.dumps(payload).encode()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                URL,
                raw,
                content_type="application/json",
                HTTP_X_GITHUB_EVENT="issues",
                HTTP_X_GITHUB_DELIVERY=delivery,
                HTTP_X_HUB_SIGNATURE_256=sign(secret=SECRET, body=raw),
            )
        assert response.status_code == 202, (delivery, response.content)

    def stored_earlier(delivery: str, payload: dict) -> None:
        recorded, _ = webhook_delivery_record(delivery_id=delivery, event="issues", action="opened", payload=payload)
        tasks.process_webhook_delivery.enqueue(recorded.pk)

    post("good-1", opened(1, title="First"))
    stored_earlier("bad-title", opened(2, title=12345))  # was a TypeError in the task
    stored_earlier("bad-assignee", opened(3, assignees=[{"id": 1}]))  # was KeyError: 'login'
    stored_earlier("bad-date", opened(4, updated_at="2019-13-45T10:00:00Z"))  # was a ValueError
    stored_earlier("bad-number", opened(10**30))  # overflows the column: a database error
    stored_earlier("bad-negative", opened(-1))  # a PositiveIntegerField: IntegrityError
    post("good-2", opened(5, title="Fifth"))
    run_worker()
    deliveries = {delivery.delivery_id: delivery for delivery in WebhookDelivery.objects.all()}
    for name in ("good-1", "bad-title", "bad-assignee", "bad-date", "good-2"):
        assert deliveries[name].processed_at is not None
        assert deliveries[name].error == ""
    for name in ("bad-number", "bad-negative"):
        assert deliveries[name].processed_at is None
        assert deliveries[name].error
    issues = {issue.number: issue for issue in GitHubIssue.objects.filter(repo="fuzz/worker")}
    assert {number: issue.title for number, issue in issues.items()} == {
        1: "First",
        2: "",
        3: PAYLOADS["issues.opened"]["issue"]["title"],
        4: PAYLOADS["issues.opened"]["issue"]["title"],
        5: "Fifth",
    }
    assert issues[3].assignees == []
    assert issues[4].github_updated_at is None
    statuses = list(DBTaskResult.objects.values_list("status", flat=True))
    assert sorted(statuses) == sorted([TaskResultStatus.SUCCESSFUL] * 5 + [TaskResultStatus.FAILED] * 2)
