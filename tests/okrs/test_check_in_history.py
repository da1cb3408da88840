"""The KR page's list of check-ins: newest first, 20 to a page by keyset, while the chart still
draws every check-in of the quarter."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from okrs.forms import CheckInForm
from okrs.models import KeyResult
from okrs.selectors import CHECK_INS_PER_PAGE
from tests.factories import CheckInFactory, KeyResultFactory
from tests.pager import pager_link
from tests.rows import same_as_built_afresh

UTC = datetime.UTC

NOTE = re.compile(r'<p class="timeline__note">Week (\d+)</p>')


@pytest.fixture
def weekly_check_ins(okr):
    """45 weekly check-ins on the metric KR, week 1 the oldest."""
    start = datetime.datetime(2022, 10, 1, 10, tzinfo=datetime.UTC)
    for week in range(1, 46):
        CheckInFactory(
            key_result=okr.kr,
            value=Decimal(week % 4),
            note=f"Week {week}",
            created_at=start + datetime.timedelta(days=2 * week),
        )
    return okr


def _weeks(content: str) -> list[int]:
    return [int(week) for week in NOTE.findall(content)]


@pytest.mark.parametrize("role", ["lead", "engineer", "viewer"])
def test_a_reader_pages_through_every_check_in_newest_first(weekly_check_ins, client_as, role):
    client = client_as(role)
    page = reverse("okrs:key_result_detail", args=[weekly_check_ins.kr.pk])
    first = client.get(page).content.decode()
    assert _weeks(first) == list(range(45, 25, -1))
    assert 'aria-label="Pages of check-ins"' in first
    assert f"Next {CHECK_INS_PER_PAGE} check-ins →" in first
    assert 'rel="prev"' not in first

    second = client.get(page + pager_link(first, "next")).content.decode()
    third = client.get(page + pager_link(second, "next")).content.decode()
    assert _weeks(second) == list(range(25, 5, -1))
    assert _weeks(third) == [5, 4, 3, 2, 1]
    assert 'rel="next"' not in third

    back = client.get(page + pager_link(third, "prev")).content.decode()
    assert _weeks(back) == _weeks(second)


def test_the_chart_still_draws_every_check_in(weekly_check_ins, client_as):
    content = client_as("viewer").get(reverse("okrs:key_result_detail", args=[weekly_check_ins.kr.pk])).content
    assert content.decode().count("<circle") == 45 + 1, "the start and one point per check-in"


def test_an_outsider_cannot_page_through_another_teams_check_ins(weekly_check_ins, client_as):
    page = reverse("okrs:key_result_detail", args=[weekly_check_ins.kr.pk])
    assert client_as("outsider").get(page, {"after": "anything"}).status_code == 404


def test_a_few_check_ins_need_no_pager(okr, client_as):
    CheckInFactory(key_result=okr.kr, value=Decimal(1), note="Week 1")
    content = client_as("lead").get(reverse("okrs:key_result_detail", args=[okr.kr.pk])).content.decode()
    assert _weeks(content) == [1]
    assert "Pages of check-ins" not in content


def test_the_key_result_page_runs_as_many_queries_for_45_check_ins_as_for_1(okr, client_as, django_assert_num_queries):
    client = client_as("lead")
    page = reverse("okrs:key_result_detail", args=[okr.kr.pk])
    CheckInFactory(key_result=okr.kr, value=Decimal(1))
    with CaptureQueriesContext(connection) as one:
        client.get(page)
    for week in range(44):
        CheckInFactory(key_result=okr.kr, value=Decimal(week % 3), note=f"Week {week}")
    with django_assert_num_queries(len(one)):
        client.get(page)


def test_remembered_check_ins_show_each_kind_author_and_note_as_built_afresh(okr, client_as):
    """Timeline rows are drawn from plain values and remembered (platformhub/fragments.py)."""
    percent = KeyResultFactory(objective=okr.objective, kind=KeyResult.Kind.PERCENT, unit="")
    milestone = KeyResultFactory(objective=okr.objective, kind=KeyResult.Kind.MILESTONE)
    CheckInFactory(key_result=okr.kr, value=Decimal("2.50"), note="Two <done>\nthird next", author=None)
    CheckInFactory(key_result=percent, value=Decimal(40), confidence=KeyResult.Confidence.LOW)
    CheckInFactory(key_result=milestone, value=None, done=True)
    CheckInFactory(key_result=milestone, value=None, done=False, created_at=datetime.datetime(2022, 12, 1, tzinfo=UTC))
    lead, viewer = client_as("lead"), client_as("viewer")

    for client in (lead, viewer):
        metric = same_as_built_afresh(client, _page(okr.kr))
        assert "<strong>2.5 databases</strong>" in metric
        assert "· Someone ·" in metric
        assert '<p class="timeline__note">Two &lt;done&gt;<br>third next</p>' in metric
        shown = same_as_built_afresh(client, _page(percent))
        assert "<strong>40%</strong>" in shown
        assert '<span class="confidence confidence--low">Low confidence</span>' in shown
        done = same_as_built_afresh(client, _page(milestone))
        assert "<strong>Done</strong>" in done
        assert "<strong>Not done</strong>" in done


def test_a_remembered_check_in_shows_its_time_in_the_readers_timezone(okr, client_as, settings):
    CheckInFactory(key_result=okr.kr, value=Decimal(1), created_at=datetime.datetime(2022, 10, 3, 10, tzinfo=UTC))
    client = client_as("viewer")

    settings.TIME_ZONE = "UTC"
    assert "3 Oct 2022, 10:00</time>" in client.get(_page(okr.kr)).content.decode()
    settings.TIME_ZONE = "America/New_York"
    assert "3 Oct 2022, 06:00</time>" in client.get(_page(okr.kr)).content.decode()


@pytest.mark.parametrize(
    ("kind", "unit"),
    [(KeyResult.Kind.METRIC, "databases"), (KeyResult.Kind.PERCENT, ""), (KeyResult.Kind.MILESTONE, "")],
)
def test_the_remembered_empty_check_in_form_is_the_form_made_from_the_key_result(okr, client_as, kind, unit):
    key_result = KeyResultFactory(objective=okr.objective, kind=kind, unit=unit)
    client = client_as("lead")
    made = CheckInForm(initial=CheckInForm.initial_for(key_result), key_result=key_result)

    page = same_as_built_afresh(client, _page(key_result))

    for name in made.fields:
        assert str(made[name] if name == "version" else made[name].as_field_group()) in page
    client.post(reverse("okrs:check_in", args=[key_result.pk]), _check_in(key_result))
    assert "Checked in." in client.get(_page(key_result)).content.decode()  # the notice, shown once
    key_result.refresh_from_db()
    after = same_as_built_afresh(client, _page(key_result))
    assert f'name="version" value="{key_result.version}"' in after
    if kind != KeyResult.Kind.MILESTONE:
        assert f'value="{key_result.current_value.normalize()}"' in after


def _page(key_result) -> str:
    return reverse("okrs:key_result_detail", args=[key_result.pk])


def _check_in(key_result) -> dict:
    if key_result.kind == KeyResult.Kind.MILESTONE:
        return {"done": "on", "confidence": "medium", "note": "", "version": key_result.version}
    return {"value": "7", "confidence": "medium", "note": "", "version": key_result.version}
