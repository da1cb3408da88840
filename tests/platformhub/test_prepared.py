"""Querysets compiled once per shape and run again with new values (platformhub/prepared.py)."""

import datetime

import pytest
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from okrs.models import CheckIn, KeyResult, Objective
from platformhub.models import Team
from platformhub.prepared import NotPreparable, prepared
from tests.factories import CheckInFactory, KeyResultFactory, ObjectiveFactory, TeamFactory

pytestmark = pytest.mark.django_db


@prepared
def objectives_of(*, team_ids, archived: bool | None = False) -> QuerySet[Objective]:
    objectives = Objective.objects.filter(team_id__in=team_ids).select_related("team").order_by("pk")
    return objectives if archived is None else objectives.filter(archived=archived)


@prepared
def check_ins_since(*, key_result_id: int, since: datetime.datetime) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(key_result_id=key_result_id, created_at__gte=since).order_by("created_at")


@prepared
def key_results_due(*, before: datetime.date) -> QuerySet[KeyResult]:
    return (
        KeyResult.objects.filter(due_date__lt=before)
        .annotate(check_in_count=Count("check_ins"))
        .prefetch_related("owners")
        .order_by("pk")
        .values_list("title", "check_in_count", named=True)
    )


def test_a_prepared_query_gives_what_its_queryset_gives_for_every_call(django_assert_num_queries):
    one, two, three = TeamFactory(), TeamFactory(), TeamFactory()
    objectives = [ObjectiveFactory(team=team) for team in (one, two, two, three)]
    ObjectiveFactory(team=one, archived=True)

    for team_ids in ([one.pk], [two.pk, three.pk], [three.pk, one.pk, two.pk]):
        expected = list(objectives_of.build(team_ids=team_ids))
        with django_assert_num_queries(1):
            got = objectives_of(team_ids=team_ids)
        assert got == expected
        assert [objective.team.name for objective in got] == [objective.team.name for objective in expected]

    assert objectives_of(team_ids=[one.pk]) == [objectives[0]]


def test_a_string_is_part_of_the_shape_and_free_text_stops_being_remembered(monkeypatch):
    @prepared
    def teams_named(*, name: str) -> QuerySet[Team]:
        return Team.objects.filter(name=name)

    team = TeamFactory(name="Platform")
    monkeypatch.setattr("platformhub.prepared.MAX_SHAPES", 2)

    assert teams_named(name="Platform") == [team]
    assert teams_named(name="Ingestion") == []
    assert teams_named(name="Platform") == [team]
    assert teams_named(name="Anything else") == []
    assert len(teams_named.shapes) == 2


def test_a_string_named_as_text_is_a_value_compiled_once_for_every_slug(django_assert_num_queries):
    @prepared(text=("slug",))
    def team_with_slug(*, slug: str) -> QuerySet[Team]:
        return Team.objects.filter(slug=slug).select_related("parent")

    parent = TeamFactory(slug="platform")
    child = TeamFactory(slug="ingestion", parent=parent)

    with django_assert_num_queries(1):
        assert team_with_slug(slug="ingestion") == [child]
    assert team_with_slug(slug="ingestion")[0].parent.slug == "platform"
    assert team_with_slug(slug="platform") == [parent]
    assert team_with_slug(slug="anything-else") == []
    assert team_with_slug(slug="") == []
    assert len(team_with_slug.shapes) == 1


def test_a_text_value_inside_a_pattern_is_refused():
    @prepared(text=("name",))
    def teams_named_like(*, name: str) -> QuerySet[Team]:
        return Team.objects.filter(name__icontains=name)

    with pytest.raises(NotPreparable, match="larger parameter"):
        teams_named_like(name="plat")


def test_an_argument_named_as_shape_is_compiled_for_each_value_it_takes():
    """A page size lands in the SQL as a LIMIT, not a parameter: each size is its own shape."""

    @prepared(shape=("size",))
    def first_teams(*, size: int) -> QuerySet[Team]:
        return Team.objects.order_by("pk")[:size]

    teams = [TeamFactory() for _ in range(3)]

    assert first_teams(size=2) == teams[:2]
    assert first_teams(size=3) == teams
    assert first_teams(size=2) == teams[:2]
    assert len(first_teams.shapes) == 2


