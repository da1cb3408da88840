"""Page speed against the stack's own limit, at the S and L scale sizes, in one run.

For each database (SQLite; PostgreSQL too when DATABASE_URL is set) and each size, a fresh
database is seeded with `seed_scale` (kept under /tmp between runs, keyed by size and seed; each
run works on a copy, as the write partials change what they touch) and
every page is measured in-process with Django's test client: queries, response bytes, median
and p95 server time over many repetitions, and the ratio to the baseline, a "fortunes" page
(one query for 12 rows, a small template) served by the same stack in the same process. Pages
are measured as built from the database (the server's page copies off: what a page costs after
a write elsewhere, with the rows it shows remembered, platformhub/fragments.py), as built cold
(no rows remembered either: after a restart, or when every row changed), and GET pages again as
copies (asked again with nothing changed); the ratios and targets use the built figures.

Then a load run: gunicorn (2 sync workers) on loopback under wrk, for the dashboard, the roadmap
and the baseline at L, then signed webhooks while the dashboard is under load; it prints
requests/s, p95 and p99 for each and the ratios to the baseline, with page copies on and off.

The last line is `bench: worst page/baseline ratio at L = <x>`.

Usage: uv run python benchmarks/bench.py [--sizes S,L] [--repeat 40] [--load-seconds 10]
"""

import argparse
import contextlib
import hashlib
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
    # Seeded data is dated around today, and made by platformhub/scale.py as it is now.
    stamp = time.strftime("%Y%m%d") + "_" + hashlib.sha256((ROOT / "platformhub/scale.py").read_bytes()).hexdigest()[:8]
    if kind == "sqlite":
        path = CACHE / f"{size}-seed{seed}-{stamp}.sqlite3"
        url = f"sqlite:///{path}"
        if path.exists():
            manage(url, "migrate", "--no-input", "-v0")  # migrations added since it was seeded
            return url
        for old in CACHE.glob(f"{size}-seed{seed}-*.sqlite3"):
            remove_sqlite(old)
        building = path.with_suffix(".building")
        remove_sqlite(building)
        build_url = f"sqlite:///{building}"
        manage(build_url, "migrate", "--no-input", "-v0")
        manage(build_url, "seed_scale", "--size", size, "--seed", str(seed))
        copy_sqlite(building, path)
        remove_sqlite(building)
        return url
    import psycopg

    server = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    name = f"platformhub_bench_{size.lower()}_{seed}_{stamp}"
    url = f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            manage(url, "migrate", "--no-input", "-v0")
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


