"""Every benchmarked page and partial runs the same number of queries on small and big data,
and stays within its size: 100 KiB of HTML for a page, 10 KiB for an HTMX partial.

S is the benchmark's reference org; M has 12 times its teams, 4 quarters and 100 times its cards
(L, 10 times M again, takes a minute to seed, so `benchmarks/bench.py` compares S with L and
prints any page whose count or size is off). The project's own JavaScript stays ≤ 10 KB gzipped.
"""

import gzip
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from platformhub.benchmark_pages import BASELINE, benchmark_pages
from platformhub.scale import LEAD_USERNAME, VIEWER_USERNAME, seed_scale

PAGE_LIMIT = 100 * 1024
PARTIAL_LIMIT = 10 * 1024
OWN_JAVASCRIPT = Path(__file__).resolve().parents[2] / "static" / "js"


def measured(size: str) -> tuple[dict[str, int], dict[str, int]]:
    """Each page's queries and bytes at `size`."""
    seed_scale(size=size)
    lead, viewer = Client(), Client()
    lead.force_login(User.objects.get(username=LEAD_USERNAME))
    viewer.force_login(User.objects.get(username=VIEWER_USERNAME))
    counts, sizes = {}, {}
    for name, page in benchmark_pages(lead=lead, viewer=viewer).items():
        if name == BASELINE:
            continue
        assert page.send(page.payload()).status_code < 400, name  # the first request of a session may differ
        payload = page.payload()
        with CaptureQueriesContext(connection) as queries:
            response = page.send(payload)
        assert response.status_code < 400, name
        counts[name] = len(queries)
        sizes[name] = len(response.content)
    return counts, sizes


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_every_benchmarked_page_runs_the_same_queries_at_s_and_m_within_its_size():
    small, small_sizes = measured("S")
    call_command("flush", interactive=False, verbosity=0)
    medium, medium_sizes = measured("M")

    assert all(count > 2 for count in small.values())  # the session and user at least, and the page's own
    assert medium == small
    for sizes in (small_sizes, medium_sizes):
        too_big = {
            name: size
            for name, size in sizes.items()
            if size > (PARTIAL_LIMIT if name.startswith("partial") else PAGE_LIMIT)
        }
        assert too_big == {}


def test_the_projects_own_javascript_is_at_most_10_kb_gzipped():
    scripts = sorted(OWN_JAVASCRIPT.glob("*.js"))
    assert scripts
    assert sum(len(gzip.compress(script.read_bytes(), 9)) for script in scripts) <= 10_000
