"""Progress, status, staleness and scores of key results and objectives (okrs.progress).

Most tests build unsaved key results: the functions only read fields. All dates are in Q4 2022
(1 Oct – 31 Dec), and `today`/`now` are always passed in.
"""

import datetime
from decimal import Decimal

import pytest

from okrs.models import KeyResult
from okrs.progress import (
    KeyResultState,
    Status,
    elapsed_share,
    key_result_is_stale,
    key_result_progress,
    key_result_state,
    key_result_status,
    objective_progress,
    objective_score,
    objective_status,
    ratio_for_value,
    suggested_score,
)
from okrs.services import check_in_record
from tests.factories import KeyResultFactory, ObjectiveFactory, PeriodFactory

METRIC, PERCENT, MILESTONE, ISSUES = (
    KeyResult.Kind.METRIC,
    KeyResult.Kind.PERCENT,
    KeyResult.Kind.MILESTONE,
    KeyResult.Kind.ISSUES,
)
INCREASE, DECREASE = KeyResult.Direction.INCREASE, KeyResult.Direction.DECREASE
HIGH, MEDIUM, LOW = KeyResult.Confidence.HIGH, KeyResult.Confidence.MEDIUM, KeyResult.Confidence.LOW


def day(month: int, day_of_month: int, year: int = 2022) -> datetime.date:
    return datetime.date(year, month, day_of_month)


def at(month: int, day_of_month: int, hour: int = 10, *, year: int = 2022, **kwargs) -> datetime.datetime:
    return datetime.datetime(year, month, day_of_month, hour, tzinfo=datetime.UTC, **kwargs)


def kr(**fields) -> KeyResult:
    """An unsaved key result in Q4 2022 (a metric from 0 to 100 unless told otherwise)."""
    fields.setdefault("created_at", at(10, 1))
    return KeyResultFactory.build(**fields)


def percent_kr(percent: int, **fields) -> KeyResult:
    return kr(kind=PERCENT, current_value=Decimal(percent), **fields)


# Progress of each kind


def test_metric_increasing_progress_is_the_share_of_the_way_from_start_to_target():
    key_result = kr(start_value=Decimal(10), target_value=Decimal(20), current_value=Decimal(15))
    assert key_result_progress(key_result) == pytest.approx(0.5)


def test_metric_decreasing_progress_counts_the_way_down_from_start_to_target():
    key_result = kr(direction=DECREASE, start_value=Decimal(100), target_value=Decimal(50), current_value=Decimal(80))
    assert key_result_progress(key_result) == pytest.approx(0.4)


def test_metric_at_its_start_has_no_progress_and_at_its_target_is_complete():
    assert key_result_progress(kr(start_value=Decimal(3), target_value=Decimal(7), current_value=Decimal(3))) == 0
    assert key_result_progress(kr(start_value=Decimal(3), target_value=Decimal(7), current_value=Decimal(7))) == 1


def test_percent_progress_is_the_percentage_over_a_hundred():
    assert key_result_progress(percent_kr(40)) == pytest.approx(0.4)


def test_milestone_progress_is_all_or_nothing_whatever_its_value():
    assert key_result_progress(kr(kind=MILESTONE, is_done=True, current_value=Decimal(0))) == 1.0
    assert key_result_progress(kr(kind=MILESTONE, is_done=False, current_value=Decimal(100))) == 0.0


def test_issues_key_result_with_no_linked_issues_has_no_progress():
    assert key_result_progress(kr(kind=ISSUES)) == 0.0


def test_issues_key_result_with_zero_of_zero_annotated_issues_has_no_progress():
    key_result = kr(kind=ISSUES)
    key_result.issues_closed, key_result.issues_total = 0, 0
    assert key_result_progress(key_result) == 0.0


def test_issues_key_result_progress_is_closed_over_total_linked_issues():
    key_result = kr(kind=ISSUES, current_value=Decimal(100))
    key_result.issues_closed, key_result.issues_total = 3, 4
    assert key_result_progress(key_result) == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("direction", "start", "target", "current"),
    [
        (INCREASE, 10, 20, 5),  # fell below the start
        (DECREASE, 100, 50, 120),  # rose above the start
    ],
)
def test_metric_moving_the_wrong_way_is_clamped_to_no_progress(direction, start, target, current):
    key_result = kr(
        direction=direction, start_value=Decimal(start), target_value=Decimal(target), current_value=Decimal(current)
    )
    assert key_result_progress(key_result) == 0.0