def working_copy(kind: str, size: str, seeded_url: str) -> str:
    """A copy of the seeded database for this run: the write partials and the webhooks change what
    they touch (the KR page gains a check-in a request), so each run starts from the same data."""
    if kind == "sqlite":
        copy = CACHE / f"run-{size}.sqlite3"
        copy_sqlite(Path(seeded_url.removeprefix("sqlite:///")), copy)
        return f"sqlite:///{copy}"
    import psycopg

    server, seeded = seeded_url.rsplit("/", 1)
    copy = f"platformhub_bench_run_{size.lower()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{seeded}"')
    return f"{server}/{copy}"


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy a SQLite database with SQLite's backup, which reads the rows still in its write-ahead
    log (settings: journal_mode=WAL); a copy of the file alone could miss them, and a log left
    beside an older copy would be replayed onto the new one."""
    import sqlite3

    remove_sqlite(target)
    with contextlib.closing(sqlite3.connect(source)) as reading, contextlib.closing(sqlite3.connect(target)) as writing:
        reading.backup(writing)


def remove_sqlite(path: Path) -> None:
    """A SQLite database with its write-ahead log and shared-memory index."""
    for part in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        part.unlink(missing_ok=True)


# In-process measurement (run in a child process per database, with Django set up for it)


def measure(repeat: int) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platformhub.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client, override_settings

    from platformhub.benchmark_pages import BASELINE, benchmark_pages
    from platformhub.fragments import forget_rendered_rows

    lead, viewer = Client(), Client()
    lead.force_login(User.objects.get(username="scale-lead"))
    viewer.force_login(User.objects.get(username="scale-viewer"))
    pages = benchmark_pages(lead=lead, viewer=viewer)
    no_copies = override_settings(
        CACHES={**settings.CACHES, "pages": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    )
    results = {}
    for name, page in pages.items():
        with no_copies:
            results[name] = timed(page, repeat)
            cold = timed(page, repeat, before_each=forget_rendered_rows)
        results[name]["cold_median_ms"] = cold["median_ms"]
        if page.method == "get" and name != BASELINE:
            copy = timed(page, repeat)  # the same page again, nothing changed: the server's copy
            results[name] |= {"copy_queries": copy["queries"], "copy_median_ms": copy["median_ms"]}
    results["dashboard, unchanged (304)"] = measure_not_modified(pages["dashboard"], repeat)
    return results


def timed(page, repeat: int, before_each=None) -> dict:
    """Queries and bytes of one request, then the median and p95 of `repeat` more (after 3 to warm
    up), each after `before_each()` (untimed) if given."""

    def request():
        payload = page.payload()
        if before_each is not None:
            before_each()
        started = time.perf_counter()
        response = page.send(payload)
        return time.perf_counter() - started, response

    for _ in range(3):
        request()
    payload = page.payload()
    with counting_queries() as queries:
        response = page.send(payload)
    if response.status_code >= 400:
        raise SystemExit(f"{page.url} answered {response.status_code}")
    timings = sorted(request()[0] * 1000 for _ in range(repeat))
    return {
        "url": page.url,
        "status": response.status_code,
        "queries": len(queries),
        "bytes": len(response.content),
        "median_ms": statistics.median(timings),
        "p95_ms": timings[max(0, round(len(timings) * 0.95) - 1)],
    }


@contextlib.contextmanager
def counting_queries():
    """The SQL statements run inside the block (an execute wrapper: it needs no DEBUG)."""
    from django.db import connection

    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield queries


def measure_not_modified(page, repeat: int) -> dict:
    """The dashboard asked for again with the ETag it answered: 304, and how many queries."""
    etag = page.send(None).headers.get("ETag")
    if etag is None:
        raise SystemExit(f"{page.url} answered without an ETag")
    headers = {**page.headers, "HTTP_IF_NONE_MATCH": etag}

    def request():
        started = time.perf_counter()
        response = page.client.get(page.url, **headers)
        return time.perf_counter() - started, response

    with counting_queries() as queries:
        _, response = request()
    if response.status_code != 304:
        raise SystemExit(f"{page.url} with its own ETag answered {response.status_code}, not 304")
    timings = sorted(request()[0] * 1000 for _ in range(repeat))
    return {
        "url": page.url,
        "status": 304,
        "queries": len(queries),
        "bytes": len(response.content),
        "median_ms": statistics.median(timings),
        "p95_ms": timings[max(0, round(len(timings) * 0.95) - 1)],
    }


# Load run


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def session_cookie(database_url: str, username: str) -> str:
    script = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'platformhub.settings'); django.setup();"
        "from django.test import Client; from django.contrib.auth.models import User;"
        f"c = Client(); c.force_login(User.objects.get(username='{username}')); c.get('/');"
        "print(f\"sessionid={c.cookies['sessionid'].value}; csrftoken={c.cookies['csrftoken'].value}\")"
    )
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=base_env(database_url), check=True, capture_output=True, text=True
    ).stdout.strip()


def wrk(url: str, cookie: str, seconds: int, connections: int = 8) -> dict:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"Cookie: {cookie}", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = _wrk_latency(re.search(r"99%\s+([\d.]+\w+)", output).group(1))
    p90 = _wrk_latency(re.search(r"90%\s+([\d.]+\w+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    # wrk reports the 50/75/90/99th percentiles; p95 is taken halfway between the 90th and 99th.
    return {"rps": rate, "p95_ms": (p90 + p99) / 2, "p99_ms": p99, "errors": int(non_2xx.group(1)) if non_2xx else 0}


WEBHOOK_SCRIPT = """
local body = io.open(os.getenv("BENCH_WEBHOOK_BODY")):read("*a")
local run = os.getenv("BENCH_RUN")
local threads, sent = 0, 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function request()
  sent = sent + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-GitHub-Event"] = "issues",
    ["X-Hub-Signature-256"] = os.getenv("BENCH_SIGNATURE"),
    ["X-GitHub-Delivery"] = run .. "-" .. id .. "-" .. sent,
  }
  return wrk.format("POST", nil, headers, body)
