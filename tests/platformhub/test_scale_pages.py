"""Every benchmarked page and partial runs the same number of queries on small and big data.

S is the benchmark's reference org; M has 12 times its teams, 4 quarters and 100 times its cards
(L, 10 times M again, takes a minute to seed, so `benchmarks/bench.py` compares S with L and
prints any page whose count differs)."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from platformhub.benchmark_pages import BASELINE, benchmark_pages
from platformhub.scale import LEAD_USERNAME, VIEWER_USERNAME, seed_scale


def query_counts(size: str) -> dict[str, int]:
    seed_scale(size=size)
    lead, viewer = Client(), Client()
    lead.force_login(User.objects.get(username=LEAD_USERNAME))
    viewer.force_login(User.objects.get(username=VIEWER_USERNAME))
    counts = {}
    for name, page in benchmark_pages(lead=lead, viewer=viewer).items():
        if name == BASELINE:
            continue
        assert page.send(page.payload()).status_code < 400, name  # the first request of a session may differ
        payload = page.payload()
        with CaptureQueriesContext(connection) as queries:
            response = page.send(payload)
        assert response.status_code < 400, name
        counts[name] = len(queries)
    return counts


@pytest.mark.django_db(transaction=True)
def test_every_benchmarked_page_runs_the_same_number_of_queries_at_s_and_m():
    small = query_counts("S")
    call_command("flush", interactive=False, verbosity=0)
    assert query_counts("M") == small
