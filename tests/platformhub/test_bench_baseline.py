"""The benchmark's baseline page: routed only for benchmarks, one query for 12 rows."""

import pytest
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from platformhub.bench_views import fortunes
from tests.factories import TeamFactory


@pytest.mark.django_db
def test_the_baseline_runs_one_query_for_twelve_rows(django_assert_num_queries):
    TeamFactory.create_batch(15)
    with django_assert_num_queries(1):
        response = fortunes(RequestFactory().get("/bench/fortunes/"))
    assert response.status_code == 200
    assert response.content.decode().count("<tr><td>") == 12


def test_the_baseline_is_not_routed_outside_benchmarks():
    with pytest.raises(NoReverseMatch):
        reverse("bench_fortunes")