end
"""


def webhook_under_load(base: str, cookie: str, seconds: int) -> dict:
    """Signed `issues.labeled` deliveries (4 connections), each with its own delivery id, while
    4 more connections load the dashboard: how fast the webhook is acknowledged (202, work queued)."""
    import uuid

    sys.path.insert(0, str(ROOT))
    from integrations.webhooks import sign

    body = (ROOT / "tests/integrations/payloads/issues.labeled.payload.json").read_bytes()
    workdir = Path(tempfile.mkdtemp(prefix="platformhub-bench-"))
    (workdir / "body.json").write_bytes(body)
    (workdir / "webhook.lua").write_text(WEBHOOK_SCRIPT)
    env = {
        **os.environ,
        "BENCH_WEBHOOK_BODY": str(workdir / "body.json"),
        "BENCH_SIGNATURE": sign(secret=base_env("")["GITHUB_WEBHOOK_SECRET"], body=body),
        "BENCH_RUN": uuid.uuid4().hex[:12],
    }
    page_load = subprocess.Popen(
        ["wrk", "-t1", "-c4", f"-d{seconds}s", "-H", f"Cookie: {cookie}", base + "/"],
        stdout=subprocess.DEVNULL,
    )
    try:
        output = subprocess.run(
            ["wrk", "-t2", "-c4", f"-d{seconds}s", "--latency", "-s", str(workdir / "webhook.lua"),
             base + "/integrations/github/webhook"],
            check=True, capture_output=True, text=True, env=env,
        ).stdout  # fmt: skip
    finally:
        page_load.wait()
        shutil.rmtree(workdir)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    p90 = _wrk_latency(re.search(r"90%\s+([\d.]+\w+)", output).group(1))
    p99 = _wrk_latency(re.search(r"99%\s+([\d.]+\w+)", output).group(1))
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p95_ms": (p90 + p99) / 2,
        "p99_ms": p99,
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def _wrk_latency(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def load_run(database_url: str, seconds: int, *, copies: bool) -> dict:
    """As a browser would (session and CSRF cookies), with the server's page copies on or off."""
    if shutil.which("wrk") is None:
        raise SystemExit("The load run needs wrk: apt-get install -y wrk")
    port = free_port()
    env = base_env(database_url) | ({} if copies else {"CACHE_URL": "dummycache://"})
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "platformhub.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
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
        results = {name: wrk(base + path, cookie, seconds) for name, path in targets.items()}
        results["webhook (with dashboard load)"] = webhook_under_load(base, cookie, seconds)
        return results
    finally:
        server.terminate()
        server.wait(timeout=10)


def print_table(title: str, results: dict) -> None:
    """Built: the page made from the database (copies off, rows remembered). Cold: the same with no
    rows remembered. Copy: the same page asked again with nothing changed, answered from the
    server's copy (GET pages only)."""
    baseline = results["baseline (fortunes)"]["median_ms"]
    print(f"\n{title}")
    print(
        f"{'page':<28} {'queries':>7} {'bytes':>8} {'built ms':>9} {'p95 ms':>8} {'× base':>7}"
        f" {'cold ms':>8} {'× base':>7} {'copy q':>7} {'copy ms':>8} {'× base':>7}"
    )
    for name, row in results.items():
        copy = ""
        if "copy_median_ms" in row:
            copy = f" {row['copy_queries']:>7} {row['copy_median_ms']:>8.2f} {row['copy_median_ms'] / baseline:>7.2f}"
        cold = (
            f" {row['cold_median_ms']:>8.2f} {row['cold_median_ms'] / baseline:>7.2f}"
            if "cold_median_ms" in row
            else ""
        )
        print(
            f"{name:<28} {row['queries']:>7} {row['bytes']:>8} {row['median_ms']:>9.2f} "
            f"{row['p95_ms']:>8.2f} {row['median_ms'] / baseline:>7.2f}{cold}{copy}"
        )


PAGE_LIMIT = 100 * 1024
PARTIAL_LIMIT = 10 * 1024
OWN_JS_LIMIT = 10_000


def own_javascript_gzipped() -> int:
    """The project's own scripts (htmx ships with django-htmx and is not counted), gzipped."""
    import gzip

    return sum(len(gzip.compress(path.read_bytes(), 9)) for path in sorted((ROOT / "static/js").glob("*.js")))


def size_problems(results: dict) -> list[str]:
    problems = []
    for name, row in results.items():
        limit = PARTIAL_LIMIT if name.startswith("partial") else PAGE_LIMIT
        if row["bytes"] > limit:
            problems.append(f"{name} is {row['bytes'] / 1024:.0f} KiB (limit {limit // 1024} KiB)")
    return problems