@pytest.mark.parametrize(
    ("direction", "start", "target", "current"),
    [
        (INCREASE, 10, 20, 35),
        (DECREASE, 100, 50, 10),
    ],
)
def test_metric_beyond_its_target_is_clamped_to_complete(direction, start, target, current):
    key_result = kr(
        direction=direction, start_value=Decimal(start), target_value=Decimal(target), current_value=Decimal(current)
    )
    assert key_result_progress(key_result) == 1.0


@pytest.mark.parametrize(("percent", "expected"), [(-10, 0.0), (0, 0.0), (100, 1.0), (150, 1.0)])
def test_percent_progress_is_clamped_between_nothing_and_complete(percent, expected):
    assert key_result_progress(percent_kr(percent)) == expected


def test_metric_with_a_zero_length_range_is_complete_only_at_its_target():
    reached = kr(start_value=Decimal(5), target_value=Decimal(5), current_value=Decimal(5))
    missed = kr(start_value=Decimal(5), target_value=Decimal(5), current_value=Decimal(4))
    assert key_result_progress(reached) == 1.0
    assert key_result_progress(missed) == 0.0


def test_a_missing_value_represents_no_progress():
    assert ratio_for_value(kr(), None) == 0.0
    assert ratio_for_value(kr(kind=PERCENT), None) == 0.0


def test_ratio_for_value_uses_the_done_flag_for_milestones():
    milestone = kr(kind=MILESTONE)
    assert ratio_for_value(milestone, None, done=True) == 1.0
    assert ratio_for_value(milestone, Decimal(100), done=False) == 0.0


# Elapsed time


def test_elapsed_share_counts_the_first_and_the_current_day():
    key_result = kr(due_date=day(10, 20))  # 20 days from 1 Oct
    assert elapsed_share(key_result, day(10, 1)) == pytest.approx(1 / 20)
    assert elapsed_share(key_result, day(10, 10)) == pytest.approx(0.5)
    assert elapsed_share(key_result, day(10, 20)) == 1.0


def test_elapsed_share_is_clamped_before_the_quarter_and_after_the_due_date():
    key_result = kr(due_date=day(10, 20))
    assert elapsed_share(key_result, day(9, 15)) == 0.0
    assert elapsed_share(key_result, day(12, 31)) == 1.0
    assert elapsed_share(key_result, day(2, 1, 2023)) == 1.0


def test_elapsed_share_of_a_key_result_due_before_its_quarter_starts_is_all_of_it():
    key_result = kr(due_date=day(9, 1))  # invalid, but must not divide by zero or go negative
    assert elapsed_share(key_result, day(10, 5)) == 1.0


def test_elapsed_share_of_a_key_result_due_on_the_first_day_is_all_of_it_that_day():
    assert elapsed_share(kr(due_date=day(10, 1)), day(10, 1)) == 1.0


# Status


def test_a_complete_key_result_is_done_even_with_low_confidence_and_after_the_due_date():
    key_result = percent_kr(100, due_date=day(10, 20), confidence=LOW)
    assert key_result_status(key_result, day(12, 1)) == Status.DONE


def test_a_done_milestone_is_done():
    assert key_result_status(kr(kind=MILESTONE, is_done=True), day(10, 5)) == Status.DONE


@pytest.mark.parametrize(
    ("percent", "expected"),
    [
        (60, Status.ON_TRACK),  # ahead of the pace
        (50, Status.ON_TRACK),  # on the pace
        (45, Status.ON_TRACK),  # 5 points behind
        (35, Status.AT_RISK),  # 15 points behind
        (25, Status.AT_RISK),  # 25 points behind
        (15, Status.OFF_TRACK),  # 35 points behind
        (0, Status.OFF_TRACK),
    ],
)
def test_status_follows_how_far_progress_is_behind_the_pace(percent, expected):
    key_result = percent_kr(percent, due_date=day(10, 20))
    assert key_result_status(key_result, day(10, 10)) == expected  # half the time has passed


@pytest.mark.parametrize(
    ("today", "percent"),
    [
        (day(10, 10), 40),  # 50% of the time passed, 40% done
        (day(10, 12), 50),  # 60% of the time passed, 50% done
        (day(10, 16), 70),  # 80% of the time passed, 70% done
    ],
    ids=["50%-elapsed-40%-done", "60%-elapsed-50%-done", "80%-elapsed-70%-done"],
)
def test_a_key_result_exactly_ten_points_behind_the_pace_is_on_track(today, percent):
    """The rule: behind the pace by at most 10 points of progress is on track."""
    key_result = percent_kr(percent, due_date=day(10, 20))
    assert key_result_status(key_result, today) == Status.ON_TRACK


