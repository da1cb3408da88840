"""The GitHub webhook, and linking issues to key results."""

import json
import math
import re
from typing import NoReturn

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from integrations import selectors, services, tasks
from integrations.forms import LinkIssuesForm, SavedSearchForm
from integrations.models import IssueLink, SavedSearch
from integrations.webhooks import signature_is_valid
from okrs.models import KeyResult
from okrs.selectors import key_result_for_page
from okrs.views import key_result_page_context
from platformhub.access import get_for_user

HANDLED_EVENTS = {"issues": services.ISSUE_ACTIONS, "issue_comment": services.COMMENT_ACTIONS}


def _problem(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt  # GitHub cannot send a CSRF token; the HMAC signature proves the sender instead.
@login_not_required
@require_POST
def github_webhook(request: HttpRequest) -> HttpResponse:
    """Receive a GitHub delivery: verify, store once, and leave the work to a background task."""
    event = request.headers.get("X-GitHub-Event", "")
    delivery_id = request.headers.get("X-GitHub-Delivery", "")
    signature = request.headers.get("X-Hub-Signature-256", "")
    if not signature_is_valid(secret=settings.GITHUB_WEBHOOK_SECRET, body=request.body, header=signature):
        return _problem(401, "Missing or invalid X-Hub-Signature-256.")
    if not event or not delivery_id:
        return _problem(400, "X-GitHub-Event and X-GitHub-Delivery headers are required.")
    try:
        payload = json.loads(request.body, parse_constant=_not_json, parse_float=_finite_float)
    except (ValueError, UnicodeDecodeError) as error:
        return _problem(400, f"The body is not JSON: {error}")
    except RecursionError:
        return _problem(400, "The body is nested too deeply.")
    if not isinstance(payload, dict):
        return _problem(400, "The body is not a JSON object.")
    if _has_unstorable_text(payload):
        return _problem(400, "The body has a NUL character or a lone surrogate (\\u0000, \\ud800…) in its text.")
    if event == "ping":
        return JsonResponse({"status": "pong", "zen": payload.get("zen", "")})
    action = payload.get("action", "")
    if event in HANDLED_EVENTS:
        if not isinstance(action, str):
            return _problem(422, f"A {event} delivery needs its action as text.")
        if action not in HANDLED_EVENTS[event]:
            return _problem(422, f"Unknown {event} action “{action}”.")
        if problem := _payload_problem(event, action, payload):
            return _problem(422, problem)
    handled = event in HANDLED_EVENTS
    delivery, created = services.webhook_delivery_record(
        delivery_id=delivery_id[:100],
        event=event[:50],
        action=str(action)[:50],
        payload=payload,
        process=tasks.process_webhook_delivery.enqueue if handled else None,
    )
    if not handled:
        return JsonResponse({"status": "ignored", "event": event}, status=202)
    if not created and delivery.processed_at is not None:
        return JsonResponse({"status": "duplicate", "delivery": delivery_id})
    return JsonResponse({"status": "queued", "delivery": delivery_id}, status=202)


def _not_json(constant: str) -> NoReturn:
    """NaN and Infinity are no JSON (Python's parser takes them), and no database stores them."""
    raise ValueError(f"{constant} is not JSON.")


def _finite_float(text: str) -> float:
    """A number too big for a float (1e999) would be stored as Infinity, which no database takes."""
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is out of range.")
    return number


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # the parser joins a proper pair into one character


def _has_unstorable_text(payload: dict) -> bool:
    """Whether a string (or key) holds NUL or a lone surrogate, which PostgreSQL's jsonb refuses
    (SQLite would take them): refused on both, so a delivery is stored the same everywhere.
    Walked without recursion, since the payload may be nested as deep as the parser allows."""
    pending = [payload]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str) and ("\x00" in value or _LONE_SURROGATE.search(value)):
            return True
    return False


def _payload_problem(event: str, action: str, payload: dict) -> str | None:
    """What a delivery lacks for us to apply it, or has in the wrong shape, if anything (checked
    before it is stored: a delivery acknowledged but failing in the task would not come again)."""
    if problem := services.issue_problem(payload.get("issue"), where="issue"):
        return f"A {event} delivery needs its issue: {problem}."
    if event == "issue_comment":
        comment = payload.get("comment")
        if not isinstance(comment, dict):
            return "An issue_comment delivery needs the comment."
        if comment.get("updated_at") is not None and services.github_time(comment["updated_at"]) is None:
            return "comment.updated_at must be a time such as 2019-05-15T15:20:18Z, or null."
    if action == "transferred":
        changes = payload.get("changes")
        new_issue = changes.get("new_issue") if isinstance(changes, dict) else None
        if problem := services.issue_problem(new_issue, where="changes.new_issue"):
            return f"A transferred delivery needs the issue's new home: {problem}."
    return None


