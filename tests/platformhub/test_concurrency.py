import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from okrs.models import Objective
from platformhub.concurrency import EditConflict, save_versioned, set_versioned_many
from tests.factories import ObjectiveFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_a_versioned_save_checks_the_version_and_writes_in_one_update():
    objective = ObjectiveFactory(title="Before")
    objective.title = "After"
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        save_versioned(objective, expected_version=1, update_fields=["title"])

    assert objective.version == 2, "the database's count, answered with the UPDATE"
    assert objective.history.first().version == 2
    updates = [query["sql"] for query in queries if query["sql"].startswith('UPDATE "okrs_objective"')]
    assert len(updates) == 1
    assert '"okrs_objective"."version" = ' in updates[0].split("WHERE")[1]
    objective.refresh_from_db()
    assert (objective.title, objective.version) == ("After", 2)
    assert objective.history.count() == 2  # created, then this save


def test_a_stale_versioned_save_writes_nothing_and_leaves_the_transaction_usable():
    objective = ObjectiveFactory(title="Theirs")
    Objective.objects.filter(pk=objective.pk).update(version=2)
    objective.title = "Mine"
    with transaction.atomic():
        with pytest.raises(EditConflict) as conflict:
            save_versioned(objective, expected_version=1, update_fields=["title"])
        assert Objective.objects.filter(pk=objective.pk).exists()  # still usable: no rollback pending

    assert (conflict.value.current.title, conflict.value.current.version) == ("Theirs", 2)
    assert objective.version == 1  # as loaded: the form is shown again against the current row
    assert not hasattr(objective, "_expected_version")
    assert objective.history.count() == 1  # no history for a save that did not happen
    objective.refresh_from_db()
    assert objective.title == "Theirs"


def test_a_plain_save_after_a_conflict_is_not_held_to_the_old_version():
    objective = ObjectiveFactory(title="Theirs")
    Objective.objects.filter(pk=objective.pk).update(version=2)
    with transaction.atomic(), pytest.raises(EditConflict):
        save_versioned(objective, expected_version=1, update_fields=["title"])

    objective.title = "Fixed by a script"
    objective.save(update_fields=["title"])
    objective.refresh_from_db()
    assert objective.title == "Fixed by a script"


def test_an_unchanged_choice_of_prefetched_owners_is_neither_read_nor_written(django_assert_num_queries):
    owner = PersonFactory()
    objective = ObjectiveFactory()
    objective.owners.set([owner])
    objective = Objective.objects.prefetch_related("owners").get(pk=objective.pk)

    with django_assert_num_queries(0):
        set_versioned_many(objective, "owners", [owner])


def test_a_changed_choice_of_owners_is_written_whether_or_not_they_were_prefetched():
    first, second = PersonFactory(), PersonFactory()
    objective = ObjectiveFactory()
    objective.owners.set([first])

    set_versioned_many(Objective.objects.prefetch_related("owners").get(pk=objective.pk), "owners", [second])
    assert list(objective.owners.all()) == [second]

    set_versioned_many(Objective.objects.get(pk=objective.pk), "owners", [first, second])
    assert set(objective.owners.all()) == {first, second}


def test_a_version_beyond_any_row_is_a_conflict_not_an_overflow():
    objective = ObjectiveFactory()
    with transaction.atomic(), pytest.raises(EditConflict):
        save_versioned(objective, expected_version=2**63 - 1, update_fields=["title"])
    objective.refresh_from_db()
    assert objective.version == 1


@pytest.mark.django_db(transaction=True)
def test_a_stale_save_outside_a_transaction_is_still_a_conflict():
    objective = ObjectiveFactory(title="Theirs")
    Objective.objects.filter(pk=objective.pk).update(version=2)
    objective.title = "Mine"
    with pytest.raises(EditConflict):
        save_versioned(objective, expected_version=1, update_fields=["title"])
    assert objective.version == 1


def test_a_save_that_fails_otherwise_leaves_the_version_as_it_was_loaded():
    objective = ObjectiveFactory()
    objective.title = None  # NOT NULL: the database refuses the UPDATE
    with pytest.raises(IntegrityError), transaction.atomic():
        save_versioned(objective, expected_version=1, update_fields=["title"])
    assert objective.version == 1