@pytest.mark.parametrize(
    ("today", "percent"),
    [
        (day(10, 10), 20),  # 50% of the time passed, 20% done
        (day(10, 18), 60),  # 90% of the time passed, 60% done
    ],
    ids=["50%-elapsed-20%-done", "90%-elapsed-60%-done"],
)
def test_a_key_result_exactly_thirty_points_behind_the_pace_is_at_risk(today, percent):
    """The rule: behind the pace by at most 30 points is at risk; further behind is off track."""
    key_result = percent_kr(percent, due_date=day(10, 20))
    assert key_result_status(key_result, today) == Status.AT_RISK


@pytest.mark.parametrize(
    ("confidence", "expected"),
    [("", Status.ON_TRACK), (HIGH, Status.ON_TRACK), (MEDIUM, Status.AT_RISK), (LOW, Status.OFF_TRACK)],
)
def test_confidence_makes_an_on_pace_key_result_worse(confidence, expected):
    key_result = percent_kr(50, due_date=day(10, 20), confidence=confidence)
    assert key_result_status(key_result, day(10, 10)) == expected


def test_high_confidence_does_not_make_a_key_result_behind_the_pace_better():
    key_result = percent_kr(30, due_date=day(10, 20), confidence=HIGH)
    assert key_result_status(key_result, day(10, 10)) == Status.AT_RISK


def test_medium_confidence_does_not_soften_an_off_track_pace():
    key_result = percent_kr(0, due_date=day(10, 20), confidence=MEDIUM)
    assert key_result_status(key_result, day(10, 10)) == Status.OFF_TRACK


def test_an_unfinished_key_result_is_off_track_after_its_due_date_however_close():
    key_result = percent_kr(95, due_date=day(10, 20), confidence=HIGH)
    assert key_result_status(key_result, day(10, 20)) == Status.ON_TRACK
    assert key_result_status(key_result, day(10, 21)) == Status.OFF_TRACK


def test_before_the_quarter_starts_nothing_is_expected_yet():
    assert key_result_status(percent_kr(0), day(9, 20)) == Status.ON_TRACK


@pytest.mark.django_db
def test_a_check_in_after_the_quarter_ended_that_reaches_the_target_makes_the_key_result_done():
    key_result = KeyResultFactory(target_value=Decimal(10))
    check_in_record(
        key_result=key_result,
        author=None,
        expected_version=1,
        confidence=HIGH,
        value=Decimal(10),
        at=at(1, 5, year=2023),
    )
    key_result.refresh_from_db()
    assert key_result.last_check_in_at == at(1, 5, year=2023)
    assert key_result_status(key_result, day(1, 6, 2023)) == Status.DONE
    assert not key_result_is_stale(key_result, at(3, 1, year=2023))


@pytest.mark.django_db
def test_a_check_in_after_the_quarter_ended_short_of_the_target_leaves_the_key_result_off_track():
    key_result = KeyResultFactory(target_value=Decimal(10))
    check_in_record(
        key_result=key_result,
        author=None,
        expected_version=1,
        confidence=HIGH,
        value=Decimal(9),
        at=at(1, 5, year=2023),
    )
    key_result.refresh_from_db()
    assert key_result_progress(key_result) == pytest.approx(0.9)
    assert key_result_status(key_result, day(1, 6, 2023)) == Status.OFF_TRACK


def test_status_labels_read_as_words():
    assert [status.label for status in Status] == ["Done", "On track", "At risk", "Off track"]


# Staleness


def test_a_key_result_checked_in_exactly_a_week_ago_is_not_stale_yet():
    key_result = percent_kr(10, last_check_in_at=at(10, 10))
    assert not key_result_is_stale(key_result, at(10, 17))


def test_a_key_result_without_a_check_in_for_more_than_a_week_is_stale():
    key_result = percent_kr(10, last_check_in_at=at(10, 10))
    assert key_result_is_stale(key_result, at(10, 17) + datetime.timedelta(seconds=1))


def test_a_key_result_never_checked_in_is_stale_a_week_after_it_was_created():
    key_result = percent_kr(10, created_at=at(10, 3), last_check_in_at=None)
    assert not key_result_is_stale(key_result, at(10, 9))
    assert key_result_is_stale(key_result, at(10, 11))


def test_the_latest_check_in_counts_rather_than_when_the_key_result_was_created():
    key_result = percent_kr(10, created_at=at(10, 1), last_check_in_at=at(11, 20))
    assert not key_result_is_stale(key_result, at(11, 25))


def test_a_done_key_result_is_never_stale():
    assert not key_result_is_stale(percent_kr(100, last_check_in_at=at(10, 10)), at(12, 1))
    assert not key_result_is_stale(kr(kind=MILESTONE, is_done=True, last_check_in_at=at(10, 10)), at(12, 1))


