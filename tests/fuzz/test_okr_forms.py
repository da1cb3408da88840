"""Fuzz the OKR forms: objective and key result create and edit, and check-ins, as plain posts
and as HTMX swaps. No input may give a 5xx; a refused one changes nothing saved and shows why;
an accepted one is stored as typed."""

import datetime
from decimal import Decimal

from django.urls import reverse
from hypothesis import assume, given
from hypothesis import strategies as st

from okrs.models import CheckIn, KeyResult, Objective
from tests.fuzz import checks
from tests.fuzz.checks import check_response, rolled_back
from tests.fuzz.strategies import (
    any_text,
    booleans,
    choice_values,
    corrupted,
    date_values,
    dates_between,
    decimal_text,
    decimals_for,
    encodings,
    fuzz,
    good_text,
    hostile_decimals,
    id_values,
    int_like,
    post,
    some_of,
)

KINDS = [choice for choice, _ in KeyResult.Kind.choices]
DIRECTIONS = [choice for choice, _ in KeyResult.Direction.choices]
CONFIDENCES = [choice for choice, _ in KeyResult.Confidence.choices]
Q4 = dates_between(datetime.date(2022, 10, 1), datetime.date(2022, 12, 31))
EXAMPLES = 60
TARGETS = ["own", "sub", "own", "sub", "closed", "payments"]


def _decimals() -> st.SearchStrategy[str]:
    return st.one_of(decimals_for().flatmap(decimal_text), hostile_decimals)


# Objectives


@st.composite
def valid_objective(draw, world, *, may_align: bool, version: int | None = None) -> dict:
    body = {
        "title": draw(good_text(200)),
        "why": draw(st.one_of(st.just(""), good_text(10_000, multiline=True))),
        "owners": draw(some_of(world.people_ids())),
    }
    if may_align:
        body["parent"] = draw(st.sampled_from(["", str(world.objective.pk)]))
    if version is not None:
        body["archived"] = draw(st.sampled_from(["", "on"]))
        body["version"] = str(version)
    return body


def objective_fields(world, version: int | None = None) -> dict:
    fields = {
        "title": any_text(200),
        "why": any_text(10_000, multiline=True),
        "owners": id_values(world.people_ids(), world.foreign_ids()),
        "parent": id_values([world.objective.pk], [world.sub_objective.pk, world.foreign["objective"]]),
    }
    if version is not None:
        fields["archived"] = booleans
        fields["version"] = int_like([version, version + 1])
    return fields


def _check_objective(saved: Objective, data, *, may_align: bool, archived: bool | None = None) -> None:
    assert saved.title == checks.text(data, "title")
    assert saved.why == checks.text(data, "why", multiline=True)
    assert {person.pk for person in saved.owners.all()} == checks.ids(data, "owners")
    assert saved.parent_id == (checks.optional_id(data, "parent") if may_align else None)
    if archived is not None:
        assert saved.archived is archived


@fuzz(EXAMPLES)
@given(data=st.data(), on_sub_team=st.booleans(), htmx=st.booleans(), encoding=encodings)
def test_objective_create(world, baseline, lead_client, data, on_sub_team, htmx, encoding):
    team = world.org.sub_team if on_sub_team else world.org.team
    valid = valid_objective(world, may_align=on_sub_team)
    body = data.draw(corrupted(valid, objective_fields(world), multi=("owners",)), label="body")
    with rolled_back():
        known = {row["id"] for row in baseline["okrs.Objective"]}
        url = reverse("okrs:objective_create", args=[team.slug, world.period.slug])
        response, sent = post(lead_client, url, body, htmx=htmx, encoding=encoding)
        if check_response(response, baseline):
            saved = Objective.objects.exclude(pk__in=known).get()
            assert (saved.team, saved.period) == (team, world.period)
            _check_objective(saved, sent, may_align=on_sub_team)


