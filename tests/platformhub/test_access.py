import pytest
from django.test import RequestFactory

from platformhub.access import author_of
from platformhub.permissions import access_for
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def request_by(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


def test_the_author_of_a_write_is_the_users_person_and_costs_no_query_after_the_permission_checks(
    django_assert_num_queries,
):
    membership = MembershipFactory(person__display_name="Ada Lovelace")
    request = request_by(membership.person.user)
    access_for(request.user)  # what every view's permission check has read

    with django_assert_num_queries(0):
        author = author_of(request)

    assert author == membership.person
    assert author.display_name == "Ada Lovelace"  # read when first asked for


def test_a_user_without_a_person_is_the_author_of_nothing():
    assert author_of(request_by(UserFactory())) is None
