import datetime

import pytest
from django.core.exceptions import ValidationError

from platformhub.concurrency import EditConflict
from sprints.checks import is_lingering, lone_wolf_reason, people_over_the_limit, project_progress
from sprints.models import Cadence, Card, CardMove, Milestone, Project, RosterEntry, Sprint, planning_day
from sprints.selectors import card_details
from sprints.services import (
    cadence_set,
    card_create,
    card_move,
    card_take,
    roster_copy_forward,
    roster_set,
    sprint_close,
    sprints_ensure,
)
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("start", "planning"),
    [
        (datetime.date(2022, 12, 5), datetime.date(2022, 11, 30)),  # Monday → Wednesday before
        (datetime.date(2023, 1, 2), datetime.date(2022, 12, 28)),  # across the year end
        (datetime.date(2022, 12, 7), datetime.date(2022, 11, 30)),  # a Wednesday start plans a week before
        (datetime.date(2022, 12, 8), datetime.date(2022, 12, 7)),  # a Thursday start plans the day before
    ],
)
def test_planning_is_the_wednesday_before_the_start(start, planning):
    assert planning_day(start) == planning
    assert planning_day(start).weekday() == 2


def test_sprints_are_generated_up_to_today_and_two_ahead():
    cadence_set(length_days=14, first_start=datetime.date(2022, 10, 3))
    current = sprints_ensure(today=datetime.date(2022, 12, 28))
    assert current.name == "Sprint 7"
    assert (current.start, current.end) == (datetime.date(2022, 12, 26), datetime.date(2023, 1, 8))
    assert list(Sprint.objects.values_list("number", flat=True)) == list(range(1, 10))
    sprint_8 = Sprint.objects.get(number=8)
    assert sprint_8.start == datetime.date(2023, 1, 9)
    assert sprint_8.planning_date == datetime.date(2023, 1, 4)


def test_generating_again_adds_only_what_is_missing():
    cadence_set(length_days=14, first_start=datetime.date(2022, 10, 3))
    sprints_ensure(today=datetime.date(2022, 10, 10))
    sprints_ensure(today=datetime.date(2022, 10, 10))
    assert Sprint.objects.count() == 3


def test_sprints_keep_their_calendar_days_across_daylight_saving_changes():
    # Europe and the US leave summer time on 30 Oct and 6 Nov 2022; sprints are calendar dates.
    cadence_set(length_days=14, first_start=datetime.date(2022, 10, 24))
    sprints_ensure(today=datetime.date(2022, 11, 10))
    starts = list(Sprint.objects.values_list("start", flat=True))
    assert starts == [
        datetime.date(2022, 10, 24),
        datetime.date(2022, 11, 7),
        datetime.date(2022, 11, 21),
        datetime.date(2022, 12, 5),
    ]
    assert all(start.weekday() == 0 for start in starts)


def test_sprints_need_a_cadence():
    with pytest.raises(ValidationError, match="Set the sprint cadence first"):
        sprints_ensure(today=datetime.date(2022, 10, 10))


def test_cadence_length_is_validated():
    with pytest.raises(ValidationError):
        cadence_set(length_days=3, first_start=datetime.date(2022, 10, 3))
    assert not Cadence.objects.exists()


def _two_sprints():
    cadence_set(length_days=14, first_start=datetime.date(2022, 10, 3))
    sprints_ensure(today=datetime.date(2022, 10, 3))
    return Sprint.objects.get(number=1), Sprint.objects.get(number=2)


def test_rosters_are_copied_forward_and_changed_in_one_place(org):
    first, second = _two_sprints()
    guido, daniel = PersonFactory(), PersonFactory()
    roster_set(sprint=first, team=org.sub_team, people=[guido, daniel])
    assert roster_copy_forward(sprint=second) == 2
    roster_set(sprint=second, team=org.sub_team, people=[guido])
    assert set(RosterEntry.objects.filter(sprint=first).values_list("person", flat=True)) == {guido.pk, daniel.pk}
    assert list(RosterEntry.objects.filter(sprint=second).values_list("person", flat=True)) == [guido.pk]
    assert roster_copy_forward(sprint=second) == 0


def test_closing_a_sprint_carries_unfinished_cards_into_the_next(org):
    first, second = _two_sprints()
    done = card_create(team=org.team, title="Done", sprints=[first], column=Card.Column.DONE)
    open_card = card_create(team=org.team, title="Open", sprints=[first], column=Card.Column.IN_PROGRESS)
    assert sprint_close(sprint=first, closed_by=None) == 1
    open_card.refresh_from_db()
    assert set(open_card.sprints.all()) == {first, second}
    assert open_card.carry_overs == 1
    assert list(done.sprints.all()) == [first]
    with pytest.raises(ValidationError, match="already closed"):
        sprint_close(sprint=first, closed_by=None)


