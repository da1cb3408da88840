import pytest
from django.urls import reverse

from platformhub.models import Membership, Person, Team


def test_every_people_and_team_model_keeps_a_history():
    for model in (Team, Person, Membership):
        assert hasattr(model, "history"), f"{model.__name__} has no change history"


def test_an_edit_through_the_page_is_recorded_with_who_and_what(org, client_as):
    client_as("lead").post(
        reverse("team_about_edit", args=[org.team.slug]), {"mission": "Recorded", "guidelines": "", "version": 1}
    )
    latest, before = org.team.history.all()[:2]
    assert (latest.version, before.version) == (2, 1)
    assert latest.history_user == org.users["lead"]
    changes = {change.field: (change.old, change.new) for change in latest.diff_against(before).changes}
    assert changes["mission"] == ("Ship reliable things.", "Recorded")


@pytest.mark.django_db
def test_membership_changes_are_recorded(org):
    membership = Membership.objects.get(person__user=org.users["engineer"])
    membership.role = Membership.Role.LEAD
    membership.save(update_fields=["role"])
    assert [h.role for h in membership.history.all()] == ["lead", "engineer"]