@fuzz(EXAMPLES)
@given(
    data=st.data(),
    which=st.sampled_from(["own", "sub", "own", "sub", "payments"]),
    htmx=st.booleans(),
    encoding=encodings,
)
def test_objective_edit(world, baseline, lead_client, data, which, htmx, encoding):
    """Platform's and Infrastructure's objectives, and (404, nothing changed) one of Payments'."""
    objective = {"own": world.objective, "sub": world.sub_objective, "payments": world.payments["objective"]}[which]
    on_sub_team = which == "sub"
    valid = valid_objective(world, may_align=on_sub_team, version=objective.version)
    fields = objective_fields(world, objective.version)
    body = data.draw(corrupted(valid, fields, multi=("owners",)), label="body")
    with rolled_back():
        url = reverse("okrs:objective_edit", args=[objective.pk])
        response, sent = post(lead_client, url, body, htmx=htmx, encoding=encoding)
        assert which != "payments" or response.status_code == 404
        assert which != "closed" or response.status_code >= 400
        if check_response(response, baseline):
            saved = Objective.objects.get(pk=objective.pk)
            assert saved.version == objective.version + 1
            _check_objective(saved, sent, may_align=on_sub_team, archived=checks.checkbox(sent, "archived"))


# Key results


def _key_result(world, kind: str) -> KeyResult:
    return {"closed": world.closed["key_result"], "payments": world.payments["key_result"]}.get(kind) or (
        world.key_results[kind]
    )


@st.composite
def valid_key_result(draw, world, *, version: int | None = None) -> dict:
    kind = draw(st.sampled_from(KINDS))
    body = {
        "title": draw(good_text(200)),
        "kind": kind,
        "direction": draw(st.sampled_from(DIRECTIONS)),
        "unit": draw(st.one_of(st.just(""), good_text(40))),
        "weight_by_points": draw(st.sampled_from(["", "on"])),
        "due_date": draw(st.one_of(st.just(""), Q4)),
        "owners": draw(some_of(world.people_ids())),
    }
    if kind == KeyResult.Kind.METRIC:
        start, target = draw(decimals_for()), draw(decimals_for())
        assume(start != target)
        body["direction"] = "increase" if target > start else "decrease"
        body["start_value"], body["target_value"] = draw(decimal_text(start)), draw(decimal_text(target))
    elif draw(st.booleans()):  # ignored for the other kinds
        body["start_value"], body["target_value"] = draw(_decimals()), draw(_decimals())
    if version is not None:
        body["version"] = str(version)
    return body


def key_result_fields(world, version: int | None = None) -> dict:
    fields = {
        "title": any_text(200),
        "kind": choice_values(KINDS),
        "start_value": _decimals(),
        "target_value": _decimals(),
        "unit": any_text(40),
        "direction": choice_values(DIRECTIONS),
        "weight_by_points": booleans,
        "due_date": st.one_of(Q4, date_values),
        "owners": id_values(world.people_ids(), world.foreign_ids()),
    }
    if version is not None:
        fields["version"] = int_like([version, version + 1])
    return fields


def _check_key_result(saved: KeyResult, data, period_end: datetime.date) -> None:
    kind = data.get("kind")
    assert saved.title == checks.text(data, "title")
    assert saved.kind == kind
    assert saved.direction == data.get("direction")
    if kind == KeyResult.Kind.METRIC:
        assert saved.start_value == checks.decimal(data, "start_value")
        assert saved.target_value == checks.decimal(data, "target_value")
        assert saved.unit == checks.text(data, "unit")
    else:
        assert (saved.start_value, saved.target_value, saved.unit) == (0, 100, "")
    assert saved.weight_by_points is (kind == KeyResult.Kind.ISSUES and checks.checkbox(data, "weight_by_points"))
    assert saved.due_date == (checks.date(data, "due_date") or period_end)
    assert {person.pk for person in saved.owners.all()} == checks.ids(data, "owners")


@fuzz(EXAMPLES)
@given(data=st.data(), closed=st.sampled_from([False, False, False, True]), htmx=st.booleans(), encoding=encodings)
def test_key_result_create(world, baseline, lead_client, data, closed, htmx, encoding):
    """On Platform's objective, and on one in a closed quarter (refused, nothing saved)."""
    objective = world.closed["objective"] if closed else world.objective
    fields = key_result_fields(world)
    body = data.draw(corrupted(valid_key_result(world), fields, multi=("owners",)), label="body")
    with rolled_back():
        known = {row["id"] for row in baseline["okrs.KeyResult"]}
        url = reverse("okrs:key_result_create", args=[objective.pk])
        response, sent = post(lead_client, url, body, htmx=htmx, encoding=encoding)
        assert not closed or response.status_code >= 400
        if check_response(response, baseline):
            saved = KeyResult.objects.exclude(pk__in=known).get()
            assert saved.objective == world.objective
            _check_key_result(saved, sent, world.period.end)
            expected_current = saved.start_value if saved.kind == KeyResult.Kind.METRIC else Decimal(0)
            assert saved.current_value == expected_current


