"""Soak test: several people using PlatformHub at once on loopback, then a check that every write is there.

Sets up a fresh database (migrate, load_demo, one log-in per simulated person as a lead or
engineer of the Platform team, collectstatic), starts gunicorn with the production settings
(DEBUG off, whitenoise, secure cookies) and the task worker (`manage.py worker`, or django-tasks-db's
`db_worker` where the project has no `worker` command), and drives them with locust
(benchmarks/soak_locustfile.py): every user logs in through the real form and then reads pages
(dashboard, team page, team OKRs, KR detail, roadmaps, board, meetings), checks in on key
results, moves cards on the board and sends signed GitHub `issues` webhooks. Afterwards it
waits for the worker to empty the queue and checks in the database that every write the server
acknowledged is stored exactly once (check-ins by their unique note, card moves in CardMove,
webhook deliveries stored and processed), prints requests, errors by status and p50/p95/p99
per request type, and exits non-zero on any 5xx, unanswered request or lost write.

Usage:
    uv run --frozen python benchmarks/soak.py --duration 120 --users 8
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/platformhub_soak uv run --frozen python benchmarks/soak.py
A PostgreSQL database is created by the script and dropped at the end (it must not exist yet);
without DATABASE_URL or --database-url a SQLite file in a temporary directory is used.
The last line is machine-readable: `soak: requests=N ... errors_5xx=0 lost_writes=0 p95_ms=X`.
"""

import argparse
import bisect
import contextlib
import datetime
import io
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LOCUSTFILE = ROOT / "benchmarks" / "soak_locustfile.py"
PAYLOADS = ROOT / "tests" / "integrations" / "payloads"
PERIOD = (2022, 4)  # the demo's quarter
EXPECTED = {"POST card move": {302, 409}, "POST check-in": {302, 409}, "POST login": {302}, "POST webhook": {202}}
CLOCK_SLACK = 1.0  # seconds of tolerance when matching a move to the request that made it
LOG_PROBLEMS = ("Traceback", "database is locked", "WORKER TIMEOUT", "deadlock detected", "Internal Server Error")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=120, help="seconds of load (default 120)")
    parser.add_argument("--users", type=int, default=8, help="concurrent locust users (default 8)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="a database that does not exist yet: created, used and dropped (default: $DATABASE_URL, "
        "else a SQLite file in a temporary directory)",
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker; >1 uses gthread")
    parser.add_argument("--wait-min", type=float, default=0.1, help="shortest think time between tasks, s")
    parser.add_argument("--wait-max", type=float, default=0.5, help="longest think time between tasks, s")
    parser.add_argument("--drain-timeout", type=int, default=180, help="seconds to wait for the task queue")
    parser.add_argument(
        "--fail-on-stale-moves",
        action="store_true",
        help="also fail when a card move was recorded from a column the card had already left "
        "(two people moved the same card at once and neither got a 409)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs) and the database")
    return parser.parse_args()


class Processes:
    """The servers and the load generator, each in its own process group so all of it can be stopped."""

    def __init__(self):
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], *, env: dict, log: Path) -> subprocess.Popen:
        with log.open("ab") as out:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.running[name] = process
        return process

    def stop(self, name: str, *, timeout: float = 20) -> None:
        process = self.running.pop(name, None)
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop_all(self) -> None:
        for name in reversed(list(self.running)):
            self.stop(name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# The database


class Database:
    """A fresh database for the run: a SQLite file, or a PostgreSQL database created and dropped here."""

    def __init__(self, url: str | None, workdir: Path):
        self.url = url or f"sqlite:///{workdir / 'soak.sqlite3'}"
        self.parsed = urllib.parse.urlsplit(self.url)
        self.kind = "postgresql" if self.parsed.scheme.startswith("postgres") else self.parsed.scheme
        self.created = False

    @property
    def name(self) -> str:
        return urllib.parse.unquote(self.parsed.path.lstrip("/"))

    def _admin(self):
        import psycopg

        return psycopg.connect(self.parsed._replace(path="/postgres").geturl(), autocommit=True)

    def create(self) -> None:
        if self.kind == "sqlite":
            path = Path(urllib.parse.unquote(self.parsed.path[1:]))  # sqlite:////abs/path or sqlite:///relative
            if path.exists():
                raise SystemExit(f"[soak] {path} exists; the soak needs a fresh database")
            self.created = True
            return
        if self.kind != "postgresql":
            raise SystemExit(f"[soak] unsupported database {self.parsed.scheme}")
        from psycopg import sql

        with self._admin() as admin:
            if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name]).fetchone():
                raise SystemExit(
                    f"[soak] database {self.name} exists; give a fresh name (the soak creates and drops it)"
                )
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        self.created = True

    def drop(self) -> None:
        if not self.created or self.kind != "postgresql":
            return  # the SQLite file goes with the work directory
        from psycopg import sql

        with self._admin() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))
        self.created = False