def test_a_key_result_is_still_stale_on_the_last_day_of_its_quarter():
    key_result = percent_kr(10, last_check_in_at=at(11, 1))
    assert key_result_is_stale(key_result, at(12, 31, 23))


def test_a_key_result_is_not_stale_once_its_quarter_is_over():
    key_result = percent_kr(10, last_check_in_at=at(11, 1))
    assert not key_result_is_stale(key_result, at(1, 1, 0, year=2023))
    assert not key_result_is_stale(key_result, at(3, 1, year=2023))


def test_key_result_state_gathers_progress_status_and_staleness():
    key_result = percent_kr(34, due_date=day(10, 20), confidence=HIGH, last_check_in_at=at(10, 1))
    state = key_result_state(key_result, at(10, 10, 12))
    assert state == KeyResultState(progress=pytest.approx(0.34), status=Status.AT_RISK, is_stale=True)
    assert state.percent == 34


# Objectives


def test_objective_progress_is_the_mean_of_its_key_results():
    objective = ObjectiveFactory.build()
    key_results = [
        kr(objective=objective, start_value=Decimal(0), target_value=Decimal(10), current_value=Decimal(5)),
        percent_kr(100, objective=objective),
        kr(objective=objective, kind=MILESTONE, is_done=False),
    ]
    assert objective_progress(key_results) == pytest.approx(0.5)


def test_objective_without_key_results_has_no_progress():
    assert objective_progress([]) == 0.0


def test_objective_status_is_the_worst_of_its_key_results():
    def state(status: Status) -> KeyResultState:
        return KeyResultState(progress=0.5, status=status, is_stale=False)

    assert objective_status([state(Status.DONE), state(Status.DONE)]) == Status.DONE
    assert objective_status([state(Status.DONE), state(Status.ON_TRACK)]) == Status.ON_TRACK
    assert objective_status([state(Status.ON_TRACK), state(Status.AT_RISK), state(Status.DONE)]) == Status.AT_RISK
    assert objective_status([state(Status.OFF_TRACK), state(Status.AT_RISK)]) == Status.OFF_TRACK


def test_objective_without_key_results_has_no_status():
    assert objective_status([]) is None


def test_objective_score_is_the_mean_of_the_final_scores_to_two_decimals():
    scores = [Decimal("0.7"), Decimal("0.4"), Decimal("0.6")]
    assert objective_score([kr(final_score=score) for score in scores]) == Decimal("0.57")


def test_objective_has_no_score_until_every_key_result_is_scored():
    key_results = [kr(final_score=Decimal("1.0")), kr(final_score=None)]
    assert objective_score(key_results) is None


def test_objective_score_counts_a_zero_score():
    assert objective_score([kr(final_score=Decimal(0)), kr(final_score=Decimal(1))]) == Decimal("0.50")


def test_objective_without_key_results_has_no_score():
    assert objective_score([]) is None


@pytest.mark.parametrize(
    ("current", "expected"),
    [(0, Decimal("0.0")), (31, Decimal("0.3")), (67, Decimal("0.7")), (100, Decimal("1.0")), (140, Decimal("1.0"))],
)
def test_suggested_score_is_the_progress_to_one_decimal(current, expected):
    key_result = kr(start_value=Decimal(0), target_value=Decimal(100), current_value=Decimal(current))
    score = suggested_score(key_result)
    assert score == expected
    assert isinstance(score, Decimal)


def test_suggested_score_of_a_done_milestone_is_one():
    assert suggested_score(kr(kind=MILESTONE, is_done=True)) == Decimal("1.0")


def test_period_factory_dates_are_the_quarters_bounds():
    period = PeriodFactory.build(year=2023, quarter=1)
    assert (period.start, period.end, period.name, period.slug) == (
        day(1, 1, 2023),
        day(3, 31, 2023),
        "Q1 2023",
        "2023-q1",
    )


def test_a_key_result_written_ahead_is_not_stale_before_its_quarter_starts(db):
    from django.utils import timezone as tz

    from okrs.progress import key_result_is_stale
    from tests.factories import KeyResultFactory, PeriodFactory

    q1 = PeriodFactory(year=2023, quarter=1)
    key_result = KeyResultFactory(objective__period=q1)
    key_result.created_at = datetime.datetime(2022, 12, 1, tzinfo=datetime.UTC)
    assert not key_result_is_stale(key_result, datetime.datetime(2022, 12, 20, tzinfo=datetime.UTC))
    assert not key_result_is_stale(key_result, datetime.datetime(2023, 1, 3, tzinfo=datetime.UTC))
    assert key_result_is_stale(key_result, datetime.datetime(2023, 1, 10, tzinfo=datetime.UTC))
    assert tz.is_aware(key_result.created_at)
