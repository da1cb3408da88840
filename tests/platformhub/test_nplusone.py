"""The test suite fails a request with an N+1 (django-zeal), so pages stay at a fixed number of queries."""

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory
from zeal.errors import NPlusOneError

from platformhub.models import Membership
from platformhub.nplusone import detect_n_plus_one
from tests.factories import MembershipFactory


def _names_view(queryset):
    def view(request):
        return HttpResponse(", ".join(membership.person.display_name for membership in queryset()))

    return view


def test_the_suite_runs_with_the_detector():
    assert "platformhub.nplusone.detect_n_plus_one" in settings.MIDDLEWARE


@pytest.mark.django_db
def test_a_page_loading_a_relation_row_by_row_fails():
    MembershipFactory.create_batch(4)
    handler = detect_n_plus_one(_names_view(Membership.objects.all))
    with pytest.raises(NPlusOneError, match=r"Membership\.person"):
        handler(RequestFactory().get("/teams/"))


@pytest.mark.django_db
def test_the_same_page_with_the_relation_preloaded_passes():
    MembershipFactory.create_batch(4)
    handler = detect_n_plus_one(_names_view(lambda: Membership.objects.select_related("person")))
    assert handler(RequestFactory().get("/teams/")).status_code == 200