def server_environment(database: Database, workdir: Path, secret: str) -> dict[str, str]:
    """The production settings, over plain http on loopback."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="platformhub.settings",
        DEBUG="false",
        SECRET_KEY="soak-only-" + secrets.token_urlsafe(40),
        ALLOWED_HOSTS="127.0.0.1",
        CSRF_TRUSTED_ORIGINS="",
        SECURE_SSL_REDIRECT="false",  # no TLS on loopback; secure cookies stay on (the client accepts them)
        BEHIND_TLS_PROXY="false",
        DATABASE_URL=database.url,
        STATIC_ROOT=str(workdir / "static"),
        GITHUB_WEBHOOK_SECRET=secret,
        GITHUB_API_URL="http://127.0.0.1:9",  # nothing listens: no task may reach the real GitHub
        GITHUB_TOKEN="",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def set_up(users: int, run_id: str, secret: str) -> tuple[dict, dict]:
    """Migrate, load the demo, add the soak's people; return the locust config and the baseline."""
    import django

    django.setup()
    from django.core.management import call_command

    from integrations.demo import ISSUES, REPO
    from integrations.models import WebhookDelivery
    from integrations.services import ISSUE_ACTIONS
    from okrs.models import CheckIn, KeyResult
    from platformhub.models import Membership, Team
    from platformhub.services import membership_add, person_create
    from sprints.models import Card, CardMove, MeetingSeries

    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_demo", stdout=io.StringIO())
    call_command("collectstatic", interactive=False, verbosity=0)

    platform = Team.objects.get(slug="platform")
    sub_teams = list(Team.objects.filter(parent=platform).order_by("slug"))
    accounts = []
    for number in range(1, users + 1):
        is_lead = number % 3 == 1  # 1, 4, 7…: leads; the others engineers
        role = Membership.Role.LEAD if is_lead else Membership.Role.ENGINEER
        username = f"soak-{'lead' if is_lead else 'engineer'}-{number}"
        password = secrets.token_urlsafe(16)
        person = person_create(username=username, display_name=f"Soak {username[5:].title()}", password=password)
        membership_add(person=person, team=platform, role=role)
        if not is_lead and sub_teams:
            membership_add(person=person, team=sub_teams[number % len(sub_teams)], role=Membership.Role.ENGINEER)
        accounts.append({"username": username, "password": password, "person_id": person.pk})

    key_results = KeyResult.objects.filter(
        objective__period__year=PERIOD[0],
        objective__period__quarter=PERIOD[1],
        objective__team__in=[platform, *sub_teams],
    ).order_by("pk")
    payloads = []
    for path in sorted(PAYLOADS.glob("issues.*.payload.json")):
        payload = json.loads(path.read_text())
        if payload.get("action") in ISSUE_ACTIONS:
            payloads.append(payload)
    config = {
        "run_id": run_id,
        "accounts": accounts,
        "team_slugs": [platform.slug, *(team.slug for team in sub_teams)],
        "okr_team": platform.slug,
        "board_team": platform.slug,
        "period": f"{PERIOD[0]}-q{PERIOD[1]}",
        "key_results": [{"id": kr.pk, "kind": kr.kind} for kr in key_results],
        "series": list(MeetingSeries.objects.order_by("pk").values_list("pk", flat=True)),
        "payloads": payloads,
        "issue_repo": REPO,
        # The demo's issues (linked to a KR, so the dashboard reads what the worker writes) and new ones.
        "issue_numbers": [number for number, *_ in ISSUES] + list(range(2001, 2021)),
        "webhook_secret": secret,
    }
    baseline = {
        "check_in": CheckIn.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        "card_move": CardMove.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        "delivery": WebhookDelivery.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        "columns": dict(Card.objects.values_list("pk", "column")),
        "shared_positions": sum(
            count - 1 for count in Counter(Card.objects.values_list("team_id", "column", "order")).values() if count > 1
        ),
    }
    if not config["key_results"] or not config["series"] or not baseline["columns"]:
        raise SystemExit("[soak] the demo data has no key results, meetings or cards to work with")
    return config, baseline


