"""Page speed against the stack's own limit, at the S and L scale sizes, in one run.

For each database (SQLite; PostgreSQL too when DATABASE_URL is set) and each size, a fresh
database is seeded with `seed_scale` (kept under /tmp between runs, keyed by size and seed; each
run works on a copy, as the write partials change what they touch) and
every page is measured in-process with Django's test client: queries, response bytes, median
and p95 server time over many repetitions, and the ratio to the baseline, a "fortunes" page
(one query for 12 rows, a small template) served by the same stack in the same process and timed
in turn with each page, request by request (and, for comparison, in a block of its own). Pages
are measured as built from the database (the server's page copies off: what a page costs after
a write elsewhere, with the rows it shows remembered, platformhub/fragments.py), as built cold
(no rows remembered either: after a restart, or when every row changed), and GET pages again as
copies (asked again with nothing changed); the ratios and targets use the built figures.

Then a load run: gunicorn (2 sync workers) on loopback under wrk, for the dashboard, the roadmap
and the baseline at L, taken in turns in rotation, then signed webhooks while the dashboard is
under load; it prints requests/s, p95 and p99 (read from every latency wrk recorded) for each and
the ratios to the baseline, with page copies on and off.

The last line is `bench: worst page/baseline ratio at L = <x>`.

Usage: uv run python benchmarks/bench.py [--sizes S,L] [--repeat 40] [--load-seconds 10]
       [--load-rounds 5]
"""

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "baseline (fortunes)"  # as platformhub/benchmark_pages.py names it
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

    from platformhub.benchmark_pages import benchmark_pages
    from platformhub.fragments import forget_rendered_rows

    lead, viewer = Client(), Client()
    lead.force_login(User.objects.get(username="scale-lead"))
    viewer.force_login(User.objects.get(username="scale-viewer"))
    pages = benchmark_pages(lead=lead, viewer=viewer)
    baseline = pages[BASELINE]
    no_copies = override_settings(
        CACHES={**settings.CACHES, "pages": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    )
    results = {}
    for name, page in pages.items():
        if name == BASELINE:
            results[name] = timed(page, repeat)
            continue
        with no_copies:
            results[name] = timed(page, repeat, baseline=baseline)
            cold = timed(page, repeat, baseline=baseline, before_each=forget_rendered_rows)
        results[name] |= {"cold_median_ms": cold["median_ms"], "cold_base_ms": cold["base_ms"]}
        if page.method == "get":
            copy = timed(page, repeat, baseline=baseline)  # the same page again, nothing changed: the server's copy
            results[name] |= {
                "copy_queries": copy["queries"],
                "copy_median_ms": copy["median_ms"],
                "copy_base_ms": copy["base_ms"],
            }
    results["dashboard, unchanged (304)"] = measure_not_modified(pages["dashboard"], repeat)
    return results


def timed(page, repeat: int, *, baseline=None, before_each=None) -> dict:
    """Queries and bytes of one request, then the median and p95 of `repeat` more (after 3 to warm
    up), each after `before_each()` (untimed) if given.

    With `baseline`, each timed request is paired with one of the baseline page, in turn first and
    second, and `base_ms` is the baseline's median over those pairs: this machine's speed drifts
    from minute to minute, and a ratio of two medians timed in the same seconds does not drift
    with it (the table also gives the ratio to the baseline's own block, timed before every page)."""

    def request(page, before_each=None):
        payload = page.payload()
        if before_each is not None:
            before_each()
        started = time.perf_counter()
        response = page.send(payload)
        return (time.perf_counter() - started) * 1000, response

    for _ in range(3):
        request(page, before_each)
    payload = page.payload()
    with counting_queries() as queries:
        response = page.send(payload)
    if response.status_code >= 400:
        raise SystemExit(f"{page.url} answered {response.status_code}")
    timings, base_timings = [], []
    for index in range(repeat):
        if baseline is not None and index % 2 == 0:
            base_timings.append(request(baseline)[0])
        timings.append(request(page, before_each)[0])
        if baseline is not None and index % 2 == 1:
            base_timings.append(request(baseline)[0])
    row = {
        "url": page.url,
        "status": response.status_code,
        "queries": len(queries),
        "bytes": len(response.content),
        "median_ms": statistics.median(timings),
        "p95_ms": _p95(timings),
    }
    if base_timings:
        row["base_ms"] = statistics.median(base_timings)
    return row


def _p95(timings: list[float]) -> float:
    ordered = sorted(timings)
    return ordered[max(0, round(len(ordered) * 0.95) - 1)]


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
    timings = [request()[0] * 1000 for _ in range(repeat)]
    return {
        "url": page.url,
        "status": 304,
        "queries": len(queries),
        "bytes": len(response.content),
        "median_ms": statistics.median(timings),
        "p95_ms": _p95(timings),
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


# Appended to every wrk run: what it counted, and every latency it recorded (microseconds, with how
# many requests took it), so that runs can be added up and percentiles read exactly.
LATENCY_SCRIPT = """
function done(summary, latency, requests)
  local out = io.open(os.getenv("BENCH_LATENCY_FILE"), "w")
  out:write(summary.requests, " ", summary.duration, " ", summary.errors.status + summary.errors.timeout, "\\n")
  for i = 1, #latency do
    local value, count = latency(i)
    out:write(value, " ", count, "\\n")
  end
  out:close()
end
"""


@dataclass
class LoadSample:
    """What wrk counted in one or more runs: requests, seconds, errors (non-2xx/3xx answers and
    timeouts), and each latency in microseconds with how many requests took it."""

    requests: int = 0
    seconds: float = 0.0
    errors: int = 0
    latencies: Counter = field(default_factory=Counter)

    def __add__(self, other: "LoadSample") -> "LoadSample":
        return LoadSample(
            self.requests + other.requests,
            self.seconds + other.seconds,
            self.errors + other.errors,
            self.latencies + other.latencies,
        )

    def percentile_ms(self, percent: float) -> float:
        wanted = self.latencies.total() * percent / 100
        seen = 0
        for microseconds in sorted(self.latencies):
            seen += self.latencies[microseconds]
            if seen >= wanted:
                return microseconds / 1000
        return 0.0

    def row(self) -> dict:
        return {
            "rps": self.requests / self.seconds,
            "p95_ms": self.percentile_ms(95),
            "p99_ms": self.percentile_ms(99),
            "errors": self.errors,
        }


def wrk(
    url: str, *, cookie: str = "", seconds: int, connections: int = 8, threads: int = 2, script: str = "", env=None
) -> LoadSample:
    """One wrk run against `url`, as the reader of `cookie` if given (`script`: Lua of the requests
    to send, else GETs of `url`)."""
    with tempfile.TemporaryDirectory(prefix="platformhub-bench-") as workdir:
        script_path, latency_path = Path(workdir, "run.lua"), Path(workdir, "latency")
        script_path.write_text(script + LATENCY_SCRIPT)
        headers = ["-H", f"Cookie: {cookie}"] if cookie else []
        subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", *headers, "-s", str(script_path), url],
            check=True, capture_output=True, env={**(env or os.environ), "BENCH_LATENCY_FILE": str(latency_path)},
        )  # fmt: skip
        (requests, duration, errors), *latencies = (line.split() for line in latency_path.read_text().splitlines())
    return LoadSample(
        requests=int(requests),
        seconds=int(duration) / 1_000_000,
        errors=int(errors),
        latencies=Counter({int(value): int(count) for value, count in latencies}),
    )


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
    with tempfile.NamedTemporaryFile(suffix=".json") as body_file:
        body_file.write(body)
        body_file.flush()
        env = {
            **os.environ,
            "BENCH_WEBHOOK_BODY": body_file.name,
            "BENCH_SIGNATURE": sign(secret=base_env("")["GITHUB_WEBHOOK_SECRET"], body=body),
            "BENCH_RUN": uuid.uuid4().hex[:12],
        }
        page_load = subprocess.Popen(
            ["wrk", "-t1", "-c4", f"-d{seconds}s", "-H", f"Cookie: {cookie}", base + "/"], stdout=subprocess.DEVNULL
        )
        try:
            deliveries = wrk(
                base + "/integrations/github/webhook",
                seconds=seconds,
                connections=4,
                script=WEBHOOK_SCRIPT,
                env=env,
            )
        finally:
            page_load.wait()
    return deliveries.row()


def load_run(database_url: str, seconds: int, *, copies: bool, rounds: int) -> dict:
    """As a browser would (session and CSRF cookies), with the server's page copies on or off.

    Each page is loaded for `seconds` in all, in `rounds` turns taken in rotation with the others
    (baseline, dashboard, roadmap; then dashboard, roadmap, baseline; …), and its turns are added
    up: this machine's speed drifts from minute to minute, and pages loaded one after the other
    for their whole time would each meet a different machine."""
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
        targets = {BASELINE: "/bench/fortunes/", "dashboard": "/", "roadmap (all teams)": "/roadmap/"}
        for path in targets.values():  # warm both workers
            wrk(base + path, cookie=cookie, seconds=1, connections=2)
        loaded = dict.fromkeys(targets, LoadSample())
        names = list(targets)
        for turn in range(rounds):
            for name in names[turn % len(names) :] + names[: turn % len(names)]:
                loaded[name] += wrk(base + targets[name], cookie=cookie, seconds=max(1, round(seconds / rounds)))
        results = {name: sample.row() for name, sample in loaded.items()}
        results["webhook (with dashboard load)"] = webhook_under_load(base, cookie, seconds)
        return results
    finally:
        server.terminate()
        server.wait(timeout=10)


def print_table(title: str, results: dict) -> None:
    """Built: the page made from the database (copies off, rows remembered). Cold: the same with no
    rows remembered. Copy: the same page asked again with nothing changed, answered from the
    server's copy (GET pages only). Each "× base" is against the baseline timed in turn with that
    page; "× block" against the baseline's own block, timed first."""
    block = results[BASELINE]["median_ms"]
    print(f"\n{title}")
    print(
        f"{'page':<28} {'queries':>7} {'bytes':>8} {'built ms':>9} {'p95 ms':>8} {'base ms':>8} {'× base':>7}"
        f" {'× block':>8} {'cold ms':>8} {'× base':>7} {'copy q':>7} {'copy ms':>8} {'× base':>7}"
    )
    for name, row in results.items():
        built = f" {row['base_ms']:>8.2f} {ratio(row, results):>7.2f}" if "base_ms" in row else f" {'':>8} {'':>7}"
        cold = (
            f" {row['cold_median_ms']:>8.2f} {ratio(row, results, 'cold'):>7.2f}"
            if "cold_median_ms" in row
            else f" {'':>8} {'':>7}"
        )
        copy = ""
        if "copy_median_ms" in row:
            copy = f" {row['copy_queries']:>7} {row['copy_median_ms']:>8.2f} {ratio(row, results, 'copy'):>7.2f}"
        print(
            f"{name:<28} {row['queries']:>7} {row['bytes']:>8} {row['median_ms']:>9.2f} "
            f"{row['p95_ms']:>8.2f}{built} {row['median_ms'] / block:>8.2f}{cold}{copy}"
        )


def ratio(row: dict, results: dict, kind: str = "") -> float:
    """A page's median over the baseline's, timed in turn with it (`kind`: "", "cold" or "copy");
    over the baseline's own block where there was no baseline in turn (the 304)."""
    prefix = f"{kind}_" if kind else ""
    base = row.get(f"{prefix}base_ms", results[BASELINE]["median_ms"])
    return row[f"{prefix}median_ms"] / base


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


def print_load(load: dict, seconds: int, *, copies: bool, rounds: int) -> list[str]:
    """The load table, and the targets it misses."""
    label = "page copies on" if copies else "page copies off (every page built)"
    baseline = load[BASELINE]
    print(
        f"\nload, {label}: gunicorn 2 sync workers, wrk 8 connections, {seconds} s a page in {rounds} turns"
        " taken in rotation (the webhook: one run)"
    )
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
    parser.add_argument("--load-rounds", type=int, default=5, help="turns each page's load time is split into")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.repeat)))
        return

    sizes = args.sizes.split(",")
    kinds = ["sqlite"] + (["postgresql"] if os.environ.get("DATABASE_URL", "").startswith("postgres") else [])
    print(f"bench: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {args.repeat} repetitions per page")
    worst, worst_block, worst_cold = {}, {}, {}
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
            ratios = {name: ratio(row, results) for name, row in results.items() if name != BASELINE}
            name, worst_ratio = max(ratios.items(), key=lambda item: item[1])
            target = PAGE_TARGETS.get(size)
            verdict = f" (target ≤ {target:g}×: {'met' if worst_ratio <= target else 'MISSED'})" if target else ""
            print(f"worst at {size}: {name} at {worst_ratio:.2f}× the baseline timed in turn with it{verdict}")
            block = results[BASELINE]["median_ms"]
            blocks = {name: row["median_ms"] / block for name, row in results.items() if name != BASELINE}
            block_name, block_ratio = max(blocks.items(), key=lambda item: item[1])
            print(f"worst at {size} against the baseline's own block: {block_name} at {block_ratio:.2f}×")
            copies = {name: ratio(row, results, "copy") for name, row in results.items() if "copy_median_ms" in row}
            copy_name, copy_ratio = max(copies.items(), key=lambda item: item[1])
            print(f"worst copy at {size}: {copy_name} at {copy_ratio:.2f}× the baseline")
            colds = {name: ratio(row, results, "cold") for name, row in results.items() if "cold_median_ms" in row}
            cold_name, cold_ratio = max(colds.items(), key=lambda item: item[1])
            print(f"worst cold at {size}: {cold_name} at {cold_ratio:.2f}× the baseline")
            if target and worst_ratio > target:
                findings += [
                    f"{kind} {size}: {page} at {page_ratio:.1f}× the baseline (target ≤ {target:g}×)"
                    for page, page_ratio in ratios.items()
                    if page_ratio > target
                ]
            if size == "L" or size == sizes[-1]:
                worst[kind] = worst_ratio
                worst_block[kind] = block_ratio
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
            load = load_run(load_database, args.load_seconds, copies=copies, rounds=args.load_rounds)
            findings += print_load(load, args.load_seconds, copies=copies, rounds=args.load_rounds)
    print("\ntargets missed:" if findings else "\nevery target met")
    for finding in findings:
        print(f"  - {finding}")
    print(f"bench: worst page/baseline ratio at L, built cold = {max(worst_cold.values()):.2f}")
    print(f"bench: worst page/baseline ratio at L, against the baseline's own block = {max(worst_block.values()):.2f}")
    print(f"bench: worst page/baseline ratio at L = {max(worst.values()):.2f}")


if __name__ == "__main__":
    main()
