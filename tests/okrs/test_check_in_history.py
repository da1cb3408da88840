"""The KR page's list of check-ins: newest first, 20 to a page by keyset, while the chart still
draws every check-in of the quarter."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from okrs.selectors import CHECK_INS_PER_PAGE
from tests.factories import CheckInFactory
from tests.pager import pager_link

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