def test_a_move_is_recorded_and_blocked_needs_a_reason(org):
    card = card_create(team=org.team, title="Cut over Postgres")
    mover = PersonFactory()
    with pytest.raises(ValidationError, match="blocked on"):
        card_move(card=card, expected_version=card.version, to_column=Card.Column.BLOCKED, moved_by=mover)
    card.refresh_from_db()
    move = card_move(card=card, expected_version=card.version, to_column=Card.Column.IN_REVIEW, moved_by=mover)
    assert (move.from_column, move.to_column, move.moved_by) == ("backlog", "in_review", mover)
    assert card_move(card=card, expected_version=card.version, to_column=Card.Column.IN_REVIEW, moved_by=mover) is None
    assert CardMove.objects.count() == 1


def test_a_stale_move_to_where_someone_just_moved_the_card_is_a_conflict_not_a_silent_success(org):
    card = card_create(team=org.team, title="Cut over Postgres")
    stale_version = card.version
    card_move(card=card, expected_version=stale_version, to_column=Card.Column.IN_PROGRESS, moved_by=None)
    with pytest.raises(EditConflict):
        card_move(card=card, expected_version=stale_version, to_column=Card.Column.IN_PROGRESS, moved_by=None)
    assert CardMove.objects.count() == 1


def test_taking_a_card_makes_you_an_owner(org):
    card = card_create(team=org.team, title="Load test")
    person = PersonFactory()
    card_take(card=card, person=person)
    assert list(card.owners.all()) == [person]


def test_project_progress_rolls_up_from_measurable_milestones(org):
    project = Project.objects.create(team=org.team, title="Re-partition 100 tables")
    Milestone.objects.create(project=project, title="Migrate 50 of the 100 tables", current=25, target=100)
    Milestone.objects.create(project=project, title="Migration framework is production ready", is_done=True)
    assert project_progress(project.milestones.all()) == pytest.approx(0.625)
    assert project_progress([]) is None
    with pytest.raises(ValidationError):
        Milestone(project=project, title="Bad", target=0).full_clean()


WINTER = datetime.datetime(2022, 12, 1, 12, tzinfo=datetime.UTC)
SUMMER = datetime.datetime(2022, 7, 1, 12, tzinfo=datetime.UTC)


def test_lone_wolf_needs_two_owners_within_three_hours():
    london, rome, bogota = "Europe/London", "Europe/Rome", "America/Bogota"
    assert lone_wolf_reason([], at=WINTER) == "No owner"
    assert lone_wolf_reason([london], at=WINTER) == "Only one owner"
    assert lone_wolf_reason([london, bogota], at=WINTER) == "No two owners within 3 hours of each other"
    assert lone_wolf_reason([london, rome], at=WINTER) is None
    assert lone_wolf_reason([london, rome, bogota], at=WINTER) is None


def test_lone_wolf_compares_timezones_as_they_are_that_day():
    new_york, sao_paulo = "America/New_York", "America/Sao_Paulo"
    # São Paulo is UTC-3 all year; New York is UTC-5 in winter and UTC-4 in summer.
    assert lone_wolf_reason([new_york, sao_paulo], at=WINTER) is None
    assert lone_wolf_reason([new_york, sao_paulo], at=SUMMER) is None
    auckland, sydney = "Pacific/Auckland", "Australia/Sydney"
    assert lone_wolf_reason([auckland, sydney], at=SUMMER) is None


def test_finish_what_we_start_flags(org):
    busy = PersonFactory()
    cards = [
        card_create(team=org.team, title=f"Card {n}", column=Card.Column.IN_PROGRESS, owners=[busy]) for n in range(3)
    ]
    card_create(team=org.team, title="Reviewing", column=Card.Column.IN_REVIEW, owners=[busy])
    on_board = list(Card.objects.all())
    card_details(on_board, viewer_id=None)
    overloads = people_over_the_limit(on_board)
    assert [(entry.person, entry.cards) for entry in overloads] == [(busy, 3)]
    Card.objects.filter(pk=cards[0].pk).update(carry_overs=1)
    cards[0].refresh_from_db()
    assert is_lingering(cards[0])
    assert not is_lingering(cards[1])