def _key_result(request: HttpRequest, pk: int) -> KeyResult:
    queryset = KeyResult.objects.select_related("objective__team__parent", "objective__period").prefetch_related(
        "owners"
    )
    return get_for_user(request, queryset, permission="okrs.check_in", pk=pk)


def _issues_response(request: HttpRequest, key_result: KeyResult, *, status: int = 200, **extra) -> HttpResponse:
    key_result = key_result_for_page(key_result_id=key_result.pk, now=timezone.now())
    context = selectors.linked_issues_context(user=request.user, key_result=key_result) | extra
    template = "integrations/key_result_issues.html#issues" if request.htmx else "integrations/key_result_issues.html"
    response = render(request, template, context, status=status)
    if request.htmx and request.htmx.target == "kr-issues":
        # The KR's progress follows its issues: refresh "Where it stands" and the chart too.
        summary = {**key_result_page_context(request, key_result.pk), "oob": True}
        response.content += render_to_string("okrs/key_result_detail.html#summary", summary, request=request).encode()
    return response


@require_http_methods(["GET", "POST"])
def link_issues(request: HttpRequest, pk: int) -> HttpResponse:
    """Paste one or many issue references; good ones are linked, each bad one is explained."""
    key_result = _key_result(request, pk)
    if request.method == "GET":
        return _issues_response(request, key_result)
    form = LinkIssuesForm(request.POST)
    if not form.is_valid():
        return _issues_response(request, key_result, status=422, link_form=form)
    try:
        outcome = services.key_result_link_issues(
            key_result=key_result, text=form.cleaned_data["references"], added_by=getattr(request.user, "person", None)
        )
    except ValidationError as error:
        form.add_error("references", error.messages)
        return _issues_response(request, key_result, status=422, link_form=form)
    if outcome.linked:
        issue_ids = [issue.pk for issue in outcome.linked]
        transaction.on_commit(lambda: tasks.sync_issues.enqueue(issue_ids))
    if outcome.errors:
        bad_lines = "\n".join(error.text for error in outcome.errors)
        return _issues_response(
            request, key_result, status=422, outcome=outcome, link_form=LinkIssuesForm({"references": bad_lines})
        )
    if request.htmx:
        return _issues_response(request, key_result, outcome=outcome)
    messages.success(request, f"Linked {len(outcome.linked)} issue(s).")
    return redirect(key_result)


@require_POST
def unlink_issue(request: HttpRequest, pk: int) -> HttpResponse:
    link = IssueLink.objects.select_related("issue").filter(pk=pk, key_result__isnull=False).first()
    if link is None:
        raise Http404("No such link")
    key_result = _key_result(request, link.key_result_id)
    try:
        services.issue_link_remove(link=link)
    except ValidationError as error:
        return _issues_response(request, key_result, status=422, problem=error.messages[0])
    if request.htmx:
        return _issues_response(request, key_result)
    messages.success(request, f"Unlinked {link.issue}.")
    return redirect(key_result)


@require_POST
def add_saved_search(request: HttpRequest, pk: int) -> HttpResponse:
    key_result = _key_result(request, pk)
    form = SavedSearchForm(request.POST)
    if form.is_valid():
        try:
            services.saved_search_add(
                key_result=key_result,
                query=form.cleaned_data["query"],
                created_by=getattr(request.user, "person", None),
            )
        except ValidationError as error:
            form.add_error("query", error.messages)
    if form.errors:
        return _issues_response(request, key_result, status=422, search_form=form)
    transaction.on_commit(lambda: tasks.sync_linked_issues.enqueue())
    if request.htmx:
        return _issues_response(request, key_result)
    messages.success(request, "Saved the search; the next sync links what it finds.")
    return redirect(key_result)


@require_POST
def remove_saved_search(request: HttpRequest, pk: int) -> HttpResponse:
    search = SavedSearch.objects.filter(pk=pk).first()
    if search is None:
        raise Http404("No such search")
    key_result = _key_result(request, search.key_result_id)
    try:
        services.saved_search_remove(search=search)
    except ValidationError as error:
        return _issues_response(request, key_result, status=422, problem=error.messages[0])
    if request.htmx:
        return _issues_response(request, key_result)
    return redirect(key_result)
