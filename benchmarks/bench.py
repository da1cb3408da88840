"""Page speed against the stack's own limit, at the S and L scale sizes, in one run.

For each database (SQLite; PostgreSQL too when DATABASE_URL is set) and each size, a fresh
database is seeded with `seed_scale` (kept under /tmp between runs, keyed by size and seed) and
every page is measured in-process with Django's test client: queries, response bytes, median
and p95 server time over many repetitions, and the ratio to the baseline, a "fortunes" page
(one query for 12 rows, a small template) served by the same stack in the same process.

Then a load run: gunicorn (2 sync workers) on loopback under wrk, for the dashboard, the roadmap
and the baseline at L; it prints requests/s and p95 for each and the ratios to the baseline.

The last line is `bench: worst page/baseline ratio at L = <x>`.

Usage: uv run python benchmarks/bench.py [--sizes S,L] [--repeat 40] [--load-seconds 10]
"""

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(tempfile.gettempdir()) / "platformhub-bench"
SECRET_KEY = "benchmark-only-" + "x" * 50
PAGE_TARGETS = {"S": 5.0, "L": 8.0}


def base_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "DATABASE_URL": database_url,
        "STATIC_ROOT": str(CACHE / "static"),
        "BENCHMARK_ROUTES": "true",
        "GITHUB_WEBHOOK_SECRET": "benchmark-secret",
        "LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }


