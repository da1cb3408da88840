import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from okrs.models import Objective
from platformhub.concurrency import EditConflict, save_versioned
from tests.factories import ObjectiveFactory

pytestmark = pytest.mark.django_db


def test_a_versioned_save_checks_the_version_and_writes_in_one_update():
    objective = ObjectiveFactory(title="Before")
    objective.title = "After"
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        save_versioned(objective, expected_version=1, update_fields=["title"])

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
