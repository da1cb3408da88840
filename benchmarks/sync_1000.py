"""How long a sync of 1,000 linked issues takes against the GitHub stand-in on loopback.

Sets up Django on a throwaway SQLite database, links N issues (1,000 by default) to one
linked-issues KR, starts tests/integrations/github_standin.py on 127.0.0.1 and times a first
full sync (every issue answers 200 with its data) and a second one (every issue answers 304 to
its ETag). The stand-in answers in well under a millisecond, so this measures PlatformHub's
side: the HTTP client, the ORM writes and SQLite.
Usage: DEBUG=true uv run python benchmarks/sync_1000.py [N]
"""

import logging
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REPO = "bench/app"
TOKEN = "benchmark-token"


def main(count: int) -> None:
    with tempfile.TemporaryDirectory(prefix="sync-bench-") as workdir:
        os.environ["DJANGO_SETTINGS_MODULE"] = "platformhub.settings"
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(workdir) / 'bench.sqlite3'}"
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request otherwise
        run_benchmark(count)
        from django.db import connections

        connections.close_all()


def run_benchmark(count: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from integrations.github import GitHubClient
    from integrations.models import GitHubIssue
    from integrations.services import key_result_link_issues, sync_linked_issues
    from okrs.models import KeyResult
    from okrs.progress import key_result_progress
    from okrs.selectors import key_result_for_page
    from okrs.services import key_result_create, objective_create, period_get_or_create
    from platformhub.models import Team
    from tests.integrations.github_standin import GitHubStandIn

    team = Team.objects.create(name="Benchmark", slug="benchmark")
    objective = objective_create(team=team, period=period_get_or_create(year=2022, quarter=4), title="Benchmark")
    kr = key_result_create(objective=objective, title="Close 1,000 issues", kind=KeyResult.Kind.ISSUES)

    with GitHubStandIn(token=TOKEN) as github:
        for number in range(1, count + 1):
            github.add_issue(
                REPO,
                number,
                title=f"Benchmark issue {number}",
                labels=["benchmark", f"points:{number % 5 + 1}"],
                assignees=[f"dev{number % 7}"],
                state="closed" if number % 4 == 0 else "open",
            )
        started = time.perf_counter()
        outcome = key_result_link_issues(
            key_result=kr, text="\n".join(f"{REPO}#{number}" for number in range(1, count + 1)), added_by=None
        )
        link_seconds = time.perf_counter() - started
        check(len(outcome.linked) == count, f"linked {len(outcome.linked)} of {count}")

        def timed_sync(client: GitHubClient) -> dict:
            github.clear_requests()
            queries = 0

            def count_query(execute, sql, params, many, context):
                nonlocal queries
                queries += 1
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count_query):
                started = time.perf_counter()
                run = sync_linked_issues(client=client)
                seconds = time.perf_counter() - started
            statuses = Counter(request.answered for request in github.requests)
            return {"run": run, "seconds": seconds, "statuses": dict(statuses), "queries": queries}

        with GitHubClient(base_url=github.url, token=TOKEN, timeout=10) as client:
            first = timed_sync(client)
            second = timed_sync(client)

    check(first["statuses"] == {200: count}, f"first sync answers: {first['statuses']}")
    check(first["run"].issues_changed == count, f"first sync changed {first['run'].issues_changed}")
    check(second["statuses"] == {304: count}, f"second sync answers: {second['statuses']}")
    check(second["run"].issues_changed == 0, f"second sync changed {second['run'].issues_changed}")
    check(first["run"].error == second["run"].error == "", f"errors: {first['run'].error} {second['run'].error}")
    check(GitHubIssue.objects.exclude(etag="").count() == count, "some issues have no ETag")
    progress = key_result_progress(key_result_for_page(key_result_id=kr.pk, now=timezone.now()))

    print(f"Linked {count:,} issues to one KR in {link_seconds:.2f} s; KR progress after sync {progress:.0%}.")
    for name, result in (("First sync  (200s)", first), ("Second sync (304s)", second)):
        requests, seconds = sum(result["statuses"].values()), result["seconds"]
        print(
            f"{name}: {count:,} issues in {seconds:.2f} s, {requests / seconds:,.0f} requests/s, "
            f"{seconds / count * 1000:.2f} ms/issue, {result['queries'] / count:.1f} SQL queries/issue"
        )


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"Benchmark went wrong: {message}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
