"""benchmarks/bench.py's own arithmetic: the baseline timed in turn with each page, and load
turns added up into exact percentiles."""

import importlib.util
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("bench", Path(__file__).parents[2] / "benchmarks" / "bench.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


@dataclass
class Response:
    status_code: int = 200
    content: bytes = b"<p>page</p>"


@dataclass
class RecordingPage:
    """A page that notes each request it is sent in a log shared with the other pages."""

    name: str
    log: list[str]
    url: str = "/page/"
    method: str = "get"

    def payload(self):
        return None

    def send(self, payload):
        self.log.append(self.name)
        return Response()


def test_each_timed_request_is_paired_with_a_baseline_request_in_turn_first_and_second():
    log: list[str] = []
    page, baseline = RecordingPage("page", log), RecordingPage("base", log)

    row = bench.timed(page, 4, baseline=baseline)

    warm_up_and_counted = ["page"] * 4
    assert log == [*warm_up_and_counted, "base", "page", "page", "base", "base", "page", "page", "base"]
    assert row["base_ms"] >= 0
    assert row["bytes"] == len(b"<p>page</p>")


def test_a_page_timed_alone_has_no_baseline_median():
    log: list[str] = []

    row = bench.timed(RecordingPage("base", log), 3)

    assert log == ["base"] * 7
    assert "base_ms" not in row


def test_the_ratio_is_over_the_baseline_timed_in_turn_and_over_its_block_without_one():
    results = {bench.BASELINE: {"median_ms": 2.0}}

    assert bench.ratio({"median_ms": 6.0, "base_ms": 3.0}, results) == 2.0
    assert bench.ratio({"cold_median_ms": 9.0, "cold_base_ms": 3.0, "median_ms": 1.0}, results, "cold") == 3.0
    assert bench.ratio({"median_ms": 6.0}, results) == 3.0


def test_load_turns_add_up_requests_time_and_every_latency():
    first = bench.LoadSample(requests=100, seconds=2.0, errors=1, latencies=Counter({1000: 90, 5000: 10}))
    second = bench.LoadSample(requests=300, seconds=2.0, errors=0, latencies=Counter({2000: 300}))

    total = bench.LoadSample() + first + second

    assert total.row() == {"rps": 100.0, "p95_ms": 2.0, "p99_ms": 5.0, "errors": 1}


@pytest.mark.parametrize(("percent", "expected_ms"), [(50, 1.0), (90, 1.0), (91, 5.0), (95, 5.0), (100, 5.0)])
def test_a_percentile_is_the_latency_that_many_requests_took_at_most(percent, expected_ms):
    sample = bench.LoadSample(requests=100, seconds=1.0, latencies=Counter({5000: 10, 1000: 90}))

    assert sample.percentile_ms(percent) == expected_ms