def manage(database_url: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base_env(database_url),
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def prepared_database(kind: str, size: str, seed: int) -> str:
    """A database seeded at `size`, reused between runs (seeding L takes minutes)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d")  # seeded data is dated around today
    if kind == "sqlite":
        path = CACHE / f"{size}-seed{seed}-{stamp}.sqlite3"
        url = f"sqlite:///{path}"
        if path.exists():
            return url
        building = path.with_suffix(".building")
        building.unlink(missing_ok=True)
        build_url = f"sqlite:///{building}"
        manage(build_url, "migrate", "--no-input", "-v0")
        manage(build_url, "seed_scale", "--size", size, "--seed", str(seed))
        building.rename(path)
        return url
    import psycopg

    server = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    name = f"platformhub_bench_{size.lower()}_{seed}_{stamp}"
    url = f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return url
        for (old,) in admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"platformhub_bench_{size.lower()}_%"]
        ).fetchall():
            admin.execute(f'DROP DATABASE "{old}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}_building"')
    try:
        manage(f"{url}_building", "migrate", "--no-input", "-v0")
        manage(f"{url}_building", "seed_scale", "--size", size, "--seed", str(seed))
    except Exception:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}_building" WITH (FORCE)')
        raise
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}_building" RENAME TO "{name}"')
    return url


# In-process measurement (run in a child process per database, with Django set up for it)


def measure(repeat: int) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platformhub.settings")
    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from okrs.models import KeyResult, Period
    from platformhub.scale import REFERENCE_TEAM_SLUG
    from sprints.models import Card, Meeting, Sprint

    today = timezone.localdate()
    period = Period.objects.filter(start__lte=today, end__gte=today).get()
    reference = f"/teams/{REFERENCE_TEAM_SLUG}"
    key_result = (
        KeyResult.objects.filter(
            objective__team__slug=REFERENCE_TEAM_SLUG, objective__period=period, kind=KeyResult.Kind.METRIC
        )
        .order_by("pk")
        .first()
    )
    objective = key_result.objective
    card = Card.objects.filter(team__slug=REFERENCE_TEAM_SLUG).order_by("pk").first()
    last_closed = Sprint.objects.filter(closed_at__isnull=False).order_by("-number").first()
    meeting = Meeting.objects.filter(series__team__slug=REFERENCE_TEAM_SLUG).order_by("-date").first()

    lead, viewer = Client(), Client()
    lead.force_login(User.objects.get(username="scale-lead"))
    viewer.force_login(User.objects.get(username="scale-viewer"))
    htmx = {"HTTP_HX_REQUEST": "true"}

    def check_in_data():
        key_result.refresh_from_db(fields=["version", "current_value"])
        value = (key_result.current_value or 0) + 1
        return {"value": str(value), "confidence": "medium", "note": "", "version": key_result.version}

    columns = ["in_progress", "in_review"]

    def move_data(iteration: int):
        card.refresh_from_db(fields=["version", "column"])
        target = columns[0] if card.column != columns[0] else columns[1]
        return {"column": target, "version": card.version, "query": "", "board": ""}

    def edit_data():
        objective.refresh_from_db()
        return {
            "title": objective.title,
            "why": objective.why,
            "owners": list(objective.owners.values_list("pk", flat=True)),
            "parent": objective.parent_id or "",
            "version": objective.version,
        }

    pages = {
        "baseline (fortunes)": (lead, "get", "/bench/fortunes/", None, {}),
        "team OKR page": (lead, "get", f"{reference}/okrs/{period.slug}/", None, {}),
        "org OKR overview": (viewer, "get", "/okrs/", None, {}),
        "KR detail": (lead, "get", f"/key-results/{key_result.pk}/", None, {}),
        "roadmap (one team)": (lead, "get", f"{reference}/roadmap/", None, {}),
        "roadmap (all teams)": (viewer, "get", "/roadmap/", None, {}),
        "dashboard": (lead, "get", "/", None, {}),
        "dashboard (all teams)": (viewer, "get", "/", None, {}),
        "board": (lead, "get", f"{reference}/board/", None, {}),
        "sprint report": (lead, "get", f"/sprints/{last_closed.number}/report/", None, {}),
        "meeting page": (lead, "get", f"/meetings/{meeting.series_id}/{meeting.date.isoformat()}/", None, {}),
        "partial: check-in": (lead, "post", f"/key-results/{key_result.pk}/check-in/", check_in_data, htmx),
        "partial: card move": (lead, "post", f"/cards/{card.pk}/move/", move_data, htmx),
        "partial: inline edit": (lead, "post", f"/objectives/{objective.pk}/edit/", edit_data, htmx),
    }
    results = {}
    for name, (client, method, url, data, headers) in pages.items():

        def request(iteration: int, client=client, method=method, url=url, data=data, headers=headers):
            payload = None
            if data is not None:
                payload = data(iteration) if data.__code__.co_argcount else data()
            started = time.perf_counter()
            response = getattr(client, method)(url, payload, **headers)
            return time.perf_counter() - started, response

        for iteration in range(3):
            request(iteration)
        queries: list[str] = []

        def count(execute, sql, *rest, queries=queries):
            queries.append(sql)
            return execute(sql, *rest)

        with connection.execute_wrapper(count):
            _, response = request(3)
        if response.status_code >= 400:
            raise SystemExit(f"{name}: {url} answered {response.status_code}")
        timings = [request(4 + i)[0] * 1000 for i in range(repeat)]
        timings.sort()
        results[name] = {
            "url": url,
            "status": response.status_code,
            "queries": len(queries),
            "bytes": len(response.content),
            "median_ms": statistics.median(timings),
            "p95_ms": timings[max(0, round(len(timings) * 0.95) - 1)],
        }
    return results


# Load run


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def session_cookie(database_url: str, username: str) -> str:
    script = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'platformhub.settings'); django.setup();"
        "from django.test import Client; from django.contrib.auth.models import User;"
        f"c = Client(); c.force_login(User.objects.get(username='{username}'));"
        "print(c.cookies['sessionid'].value)"
    )
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=base_env(database_url), check=True, capture_output=True, text=True
    ).stdout.strip()


def wrk(url: str, cookie: str, seconds: int, connections: int = 8) -> dict:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"Cookie: sessionid={cookie}", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = _wrk_latency(re.search(r"99%\s+([\d.]+\w+)", output).group(1))
    p90 = _wrk_latency(re.search(r"90%\s+([\d.]+\w+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    # wrk reports the 50/75/90/99th percentiles; p95 is taken halfway between the 90th and 99th.
    return {"rps": rate, "p95_ms": (p90 + p99) / 2, "errors": int(non_2xx.group(1)) if non_2xx else 0}


def _wrk_latency(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def load_run(database_url: str, seconds: int) -> dict:
    if shutil.which("wrk") is None:
        raise SystemExit("The load run needs wrk: apt-get install -y wrk")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "platformhub.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=base_env(database_url),
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        cookie = session_cookie(database_url, "scale-lead")
        base = f"http://127.0.0.1:{port}"
        targets = {
            "baseline (fortunes)": "/bench/fortunes/",
            "dashboard": "/",
            "roadmap (all teams)": "/roadmap/",
        }
        for path in targets.values():  # warm both workers
            wrk(base + path, cookie, 1, connections=2)
        return {name: wrk(base + path, cookie, seconds) for name, path in targets.items()}
    finally:
        server.terminate()
        server.wait(timeout=10)


def print_table(title: str, results: dict) -> None:
    baseline = results["baseline (fortunes)"]["median_ms"]
    print(f"\n{title}")
    print(f"{'page':<24} {'queries':>7} {'bytes':>8} {'median ms':>10} {'p95 ms':>8} {'× baseline':>11}")
    for name, row in results.items():
        ratio = row["median_ms"] / baseline
        print(
            f"{name:<24} {row['queries']:>7} {row['bytes']:>8} {row['median_ms']:>10.2f} "
            f"{row['p95_ms']:>8.2f} {ratio:>11.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="S,L")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--load-seconds", type=int, default=10)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.repeat)))
        return

    sizes = args.sizes.split(",")
    kinds = ["sqlite"] + (["postgresql"] if os.environ.get("DATABASE_URL", "").startswith("postgres") else [])
    print(f"bench: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {args.repeat} repetitions per page")
    worst = {}
    load_database = None
    manage("sqlite://:memory:", "collectstatic", "--no-input", "-v0")
    for kind in kinds:
        for size in sizes:
            started = time.monotonic()
            url = prepared_database(kind, size, args.seed)
            prepared = time.monotonic() - started
            child = subprocess.run(
                [sys.executable, __file__, "--measure", "--repeat", str(args.repeat)],
                cwd=ROOT,
                env=base_env(url),
                capture_output=True,
                text=True,
                check=False,
            )
            if child.returncode:
                raise SystemExit(f"measuring {kind} {size} failed:\n{child.stderr[-3000:]}{child.stdout[-2000:]}")
            output = child.stdout
            results = json.loads(output.strip().splitlines()[-1])
            print_table(f"{kind}, size {size} (database ready in {prepared:.0f} s)", results)
            baseline = results["baseline (fortunes)"]["median_ms"]
            ratios = {name: row["median_ms"] / baseline for name, row in results.items() if "baseline" not in name}
            name, ratio = max(ratios.items(), key=lambda item: item[1])
            target = PAGE_TARGETS.get(size)
            verdict = f" (target ≤ {target:g}×: {'met' if ratio <= target else 'MISSED'})" if target else ""
            print(f"worst at {size}: {name} at {ratio:.2f}× the baseline{verdict}")
            if size == "L" or size == sizes[-1]:
                worst[kind] = ratio
                load_database = load_database or url
    if load_database and args.load_seconds:
        load = load_run(load_database, args.load_seconds)
        baseline = load["baseline (fortunes)"]
        print(f"\nload: gunicorn 2 sync workers, wrk 2 threads × 8 connections, {args.load_seconds} s each")
        print(f"{'page':<24} {'req/s':>8} {'p95 ms':>8} {'errors':>7} {'rps ratio':>10} {'p95 ratio':>10}")
        for name, row in load.items():
            print(
                f"{name:<24} {row['rps']:>8.1f} {row['p95_ms']:>8.1f} {row['errors']:>7} "
                f"{row['rps'] / baseline['rps']:>10.2f} {row['p95_ms'] / baseline['p95_ms']:>10.2f}"
            )
    print(f"bench: worst page/baseline ratio at L = {max(worst.values()):.2f}")


if __name__ == "__main__":
    main()