def wait_until_serving(url: str, server: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"[soak] gunicorn exited with {server.returncode}:\n{tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback, our own server)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"[soak] gunicorn did not answer {url} within {timeout:.0f} s:\n{tail(log)}")


def wait_for_queue(timeout: float, worker: subprocess.Popen) -> tuple[int, float]:
    """Wait until the worker has run every queued task; returns (tasks left, seconds waited)."""
    from django.db import close_old_connections
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    started = time.monotonic()
    empty_in_a_row = 0
    while True:
        close_old_connections()
        left = DBTaskResult.objects.filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]).count()
        empty_in_a_row = empty_in_a_row + 1 if left == 0 else 0
        waited = time.monotonic() - started
        if empty_in_a_row >= 2 or waited > timeout or worker.poll() is not None:
            return left, waited
        time.sleep(0.5)


# Checking the writes


def verify(writes: dict, baseline: dict, run_id: str) -> dict:
    """Compare what the server acknowledged with what the database holds."""
    from django.db.models import Count
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from integrations.models import WebhookDelivery
    from okrs.models import CheckIn
    from sprints.models import Card, CardMove

    report: dict = {"problems": [], "notes": []}

    # Check-ins: each acknowledged note exactly once, on its KR, by its author; a 409 stores nothing.
    stored = defaultdict(list)
    for note, kr, author in CheckIn.objects.filter(pk__gt=baseline["check_in"]).values_list(
        "note", "key_result_id", "author_id"
    ):
        stored[note].append((kr, author))
    missing = duplicated = misplaced = 0
    for record in writes["check_ins"]:
        found = stored.get(record["note"], [])
        if not found:
            missing += 1
            report["problems"].append(f"check-in missing: {record}")
        elif len(found) > 1:
            duplicated += 1
            report["problems"].append(f"check-in stored {len(found)} times: {record}")
        elif found[0] != (record["key_result"], record["person"]):
            misplaced += 1
            report["problems"].append(f"check-in stored as {found[0]}: {record}")
    phantom = [record for record in writes["check_in_conflicts"] if record["note"] in stored]
    report["problems"] += [f"check-in answered 409 but stored: {record}" for record in phantom]
    unknown_stored = sum(record["note"] in stored for record in writes["check_ins_unknown"])
    report["check_ins"] = {
        "acknowledged": len(writes["check_ins"]),
        "found": len(writes["check_ins"]) - missing - duplicated - misplaced,
        "missing": missing,
        "duplicated": duplicated,
        "misplaced": misplaced,
        "conflicts_409": len(writes["check_in_conflicts"]),
        "conflicts_stored": len(phantom),
        "unanswered_or_failed": len(writes["check_ins_unknown"]),
        "of_which_stored": unknown_stored,
        "lost": missing + duplicated + misplaced + len(phantom),
        "soak_rows": sum(len(rows) for note, rows in stored.items() if note.startswith(f"soak {run_id} ")),
    }

    # Card moves: each acknowledged move has its CardMove row (card, column, who, when).
    moves = list(
        CardMove.objects.filter(pk__gt=baseline["card_move"])
        .order_by("pk")
        .values("pk", "card_id", "from_column", "to_column", "moved_by_id", "moved_at")
    )
    for move in moves:
        move["at"] = move["moved_at"].timestamp()
    candidates = defaultdict(list)
    for move in moves:
        candidates[(move["card_id"], move["to_column"], move["moved_by_id"])].append(move)
    matched: set[int] = set()

    def match(record: dict) -> dict | None:
        for move in candidates[(record["card"], record["to"], record["person"])]:
            in_window = record["started"] - CLOCK_SLACK <= move["at"] <= record["ended"] + CLOCK_SLACK
            if move["pk"] not in matched and in_window:
                matched.add(move["pk"])
                return move
        return None

    timeline = defaultdict(list)  # card → [(moved at, column after)], in commit order
    for move in moves:
        timeline[move["card_id"]].append((move["at"], move["to_column"]))

    def column_at(card: int, at: float) -> str:
        times = [moved_at for moved_at, _ in timeline[card]]
        index = bisect.bisect_right(times, at)
        return timeline[card][index - 1][1] if index else baseline["columns"][card]

    def already_there(record: dict) -> bool:
        """The card was in the target column while the request ran: the app answers 302 and records nothing."""
        card, start, end = record["card"], record["started"] - CLOCK_SLACK, record["ended"] + CLOCK_SLACK
        if column_at(card, start) == record["to"]:
            return True
        return any(start <= at <= end and column == record["to"] for at, column in timeline[card])

    lost_moves, no_ops = [], []
    for record in sorted(writes["card_moves"], key=lambda record: record["started"]):
        if match(record) is None:
            (no_ops if already_there(record) else lost_moves).append(record)
    report["problems"] += [f"card move acknowledged but not recorded: {record}" for record in lost_moves]
    phantom_moves = [record for record in writes["card_move_conflicts"] if match(record) is not None]
    report["problems"] += [f"card move answered 409 but recorded: {record}" for record in phantom_moves]
    for record in writes["card_moves_unknown"]:
        match(record)
    unexplained = [move for move in moves if move["pk"] not in matched]
    if unexplained:
        report["notes"].append(f"{len(unexplained)} CardMove rows match no acknowledged request, e.g. {unexplained[0]}")
    # Stale moves: a move recorded as leaving a column the card had already left (last writer wins).
    stale, examples = 0, []
    last_column = dict(baseline["columns"])
    for move in moves:
        if move["from_column"] != last_column[move["card_id"]]:
            stale += 1
            examples.append(
                f"card {move['card_id']}: move {move['pk']} {move['from_column']}→{move['to_column']} "
                f"but the previous move left it in {last_column[move['card_id']]}"
            )
        last_column[move["card_id"]] = move["to_column"]
    final = dict(Card.objects.filter(pk__in=last_column).values_list("pk", "column"))
    positions = Counter(Card.objects.values_list("team_id", "column", "order"))
    shared_positions = sum(count - 1 for count in positions.values() if count > 1) - baseline["shared_positions"]
    out_of_step = {card: (column, final.get(card)) for card, column in last_column.items() if final.get(card) != column}
    report["problems"] += [
        f"card {card}: its last recorded move left it in {last} but it is in {now}"
        for card, (last, now) in out_of_step.items()
    ]
    report["card_moves"] = {
        "acknowledged": len(writes["card_moves"]),
        "found": len(writes["card_moves"]) - len(lost_moves) - len(no_ops),
        "already_there": len(no_ops),
        "missing": len(lost_moves),
        "conflicts_409": len(writes["card_move_conflicts"]),
        "conflicts_stored": len(phantom_moves),
        "unanswered_or_failed": len(writes["card_moves_unknown"]),
        "recorded_rows": len(moves),
        "stale_from_column": stale,
        "stale_examples": examples[:3],
        "cards_out_of_step": len(out_of_step),
        "cards_sharing_a_position": shared_positions,
        "lost": len(lost_moves) + len(phantom_moves) + len(out_of_step),
    }

    # Webhooks: each acknowledged delivery stored once and processed without error.
    deliveries = {
        row["delivery_id"]: row
        for row in WebhookDelivery.objects.filter(pk__gt=baseline["delivery"]).values(
            "delivery_id", "processed_at", "error"
        )
    }
    repeated = (
        WebhookDelivery.objects.values("delivery_id").annotate(n=Count("pk")).filter(n__gt=1).values_list("delivery_id")
    )
    missing, unprocessed, failed = [], [], []
    for record in writes["webhooks"]:
        row = deliveries.get(record["delivery"])
        if row is None:
            missing.append(record)
        elif row["error"]:
            failed.append((record, row["error"]))
        elif row["processed_at"] is None:
            unprocessed.append(record)
    report["problems"] += [f"webhook acknowledged but not stored: {record}" for record in missing]
    report["problems"] += [f"webhook failed in the worker: {record} {error}" for record, error in failed]
    report["problems"] += [f"webhook stored but never processed: {record}" for record in unprocessed]
    report["problems"] += [f"webhook delivery stored more than once: {delivery_id}" for (delivery_id,) in repeated]
    failed_tasks = list(DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).values_list("traceback", flat=True))
    report["problems"] += [f"failed task: {trace[-1500:]}" for trace in failed_tasks[:3]]
    report["webhooks"] = {
        "acknowledged": len(writes["webhooks"]),
        "found": len(writes["webhooks"]) - len(missing) - len(unprocessed) - len(failed),
        "missing": len(missing),
        "unprocessed": len(unprocessed),
        "failed": len(failed),
        "stored_twice": len(repeated),
        "unanswered_or_failed": len(writes["webhooks_unknown"]),
        "failed_tasks": len(failed_tasks),
        "lost": len(missing) + len(unprocessed) + len(failed) + len(repeated),
    }
    report["lost_writes"] = sum(report[kind]["lost"] for kind in ("check_ins", "card_moves", "webhooks"))
    return report