def test_the_same_shape_is_compiled_once_and_a_new_shape_again():
    one, two = TeamFactory(), TeamFactory()
    ObjectiveFactory(team=one)
    objectives_of.shapes.clear()

    objectives_of(team_ids=[one.pk])
    objectives_of(team_ids=[two.pk])
    assert len(objectives_of.shapes) == 1
    objectives_of(team_ids=[one.pk, two.pk])
    objectives_of(team_ids=[one.pk], archived=True)
    objectives_of(team_ids=[one.pk], archived=None)
    assert len(objectives_of.shapes) == 4


def test_a_shape_works_out_its_converters_once_per_connection(monkeypatch):
    from django.db.models.sql.compiler import SQLCompiler

    worked_out = []
    work_out = SQLCompiler.get_converters

    def counted(compiler, expressions):
        worked_out.append(len(expressions))
        return work_out(compiler, expressions)

    key_result = KeyResultFactory()
    now = timezone.now()
    first = CheckInFactory(key_result=key_result, created_at=now - datetime.timedelta(days=2), value=5)
    check_ins_since.shapes.clear()
    monkeypatch.setattr(SQLCompiler, "get_converters", counted)

    runs = [check_ins_since(key_result_id=key_result.pk, since=now - datetime.timedelta(days=days)) for days in (3, 4)]

    assert len(worked_out) == 1
    for run in runs:
        assert run == [first]
        assert run[0].created_at == first.created_at
        assert run[0].created_at.tzinfo is not None
        assert run[0].value == first.value


def test_repeats_and_none_in_a_list_are_dropped_as_django_drops_them():
    team = TeamFactory()
    objective = ObjectiveFactory(team=team)

    assert objectives_of(team_ids=[team.pk, None, team.pk]) == [objective]
    assert objectives_of(team_ids=(team.pk,)) == [objective]


def test_an_empty_list_matches_nothing_without_asking_the_database(django_assert_num_queries):
    ObjectiveFactory()

    with django_assert_num_queries(0):
        assert objectives_of(team_ids=[]) == []


def test_dates_and_aware_datetimes_are_values_too():
    key_result = KeyResultFactory(due_date=datetime.date(2026, 3, 31))
    now = timezone.now()
    old = CheckInFactory(key_result=key_result, created_at=now - datetime.timedelta(days=10))
    new = CheckInFactory(key_result=key_result, created_at=now - datetime.timedelta(days=1))

    assert check_ins_since(key_result_id=key_result.pk, since=now - datetime.timedelta(days=30)) == [old, new]
    assert check_ins_since(key_result_id=key_result.pk, since=now - datetime.timedelta(days=5)) == [new]
    assert key_results_due(before=datetime.date(2026, 4, 1)) == [(key_result.title, 2)]
    assert key_results_due(before=datetime.date(2026, 3, 31)) == []


def test_a_subquery_value_is_built_the_usual_way():
    team = TeamFactory()
    objective = ObjectiveFactory(team=team)

    assert objectives_of(team_ids=Team.objects.filter(pk=team.pk).values("pk")) == [objective]


def test_an_id_beyond_64_bits_matches_nothing_as_in_django():
    @prepared
    def team_numbered(*, pk: int) -> QuerySet[Team]:
        return Team.objects.filter(pk=pk)

    team = TeamFactory()

    assert team_numbered(pk=2**64) == []
    assert team_numbered(pk=-(2**70)) == []
    assert team_numbered(pk=team.pk) == [team]


def test_values_it_cannot_stand_in_for_are_refused():
    with pytest.raises(NotPreparable, match="ints"):
        objectives_of(team_ids=["platform"])
    with pytest.raises(NotPreparable, match="naive"):
        check_ins_since(key_result_id=1, since=datetime.datetime(2026, 1, 1))


def test_a_value_inside_a_pattern_is_refused():
    @prepared
    def titled_like(*, day: datetime.date) -> QuerySet[KeyResult]:
        return KeyResult.objects.filter(title__contains=str(day))

    with pytest.raises(NotPreparable):
        titled_like(day=datetime.date(2026, 1, 1))


def test_the_check_catches_a_query_whose_shape_hides_in_its_values(settings):
    """A builder that changes its SQL on a value it was not told is part of the shape (here: a
    number's sign) would run the wrong SQL; the test suite's check fails it."""

    @prepared
    def by_sign(*, n: int) -> QuerySet[Team]:
        return Team.objects.filter(Q(pk=n) if n > 0 else Q(parent_id=-n))

    settings.PREPARED_QUERIES_CHECK = True
    by_sign(n=1)
    with pytest.raises(AssertionError, match="compiles as"):
        by_sign(n=-1)