@fuzz(EXAMPLES)
@given(data=st.data(), kind=st.sampled_from([*KINDS, "closed", "payments"]), htmx=st.booleans(), encoding=encodings)
def test_key_result_edit(world, baseline, lead_client, data, kind, htmx, encoding):
    """Every kind of KR edited into any kind (a metric into a percent KR, and so on); a KR in a
    closed quarter (422, nothing changed) and one of Payments (404, nothing changed)."""
    key_result = _key_result(world, kind)
    valid = valid_key_result(world, version=key_result.version)
    body = data.draw(corrupted(valid, key_result_fields(world, key_result.version), multi=("owners",)), label="body")
    with rolled_back():
        url = reverse("okrs:key_result_edit", args=[key_result.pk])
        response, sent = post(lead_client, url, body, htmx=htmx, encoding=encoding)
        assert kind != "payments" or response.status_code == 404
        assert kind != "closed" or response.status_code >= 400
        if check_response(response, baseline):
            saved = KeyResult.objects.get(pk=key_result.pk)
            assert saved.version == key_result.version + 1
            assert saved.current_value == key_result.current_value  # editing never moves progress
            _check_key_result(saved, sent, world.period.end)


# Check-ins


@st.composite
def valid_check_in(draw, key_result: KeyResult) -> dict:
    body = {
        "confidence": draw(st.sampled_from(CONFIDENCES)),
        "note": draw(st.one_of(st.just(""), good_text(5_000, multiline=True))),
        "version": str(key_result.version),
    }
    if key_result.kind == KeyResult.Kind.METRIC:
        value = draw(decimals_for())
        body["value"] = draw(decimal_text(value))
    elif key_result.kind == KeyResult.Kind.PERCENT:
        value = draw(st.decimals(min_value=0, max_value=100, places=4, allow_nan=False, allow_infinity=False))
        body["value"] = draw(decimal_text(value))
    elif key_result.kind == KeyResult.Kind.MILESTONE:
        body["done"] = draw(st.sampled_from(["", "on"]))
    return body


@fuzz(EXAMPLES)
@given(
    data=st.data(),
    kind=st.sampled_from([*KINDS, "closed", "payments"]),
    htmx_target=st.sampled_from([None, "", "kr-summary", "kr-card", "okr-list"]),
    encoding=encodings,
)
def test_check_in(world, baseline, lead_client, data, kind, htmx_target, encoding):
    """Values of every kind (percent over 100, a value for a milestone...), as the check-in form on
    the team page, on the KR page (HX-Target: kr-summary) and without JavaScript; and on a KR in a
    closed quarter (422) and one of Payments (404), changing nothing."""
    key_result = _key_result(world, kind)
    fields = {
        "value": st.one_of(_decimals(), st.sampled_from(["100.0001", "-0.0001", "101", "-1"])),
        "done": booleans,
        "confidence": choice_values(CONFIDENCES),
        "note": any_text(5_000, multiline=True),
        "version": int_like([key_result.version, key_result.version + 1]),
    }
    body = data.draw(corrupted(valid_check_in(key_result), fields), label="body")
    headers = {} if htmx_target in (None, "") else {"HTTP_HX_TARGET": htmx_target}
    with rolled_back():
        url = reverse("okrs:check_in", args=[key_result.pk])
        response, sent = post(lead_client, url, body, htmx=htmx_target is not None, encoding=encoding, **headers)
        assert kind != "payments" or response.status_code == 404
        assert kind != "closed" or response.status_code >= 400
        if check_response(response, baseline):
            earlier = [row["id"] for row in baseline["okrs.CheckIn"]]
            check_in = CheckIn.objects.filter(key_result=key_result).exclude(pk__in=earlier).get()
            saved = KeyResult.objects.get(pk=key_result.pk)
            assert saved.version == key_result.version + 1
            assert check_in.confidence == saved.confidence == sent.get("confidence")
            assert check_in.note == checks.text(sent, "note", multiline=True)
            assert check_in.author == world.lead
            if key_result.kind in (KeyResult.Kind.METRIC, KeyResult.Kind.PERCENT):
                assert check_in.value == saved.current_value == checks.decimal(sent, "value")
                assert check_in.done is None
            elif key_result.kind == KeyResult.Kind.MILESTONE:
                done = checks.checkbox(sent, "done")
                assert (check_in.value, check_in.done, saved.is_done) == (None, done, done)
            else:
                assert (check_in.value, check_in.done) == (None, None)
                assert saved.current_value == key_result.current_value