# The report


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return 0.0
    return sorted_values[max(0, math.ceil(share * len(sorted_values)) - 1)]


def is_error(name: str, status: int) -> bool:
    return status not in EXPECTED.get(name, {200})


def log_problems(path: Path) -> tuple[Counter, str]:
    """How often each problem appears in a server log, and the first traceback in it."""
    text = path.read_text(errors="replace") if path.exists() else ""
    counts = Counter({problem: text.count(problem) for problem in LOG_PROBLEMS if problem in text})
    first = ""
    if "Traceback" in text:
        start = text.index("Traceback")
        first = "\n".join(text[start:].splitlines()[:60])
    return counts, first


def print_summary(args, database: Database, requests: list, report: dict, logs: dict[str, Path]) -> dict:
    by_name = defaultdict(list)
    for name, status, ms, *_ in requests:
        by_name[name].append((status, ms))
    started = min(row[3] for row in requests)
    ended = max(row[4] for row in requests)
    elapsed = max(ended - started, 1e-9)
    all_ms = sorted(row[2] for row in requests)
    statuses = Counter(row[1] for row in requests)
    errors = Counter(row[1] for row in requests if is_error(row[0], row[1]))
    errors_5xx = sum(count for status, count in statuses.items() if status >= 500)
    unanswered = statuses.get(0, 0)

    server = "gthread" if args.threads > 1 else "sync"
    print(
        f"\nSoak: {args.users} users for {args.duration} s against gunicorn ({args.workers} {server} workers"
        f"{f' × {args.threads} threads' if args.threads > 1 else ''}) + manage.py {report['worker_command']} "
        f"on {database.kind}"
    )
    busy = max(report["load_before"], report["load_after"]) > (os.cpu_count() or 1)
    print(
        f"Machine: {os.cpu_count()} CPUs, load average {report['load_before']:.1f} at the start, "
        f"{report['load_after']:.1f} at the end{' (busier than its CPUs: the latencies say so)' if busy else ''}"
    )
    print(
        f"{'request':<20} {'count':>7} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}  statuses"
    )
    for name in sorted(by_name):
        rows = by_name[name]
        ms = sorted(m for _, m in rows)
        codes = ", ".join(f"{code}×{n}" for code, n in sorted(Counter(s for s, _ in rows).items()))
        print(
            f"{name:<20} {len(rows):>7} {len(rows) / elapsed:>7.1f} {percentile(ms, 0.5):>8.1f} "
            f"{percentile(ms, 0.95):>8.1f} {percentile(ms, 0.99):>8.1f} {ms[-1]:>8.1f}  {codes}"
        )
    print(
        f"{'all':<20} {len(requests):>7} {len(requests) / elapsed:>7.1f} {percentile(all_ms, 0.5):>8.1f} "
        f"{percentile(all_ms, 0.95):>8.1f} {percentile(all_ms, 0.99):>8.1f} {all_ms[-1]:>8.1f}"
    )
    print(f"Errors by status (409 on a write is a conflict, not an error): {dict(sorted(errors.items())) or 'none'}")
    why = Counter(f"{row[0]} {row[1]}: {row[5]}" for row in requests if is_error(row[0], row[1]) and row[5])
    for reason, count in why.most_common(5):
        print(f"  {count}× {reason}")

    for kind, label in (("check_ins", "Check-ins"), ("card_moves", "Card moves"), ("webhooks", "Webhooks")):
        figures = {key: value for key, value in report[kind].items() if key not in ("lost", "stale_examples")}
        print(f"{label}: " + ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in figures.items()))
    for example in report["card_moves"]["stale_examples"]:
        print(f"  stale move: {example}")
    print(f"Task queue: drained in {report['drain_seconds']:.1f} s, {report['tasks_left']} task(s) left")
    for note in report["notes"]:
        print(f"Note: {note}")
    log_problem_count = 0
    for name, path in logs.items():
        counts, first = log_problems(path)
        log_problem_count += sum(counts.values())
        if counts:
            print(f"{name} log ({path}): " + ", ".join(f"{problem!r}×{n}" for problem, n in counts.items()))
            if first:
                print("  first traceback:\n    " + first.replace("\n", "\n    "))
    for problem in report["problems"][:20]:
        print(f"PROBLEM: {problem}")
    if len(report["problems"]) > 20:
        print(f"… and {len(report['problems']) - 20} more problems")

    acknowledged = sum(report[kind]["acknowledged"] for kind in ("check_ins", "card_moves", "webhooks"))
    found = sum(
        report[kind]["found"] + report[kind].get("already_there", 0) for kind in ("check_ins", "card_moves", "webhooks")
    )
    return {
        "database": database.kind,
        "users": args.users,
        "duration_s": args.duration,
        "requests": len(requests),
        "rps": f"{len(requests) / elapsed:.1f}",
        "errors": sum(errors.values()),
        "errors_5xx": errors_5xx,
        "unanswered": unanswered,
        "writes_acked": acknowledged,
        "writes_found": found,
        "conflicts_409": report["check_ins"]["conflicts_409"] + report["card_moves"]["conflicts_409"],
        "stale_moves": report["card_moves"]["stale_from_column"],
        "lost_writes": report["lost_writes"],
        "log_problems": log_problem_count,
        "p50_ms": f"{percentile(all_ms, 0.5):.1f}",
        "p95_ms": f"{percentile(all_ms, 0.95):.1f}",
        "p99_ms": f"{percentile(all_ms, 0.99):.1f}",
    }


