"""The progress chart of a key result (okrs.charts): points per check-in against the pace line."""

import datetime
from decimal import Decimal

import pytest

from okrs.charts import HEIGHT, PAD_BOTTOM, PAD_LEFT, PAD_RIGHT, PAD_TOP, WIDTH, progress_chart
from okrs.models import KeyResult
from okrs.selectors import key_result_for_page
from tests.factories import CheckInFactory, KeyResultFactory, PeriodFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2022, 12, 20, 12, 0, tzinfo=datetime.UTC)
LEFT, RIGHT = PAD_LEFT, WIDTH - PAD_RIGHT  # 34 and 312
TOP, BOTTOM = PAD_TOP, HEIGHT - PAD_BOTTOM  # 8 and 98
Q4_DAYS = 91  # 1 Oct to 31 Dec


def at(month: int, day: int, hour: int = 10, year: int = 2022) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, tzinfo=datetime.UTC)


def chart_of(key_result: KeyResult):
    """The chart as the key result's page draws it (from what `key_result_for_page` loads)."""
    return progress_chart(key_result_for_page(key_result_id=key_result.pk, now=NOW))


def x_on(day: datetime.date) -> float:
    return LEFT + (day - datetime.date(2022, 10, 1)).days / Q4_DAYS * (RIGHT - LEFT)


@pytest.fixture
def metric():
    """Databases moved to AWS, 0 to 10, with check-ins recorded out of date order."""
    key_result = KeyResultFactory(
        objective__period=PeriodFactory(year=2022, quarter=4),
        start_value=Decimal(0),
        target_value=Decimal(10),
    )
    CheckInFactory(key_result=key_result, value=Decimal(5), created_at=at(11, 1))
    CheckInFactory(key_result=key_result, value=Decimal(2), created_at=at(10, 15))
    CheckInFactory(key_result=key_result, value=Decimal(10), created_at=at(12, 1))
    return key_result


def test_chart_has_a_point_per_check_in_plus_the_start(metric):
    chart = chart_of(metric)
    assert len(chart.points) == metric.check_ins.count() + 1 == 4


def test_chart_points_run_oldest_first_from_the_start_of_the_quarter(metric):
    chart = chart_of(metric)
    assert [point.label for point in chart.points] == [
        "1 Oct: start, 0%",
        "15 Oct: 20%",
        "1 Nov: 50%",
        "1 Dec: 100%",
    ]
    xs = [point.x for point in chart.points]
    assert xs == sorted(xs)
    assert xs == pytest.approx(
        [x_on(datetime.date(2022, month, day)) for month, day in [(10, 1), (10, 15), (11, 1), (12, 1)]]
    )


def test_chart_puts_nought_percent_at_the_bottom_and_a_hundred_at_the_top(metric):
    chart = chart_of(metric)
    assert chart.points[0].y == BOTTOM
    assert chart.points[-1].y == TOP
    assert [point.y for point in chart.points] == pytest.approx([98, 80, 53, 8])  # 0%, 20%, 50%, 100%
    assert chart.gridlines == ((BOTTOM, "0%"), (53.0, "50%"), (TOP, "100%"))
    assert (chart.left, chart.right, chart.bottom, chart.width, chart.height) == (LEFT, RIGHT, BOTTOM, 320, 120)


def test_chart_polyline_joins_the_points_in_order(metric):
    chart = chart_of(metric)
    assert chart.polyline.split(" ")[0] == "34.0,98.0"
    assert chart.polyline.split(" ")[-1] == f"{x_on(datetime.date(2022, 12, 1)):.1f},8.0"
    assert len(chart.polyline.split(" ")) == 4


def test_chart_pace_line_runs_from_nought_at_the_start_to_a_hundred_on_the_due_date():
    key_result = KeyResultFactory(
        objective__period=PeriodFactory(year=2022, quarter=4), due_date=datetime.date(2022, 11, 30)
    )
    chart = chart_of(key_result)
    assert chart.pace == pytest.approx((LEFT, BOTTOM, x_on(datetime.date(2022, 11, 30)), TOP))
    assert chart.pace[2] < RIGHT
    assert (chart.start_label, chart.due_label) == ("1 Oct", "30 Nov")