def print_load(load: dict, seconds: int, *, copies: bool) -> list[str]:
    """The load table, and the targets it misses."""
    label = "page copies on" if copies else "page copies off (every page built)"
    baseline = load["baseline (fortunes)"]
    print(f"\nload, {label}: gunicorn 2 sync workers, wrk 8 connections, {seconds} s each")
    print(f"{'page':<30} {'req/s':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} {'rps ratio':>10} {'p95 ratio':>10}")
    for name, row in load.items():
        print(
            f"{name:<30} {row['rps']:>8.1f} {row['p95_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['errors']:>7} "
            f"{row['rps'] / baseline['rps']:>10.2f} {row['p95_ms'] / baseline['p95_ms']:>10.2f}"
        )
    findings = []
    for name in ("dashboard", "roadmap (all teams)"):
        row = load[name]
        if row["rps"] < 0.5 * baseline["rps"] or row["p95_ms"] > 2 * baseline["p95_ms"]:
            findings.append(
                f"load ({label}): {name} at {row['rps'] / baseline['rps']:.0%} of the baseline's rate, "
                f"p95 {row['p95_ms'] / baseline['p95_ms']:.1f}× (targets ≥ 50%, ≤ 2×)"
            )
    webhook = load["webhook (with dashboard load)"]
    if webhook["p99_ms"] > 100 or webhook["errors"]:
        findings.append(
            f"load ({label}): webhook p99 {webhook['p99_ms']:.0f} ms, {webhook['errors']} errors (target ≤ 100 ms)"
        )
    return findings


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
    worst, worst_cold = {}, {}
    findings = []
    load_database = None
    manage("sqlite://:memory:", "collectstatic", "--no-input", "-v0")
    for kind in kinds:
        counts = {}
        for size in sizes:
            started = time.monotonic()
            url = working_copy(kind, size, prepared_database(kind, size, args.seed))
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
            results = json.loads(child.stdout.strip().splitlines()[-1])
            print_table(f"{kind}, size {size} (database ready in {prepared:.0f} s)", results)
            counts[size] = {name: row["queries"] for name, row in results.items()}
            findings += [f"{kind} {size}: {problem}" for problem in size_problems(results)]
            not_modified = results["dashboard, unchanged (304)"]["queries"]
            if not_modified > 2:
                findings.append(f"{kind} {size}: the unchanged dashboard took {not_modified} queries (target ≤ 2)")
            baseline = results["baseline (fortunes)"]["median_ms"]
            ratios = {name: row["median_ms"] / baseline for name, row in results.items() if "baseline" not in name}
            name, ratio = max(ratios.items(), key=lambda item: item[1])
            target = PAGE_TARGETS.get(size)
            verdict = f" (target ≤ {target:g}×: {'met' if ratio <= target else 'MISSED'})" if target else ""
            print(f"worst at {size}: {name} at {ratio:.2f}× the baseline{verdict}")
            copies = {
                name: row["copy_median_ms"] / baseline for name, row in results.items() if "copy_median_ms" in row
            }
            copy_name, copy_ratio = max(copies.items(), key=lambda item: item[1])
            print(f"worst copy at {size}: {copy_name} at {copy_ratio:.2f}× the baseline")
            colds = {name: row["cold_median_ms"] / baseline for name, row in results.items() if "cold_median_ms" in row}
            cold_name, cold_ratio = max(colds.items(), key=lambda item: item[1])
            print(f"worst cold at {size}: {cold_name} at {cold_ratio:.2f}× the baseline")
            if target and ratio > target:
                findings += [
                    f"{kind} {size}: {page} at {page_ratio:.1f}× the baseline (target ≤ {target:g}×)"
                    for page, page_ratio in ratios.items()
                    if page_ratio > target
                ]
            if size == "L" or size == sizes[-1]:
                worst[kind] = ratio
                worst_cold[kind] = cold_ratio
                load_database = load_database or url
        first, *others = counts.values()
        for size, other in zip(sizes[1:], others, strict=True):
            differ = [f"{name} ({first[name]} → {other[name]})" for name in first if first[name] != other.get(name)]
            if differ:
                findings.append(f"{kind}: queries differ between {sizes[0]} and {size}: {', '.join(differ)}")
    javascript = own_javascript_gzipped()
    print(f"\nthe project's own JavaScript: {javascript:,} bytes gzipped (target ≤ {OWN_JS_LIMIT:,})")
    if javascript > OWN_JS_LIMIT:
        findings.append(f"own JavaScript is {javascript:,} bytes gzipped")
    if load_database and args.load_seconds:
        for copies in (True, False):
            load = load_run(load_database, args.load_seconds, copies=copies)
            findings += print_load(load, args.load_seconds, copies=copies)
    print("\ntargets missed:" if findings else "\nevery target met")
    for finding in findings:
        print(f"  - {finding}")
    print(f"bench: worst page/baseline ratio at L, built cold = {max(worst_cold.values()):.2f}")
    print(f"bench: worst page/baseline ratio at L = {max(worst.values()):.2f}")


if __name__ == "__main__":
    main()
