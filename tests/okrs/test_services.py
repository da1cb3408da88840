"""Writes for OKRs (okrs.services): validation, ordering, optimistic locking, closing quarters."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from okrs.models import CheckIn, KeyResult, Objective, Period, TeamPeriod
from okrs.services import (
    check_in_record,
    key_result_create,
    key_result_delete,
    key_result_move,
    key_result_update,
    objective_create,
    objective_delete,
    objective_move,
    objective_update,
    period_close,
    period_for_date,
    period_get_or_create,
    period_open_next,
    period_reopen,
)
from platformhub.concurrency import EditConflict
from tests.factories import (
    CheckInFactory,
    KeyResultFactory,
    ObjectiveFactory,
    PeriodFactory,
    PersonFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db

METRIC, PERCENT, MILESTONE, ISSUES = (
    KeyResult.Kind.METRIC,
    KeyResult.Kind.PERCENT,
    KeyResult.Kind.MILESTONE,
    KeyResult.Kind.ISSUES,
)
INCREASE, DECREASE = KeyResult.Direction.INCREASE, KeyResult.Direction.DECREASE
HIGH, MEDIUM, LOW = KeyResult.Confidence.HIGH, KeyResult.Confidence.MEDIUM, KeyResult.Confidence.LOW
AT = datetime.datetime(2022, 11, 15, 9, 30, tzinfo=datetime.UTC)


@pytest.fixture
def team():
    return TeamFactory(name="Platform", slug="platform")


@pytest.fixture
def q4():
    return PeriodFactory(year=2022, quarter=4)


@pytest.fixture
def objective(team, q4):
    return objective_create(team=team, period=q4, title="High uptime")


@pytest.fixture
def metric(objective):
    return key_result_create(
        objective=objective, title="Databases on AWS", kind=METRIC, start_value=Decimal(0), target_value=Decimal(3)
    )


def titles(queryset) -> list[str]:
    return list(queryset.order_by("order", "pk").values_list("title", flat=True))


def orders(queryset) -> list[tuple[str, int]]:
    return list(queryset.order_by("order", "pk").values_list("title", "order"))


# Periods


def test_period_for_date_finds_the_quarter_with_its_bounds():
    period = period_for_date(datetime.date(2022, 11, 15))
    assert (period.year, period.quarter, period.start, period.end) == (
        2022,
        4,
        datetime.date(2022, 10, 1),
        datetime.date(2022, 12, 31),
    )


def test_period_get_or_create_reuses_an_existing_quarter():
    first = period_get_or_create(year=2023, quarter=1)
    again = period_for_date(datetime.date(2023, 3, 31))
    assert first == again
    assert Period.objects.filter(year=2023, quarter=1).count() == 1


# Objectives


def test_objective_create_numbers_objectives_in_the_order_they_were_added(team, q4):
    owner = PersonFactory(display_name="Guido")
    first = objective_create(team=team, period=q4, title="First", why="Because", owners=[owner])
    objective_create(team=team, period=q4, title="Second")
    objective_create(team=team, period=q4, title="Third")
    assert orders(Objective.objects.filter(team=team)) == [("First", 1), ("Second", 2), ("Third", 3)]
    assert list(first.owners.all()) == [owner]
    assert (first.why, first.version) == ("Because", 1)


def test_objective_numbers_start_again_for_each_team_and_quarter(team, q4):
    objective_create(team=team, period=q4, title="Q4 one")
    other_team = objective_create(team=TeamFactory(), period=q4, title="Other team")
    next_quarter = objective_create(team=team, period=PeriodFactory(year=2023, quarter=1), title="Q1 one")
    assert (other_team.order, next_quarter.order) == (1, 1)


@pytest.mark.parametrize("title", ["", "x" * 201])
def test_objective_create_rejects_an_empty_or_too_long_title_and_saves_nothing(team, q4, title):
    with pytest.raises(ValidationError) as error:
        objective_create(team=team, period=q4, title=title)
    assert "title" in error.value.message_dict
    assert not Objective.objects.exists()


def test_objective_title_may_be_exactly_two_hundred_characters(team, q4):
    objective = objective_create(team=team, period=q4, title="x" * 200)
    assert len(Objective.objects.get(pk=objective.pk).title) == 200


def test_objective_update_saves_the_fields_and_bumps_the_version(objective):
    owner = PersonFactory()
    objective.owners.set([PersonFactory()])
    objective_update(
        objective=objective,
        expected_version=1,
        title="Higher uptime",
        why="Churn",
        owners=[owner],
        parent=None,
        archived=True,
    )
    saved = Objective.objects.get(pk=objective.pk)
    assert (saved.title, saved.why, saved.archived, saved.version) == ("Higher uptime", "Churn", True, 2)
    assert list(saved.owners.all()) == [owner]


def test_objective_update_refuses_a_stale_version_and_keeps_the_first_write(objective):
    first_reader = Objective.objects.get(pk=objective.pk)
    second_reader = Objective.objects.get(pk=objective.pk)
    objective_update(
        objective=first_reader, expected_version=1, title="First writer", why="", owners=[], parent=None, archived=False
    )

    with pytest.raises(EditConflict) as conflict:
        objective_update(
            objective=second_reader,
            expected_version=1,
            title="Second writer",
            why="Overwritten?",
            owners=[PersonFactory()],
            parent=None,
            archived=True,
        )

    assert conflict.value.current.title == "First writer"
    saved = Objective.objects.get(pk=objective.pk)
    assert (saved.title, saved.why, saved.archived, saved.version) == ("First writer", "", False, 2)
    assert not saved.owners.exists()


@pytest.mark.parametrize("title", ["", "x" * 201])
def test_objective_update_rejects_an_invalid_title_and_keeps_the_saved_one(objective, title):
    with pytest.raises(ValidationError) as error:
        objective_update(
            objective=objective, expected_version=1, title=title, why="", owners=[], parent=None, archived=False
        )
    assert "title" in error.value.message_dict
    saved = Objective.objects.get(pk=objective.pk)
    assert (saved.title, saved.version) == ("High uptime", 1)


def test_objective_delete_removes_its_key_results_and_their_check_ins(objective, metric):
    other = KeyResultFactory()
    CheckInFactory(key_result=metric)
    CheckInFactory(key_result=other)
    objective_delete(objective=objective)
    assert not Objective.objects.filter(pk=objective.pk).exists()
    assert list(KeyResult.objects.all()) == [other]
    assert list(CheckIn.objects.values_list("key_result", flat=True)) == [other.pk]


def test_objective_delete_keeps_the_deleted_rows_in_the_history(objective, metric):
    check_in = CheckInFactory(key_result=metric)
    ids = (objective.pk, metric.pk, check_in.pk)
    objective_delete(objective=objective)
    assert Objective.history.filter(id=ids[0], history_type="-").exists()
    assert KeyResult.history.filter(id=ids[1], history_type="-").exists()
    assert CheckIn.history.filter(id=ids[2], history_type="-").exists()


def test_deleting_a_parent_objective_leaves_the_aligned_sub_team_objective_unaligned(team, q4, objective):
    sub_team = TeamFactory(parent=team)
    aligned = objective_create(team=sub_team, period=q4, title="Aligned", parent=objective)
    objective_delete(objective=objective)
    aligned.refresh_from_db()
    assert aligned.parent is None


def test_objective_move_down_swaps_with_the_next_and_renumbers_from_one(team, q4):
    for title, order in [("A", 5), ("B", 9), ("C", 12)]:
        ObjectiveFactory(team=team, period=q4, title=title, order=order)
    objective_move(objective=Objective.objects.get(title="A"), direction="down")
    assert orders(Objective.objects.filter(team=team)) == [("B", 1), ("A", 2), ("C", 3)]


def test_objective_move_up_swaps_with_the_previous(team, q4):
    for title in ["A", "B", "C"]:
        objective_create(team=team, period=q4, title=title)
    objective_move(objective=Objective.objects.get(title="C"), direction="up")
    assert titles(Objective.objects.filter(team=team)) == ["A", "C", "B"]


def test_moving_the_first_objective_up_changes_nothing(team, q4):
    for title, order in [("A", 5), ("B", 9)]:
        ObjectiveFactory(team=team, period=q4, title=title, order=order)
    objective_move(objective=Objective.objects.get(title="A"), direction="up")
    assert orders(Objective.objects.filter(team=team)) == [("A", 5), ("B", 9)]


def test_moving_the_last_objective_down_changes_nothing(team, q4):
    for title in ["A", "B"]:
        objective_create(team=team, period=q4, title=title)
    objective_move(objective=Objective.objects.get(title="B"), direction="down")
    assert orders(Objective.objects.filter(team=team)) == [("A", 1), ("B", 2)]


def test_objective_move_skips_archived_objectives_and_other_quarters(team, q4):
    for title in ["A", "Archived", "B"]:
        objective_create(team=team, period=q4, title=title)
    Objective.objects.filter(title="Archived").update(archived=True)
    objective_create(team=team, period=PeriodFactory(year=2023, quarter=1), title="Next quarter")
    objective_move(objective=Objective.objects.get(title="B"), direction="up")
    active = Objective.objects.filter(team=team, period=q4, archived=False)
    assert titles(active) == ["B", "A"]
    assert Objective.objects.get(title="Next quarter").order == 1


# Key results


def test_key_result_create_defaults_the_due_date_to_the_end_of_the_quarter(metric):
    assert metric.due_date == datetime.date(2022, 12, 31)


def test_key_result_create_starts_a_metric_at_its_start_value(objective):
    key_result = key_result_create(
        objective=objective, title="Latency", kind=METRIC, start_value=Decimal(40), target_value=Decimal(80)
    )
    assert KeyResult.objects.get(pk=key_result.pk).current_value == Decimal(40)


@pytest.mark.parametrize("kind", [PERCENT, MILESTONE, ISSUES])
def test_key_result_create_starts_other_kinds_at_zero(objective, kind):
    key_result = key_result_create(objective=objective, title="Thing", kind=kind, start_value=Decimal(0))
    saved = KeyResult.objects.get(pk=key_result.pk)
    assert (saved.current_value, saved.is_done, saved.last_check_in_at) == (Decimal(0), False, None)


def test_key_result_create_numbers_key_results_within_their_objective(objective):
    owner = PersonFactory()
    for title in ["One", "Two", "Three"]:
        key_result_create(objective=objective, title=title, kind=PERCENT, owners=[owner])
    other = objective_create(team=objective.team, period=objective.period, title="Other")
    assert key_result_create(objective=other, title="Elsewhere", kind=PERCENT).order == 1
    assert orders(objective.key_results.all()) == [("One", 1), ("Two", 2), ("Three", 3)]
    assert [list(kr.owners.all()) for kr in objective.key_results.all()] == [[owner]] * 3


def test_key_result_create_keeps_a_due_date_within_the_quarter(objective):
    key_result = key_result_create(
        objective=objective, title="Early", kind=PERCENT, due_date=datetime.date(2022, 11, 1)
    )
    assert KeyResult.objects.get(pk=key_result.pk).due_date == datetime.date(2022, 11, 1)


@pytest.mark.parametrize(
    ("direction", "start", "target", "message"),
    [
        (INCREASE, 5, 5, "The target must differ from the start"),
        (DECREASE, 5, 5, "The target must differ from the start"),
        (INCREASE, 10, 5, "To increase, the target must be above the start."),
        (DECREASE, 5, 10, "To decrease, the target must be below the start."),
    ],
)
def test_key_result_create_rejects_a_metric_target_that_does_not_fit_the_direction(
    objective, direction, start, target, message
):
    with pytest.raises(ValidationError) as error:
        key_result_create(
            objective=objective,
            title="Metric",
            kind=METRIC,
            direction=direction,
            start_value=Decimal(start),
            target_value=Decimal(target),
        )
    assert message in error.value.message_dict["target_value"][0]
    assert not KeyResult.objects.exists()


def test_a_decreasing_metric_with_its_target_below_the_start_is_valid(objective):
    key_result = key_result_create(
        objective=objective,
        title="Error rate",
        kind=METRIC,
        direction=DECREASE,
        start_value=Decimal(10),
        target_value=Decimal(2),
    )
    assert KeyResult.objects.get(pk=key_result.pk).current_value == Decimal(10)


def test_a_percent_key_result_ignores_start_and_target(objective):
    key_result = key_result_create(
        objective=objective, title="Percent", kind=PERCENT, start_value=Decimal(5), target_value=Decimal(5)
    )
    assert key_result.pk is not None


@pytest.mark.parametrize("due_date", [datetime.date(2022, 9, 30), datetime.date(2023, 1, 1)])
def test_key_result_create_rejects_a_due_date_outside_the_quarter(objective, due_date):
    with pytest.raises(ValidationError) as error:
        key_result_create(objective=objective, title="Late", kind=PERCENT, due_date=due_date)
    assert error.value.message_dict["due_date"] == ["Pick a date within Q4 2022 (1 Oct – 31 Dec 2022)."]
    assert not KeyResult.objects.exists()


@pytest.mark.parametrize("title", ["", "x" * 201])
def test_key_result_create_rejects_an_empty_or_too_long_title(objective, title):
    with pytest.raises(ValidationError) as error:
        key_result_create(objective=objective, title=title, kind=PERCENT)
    assert "title" in error.value.message_dict


def test_key_result_update_saves_the_fields_and_bumps_the_version(metric):
    owner = PersonFactory()
    key_result_update(
        key_result=metric,
        expected_version=1,
        title="Databases moved",
        kind=METRIC,
        unit="databases",
        direction=INCREASE,
        start_value=Decimal(1),
        target_value=Decimal(4),
        due_date=datetime.date(2022, 12, 1),
        owners=[owner],
    )
    saved = KeyResult.objects.get(pk=metric.pk)
    assert (saved.title, saved.unit, saved.start_value, saved.target_value, saved.due_date, saved.version) == (
        "Databases moved",
        "databases",
        Decimal(1),
        Decimal(4),
        datetime.date(2022, 12, 1),
        2,
    )
    assert list(saved.owners.all()) == [owner]


def test_key_result_update_without_a_due_date_uses_the_end_of_the_quarter(objective):
    key_result = key_result_create(
        objective=objective, title="Early", kind=PERCENT, due_date=datetime.date(2022, 10, 9)
    )
    key_result_update(
        key_result=key_result,
        expected_version=1,
        title="Early",
        kind=PERCENT,
        unit="",
        direction=INCREASE,
        start_value=Decimal(0),
        target_value=Decimal(100),
        due_date=None,
        owners=[],
    )
    assert KeyResult.objects.get(pk=key_result.pk).due_date == datetime.date(2022, 12, 31)


def update_metric(key_result: KeyResult, *, expected_version: int = 1, **changes) -> KeyResult:
    fields = {
        "title": key_result.title,
        "kind": key_result.kind,
        "unit": key_result.unit,
        "direction": key_result.direction,
        "start_value": key_result.start_value,
        "target_value": key_result.target_value,
        "due_date": key_result.due_date,
        "owners": [],
        **changes,
    }
    return key_result_update(key_result=key_result, expected_version=expected_version, **fields)


def test_key_result_update_refuses_a_stale_version_and_keeps_the_first_write(metric):
    first_reader = KeyResult.objects.get(pk=metric.pk)
    second_reader = KeyResult.objects.get(pk=metric.pk)
    update_metric(first_reader, title="First writer", target_value=Decimal(5))

    with pytest.raises(EditConflict) as conflict:
        update_metric(second_reader, title="Second writer", target_value=Decimal(9))

    assert conflict.value.current.title == "First writer"
    saved = KeyResult.objects.get(pk=metric.pk)
    assert (saved.title, saved.target_value, saved.version) == ("First writer", Decimal(5), 2)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"target_value": Decimal(0)}, "target_value"),
        ({"direction": DECREASE}, "target_value"),
        ({"due_date": datetime.date(2023, 1, 15)}, "due_date"),
    ],
)
def test_key_result_update_validates_and_keeps_the_saved_row(metric, changes, field):
    with pytest.raises(ValidationError) as error:
        update_metric(metric, **changes)
    assert field in error.value.message_dict
    saved = KeyResult.objects.get(pk=metric.pk)
    assert (saved.title, saved.direction, saved.target_value, saved.version) == (
        "Databases on AWS",
        INCREASE,
        Decimal(3),
        1,
    )


def test_key_result_delete_removes_its_check_ins_only(objective, metric):
    kept = key_result_create(objective=objective, title="Kept", kind=PERCENT)
    CheckInFactory(key_result=metric)
    CheckInFactory(key_result=kept)
    key_result_delete(key_result=metric)
    assert list(objective.key_results.all()) == [kept]
    assert list(CheckIn.objects.values_list("key_result", flat=True)) == [kept.pk]


def test_key_result_move_renumbers_the_objectives_key_results(objective):
    for title, order in [("A", 3), ("B", 7), ("C", 8)]:
        KeyResultFactory(objective=objective, title=title, order=order)
    key_result_move(key_result=KeyResult.objects.get(title="C"), direction="up")
    assert orders(objective.key_results.all()) == [("A", 1), ("C", 2), ("B", 3)]


def test_moving_the_first_key_result_up_changes_nothing(objective):
    for title, order in [("A", 3), ("B", 7)]:
        KeyResultFactory(objective=objective, title=title, order=order)
    key_result_move(key_result=KeyResult.objects.get(title="A"), direction="up")
    assert orders(objective.key_results.all()) == [("A", 3), ("B", 7)]


def test_key_result_move_stays_within_its_objective(team, q4, objective):
    other = objective_create(team=team, period=q4, title="Other")
    first = key_result_create(objective=objective, title="Only", kind=PERCENT)
    key_result_create(objective=other, title="Elsewhere", kind=PERCENT)
    key_result_move(key_result=first, direction="down")
    assert orders(KeyResult.objects.all()) == [("Only", 1), ("Elsewhere", 1)]


# Check-ins


def test_check_in_record_moves_the_key_results_value_confidence_and_time(metric):
    author = PersonFactory()
    check_in = check_in_record(
        key_result=metric,
        author=author,
        expected_version=1,
        confidence=MEDIUM,
        value=Decimal(2),
        note="Two of three moved.",
        at=AT,
    )
    saved = KeyResult.objects.get(pk=metric.pk)
    assert (saved.current_value, saved.confidence, saved.last_check_in_at, saved.is_done, saved.version) == (
        Decimal(2),
        MEDIUM,
        AT,
        False,
        2,
    )
    stored = CheckIn.objects.get()
    assert stored == check_in
    assert (stored.key_result, stored.author, stored.value, stored.done, stored.confidence, stored.note) == (
        metric,
        author,
        Decimal(2),
        None,
        MEDIUM,
        "Two of three moved.",
    )
    assert stored.created_at == AT


def test_successive_check_ins_each_need_the_latest_version(metric):
    check_in_record(key_result=metric, author=None, expected_version=1, confidence=HIGH, value=Decimal(1), at=AT)
    check_in_record(key_result=metric, author=None, expected_version=2, confidence=LOW, value=Decimal(2), at=AT)
    saved = KeyResult.objects.get(pk=metric.pk)
    assert (saved.current_value, saved.confidence, saved.version) == (Decimal(2), LOW, 3)
    assert CheckIn.objects.count() == 2


@pytest.mark.parametrize("value", [Decimal(-1), Decimal("100.01"), Decimal(150)])
def test_a_percent_check_in_outside_nought_to_a_hundred_is_refused_on_the_value(objective, value):
    key_result = key_result_create(objective=objective, title="Coverage", kind=PERCENT)
    with pytest.raises(ValidationError) as error:
        check_in_record(key_result=key_result, author=None, expected_version=1, confidence=HIGH, value=value, at=AT)
    assert error.value.message_dict == {"value": ["A percentage is between 0 and 100."]}
    saved = KeyResult.objects.get(pk=key_result.pk)
    assert (saved.current_value, saved.version, saved.last_check_in_at) == (Decimal(0), 1, None)
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("value", [Decimal(0), Decimal(100)])
def test_a_percent_check_in_may_be_nought_or_a_hundred(objective, value):
    key_result = key_result_create(objective=objective, title="Coverage", kind=PERCENT)
    check_in_record(key_result=key_result, author=None, expected_version=1, confidence=HIGH, value=value, at=AT)
    assert KeyResult.objects.get(pk=key_result.pk).current_value == value


@pytest.mark.parametrize("kind", [METRIC, PERCENT])
def test_a_check_in_on_a_measured_key_result_needs_a_value(objective, kind):
    key_result = key_result_create(objective=objective, title="Measured", kind=kind, target_value=Decimal(10))
    with pytest.raises(ValidationError) as error:
        check_in_record(key_result=key_result, author=None, expected_version=1, confidence=HIGH, value=None, at=AT)
    assert error.value.message_dict == {"value": ["Enter the current value."]}
    assert not CheckIn.objects.exists()
    assert KeyResult.objects.get(pk=key_result.pk).version == 1


def test_a_milestone_check_in_sets_the_done_flag_and_ignores_any_value(objective):
    milestone = key_result_create(objective=objective, title="Launch", kind=MILESTONE)
    check_in = check_in_record(
        key_result=milestone, author=None, expected_version=1, confidence=HIGH, value=Decimal(42), done=True, at=AT
    )
    saved = KeyResult.objects.get(pk=milestone.pk)
    assert (saved.is_done, saved.current_value) == (True, Decimal(0))
    assert (check_in.value, check_in.done) == (None, True)


def test_a_milestone_check_in_without_the_done_flag_marks_it_not_done(objective):
    milestone = KeyResultFactory(objective=objective, kind=MILESTONE, is_done=True)
    check_in = check_in_record(key_result=milestone, author=None, expected_version=1, confidence=LOW, at=AT)
    assert KeyResult.objects.get(pk=milestone.pk).is_done is False
    assert check_in.done is False


def test_an_issues_check_in_records_only_confidence_and_note(objective):
    key_result = key_result_create(objective=objective, title="Issues", kind=ISSUES)
    check_in = check_in_record(
        key_result=key_result,
        author=None,
        expected_version=1,
        confidence=MEDIUM,
        value=Decimal(5),
        done=True,
        note="Three closed.",
        at=AT,
    )
    saved = KeyResult.objects.get(pk=key_result.pk)
    assert (saved.current_value, saved.is_done, saved.confidence, saved.last_check_in_at) == (
        Decimal(0),
        False,
        MEDIUM,
        AT,
    )
    assert (check_in.value, check_in.done, check_in.note) == (None, None, "Three closed.")


def test_a_metric_check_in_leaves_the_done_flag_alone(metric):
    check_in_record(key_result=metric, author=None, expected_version=1, confidence=HIGH, value=Decimal(3), at=AT)
    assert KeyResult.objects.get(pk=metric.pk).is_done is False


def test_a_check_in_needs_a_known_confidence(metric):
    with pytest.raises(ValidationError) as error:
        check_in_record(
            key_result=metric, author=None, expected_version=1, confidence="unsure", value=Decimal(1), at=AT
        )
    assert "confidence" in error.value.message_dict
    assert not CheckIn.objects.exists()
    assert KeyResult.objects.get(pk=metric.pk).current_value == Decimal(0)


def test_a_check_in_against_a_stale_version_is_refused_and_leaves_no_check_in(metric):
    first_reader = KeyResult.objects.get(pk=metric.pk)
    second_reader = KeyResult.objects.get(pk=metric.pk)
    check_in_record(key_result=first_reader, author=None, expected_version=1, confidence=HIGH, value=Decimal(1), at=AT)

    with pytest.raises(EditConflict) as conflict:
        check_in_record(
            key_result=second_reader,
            author=None,
            expected_version=1,
            confidence=LOW,
            value=Decimal(3),
            note="Lost",
            at=AT + datetime.timedelta(hours=1),
        )

    assert conflict.value.current.current_value == Decimal(1)
    saved = KeyResult.objects.get(pk=metric.pk)
    assert (saved.current_value, saved.confidence, saved.last_check_in_at, saved.version) == (
        Decimal(1),
        HIGH,
        AT,
        2,
    )
    assert list(CheckIn.objects.values_list("value", flat=True)) == [Decimal(1)]


# Closing and reopening a quarter


def close(team, period, *, score: Decimal = Decimal("0.7"), comment: str = "") -> TeamPeriod:
    key_results = KeyResult.objects.filter(objective__team=team, objective__period=period)
    return period_close(
        team=team, period=period, closed_by=None, scores={kr.pk: (score, comment) for kr in key_results}
    )


def test_period_close_stores_every_score_and_makes_the_quarter_read_only(team, q4, objective, metric):
    milestone = key_result_create(objective=objective, title="Launch", kind=MILESTONE)
    lead = PersonFactory()
    team_period = period_close(
        team=team,
        period=q4,
        closed_by=lead,
        scores={metric.pk: (Decimal("0.7"), "Almost all"), milestone.pk: (Decimal("1.0"), "")},
    )
    assert team_period.is_closed
    assert TeamPeriod.objects.get(team=team, period=q4).closed_by == lead
    stored = dict(KeyResult.objects.values_list("title", "final_score"))
    assert stored == {"Databases on AWS": Decimal("0.70"), "Launch": Decimal("1.00")}
    assert KeyResult.objects.get(pk=metric.pk).score_comment == "Almost all"


def test_period_close_needs_a_score_for_every_key_result(team, q4, objective, metric):
    key_result_create(objective=objective, title="Unscored", kind=PERCENT)
    with pytest.raises(ValidationError) as error:
        period_close(team=team, period=q4, closed_by=None, scores={metric.pk: (Decimal("0.5"), "")})
    assert error.value.messages == ["Score every key result before closing; missing: Unscored."]
    assert not TeamPeriod.objects.filter(closed_at__isnull=False).exists()
    assert KeyResult.objects.get(pk=metric.pk).final_score is None


def test_period_close_needs_scores_for_archived_objectives_too(team, q4, metric):
    archived = objective_create(team=team, period=q4, title="Dropped")
    key_result_create(objective=archived, title="Dropped KR", kind=PERCENT)
    Objective.objects.filter(pk=archived.pk).update(archived=True)
    with pytest.raises(ValidationError, match="missing: Dropped KR"):
        period_close(team=team, period=q4, closed_by=None, scores={metric.pk: (Decimal("0.5"), "")})


@pytest.mark.parametrize("score", [Decimal("1.5"), Decimal("-0.1")])
def test_period_close_rejects_a_score_outside_nought_to_one_and_stays_open(team, q4, objective, metric, score):
    other = key_result_create(objective=objective, title="Other", kind=PERCENT)
    with pytest.raises(ValidationError) as error:
        period_close(
            team=team, period=q4, closed_by=None, scores={other.pk: (Decimal("0.5"), ""), metric.pk: (score, "")}
        )
    assert "final_score" in error.value.message_dict
    assert not TeamPeriod.objects.filter(closed_at__isnull=False).exists()
    assert list(KeyResult.objects.values_list("final_score", flat=True)) == [None, None]


def test_a_quarter_cannot_be_closed_twice(team, q4, metric):
    close(team, q4)
    with pytest.raises(ValidationError, match="Q4 2022 is closed for Platform"):
        close(team, q4)


def test_closing_a_quarter_for_one_team_leaves_other_teams_open(team, q4, metric):
    close(team, q4)
    other = objective_create(team=TeamFactory(), period=q4, title="Still open")
    assert other.pk is not None


def write_operations():
    """Every write a closed quarter must refuse: name -> (call(team, objective, key_result), its effect)."""
    return {
        "objective_create": (
            lambda team, objective, key_result: objective_create(team=team, period=objective.period, title="New"),
            lambda: Objective.objects.filter(title="New").exists(),
        ),
        "objective_update": (
            lambda team, objective, key_result: objective_update(
                objective=objective, expected_version=1, title="Changed", why="", owners=[], parent=None, archived=False
            ),
            lambda: Objective.objects.filter(title="Changed", version=2).exists(),
        ),
        "objective_delete": (
            lambda team, objective, key_result: objective_delete(objective=objective),
            lambda: not Objective.objects.filter(title="High uptime").exists(),
        ),
        "objective_move": (
            lambda team, objective, key_result: objective_move(objective=objective, direction="down"),
            lambda: titles(Objective.objects.all()) == ["Second", "High uptime"],
        ),
        "key_result_create": (
            lambda team, objective, key_result: key_result_create(objective=objective, title="New", kind=PERCENT),
            lambda: KeyResult.objects.filter(title="New").exists(),
        ),
        "key_result_update": (
            lambda team, objective, key_result: update_metric(key_result, title="Changed"),
            lambda: KeyResult.objects.filter(title="Changed", version=2).exists(),
        ),
        "key_result_delete": (
            lambda team, objective, key_result: key_result_delete(key_result=key_result),
            lambda: not KeyResult.objects.filter(title="Databases on AWS").exists(),
        ),
        "key_result_move": (
            lambda team, objective, key_result: key_result_move(key_result=key_result, direction="down"),
            lambda: titles(KeyResult.objects.all()) == ["Second KR", "Databases on AWS"],
        ),
        "check_in_record": (
            lambda team, objective, key_result: check_in_record(
                key_result=key_result, author=None, expected_version=1, confidence=HIGH, value=Decimal(2), at=AT
            ),
            lambda: (
                CheckIn.objects.filter(value=Decimal(2)).exists()
                and KeyResult.objects.filter(current_value=Decimal(2), last_check_in_at=AT).exists()
            ),
        ),
        "period_close": (
            lambda team, objective, key_result: close(team, objective.period, score=Decimal("0.2")),
            lambda: (
                TeamPeriod.objects.get().is_closed
                and set(KeyResult.objects.values_list("final_score", flat=True)) == {Decimal("0.2")}
            ),
        ),
    }


@pytest.fixture
def closed_quarter(team, q4, objective, metric):
    """Two objectives, two key results on the first, and the quarter closed with scores."""
    objective_create(team=team, period=q4, title="Second")
    key_result_create(objective=objective, title="Second KR", kind=PERCENT)
    close(team, q4)


@pytest.mark.parametrize("operation", list(write_operations()))
def test_a_closed_quarter_refuses_every_write_with_a_clear_message(team, objective, metric, closed_quarter, operation):
    call, effect = write_operations()[operation]
    history_before = (Objective.history.count(), KeyResult.history.count(), CheckIn.objects.count())

    with pytest.raises(ValidationError) as error:
        call(team, objective, metric)

    assert error.value.messages == ["Q4 2022 is closed for Platform. A lead can reopen it to make changes."]
    assert not effect()
    assert (Objective.history.count(), KeyResult.history.count(), CheckIn.objects.count()) == history_before
    assert titles(Objective.objects.all()) == ["High uptime", "Second"]
    assert titles(KeyResult.objects.all()) == ["Databases on AWS", "Second KR"]


@pytest.mark.parametrize("operation", list(write_operations()))
def test_a_reopened_quarter_accepts_every_write_again(team, q4, objective, metric, closed_quarter, operation):
    call, effect = write_operations()[operation]
    period_reopen(team=team, period=q4)

    call(team, objective, metric)

    assert effect()


def test_period_reopen_keeps_the_scores_and_clears_who_closed_it(team, q4, metric):
    period_close(team=team, period=q4, closed_by=PersonFactory(), scores={metric.pk: (Decimal("0.4"), "Meh")})
    period_reopen(team=team, period=q4)
    team_period = TeamPeriod.objects.get(team=team, period=q4)
    assert (team_period.is_closed, team_period.closed_by) == (False, None)
    assert KeyResult.objects.get(pk=metric.pk).final_score == Decimal("0.40")
    objective_create(team=team, period=q4, title="Allowed again")


def test_a_reopened_quarter_can_be_closed_again_with_new_scores(team, q4, metric):
    close(team, q4, score=Decimal("0.4"))
    period_reopen(team=team, period=q4)
    close(team, q4, score=Decimal("0.9"))
    assert KeyResult.objects.get(pk=metric.pk).final_score == Decimal("0.90")
    assert TeamPeriod.objects.get(team=team, period=q4).is_closed


def test_period_reopen_refuses_a_quarter_that_is_not_closed(team, q4):
    with pytest.raises(ValidationError, match="Q4 2022 is not closed for Platform"):
        period_reopen(team=team, period=q4)
    close(team, q4)
    period_reopen(team=team, period=q4)
    with pytest.raises(ValidationError, match="is not closed"):
        period_reopen(team=team, period=q4)


# Opening the next quarter


@pytest.mark.parametrize(("year", "quarter", "expected"), [(2022, 4, (2023, 1)), (2022, 2, (2022, 3))])
def test_period_open_next_opens_the_following_quarter(team, year, quarter, expected):
    period = PeriodFactory(year=year, quarter=quarter)
    next_period = period_open_next(team=team, period=period, copy_unfinished=False)
    assert (next_period.year, next_period.quarter) == expected
    assert (next_period.start, next_period.end) == Period.bounds(*expected)


def test_period_open_next_without_copying_leaves_the_next_quarter_empty(team, q4, objective, metric):
    next_period = period_open_next(team=team, period=q4, copy_unfinished=False)
    assert not Objective.objects.filter(period=next_period).exists()


@pytest.fixture
def quarter_to_carry(team, q4):
    """A quarter with an unfinished objective, a finished one and an archived unfinished one."""
    owner = PersonFactory(display_name="Daniel")
    unfinished = objective_create(team=team, period=q4, title="Unfinished", why="Still matters", owners=[owner])
    key_result_create(
        objective=unfinished, title="Done metric", kind=METRIC, start_value=Decimal(0), target_value=Decimal(5)
    )
    KeyResult.objects.filter(title="Done metric").update(current_value=Decimal(5))
    metric = key_result_create(
        objective=unfinished,
        title="Load tests",
        kind=METRIC,
        unit="runs",
        start_value=Decimal(0),
        target_value=Decimal(12),
        owners=[owner],
    )
    KeyResult.objects.filter(pk=metric.pk).update(current_value=Decimal(6), confidence=LOW)
    decreasing = key_result_create(
        objective=unfinished,
        title="Error rate",
        kind=METRIC,
        direction=DECREASE,
        start_value=Decimal(10),
        target_value=Decimal(2),
    )
    KeyResult.objects.filter(pk=decreasing.pk).update(current_value=Decimal(4))
    percent = key_result_create(objective=unfinished, title="Coverage", kind=PERCENT)
    KeyResult.objects.filter(pk=percent.pk).update(current_value=Decimal(30))
    key_result_create(objective=unfinished, title="Done milestone", kind=MILESTONE)
    KeyResult.objects.filter(title="Done milestone").update(is_done=True)
    key_result_create(objective=unfinished, title="Open milestone", kind=MILESTONE)

    finished = objective_create(team=team, period=q4, title="Finished")
    key_result_create(objective=finished, title="Shipped", kind=PERCENT)
    KeyResult.objects.filter(title="Shipped").update(current_value=Decimal(100))

    archived = objective_create(team=team, period=q4, title="Archived")
    key_result_create(objective=archived, title="Abandoned", kind=PERCENT)
    Objective.objects.filter(pk=archived.pk).update(archived=True)

    other_team = objective_create(team=TeamFactory(), period=q4, title="Other team's")
    key_result_create(objective=other_team, title="Not ours", kind=PERCENT)
    return owner


def test_period_open_next_copies_unfinished_objectives_with_their_unfinished_key_results(team, q4, quarter_to_carry):
    next_period = period_open_next(team=team, period=q4, copy_unfinished=True)

    copied = Objective.objects.get(period=next_period)
    assert (copied.team, copied.title, copied.why, copied.order, copied.version) == (
        team,
        "Unfinished",
        "Still matters",
        1,
        1,
    )
    assert list(copied.owners.all()) == [quarter_to_carry]
    carried = {
        kr.title: (kr.kind, kr.direction, kr.start_value, kr.target_value, kr.current_value, kr.is_done, kr.due_date)
        for kr in copied.key_results.all()
    }
    end = datetime.date(2023, 3, 31)
    assert carried == {
        "Load tests": (METRIC, INCREASE, Decimal(6), Decimal(12), Decimal(6), False, end),
        "Error rate": (METRIC, DECREASE, Decimal(4), Decimal(2), Decimal(4), False, end),
        "Coverage": (PERCENT, INCREASE, Decimal(0), Decimal(100), Decimal(30), False, end),
        "Open milestone": (MILESTONE, INCREASE, Decimal(0), Decimal(100), Decimal(0), False, end),
    }
    assert titles(copied.key_results.all()) == ["Load tests", "Error rate", "Coverage", "Open milestone"]
    load_tests = copied.key_results.get(title="Load tests")
    assert (load_tests.unit, load_tests.confidence, load_tests.last_check_in_at) == ("runs", "", None)
    assert list(load_tests.owners.all()) == [quarter_to_carry]


def test_period_open_next_leaves_the_old_quarter_as_it_was(team, q4, quarter_to_carry):
    before = list(KeyResult.objects.filter(objective__period=q4).order_by("pk").values())
    period_open_next(team=team, period=q4, copy_unfinished=True)
    assert list(KeyResult.objects.filter(objective__period=q4).order_by("pk").values()) == before


def test_period_open_next_twice_does_not_duplicate_the_copies(team, q4, quarter_to_carry):
    first = period_open_next(team=team, period=q4, copy_unfinished=True)
    second = period_open_next(team=team, period=q4, copy_unfinished=True)
    assert first == second
    assert titles(Objective.objects.filter(period=first)) == ["Unfinished"]
    assert KeyResult.objects.filter(objective__period=first).count() == 4


def test_period_open_next_copies_after_objectives_already_planned_in_the_next_quarter(team, q4, quarter_to_carry):
    next_period = period_get_or_create(year=2023, quarter=1)
    objective_create(team=team, period=next_period, title="Planned ahead")
    period_open_next(team=team, period=q4, copy_unfinished=True)
    assert orders(Objective.objects.filter(period=next_period)) == [("Planned ahead", 1), ("Unfinished", 2)]


def test_period_open_next_refuses_to_copy_into_a_closed_quarter(team, q4, quarter_to_carry):
    next_period = period_get_or_create(year=2023, quarter=1)
    close(team, next_period)
    with pytest.raises(ValidationError, match="Q1 2023 is closed for Platform"):
        period_open_next(team=team, period=q4, copy_unfinished=True)
    assert not Objective.objects.filter(period=next_period).exists()


def test_period_open_next_copies_out_of_a_closed_quarter(team, q4, quarter_to_carry):
    close(team, q4)
    next_period = period_open_next(team=team, period=q4, copy_unfinished=True)
    assert titles(Objective.objects.filter(period=next_period)) == ["Unfinished"]


# Aligning sub-team objectives


@pytest.fixture
def sub_team(team):
    return TeamFactory(name="Infrastructure", slug="infrastructure", parent=team)


def test_a_sub_team_objective_can_align_to_its_parent_teams_objective(sub_team, q4, objective):
    aligned = objective_create(team=sub_team, period=q4, title="Aligned", parent=objective)
    assert list(objective.children.all()) == [aligned]


def test_a_top_level_team_objective_cannot_align_to_anything(team, q4, objective):
    with pytest.raises(ValidationError) as error:
        objective_create(team=team, period=q4, title="Self-aligned", parent=objective)
    assert error.value.message_dict == {"parent": ["An objective can only align to an objective of its parent team."]}


def test_a_sub_team_objective_cannot_align_to_another_teams_objective(sub_team, q4):
    elsewhere = objective_create(team=TeamFactory(), period=q4, title="Other team")
    with pytest.raises(ValidationError) as error:
        objective_create(team=sub_team, period=q4, title="Misaligned", parent=elsewhere)
    assert "its parent team" in error.value.message_dict["parent"][0]
    assert not Objective.objects.filter(team=sub_team).exists()


def test_a_sub_team_objective_cannot_align_to_a_sibling_sub_teams_objective(team, sub_team, q4):
    sibling = objective_create(team=TeamFactory(parent=team), period=q4, title="Sibling")
    with pytest.raises(ValidationError, match="its parent team"):
        objective_create(team=sub_team, period=q4, title="Misaligned", parent=sibling)


def test_a_sub_team_objective_cannot_align_to_its_own_teams_objective(sub_team, q4):
    own = objective_create(team=sub_team, period=q4, title="Own")
    with pytest.raises(ValidationError, match="its parent team"):
        objective_create(team=sub_team, period=q4, title="Misaligned", parent=own)


def test_a_sub_team_objective_cannot_align_to_another_quarter(team, sub_team, q4):
    last_quarter = objective_create(team=team, period=PeriodFactory(year=2022, quarter=3), title="Q3")
    with pytest.raises(ValidationError) as error:
        objective_create(team=sub_team, period=q4, title="Misaligned", parent=last_quarter)
    assert error.value.message_dict == {"parent": ["An objective can only align to an objective of the same quarter."]}


def test_objective_update_checks_the_alignment_too(team, sub_team, q4, objective):
    own = objective_create(team=sub_team, period=q4, title="Own")
    elsewhere = objective_create(team=TeamFactory(), period=q4, title="Other team")
    with pytest.raises(ValidationError, match="its parent team"):
        objective_update(
            objective=own, expected_version=1, title="Own", why="", owners=[], parent=elsewhere, archived=False
        )
    assert Objective.objects.get(pk=own.pk).parent is None
    objective_update(
        objective=Objective.objects.get(pk=own.pk),
        expected_version=1,
        title="Own",
        why="",
        owners=[],
        parent=objective,
        archived=False,
    )
    assert Objective.objects.get(pk=own.pk).parent == objective


def test_a_sub_team_objective_need_not_align_to_anything(sub_team, q4):
    unaligned = objective_create(team=sub_team, period=q4, title="Our own")
    assert Objective.objects.get(pk=unaligned.pk).parent is None