def test_chart_pace_line_of_a_key_result_due_at_the_end_of_the_quarter_spans_the_chart(metric):
    chart = chart_of(metric)
    assert chart.pace == (LEFT, BOTTOM, RIGHT, TOP)
    assert chart.due_label == "31 Dec"


def test_chart_of_a_key_result_without_check_ins_has_only_the_start(metric):
    metric.check_ins.all().delete()
    chart = chart_of(metric)
    assert chart.points == (chart.points[0],)
    assert (chart.points[0].x, chart.points[0].y, chart.points[0].label) == (LEFT, BOTTOM, "1 Oct: start, 0%")


def test_a_check_in_after_the_quarter_is_drawn_at_the_right_edge(metric):
    CheckInFactory(key_result=metric, value=Decimal(7), created_at=at(1, 4, year=2023))
    chart = chart_of(metric)
    assert chart.points[-1].x == RIGHT
    assert chart.points[-1].label == "4 Jan: 70%"


def test_a_decreasing_metric_chart_rises_as_the_value_falls():
    key_result = KeyResultFactory(
        objective__period=PeriodFactory(year=2022, quarter=4),
        direction=KeyResult.Direction.DECREASE,
        start_value=Decimal(100),
        target_value=Decimal(50),
    )
    CheckInFactory(key_result=key_result, value=Decimal(90), created_at=at(10, 10))
    CheckInFactory(key_result=key_result, value=Decimal(120), created_at=at(10, 20))
    CheckInFactory(key_result=key_result, value=Decimal(60), created_at=at(11, 10))
    chart = chart_of(key_result)
    assert [point.label for point in chart.points] == ["1 Oct: start, 0%", "10 Oct: 20%", "20 Oct: 0%", "10 Nov: 80%"]


def test_a_milestone_chart_follows_each_check_ins_done_flag():
    key_result = KeyResultFactory(objective__period=PeriodFactory(year=2022, quarter=4), kind=KeyResult.Kind.MILESTONE)
    CheckInFactory(key_result=key_result, value=None, done=False, created_at=at(10, 10))
    CheckInFactory(key_result=key_result, value=None, done=True, created_at=at(11, 10))
    chart = chart_of(key_result)
    assert [point.y for point in chart.points] == [BOTTOM, BOTTOM, TOP]


def test_a_day_of_several_check_ins_draws_the_last_one_recorded():
    """The chart draws a day at a time: a day ends where its last check-in left it (recorded last
    at the same moment is later)."""
    key_result = KeyResultFactory(objective__period=PeriodFactory(year=2022, quarter=4), kind=KeyResult.Kind.PERCENT)
    CheckInFactory(key_result=key_result, value=Decimal(5), created_at=at(10, 9, hour=23))
    for value in (10, 30, 20):
        CheckInFactory(key_result=key_result, value=Decimal(value), created_at=at(10, 10))
    CheckInFactory(key_result=key_result, value=Decimal(15), created_at=at(10, 10, hour=9))
    chart = chart_of(key_result)
    assert [point.label for point in chart.points[1:]] == ["9 Oct: 5%", "10 Oct: 20%"]


def test_hundreds_of_check_ins_a_day_send_the_chart_one_row_a_day():
    key_result = KeyResultFactory(objective__period=PeriodFactory(year=2022, quarter=4), kind=KeyResult.Kind.PERCENT)
    CheckInFactory.create_batch(300, key_result=key_result, value=Decimal(40), created_at=at(11, 2, hour=8))
    CheckInFactory(key_result=key_result, value=Decimal(60), created_at=at(11, 3))
    loaded = key_result_for_page(key_result_id=key_result.pk, now=NOW)
    drawn = [(moment, int(value)) for moment, value, _ in loaded.chart_check_ins]
    assert drawn == [(at(11, 3), 60), (at(11, 2, hour=8), 40)]


def test_chart_of_the_key_result_page_needs_no_further_queries(metric, django_assert_num_queries):
    key_result = key_result_for_page(key_result_id=metric.pk, now=NOW)
    with django_assert_num_queries(0):
        chart = progress_chart(key_result)
    assert [point.label for point in chart.points][-1] == "1 Dec: 100%"