def run(args: argparse.Namespace, workdir: Path, processes: Processes, database: Database) -> int:
    secret = secrets.token_hex(20)
    run_id = datetime.datetime.now(tz=datetime.UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
    env = server_environment(database, workdir, secret)
    os.environ.update(env)  # this process sets up and checks the database with the same settings

    print(f"[soak] setting up a fresh {database.kind} database in {workdir} …", flush=True)
    started = time.monotonic()
    database.create()
    config, baseline = set_up(args.users, run_id, secret)
    print(f"[soak] migrated, loaded the demo and {args.users} people in {time.monotonic() - started:.0f} s", flush=True)
    from django.db import connections

    connections.close_all()

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    logs = {"gunicorn": workdir / "gunicorn.log", "worker": workdir / "worker.log"}
    gunicorn = [sys.executable, "-m", "gunicorn", "platformhub.wsgi", "--bind", f"127.0.0.1:{port}"]
    gunicorn += ["--workers", str(args.workers), "--timeout", "60", "--graceful-timeout", "15"]
    gunicorn += ["--access-logfile", str(workdir / "access.log"), "--no-control-socket"]  # no shared ~/.gunicorn
    if args.threads > 1:
        gunicorn += ["--worker-class", "gthread", "--threads", str(args.threads)]
    server = processes.start("gunicorn", gunicorn, env=env, log=logs["gunicorn"])
    from django.core.management import get_commands

    # `worker` is db_worker plus the recovery of tasks a killed worker left running (README, Production).
    worker_command = "worker" if "worker" in get_commands() else "db_worker"
    worker_args = [sys.executable, "manage.py", worker_command, "--no-startup-delay", "--worker-id", f"soak-{run_id}"]
    worker = processes.start("worker", worker_args, env=env, log=logs["worker"])
    wait_until_serving(f"{base_url}/accounts/login/", server, logs["gunicorn"])

    config.update(results=str(workdir / "results.json"), wait_min=args.wait_min, wait_max=args.wait_max)
    (workdir / "config.json").write_text(json.dumps(config))
    print(f"[soak] {args.users} users for {args.duration} s on {base_url} …", flush=True)
    load_before = os.getloadavg()[0]
    locust = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", base_url]
    locust += ["--users", str(args.users), "--spawn-rate", str(args.users), "--run-time", f"{args.duration}s"]
    locust += ["--stop-timeout", "30", "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0"]
    load = processes.start(
        "locust", locust, env={**os.environ, "SOAK_CONFIG": str(workdir / "config.json")}, log=workdir / "locust.log"
    )
    try:
        load.wait(args.duration + 120)
    except subprocess.TimeoutExpired:
        print("[soak] locust did not stop in time; stopping it", flush=True)
    processes.stop("locust")
    load_after = os.getloadavg()[0]
    results_path = Path(config["results"])
    if not results_path.exists():
        print(f"[soak] locust wrote no results:\n{tail(workdir / 'locust.log')}")
        print("soak: requests=0 errors_5xx=unknown lost_writes=unknown result=no-results")
        return 2
    results = json.loads(results_path.read_text())
    processes.stop("gunicorn")

    tasks_left, drained = wait_for_queue(args.drain_timeout, worker)
    report = verify(results["writes"], baseline, run_id)
    report.update(tasks_left=tasks_left, drain_seconds=drained, load_before=load_before, load_after=load_after)
    report["worker_command"] = worker_command
    processes.stop("worker")
    from django.db import connections

    connections.close_all()

    if not results["requests"]:
        print(f"[soak] no requests were made:\n{tail(workdir / 'locust.log')}")
        print("soak: requests=0 errors_5xx=unknown lost_writes=unknown result=no-requests")
        return 2
    figures = print_summary(args, database, results["requests"], report, logs)
    user_errors = Counter(results.get("user_errors", []))
    for error, count in user_errors.most_common(5):
        print(f"PROBLEM: {count}× a locust task failed: {error}")
    figures["task_errors"] = sum(user_errors.values())
    writes_made = all(report[kind]["acknowledged"] for kind in ("check_ins", "card_moves", "webhooks"))
    failed = figures["errors_5xx"] or figures["unanswered"] or figures["lost_writes"] or tasks_left or not writes_made
    failed = failed or user_errors or (args.fail_on_stale_moves and figures["stale_moves"])
    if not writes_made:
        print("PROBLEM: some kind of write was never acknowledged, so it was not tested")
    figures["result"] = "fail" if failed else "pass"
    print("soak: " + " ".join(f"{key}={value}" for key, value in figures.items()), flush=True)
    return 1 if failed else 0


def main() -> int:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="platformhub-soak-"))
    processes = Processes()
    database = Database(args.database_url, workdir)

    def terminate(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in the background
    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGHUP, terminate)
    code = 1
    try:
        code = run(args, workdir, processes, database)
    except KeyboardInterrupt:
        print("\n[soak] interrupted", file=sys.stderr)
        code = 130
    finally:
        processes.stop_all()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if args.keep:
            print(f"[soak] kept {workdir} and the database {database.url}", file=sys.stderr)
        else:
            try:
                database.drop()
            except Exception as error:
                print(f"[soak] could not drop {database.name}: {error}", file=sys.stderr)
            if code == 0:
                shutil.rmtree(workdir, ignore_errors=True)
            else:
                print(f"[soak] logs kept in {workdir}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
