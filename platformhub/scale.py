"""Scale data: many teams with years of plans, to measure how pages behave on a big database.

`seed_scale(size=…, seed=…)` (and `manage.py seed_scale --size S|M|L [--seed N]`) fills the
database with realistic data in one of three sizes (Teams: top-level + sub-teams; People: the
members plus one org-wide viewer; Issues: GitHub issues, each linked to one key result):

| Size | Teams     | People | Quarters | Objectives | KRs    | Check-ins | Issues  | Sprints | Cards   | Meetings |
| ---- | --------- | ------ | -------- | ---------- | ------ | --------- | ------- | ------- | ------- | -------- |
| S    | 1 + 4     | 18     | 1        | 14         | 70     | 700       | 1,400   | 8       | 200     | 25       |
| M    | 20 + 40   | 181    | 4        | 400        | 1,600  | 16,000    | 10,000  | 50      | 20,000  | 500      |
| L    | 200 + 400 | 1,801  | 8        | 8,000      | 32,000 | 320,000   | 100,000 | 100     | 200,000 | 5,000    |

S is the reference page: one org whose top team has 10 objectives × 5 key results in the
current quarter, and whose 4 sub-teams have one objective each aligned to them (so that every
prefetch of the OKR page runs at S as it does at L); every one of the 70 key results has 20
linked issues. In M and L every top-level team has 3 objectives a quarter and each sub-team one,
aligned to a parent objective; each objective has 4 key results, one of each kind, and the
linked issues are spread evenly over the key results. Every key result has 10 check-ins.

What else each top-level team gets, in every size: a lead, and per sub-team a tech lead and 3
engineers (all members of the top team too); a board per team; 3 projects of 3 milestones; a
goal per sub-team and sprint with owners and, for past sprints, an outcome; rosters per sprint;
"6 month" and "3-year" horizons of its own with 7 roadmap items linked to this quarter's key
results and a snapshot from the last review; a standup series (Mon/Wed/Fri) with its 20 latest
meetings and a retro series with a meeting after each of the last 5 sprints, with attendees,
agenda items, action items (most ticked off), retro notes and 5 days of async standups; a
planning comment and a "blocked on you" request for the next sprint. Past quarters are closed
and scored from progress. One sync run is recorded.

Dates: the last quarter is the current quarter of `timezone.localdate()` and the sprints run up
to today's sprint plus the two planned ahead (as the app generates them), so the dashboard,
board and meetings show current work; check-ins, moves and meetings are dated before today.
Everything else (names, numbers, values, which key result links which issue) depends only on
the seed: the same seed on the same day gives the same rows. Times the models stamp themselves
(`created_at`/`updated_at` with auto_now, a link's `added_at`) are the moment seeding began.

It is fast because it only bulk-inserts, in batches of 2,000 rows, m2m rows straight into their
`through` tables: with executemany on SQLite and COPY on PostgreSQL, and primary keys numbered
up front (Django's `bulk_create` spends ten times longer building SQL than the database takes
to store the rows, and big tables are made of plain dicts, as model instances cost as much
again). No `save()` runs, and therefore no history rows are written: scale data is for
measuring pages, and its audit history starts empty. Run it on a database that nobody writes
to meanwhile (the keys it numbers could collide). It runs next to existing data such
as `load_demo`'s: its slugs, usernames and repositories start with "scale", an existing sprint
cadence is kept (only the sprints missing from it are created, so after the demo the scale
teams share its few sprints), and it refuses to run twice. (Loading the demo afterwards brings
its team, OKRs and roadmap but not its board and meetings: load_demo adds sprints and meetings
only to a database that has none.)

Log in as `scale-lead` (lead of the reference team, slug `scale-reference`) or `scale-viewer`
(org-wide viewer) with the password `platformhub-scale`; every other scale user has an unusable
password.
"""

import datetime
import functools
import itertools
import operator
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.contrib.auth.models import User
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from integrations.models import GitHubIssue, IssueLink, SyncRun, has_blocked_label, points_from_labels
from okrs.models import CheckIn, Horizon, KeyResult, Objective, Period, RoadmapItem, RoadmapSnapshot, TeamPeriod
from okrs.progress import ratio_for_value
from platformhub.data_version import data_version_bump
from platformhub.models import Membership, Person, Team
from sprints.models import (
    DEFAULT_WIP_LIMITS,
    ActionItem,
    AgendaItem,
    BlockedRequest,
    Board,
    Cadence,
    Card,
    CardMove,
    Meeting,
    MeetingSeries,
    Milestone,
    PlanningComment,
    Project,
    RetroNote,
    RosterEntry,
    Sprint,
    SprintGoal,
    StandupUpdate,
    planning_day,
)
from sprints.services import UPCOMING

BATCH_SIZE = 2000
PASSWORD = "platformhub-scale"
LEAD_USERNAME = "scale-lead"
VIEWER_USERNAME = "scale-viewer"
REFERENCE_TEAM_SLUG = "scale-reference"
SLUG_PREFIX = "scale-"
REPO_OWNER = "scale-org"
SPRINT_DAYS = 14
STANDUP_WEEKDAYS = [0, 2, 4]
STANDUP_DAYS_WITH_UPDATES = 5
PROJECTS_PER_TEAM = 3
MILESTONES_PER_PROJECT = 3
SIX_MONTH_ITEMS = 4
THREE_YEAR_ITEMS = 3
ALREADY_PRESENT = "scale data already present; use a fresh database"


@dataclass(frozen=True)
class ScaleSize:
    """The shape of one size; the table in the module docstring shows what it adds up to."""

    top_teams: int
    sub_teams_per_team: int
    engineers_per_sub_team: int  # besides the sub-team's tech lead
    quarters: int
    objectives_per_team: int  # per top-level team and quarter
    objectives_per_sub_team: int  # per sub-team and quarter, aligned to a parent objective
    key_results_per_objective: int
    check_ins_per_key_result: int
    linked_issues: int  # in all, spread evenly over the key results
    sprints: int  # up to today's sprint and the ones planned ahead
    cards: int  # in all, spread evenly over the top-level teams' boards
    standups_per_team: int  # meetings of each top-level team's standup series
    retros_per_team: int  # one after each of the latest sprints


SIZES = {
    "S": ScaleSize(
        top_teams=1,
        sub_teams_per_team=4,
        engineers_per_sub_team=3,
        quarters=1,
        objectives_per_team=10,
        objectives_per_sub_team=1,
        key_results_per_objective=5,
        check_ins_per_key_result=10,
        linked_issues=1_400,
        sprints=8,
        cards=200,
        standups_per_team=20,
        retros_per_team=5,
    ),
    "M": ScaleSize(
        top_teams=20,
        sub_teams_per_team=2,
        engineers_per_sub_team=3,
        quarters=4,
        objectives_per_team=3,
        objectives_per_sub_team=1,
        key_results_per_objective=4,
        check_ins_per_key_result=10,
        linked_issues=10_000,
        sprints=50,
        cards=20_000,
        standups_per_team=20,
        retros_per_team=5,
    ),
    "L": ScaleSize(
        top_teams=200,
        sub_teams_per_team=2,
        engineers_per_sub_team=3,
        quarters=8,
        objectives_per_team=3,
        objectives_per_sub_team=1,
        key_results_per_objective=4,
        check_ins_per_key_result=10,
        linked_issues=100_000,
        sprints=100,
        cards=200_000,
        standups_per_team=20,
        retros_per_team=5,
    ),
}


class ScaleDataPresent(Exception):
    """The database already holds scale data; a second run would collide with it."""


# Words the generated data is made of.

AREAS = [
    "Payments", "Search", "Identity", "Billing", "Growth", "Data", "Mobile", "Checkout", "Messaging", "Insights",
    "Security", "Storage", "Observability", "Developer Tools", "Notifications", "Reporting", "Onboarding",
    "Catalog", "Pricing", "Support",
]  # fmt: skip
SUB_AREAS = ["Core", "Edge", "API", "Frontend", "Pipeline", "Infra"]
THINGS = [
    "checkout", "search", "ingestion", "billing", "auth", "export", "webhooks", "mobile app", "reporting",
    "notifications", "import", "scheduler", "feature flags", "session replay",
]  # fmt: skip
FIRST_NAMES = [
    "Ada", "Bola", "Chen", "Dara", "Elif", "Femi", "Greta", "Hiro", "Ines", "Jonas", "Kemi", "Luca", "Maya",
    "Nils", "Olga", "Priya", "Quinn", "Rosa", "Sami", "Tomas", "Uma", "Vik", "Wen", "Yara", "Zoe",
]  # fmt: skip
LAST_NAMES = [
    "Abara", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito", "Jansen", "Kowalski",
    "Lopez", "Moreau", "Novak", "Okafor", "Patel", "Rossi", "Silva", "Tanaka", "Umar", "Varga", "Weber",
]  # fmt: skip
TITLES = ["Backend Engineer", "Frontend Engineer", "Site Reliability Engineer", "Data Engineer", "Full Stack Engineer"]
TIMEZONE_REGIONS = [
    ["Europe/London", "Europe/Dublin", "Europe/Lisbon"],
    ["Europe/Berlin", "Europe/Paris", "Europe/Warsaw"],
    ["America/New_York", "America/Toronto", "America/Bogota"],
    ["America/Los_Angeles", "America/Denver", "America/Vancouver"],
    ["Asia/Singapore", "Australia/Perth", "Asia/Manila"],
]
OBJECTIVE_TITLES = [
    "Make {thing} fast everywhere",
    "Customers trust {thing} with their data",
    "Ship {thing} v2 without regressions",
    "Cut the cost of running {thing}",
    "New customers get going with {thing} in a day",
    "Make {thing} boringly reliable",
    "Every team can self-serve {thing}",
]
WHYS = [
    "Slow pages cost us sign-ups: every 100 ms is a point of conversion.",
    "Two enterprise deals are waiting on this.",
    "Incidents here wake someone up twice a week; that is not sustainable.",
    "Our cloud bill grew faster than revenue last quarter.",
    "Support tickets about this doubled since spring.",
    "It unblocks three other teams' plans for the year.",
]
METRICS = [
    # title, unit, start, target
    ("Cut p95 latency of the {thing} API", "ms", 480, 200),
    ("Grow weekly active {thing} users", "users", 1_200, 2_000),
    ("Reduce {thing} incidents a month", "incidents", 9, 2),
    ("Deploy {thing} more often", "deploys a week", 4, 20),
    ("Cut the {thing} build time", "minutes", 28, 10),
    ("Raise test coverage of {thing}", "% of lines", 55, 80),
    ("Reduce cloud spend on {thing}", "k$ a month", 140, 100),
]
PERCENT_TITLES = [
    "Share of {thing} services on the new runtime",
    "Share of customers migrated to the new {thing}",
    "Progress on the {thing} SOC 2 controls",
    "Share of {thing} endpoints behind the gateway",
]
MILESTONE_TITLES = [
    "Launch {thing} v2 to all customers",
    "Retire the legacy {thing} service",
    "Pass the {thing} security review",
    "{thing} runs in the EU region",
]
ISSUE_KR_TITLES = [
    "Close the {thing} reliability backlog",
    "Ship the {thing} migration epics",
    "Fix every P1 bug in {thing}",
]
CHECK_IN_NOTES = [
    "On pace.",
    "Slower than hoped; pairing on it this week.",
    "Blocked on a review from the security team.",
    "Good week: two launches.",
    "Reprioritised behind an incident.",
    "Unchanged; waiting on data from the last release.",
    "Moving again after the holidays.",
    "Scope cut in half with product; the rest moves to next quarter.",
]
SCORE_COMMENTS = [
    "Landed as planned.",
    "Most of it; the rest carries into next quarter.",
    "Deprioritised mid-quarter for the incident work.",
    "Harder than we estimated.",
]
WORK_ITEMS = [
    "Add retries to the {thing} client",
    "Flaky test in the {thing} suite",
    "Move {thing} to the new queue",
    "Write the {thing} runbook",
    "Alert on the {thing} error rate",
    "Remove the legacy {thing} endpoint",
    "Backfill {thing} data for last year",
    "Upgrade {thing} dependencies",
    "Load test {thing} at 2× peak",
    "Spike: shard the {thing} tables",
]
ISSUE_LABELS = ["bug", "enhancement", "tech-debt", "documentation", "points:1", "points:2", "points:3", "points:5"]
BLOCKED_REASONS = [
    "Waiting on the platform team's upgrade window",
    "Needs a decision from product",
    "Vendor API is down in staging",
]
PROJECT_TITLES = ["Re-platform {thing}", "{thing} v2", "Move {thing} to Kubernetes", "Self-serve {thing}"]
AGENDA_TITLES = [
    "Who covers on-call next week?",
    "Staging is out of disk again",
    "Release notes for the customer newsletter",
    "Hiring: interview slots this week",
    "Flaky CI on main",
]
RETRO_WENT_WELL = ["Shipped a day early", "Pairing across time zones", "Quiet on-call", "Good review turnaround"]
RETRO_TO_IMPROVE = ["Too much work in progress", "A goal with one owner", "Late scope changes", "Slow CI"]
STANDUP_YESTERDAY = ["- Reviewed PRs", "- Finished the migration script", "- Fixed the flaky test", "- On-call"]
STANDUP_TODAY = ["- Pair on the load test", "- Write the runbook", "- Roll out to 10%", "- Interviews"]


@dataclass
class _Tree:
    """A top-level team with its sub-teams, people and what they plan, as it is being created."""

    top: Team
    sub_teams: list[Team]
    timezones: list[str]
    lead: Person | None = None
    people: list[Person] = field(default_factory=list)
    people_by_team: dict[str, list[Person]] = field(default_factory=dict)  # team slug → its members
    repos: list[str] = field(default_factory=list)
    objectives: dict[int, list[Objective]] = field(default_factory=dict)  # period pk → the tree's objectives
    key_results: dict[int, list[KeyResult]] = field(default_factory=dict)  # period pk → the tree's KRs
    issue_ids: list[int] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)

    @property
    def teams(self) -> list[Team]:
        return [self.top, *self.sub_teams]

    @property
    def planning_teams(self) -> list[Team]:
        """The teams that set sprint goals and keep rosters: the sub-teams, or the team itself."""
        return self.sub_teams or [self.top]


@dataclass
class _KeyResultPlan:
    """A key result before it is inserted, with its check-ins (author, time, value, done,
    confidence, note) and whether each of its linked issues is closed."""

    key_result: KeyResult
    tree: _Tree
    check_ins: list[tuple[Person, datetime.datetime, Decimal | None, bool | None, str, str]]
    issues_closed: list[bool]


@dataclass
class _Seeding:
    """One run: the random source every choice comes from, the day it is anchored to, and the
    rows created so far per model."""

    rng: random.Random
    size: ScaleSize
    today: datetime.date
    started_at: datetime.datetime = field(default_factory=timezone.now)
    counts: Counter[str] = field(default_factory=Counter)
    next_ids: dict[type[models.Model], int] = field(default_factory=dict)

    @property
    def yesterday(self) -> datetime.date:
        return self.today - datetime.timedelta(days=1)

    def insert[M: models.Model](self, model: type[M], rows: Iterable[M]) -> list[M]:
        """Insert model instances (for what later rows refer to); they get their primary keys."""
        rows = list(rows)
        for row, pk in zip(rows, self._number(model, len(rows)), strict=True):
            row.pk = pk
        readers = [
            self._column_reader(field, operator.attrgetter(field.attname)) for field in model._meta.concrete_fields
        ]
        _write_rows(model, ([read(row) for read in readers] for row in rows))
        self.counts[model._meta.label] += len(rows)
        return rows

    def insert_rows(self, model: type[models.Model], rows: Iterable[dict[str, object]]) -> None:
        """Insert rows given as {field attname: value}, missing fields taking their default; each
        row gets its primary key (row["id"]). A dict costs a tenth of a model instance to make,
        which matters for the big tables; rows are written a batch at a time as they are made."""
        attnames = {field.attname for field in model._meta.concrete_fields}
        readers = [self._column_reader(field, self._row_getter(field)) for field in model._meta.concrete_fields]
        for batch in itertools.batched(rows, BATCH_SIZE):
            for row, pk in zip(batch, self._number(model, len(batch)), strict=True):
                if unknown := row.keys() - attnames:
                    raise TypeError(f"{model.__name__} has no fields {', '.join(sorted(unknown))}")
                row[model._meta.pk.attname] = pk
            _write_rows(model, ([read(row) for read in readers] for row in batch))
            self.counts[model._meta.label] += len(batch)

    def _number(self, model: type[models.Model], count: int) -> range:
        """The next `count` primary keys of the model's table: numbered here rather than by the
        database, so that rows can refer to each other before they are written and a fresh
        database gets the same keys on every run."""
        first = self.next_ids.get(model) or (model.objects.aggregate(highest=Max("pk"))["highest"] or 0) + 1
        self.next_ids[model] = first + count
        return range(first, first + count)

    @staticmethod
    def _row_getter(field: models.Field) -> Callable[[dict], object]:
        """Reads the field from a dict row, or its default when the row leaves it out."""
        name, default = field.attname, field.get_default()
        return lambda row: row.get(name, default)

    def _column_reader(self, field: models.Field, get: Callable[[object], object]) -> Callable[[object], object]:
        """How to read one column's database value from a row. Only the types the database
        driver cannot take as they are go through a conversion: aware times for SQLite (naive
        UTC text, as Django stores them), times of day and JSON."""
        stamped = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        if isinstance(field, models.DateTimeField) and connection.vendor == "sqlite":
            convert = _sqlite_datetime
        elif isinstance(field, models.TimeField | models.JSONField):
            convert = functools.partial(field.get_db_prep_save, connection=connection)
        else:
            convert = None

        def read(row: object) -> object:
            value = get(row)
            if value is None and stamped:
                value = self.started_at
            return value if convert is None or value is None else convert(value)

        return read

    def at(self, day: datetime.date, hour: int | None = None) -> datetime.datetime:
        """A time in working hours on `day`, UTC."""
        hour = self.rng.randint(9, 17) if hour is None else hour
        return datetime.datetime.combine(day, datetime.time(hour, self.rng.randint(0, 59)), tzinfo=datetime.UTC)

    def day_between(self, first: datetime.date, last: datetime.date) -> datetime.date:
        return first + datetime.timedelta(days=self.rng.randint(0, max((last - first).days, 0)))

    def thing(self) -> str:
        return self.rng.choice(THINGS)

    def title(self, templates: list[str]) -> str:
        """One of the templates about one of the things, starting with a capital."""
        text = self.rng.choice(templates).format(thing=self.thing())
        return text[0].upper() + text[1:]


def seed_scale(*, size: str, seed: int = 0, today: datetime.date | None = None) -> dict[str, int]:
    """Create scale data of `size` ("S", "M" or "L") and return how many rows of each model it
    inserted (keyed by model label, m2m tables included). `today` anchors the dates (by default
    the local date), so that tests can pin it. All or nothing: one transaction."""
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, nothing secret
    run = _Seeding(rng=rng, size=SIZES[size], today=today or timezone.localdate())
    with transaction.atomic():
        if scale_data_present():
            raise ScaleDataPresent(ALREADY_PRESENT)
        trees = _create_teams_and_people(run)
        periods = _quarters(run)
        _create_okrs(run, trees, periods)
        _create_roadmaps(run, trees, periods)
        sprints = _sprints(run, closed_by=trees[0].lead)
        _create_sprint_plans(run, trees, sprints, periods)
        _create_cards(run, trees, sprints)
        _create_rituals(run, trees, sprints)
        run.insert(SyncRun, [_last_sync(run)])
        _reset_sequences(list(run.next_ids))
        transaction.on_commit(data_version_bump)  # COPY on PostgreSQL goes round the write tracking
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # without statistics on the new rows, the planner scans whole tables
    return dict(run.counts)


def _sqlite_datetime(value: datetime.datetime) -> str:
    return str(value.astimezone(datetime.UTC).replace(tzinfo=None))


def _write_rows(model: type[models.Model], rows: Iterable[list]) -> None:
    """Write rows of every column, in the order of the model's fields, in one statement."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in model._meta.concrete_fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(model._meta.concrete_fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)  # noqa: S608 - names from the models


def _reset_sequences(inserted: list[type[models.Model]]) -> None:
    """Move PostgreSQL's id sequences past the keys numbered here, so the app's own inserts
    do not collide with them (SQLite keeps track of the highest key by itself)."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), inserted):
            cursor.execute(sql)


def scale_data_present() -> bool:
    """Scale rows are recognised by their prefixed slugs and user names."""
    return (
        Team.objects.filter(slug__startswith=SLUG_PREFIX).exists()
        or User.objects.filter(username__startswith=SLUG_PREFIX).exists()
    )


# People and teams


def _create_teams_and_people(run: _Seeding) -> list[_Tree]:
    """Every tree's teams and boards, its lead (the reference team's is `scale-lead`), a tech lead
    and engineers per sub-team who are members of the top team too, and the org-wide viewer."""
    trees = [_new_tree(run, index) for index in range(run.size.top_teams)]
    run.insert(Team, [tree.top for tree in trees])
    for tree in trees:
        for sub_team in tree.sub_teams:
            sub_team.parent = tree.top
    run.insert(Team, [sub_team for tree in trees for sub_team in tree.sub_teams])
    run.insert(Board, [Board(team=team, wip_limits=dict(DEFAULT_WIP_LIMITS)) for tree in trees for team in tree.teams])

    joined = datetime.datetime.combine(run.today - datetime.timedelta(days=3 * 365), datetime.time(9), datetime.UTC)
    accounts: list[tuple[User, Person, _Tree | None, list[tuple[Team, str]]]] = []
    lead, engineer = Membership.Role.LEAD, Membership.Role.ENGINEER
    for tree in trees:
        username = LEAD_USERNAME if tree.top.slug == REFERENCE_TEAM_SLUG else _next_username(accounts)
        accounts.append((*_new_account(run, tree, username, "Engineering Lead"), tree, [(tree.top, lead)]))
        for sub_team in tree.sub_teams:
            engineers = [(run.rng.choice(TITLES), engineer) for _ in range(run.size.engineers_per_sub_team)]
            roles = [("Tech Lead", lead), *engineers]
            for title, role in roles:
                user, person = _new_account(run, tree, _next_username(accounts), title)
                accounts.append((user, person, tree, [(tree.top, engineer), (sub_team, role)]))
    viewer = _new_account(run, None, VIEWER_USERNAME, "VP Engineering")
    viewer[1].is_org_viewer = True
    accounts.append((*viewer, None, []))

    for user, _, _, _ in accounts:
        user.date_joined = joined
    users = run.insert(User, [user for user, _, _, _ in accounts])
    for user, (_, person, _, _) in zip(users, accounts, strict=True):
        person.user = user
    run.insert(Person, [person for _, person, _, _ in accounts])
    memberships = []
    for _, person, tree, teams in accounts:
        for team, role in teams:
            memberships.append(Membership(person=person, team=team, role=role))
            tree.people_by_team.setdefault(team.slug, []).append(person)
        if tree is not None:
            tree.people.append(person)
            tree.lead = tree.lead or person
    run.insert(Membership, memberships)
    return trees


def _new_tree(run: _Seeding, index: int) -> _Tree:
    """The first tree is the reference team; the others are named after product areas."""
    if index == 0:
        name, area = "Reference", "reference"
    else:
        area = AREAS[(index - 1) % len(AREAS)]
        name = f"{area} {(index - 1) // len(AREAS) + 1}"
    slug_tail = name.lower().replace(" ", "-")
    top = Team(
        name=name,
        slug=SLUG_PREFIX + slug_tail,
        mission=f"Make {area.lower()} something every customer can count on.",
        slack_channel=f"#team-{slug_tail}",
        guidelines=(
            "- We finish what we start\n- The board is our source of truth\n"
            "- Every goal has two owners in nearby time zones\n\n"
            "### Standups\nMonday, Wednesday and Friday; post async on the other days."
        ),
    )
    sub_teams = [
        Team(
            name=f"{name} {sub_area}",
            slug=f"{top.slug}-{sub_area.lower()}",
            mission=f"Own the {sub_area.lower()} of {area.lower()}.",
            slack_channel=f"#team-{slug_tail}",
        )
        for sub_area in SUB_AREAS[: run.size.sub_teams_per_team]
    ]
    return _Tree(
        top=top,
        sub_teams=sub_teams,
        timezones=run.rng.choice(TIMEZONE_REGIONS),
        repos=[f"{REPO_OWNER}/{slug_tail}", f"{REPO_OWNER}/{slug_tail}-infra"],
    )


def _next_username(accounts: list) -> str:
    return f"{SLUG_PREFIX}user-{len(accounts) + 1:05d}"


def _new_account(run: _Seeding, tree: _Tree | None, username: str, title: str) -> tuple[User, Person]:
    """A user with an unusable password (except the two documented log-ins) and their profile;
    most people live in their team's region, some far away (so lone-wolf checks have work)."""
    first, last = run.rng.choice(FIRST_NAMES), run.rng.choice(LAST_NAMES)
    known = username in (LEAD_USERNAME, VIEWER_USERNAME)
    user = User(
        username=username,
        first_name=first,
        last_name=last,
        email=f"{username}@scale.example",
        password=make_password(PASSWORD) if known else UNUSABLE_PASSWORD_PREFIX,
    )
    if tree is None or run.rng.random() < 0.15:
        timezone_name = run.rng.choice(run.rng.choice(TIMEZONE_REGIONS))
    else:
        timezone_name = run.rng.choice(tree.timezones)
    person = Person(
        display_name=f"{first} {last}",
        title=title,
        timezone=timezone_name,
        github_handle=f"{first}{last}-{username.rsplit('-', 1)[-1]}".lower(),
    )
    return user, person


# OKRs


def _quarters(run: _Seeding) -> list[Period]:
    """The current quarter and the ones before it, oldest first; quarters already stored are reused."""
    year, quarter = Period.quarter_of(run.today)
    wanted = []
    for _ in range(run.size.quarters):
        wanted.append((year, quarter))
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    stored = {(p.year, p.quarter): p for p in Period.objects.filter(year__gte=year)}
    new = [Period(year=y, quarter=q, start=Period.bounds(y, q)[0], end=Period.bounds(y, q)[1]) for y, q in wanted]
    run.insert(Period, [period for period in new if (period.year, period.quarter) not in stored])
    periods = [stored.get((period.year, period.quarter), period) for period in new]
    return sorted(periods, key=lambda period: period.start)


def _create_okrs(run: _Seeding, trees: list[_Tree], periods: list[Period]) -> None:
    """Objectives, key results with their check-ins and linked issues, and the scores of past quarters."""
    objectives = _create_objectives(run, trees, periods)
    plans = []
    for objective, tree in objectives:
        kinds = [KeyResult.Kind.METRIC, KeyResult.Kind.PERCENT, KeyResult.Kind.MILESTONE, KeyResult.Kind.ISSUES]
        run.rng.shuffle(kinds)
        extra = run.size.key_results_per_objective - len(kinds)
        kinds = (kinds + [run.rng.choice(kinds) for _ in range(max(extra, 0))])[: run.size.key_results_per_objective]
        for order, kind in enumerate(kinds, start=1):
            plans.append(_plan_key_result(run, tree, objective, order, kind, issues=_issue_share(run, len(plans))))
    run.insert(KeyResult, [plan.key_result for plan in plans])
    owners = []
    for plan in plans:
        key_result = plan.key_result
        plan.tree.key_results.setdefault(key_result.objective.period_id, []).append(key_result)
        team_people = plan.tree.people_by_team[key_result.objective.team.slug]
        for person in run.rng.sample(team_people, k=min(len(team_people), run.rng.randint(1, 2))):
            owners.append({"keyresult_id": key_result.pk, "person_id": person.pk})
    run.insert_rows(KeyResult.owners.through, owners)
    _create_linked_issues(run, plans)
    run.insert_rows(
        CheckIn,
        (
            {
                "key_result_id": plan.key_result.pk,
                "author_id": author.pk,
                "created_at": at,
                "value": value,
                "done": done,
                "confidence": confidence,
                "note": note,
            }
            for plan in plans
            for author, at, value, done, confidence, note in plan.check_ins
        ),
    )
    past = [period for period in periods if period.end < run.today]
    run.insert(
        TeamPeriod,
        [
            TeamPeriod(team=team, period=period, closed_at=run.at(period.end, 17), closed_by=tree.lead)
            for period in past
            for tree in trees
            for team in tree.teams
            if any(objective.team_id == team.pk for objective in tree.objectives.get(period.pk, []))
        ],
    )


def _create_objectives(run: _Seeding, trees: list[_Tree], periods: list[Period]) -> list[tuple[Objective, _Tree]]:
    """Top-level teams' objectives first (sub-team objectives align to them), then the sub-teams'."""
    top = [
        (_new_objective(run, tree.top, period, order), tree)
        for period in periods
        for tree in trees
        for order in range(1, run.size.objectives_per_team + 1)
    ]
    run.insert(Objective, [objective for objective, _ in top])
    for objective, tree in top:
        tree.objectives.setdefault(objective.period_id, []).append(objective)
    aligned = []
    for period in periods:
        for tree in trees:
            parents = list(tree.objectives.get(period.pk, []))
            for sub_team in tree.sub_teams:
                for order in range(1, run.size.objectives_per_sub_team + 1):
                    objective = _new_objective(run, sub_team, period, order)
                    objective.parent = run.rng.choice(parents) if parents else None
                    aligned.append((objective, tree))
    run.insert(Objective, [objective for objective, _ in aligned])
    for objective, tree in aligned:
        tree.objectives[objective.period_id].append(objective)
    owners = []
    for objective, tree in top + aligned:
        team_people = tree.people_by_team[objective.team.slug]
        for person in run.rng.sample(team_people, k=min(len(team_people), run.rng.randint(1, 2))):
            owners.append({"objective_id": objective.pk, "person_id": person.pk})
    run.insert_rows(Objective.owners.through, owners)
    return top + aligned


def _new_objective(run: _Seeding, team: Team, period: Period, order: int) -> Objective:
    return Objective(
        team=team,
        period=period,
        title=run.title(OBJECTIVE_TITLES),
        why=run.rng.choice(WHYS),
        order=order,
    )


def _issue_share(run: _Seeding, index: int) -> int:
    """How many issues the `index`-th key result links: the total spread as evenly as it divides."""
    key_results = run.size.top_teams * run.size.quarters * run.size.key_results_per_objective
    key_results *= run.size.objectives_per_team + run.size.sub_teams_per_team * run.size.objectives_per_sub_team
    share, remainder = divmod(run.size.linked_issues, key_results)
    return share + (index < remainder)


def _plan_key_result(
    run: _Seeding, tree: _Tree, objective: Objective, order: int, kind: str, *, issues: int
) -> _KeyResultPlan:
    """A key result with a believable quarter: progress climbing towards where it ends (past
    quarters) or stands today, check-ins spread over the quarter whose confidence follows the
    pace, and its value, confidence and last check-in kept as `check_in_record` keeps them."""
    period = objective.period
    is_past = period.end < run.today
    key_result = KeyResult(objective=objective, title="", kind=kind, order=order, due_date=period.end)
    if run.rng.random() < 0.15:
        key_result.due_date = max(period.start, period.end - datetime.timedelta(days=run.rng.randint(14, 45)))
    if kind == KeyResult.Kind.METRIC:
        title, unit, start, target = run.rng.choice(METRICS)
        scale = run.rng.uniform(0.8, 1.3)
        key_result.title, key_result.unit = title.format(thing=run.thing()), unit
        key_result.start_value, key_result.target_value = Decimal(round(start * scale)), Decimal(round(target * scale))
        key_result.current_value = key_result.start_value
        key_result.direction = KeyResult.Direction.DECREASE if target < start else KeyResult.Direction.INCREASE
    elif kind == KeyResult.Kind.PERCENT:
        key_result.title = run.title(PERCENT_TITLES)
    elif kind == KeyResult.Kind.MILESTONE:
        key_result.title = run.title(MILESTONE_TITLES)
    else:
        key_result.title = run.title(ISSUE_KR_TITLES)

    last_day = period.end if is_past else max(period.start, run.yesterday)
    if not is_past and run.rng.random() < 0.2:  # a stale one: nobody checked in lately
        last_day = max(period.start, last_day - datetime.timedelta(days=run.rng.randint(8, 20)))
    elapsed = ((last_day - period.start).days + 1) / ((key_result.due_date - period.start).days + 1)
    if is_past:
        final = 1.0 if run.rng.random() < 0.35 else run.rng.uniform(0.2, 0.95)
    else:
        final = min(1.0, elapsed * run.rng.uniform(0.4, 1.3))
    milestone_done = kind == KeyResult.Kind.MILESTONE and run.rng.random() < (0.75 if is_past else final / 2)
    if kind == KeyResult.Kind.MILESTONE:
        final = 1.0 if milestone_done else min(final, 0.8)

    team_people = tree.people_by_team[objective.team.slug]
    steps = run.size.check_ins_per_key_result
    span = (last_day - period.start).days + 1
    times = sorted(
        run.at(period.start + datetime.timedelta(days=int(span * (step + run.rng.random()) / steps)))
        for step in range(steps)
    )
    check_ins = []
    ratio = 0.0
    for step, at in enumerate(times, start=1):
        ratio = final if step == steps else max(ratio, min(1.0, final * step / steps + run.rng.uniform(-0.08, 0.05)))
        pace = ((at.date() - period.start).days + 1) / ((key_result.due_date - period.start).days + 1)
        confidence = _confidence(pace - ratio)
        if run.rng.random() < 0.1:
            confidence = run.rng.choice(KeyResult.Confidence.values)
        value, done = None, None
        if kind == KeyResult.Kind.METRIC:
            span_value = key_result.target_value - key_result.start_value
            value = (key_result.start_value + span_value * Decimal(str(round(ratio, 4)))).quantize(Decimal("0.1"))
        elif kind == KeyResult.Kind.PERCENT:
            value = Decimal(round(ratio * 100))
        elif kind == KeyResult.Kind.MILESTONE:
            done = milestone_done and step == steps
        check_ins.append((run.rng.choice(team_people), at, value, done, confidence, run.rng.choice(CHECK_IN_NOTES)))
    if check_ins:
        _, key_result.last_check_in_at, value, done, key_result.confidence, _ = check_ins[-1]
        key_result.current_value = key_result.current_value if value is None else value
        key_result.is_done = bool(done)
    issues_closed = [run.rng.random() < final for _ in range(issues)]
    if is_past:
        if kind == KeyResult.Kind.ISSUES:
            progress = sum(issues_closed) / len(issues_closed) if issues_closed else 0.0
        else:
            progress = ratio_for_value(key_result, key_result.current_value, done=key_result.is_done)
        key_result.final_score = Decimal(str(progress)).quantize(Decimal("0.1"))
        key_result.score_comment = run.rng.choice(SCORE_COMMENTS)
    return _KeyResultPlan(key_result=key_result, tree=tree, check_ins=check_ins, issues_closed=issues_closed)


def _confidence(behind: float) -> str:
    """How confident the owner sounds, from how far behind the even pace the KR is."""
    if behind <= 0.1:
        return KeyResult.Confidence.HIGH
    if behind <= 0.3:
        return KeyResult.Confidence.MEDIUM
    return KeyResult.Confidence.LOW


def _create_linked_issues(run: _Seeding, plans: list[_KeyResultPlan]) -> None:
    """One GitHub issue per link, in the tree's repositories, as a sync would have stored it:
    open or closed as planned, labelled, assigned (or not), some stale, some pull requests."""
    next_number: Counter[str] = Counter()
    synced_at = _last_sync(run).finished_at
    pending: list[tuple[dict, _KeyResultPlan]] = []

    def write_pending() -> None:
        run.insert_rows(GitHubIssue, [issue for issue, _ in pending])
        run.insert_rows(
            IssueLink, [{"issue_id": issue["id"], "key_result_id": plan.key_result.pk} for issue, plan in pending]
        )
        for issue, plan in pending:
            plan.tree.issue_ids.append(issue["id"])
        pending.clear()

    for plan in plans:
        period = plan.key_result.objective.period
        handles = [person.github_handle for person in plan.tree.people]
        for closed in plan.issues_closed:
            repo = run.rng.choice(plan.tree.repos)
            next_number[repo] += 1
            is_pull_request = run.rng.random() < 0.2
            opened = run.day_between(period.start - datetime.timedelta(days=30), min(period.end, run.yesterday))
            last_activity = run.day_between(opened, min(period.end + datetime.timedelta(days=7), run.yesterday))
            last_activity_at = run.at(last_activity)
            labels = run.rng.sample(ISSUE_LABELS, k=run.rng.randint(0, 3))
            if not closed and run.rng.random() < 0.05:
                labels.append("blocked")
            issue = {
                "repo": repo,
                "number": next_number[repo],
                "is_pull_request": is_pull_request,
                "title": run.title(WORK_ITEMS),
                "state": GitHubIssue.State.CLOSED if closed else GitHubIssue.State.OPEN,
                "html_url": f"https://github.com/{repo}/{'pull' if is_pull_request else 'issues'}/{next_number[repo]}",
                "assignees": run.rng.sample(handles, k=min(len(handles), run.rng.choice([0, 1, 1, 1, 2]))),
                "labels": labels,
                "points": points_from_labels(labels),
                "blocked_label": has_blocked_label(labels),
                "opened_at": run.at(opened, 8),
                "closed_at": last_activity_at if closed else None,
                "last_activity_at": last_activity_at,
                "github_updated_at": last_activity_at,
                "synced_at": synced_at,
            }
            issue["unassigned"] = not issue["assignees"]
            pending.append((issue, plan))
            if len(pending) == BATCH_SIZE:
                write_pending()
    write_pending()


def _last_sync(run: _Seeding) -> SyncRun:
    """The sync that ran just before midnight: the dashboard's "last synced"."""
    finished = datetime.datetime.combine(run.yesterday, datetime.time(23, 50), tzinfo=datetime.UTC)
    return SyncRun(
        started_at=finished - datetime.timedelta(seconds=40),
        finished_at=finished,
        issues_checked=run.size.linked_issues,
        issues_changed=run.size.linked_issues // 50,
    )


# Roadmap


def _create_roadmaps(run: _Seeding, trees: list[_Tree], periods: list[Period]) -> None:
    """Each team's own "6 month" and "3-year" horizons (org-wide ones would show on every other
    team's roadmap), items delivered by this quarter's key results, and a snapshot of the last review."""
    current = periods[-1]
    horizons = []
    for tree in trees:
        horizons.append(
            Horizon(team=tree.top, name="6 month", target_date=run.today + datetime.timedelta(days=182), order=1)
        )
        horizons.append(
            Horizon(team=tree.top, name="3-year", target_date=datetime.date(run.today.year + 3, 12, 31), order=2)
        )
    run.insert(Horizon, horizons)
    items, links = [], []
    for tree, (six_month, three_year) in zip(trees, itertools.batched(horizons, 2), strict=True):
        for horizon, count in ((six_month, SIX_MONTH_ITEMS), (three_year, THREE_YEAR_ITEMS)):
            for order in range(1, count + 1):
                item = RoadmapItem(
                    team=tree.top,
                    horizon=horizon,
                    title=run.title(PROJECT_TITLES),
                    description=run.rng.choice(WHYS),
                    status=run.rng.choice(RoadmapItem.Status.values[:3]),
                    commitment=run.rng.choice(RoadmapItem.Commitment.values),
                    health=run.rng.choice(RoadmapItem.Health.values),
                    order=order,
                )
                linked = min(
                    len(tree.key_results.get(current.pk, [])), run.rng.randint(0, 2 if horizon is six_month else 1)
                )
                objectives = tree.objectives.get(current.pk, []) if horizon is six_month else []
                items.append(item)
                links.append(
                    (
                        tree,
                        run.rng.sample(tree.key_results.get(current.pk, []), k=linked),
                        run.rng.sample(objectives, k=min(len(objectives), 1)),
                    )
                )
    run.insert(RoadmapItem, items)
    owners, key_results, objectives = [], [], []
    for item, (tree, item_key_results, item_objectives) in zip(items, links, strict=True):
        for person in run.rng.sample(tree.people, k=min(len(tree.people), run.rng.randint(1, 2))):
            owners.append({"roadmapitem_id": item.pk, "person_id": person.pk})
        key_results += [{"roadmapitem_id": item.pk, "keyresult_id": kr.pk} for kr in item_key_results]
        objectives += [{"roadmapitem_id": item.pk, "objective_id": o.pk} for o in item_objectives]
    run.insert_rows(RoadmapItem.owners.through, owners)
    run.insert_rows(RoadmapItem.key_results.through, key_results)
    run.insert_rows(RoadmapItem.objectives.through, objectives)
    review = current.start - datetime.timedelta(days=3)
    run.insert(
        RoadmapSnapshot,
        [
            RoadmapSnapshot(
                team=tree.top,
                name=f"Review before Q{current.quarter} {current.year}",
                taken_at=run.at(review, 15),
                taken_by=tree.lead,
                items=[_snapshot_entry(run, item) for item in items if item.team_id == tree.top.pk],
            )
            for tree in trees
        ],
    )


def _snapshot_entry(run: _Seeding, item: RoadmapItem) -> dict:
    """How an item stood at the review: mostly as now, some with another status or health, so
    that "what changed" has something to show."""
    return {
        "id": item.pk,
        "title": item.title,
        "horizon_id": item.horizon_id,
        "horizon": item.horizon.name,
        "status": RoadmapItem.Status.PLANNED if run.rng.random() < 0.3 else item.status,
        "commitment": item.commitment,
        "health": run.rng.choice(RoadmapItem.Health.values) if run.rng.random() < 0.3 else item.health,
        "progress": None,
    }


# Sprints


def _sprints(run: _Seeding, *, closed_by: Person | None) -> list[Sprint]:
    """The sprints up to today's and the ones planned ahead, `sprints` of them. The org's cadence
    is kept if it has one (numbers and dates follow it; sprints it already has are reused);
    otherwise a two-week cadence is set so that the first of them started long enough ago.
    Sprints that ended are closed."""
    cadence = Cadence.objects.first()
    if cadence is None:
        monday = run.today - datetime.timedelta(days=run.today.weekday())
        first_start = monday - datetime.timedelta(days=SPRINT_DAYS * (run.size.sprints - 1 - UPCOMING))
        [cadence] = run.insert(Cadence, [Cadence(length_days=SPRINT_DAYS, first_start=first_start)])
    last = cadence.number_on(run.today) + UPCOMING
    numbers = range(max(1, last - run.size.sprints + 1), last + 1)
    stored = {sprint.number: sprint for sprint in Sprint.objects.filter(number__in=numbers)}
    new = []
    for number in numbers:
        if number in stored:
            continue
        start = cadence.start_of(number)
        end = start + datetime.timedelta(days=cadence.length_days - 1)
        sprint = Sprint(number=number, name=f"Sprint {number}", start=start, end=end, planning_date=planning_day(start))
        if end < run.today:
            sprint.closed_at, sprint.closed_by = run.at(end, 17), closed_by
        new.append(sprint)
    run.insert(Sprint, new)
    return sorted([*stored.values(), *new], key=lambda sprint: sprint.number)


def _create_sprint_plans(run: _Seeding, trees: list[_Tree], sprints: list[Sprint], periods: list[Period]) -> None:
    """Projects with measurable milestones, who is on which sub-team each sprint, and a goal per
    sub-team and sprint (against a milestone or a key result of its quarter) with its outcome."""
    projects = []
    for tree in trees:
        for index in range(PROJECTS_PER_TEAM):
            project = Project(
                team=tree.teams[index % len(tree.teams)],
                title=run.title(PROJECT_TITLES),
                description=run.rng.choice(WHYS),
            )
            tree.projects.append(project)
            projects.append((project, tree))
    run.insert(Project, [project for project, _ in projects])
    milestones, owners, key_results = [], [], []
    current = periods[-1]
    for project, tree in projects:
        for order in range(1, MILESTONES_PER_PROJECT + 1):
            milestone = Milestone(project=project, title="", order=order)
            if order % 2:  # "Migrate half of them", then "… all of them"
                total = run.rng.choice([10, 20, 50, 100])
                target = total * (order + 1) // 4
                milestone.title = f"Migrate {target} of the {total} services"
                milestone.target = Decimal(target)
                milestone.current = Decimal(run.rng.randint(0, target))
            else:
                milestone.title = "Runbook and alerts signed off by on-call"
                milestone.is_done = run.rng.random() < 0.5
            milestones.append(milestone)
            tree.milestones.append(milestone)
        team_people = tree.people_by_team[project.team.slug]
        for person in run.rng.sample(team_people, k=min(len(team_people), run.rng.randint(1, 3))):
            owners.append({"project_id": project.pk, "person_id": person.pk})
        current_key_results = tree.key_results.get(current.pk, [])
        if current_key_results:
            key_result = run.rng.choice(current_key_results)
            key_results.append({"project_id": project.pk, "keyresult_id": key_result.pk})
    run.insert(Milestone, milestones)
    run.insert_rows(Project.owners.through, owners)
    run.insert_rows(Project.key_results.through, key_results)

    run.insert_rows(
        RosterEntry,
        (
            {"sprint_id": sprint.pk, "team_id": team.pk, "person_id": person.pk}
            for sprint in sprints
            for tree in trees
            for team in tree.planning_teams
            for person in tree.people_by_team[team.slug]
        ),
    )
    goals = []  # (goal row, the people who can own it)
    for sprint in sprints[:-1]:  # the last sprint ahead has no goals proposed yet
        quarter = next((p for p in periods if p.contains(sprint.start)), None)
        for tree in trees:
            quarter_key_results = tree.key_results.get(quarter.pk, []) if quarter else []
            for team in tree.planning_teams:
                goal = {"sprint_id": sprint.pk, "team_id": team.pk, "title": run.title(WORK_ITEMS)}
                if quarter_key_results and run.rng.random() < 0.5:
                    goal["key_result_id"] = run.rng.choice(quarter_key_results).pk
                else:
                    goal["milestone_id"] = run.rng.choice(tree.milestones).pk
                if sprint.end < run.today:
                    goal["outcome"] = run.rng.choices(SprintGoal.Outcome.values, weights=[6, 3, 1])[0]
                goals.append((goal, tree.people_by_team[team.slug]))
    run.insert_rows(SprintGoal, [goal for goal, _ in goals])
    goal_owners = []
    for goal, team_people in goals:
        count = 1 if run.rng.random() < 0.1 else 2  # some lone wolves for the board to flag
        for person in run.rng.sample(team_people, k=min(len(team_people), count)):
            goal_owners.append({"sprintgoal_id": goal["id"], "person_id": person.pk})
    run.insert_rows(SprintGoal.owners.through, goal_owners)


def _create_cards(run: _Seeding, trees: list[_Tree], sprints: list[Sprint]) -> None:
    """Each board: a backlog, the current sprint's cards across the columns (some carried over,
    some blocked), and the done cards of every past sprint, with the moves that finished them."""
    previous_of = {later.pk: earlier for earlier, later in itertools.pairwise(sprints)}
    past = [sprint for sprint in sprints if sprint.end < run.today]
    current = next(sprint for sprint in sprints if sprint.contains(run.today))
    per_tree = run.size.cards // len(trees)
    backlog, in_sprint = min(per_tree // 10, 40), min(per_tree // 10, 24)
    done_before = per_tree - backlog - in_sprint if past else 0
    for tree in trees:
        orders: Counter[tuple[int, str]] = Counter()
        cards: list[tuple[dict, list[Person], list[Sprint], dict | None]] = []  # card, owners, sprints, move
        for index in range(per_tree):
            if index < done_before:
                card, card_sprints, move = _done_card(run, past[index % len(past)], previous_of)
            elif index < done_before + in_sprint:
                card, card_sprints, move = _current_card(run, current, previous_of)
            else:
                card, card_sprints, move = {"column": Card.Column.BACKLOG}, [], None
            team = run.rng.choice(tree.teams)
            card.update(team_id=team.pk, title=run.title(WORK_ITEMS))
            if run.rng.random() < 0.4:
                card["project_id"] = run.rng.choice(tree.projects).pk
            if tree.issue_ids and run.rng.random() < 0.15:
                card["issue_id"] = run.rng.choice(tree.issue_ids)
            orders[(team.pk, card["column"])] += 1
            card["order"] = orders[(team.pk, card["column"])]
            team_people = tree.people_by_team[team.slug]
            owner_count = 0 if card["column"] == Card.Column.BACKLOG else run.rng.choice([1, 1, 2])
            cards.append((card, run.rng.sample(team_people, k=min(len(team_people), owner_count)), card_sprints, move))
        run.insert_rows(Card, [card for card, _, _, _ in cards])
        run.insert_rows(
            Card.owners.through,
            [{"card_id": card["id"], "person_id": person.pk} for card, owners, _, _ in cards for person in owners],
        )
        run.insert_rows(
            Card.sprints.through,
            [
                {"card_id": card["id"], "sprint_id": sprint.pk}
                for card, _, card_sprints, _ in cards
                for sprint in card_sprints
            ],
        )
        run.insert_rows(
            CardMove,
            [
                {
                    **move,
                    "card_id": card["id"],
                    "moved_by_id": (owners[0] if owners else tree.lead).pk,
                    "to_column": card["column"],
                }
                for card, owners, _, move in cards
                if move is not None
            ],
        )


def _done_card(run: _Seeding, sprint: Sprint, previous_of: dict[int, Sprint]) -> tuple[dict, list[Sprint], dict]:
    """A card finished in a past sprint (and the move that finished it); one in ten was carried
    over from the sprint before."""
    card, card_sprints = {"column": Card.Column.DONE}, [sprint]
    previous = previous_of.get(sprint.pk)
    if previous is not None and run.rng.random() < 0.1:
        card_sprints, card["carry_overs"] = [previous, sprint], 1
    finished = run.day_between(sprint.start, min(sprint.end, run.yesterday))
    return card, card_sprints, {"moved_at": run.at(finished), "from_column": Card.Column.IN_REVIEW}


CURRENT_COLUMNS = {
    # column: (weight, the column it was moved from)
    Card.Column.ON_DECK: (5, None),
    Card.Column.IN_PROGRESS: (8, Card.Column.ON_DECK),
    Card.Column.BLOCKED: (2, Card.Column.IN_PROGRESS),
    Card.Column.IN_REVIEW: (4, Card.Column.IN_PROGRESS),
    Card.Column.DONE: (5, Card.Column.IN_REVIEW),
}


def _current_card(
    run: _Seeding, current: Sprint, previous_of: dict[int, Sprint]
) -> tuple[dict, list[Sprint], dict | None]:
    """A card of the running sprint in any column but the backlog, moved there in the last week;
    three in ten were carried over from the sprint before."""
    column = run.rng.choices(list(CURRENT_COLUMNS), weights=[weight for weight, _ in CURRENT_COLUMNS.values()])[0]
    card, card_sprints = {"column": column}, [current]
    previous = previous_of.get(current.pk)
    if previous is not None and run.rng.random() < 0.3:
        card_sprints, card["carry_overs"] = [previous, current], 1
    if column == Card.Column.BLOCKED:
        card["blocked_reason"] = run.rng.choice(BLOCKED_REASONS)
    from_column = CURRENT_COLUMNS[column][1]
    if from_column is None:
        return card, card_sprints, None
    moved = run.day_between(run.yesterday - datetime.timedelta(days=6), run.yesterday)
    return card, card_sprints, {"moved_at": run.at(moved), "from_column": from_column}


# Rituals


def _create_rituals(run: _Seeding, trees: list[_Tree], sprints: list[Sprint]) -> None:
    """A standup and a retro series per team with their latest meetings (agenda, notes,
    attendees, actions that carry until ticked off, retro notes), async standups of the last
    days, and for the next sprint a planning comment and a "blocked on you" request."""
    started = datetime.datetime.combine(sprints[0].start, datetime.time(9), tzinfo=datetime.UTC)
    series = []
    for tree in trees:
        series.append(
            MeetingSeries(
                team=tree.top,
                kind=MeetingSeries.Kind.STANDUP,
                name=f"{tree.top.name} standup",
                weekdays=STANDUP_WEEKDAYS,
                starts_at=datetime.time(run.rng.choice([9, 10, 16]), 30),
                duration_minutes=15,
                timezone=tree.timezones[0],
                created_at=started,
            )
        )
        series.append(
            MeetingSeries(
                team=tree.top,
                kind=MeetingSeries.Kind.RETRO,
                name=f"{tree.top.name} retro",
                weekdays=[],
                created_at=started,
            )
        )
    run.insert(MeetingSeries, series)

    standup_days = []
    day = run.yesterday
    while len(standup_days) < run.size.standups_per_team:
        if day.weekday() in STANDUP_WEEKDAYS:
            standup_days.append(day)
        day -= datetime.timedelta(days=1)
    standup_days.reverse()
    ended = [sprint for sprint in sprints if sprint.end < run.today]
    meetings = []
    for tree, (standup, retro) in zip(trees, itertools.batched(series, 2), strict=True):
        meetings += [(Meeting(series=standup, date=day), tree) for day in standup_days]
        retro_days = [retro.date_for_sprint(sprint) for sprint in ended[-run.size.retros_per_team :]]
        meetings += [(Meeting(series=retro, date=day), tree) for day in retro_days if day < run.today]
    for meeting, _ in meetings:
        meeting.notes = f"- {run.rng.choice(CHECK_IN_NOTES)}\n- {run.rng.choice(AGENDA_TITLES)}: sorted."
        meeting.decisions = run.rng.choice(["", "", "Ship behind a flag first.", "Freeze deploys on Friday."])
    run.insert(Meeting, [meeting for meeting, _ in meetings])

    attendees, agenda, actions, retro_notes = [], [], [], []
    dates_by_series: dict[int, list[datetime.date]] = {}
    for meeting, _ in meetings:
        dates_by_series.setdefault(meeting.series_id, []).append(meeting.date)
    for meeting, tree in meetings:
        present = run.rng.sample(tree.people, k=max(1, round(len(tree.people) * run.rng.uniform(0.6, 1.0))))
        attendees += [{"meeting_id": meeting.pk, "person_id": person.pk} for person in present]
        for order in range(1, run.rng.randint(2, 3) + 1):
            agenda.append(
                AgendaItem(
                    meeting=meeting,
                    title=run.rng.choice(AGENDA_TITLES),
                    added_by=run.rng.choice(tree.people),
                    order=order,
                    discussed=True,
                )
            )
        action = ActionItem(
            series_id=meeting.series_id,
            raised_in=meeting,
            title=run.title(WORK_ITEMS),
            owner=run.rng.choice(present),
            due_date=meeting.date + datetime.timedelta(days=run.rng.randint(2, 7)),
        )
        later = [day for day in dates_by_series[meeting.series_id] if day > meeting.date]
        if later and run.rng.random() < 0.7:
            action.done_on = later[0]
            action.done_at = run.at(later[0])
        actions.append(action)
        if meeting.series.kind == MeetingSeries.Kind.RETRO:
            for kind, texts in (
                (RetroNote.Kind.WENT_WELL, RETRO_WENT_WELL),
                (RetroNote.Kind.TO_IMPROVE, RETRO_TO_IMPROVE),
            ):
                for text in run.rng.sample(texts, k=2):
                    retro_notes.append(RetroNote(meeting=meeting, kind=kind, text=text, author=run.rng.choice(present)))
    run.insert_rows(Meeting.attendees.through, attendees)
    run.insert(AgendaItem, agenda)
    run.insert(ActionItem, actions)
    run.insert(RetroNote, retro_notes)

    update_days = standup_days[-STANDUP_DAYS_WITH_UPDATES:]
    standups = []
    for tree in trees:
        for person in tree.people:
            for day in update_days:
                standup = StandupUpdate(
                    team=tree.top,
                    person=person,
                    date=day,
                    yesterday=run.rng.choice(STANDUP_YESTERDAY),
                    today=run.rng.choice(STANDUP_TODAY),
                    posted_at=run.at(day, 9),
                )
                if run.rng.random() < 0.08:
                    standup.blockers = run.rng.choice(BLOCKED_REASONS)
                    if day != update_days[-1]:
                        standup.blocker_cleared_at = run.at(day, 15)
                standups.append(standup)
    run.insert(StandupUpdate, standups)

    following = next(sprint for sprint in sprints if sprint.start > run.today)
    comments, requests = [], []
    for index, tree in enumerate(trees):
        author = run.rng.choice(tree.people)
        comments.append(
            PlanningComment(
                sprint=following,
                team=run.rng.choice(tree.planning_teams),
                author=author,
                body="Is this goal realistic with the on-call rotation next sprint?",
                is_concern=run.rng.random() < 0.3,
            )
        )
        to_team = trees[(index + 1) % len(trees)].top if len(trees) > 1 else tree.planning_teams[-1]
        from_team = tree.planning_teams[0]
        if to_team != from_team:
            requests.append(
                BlockedRequest(
                    sprint=following,
                    from_team=from_team,
                    to_team=to_team,
                    requested_by=author,
                    body=f"We need the {run.thing()} API change merged before we can start.",
                )
            )
    run.insert(PlanningComment, comments)
    run.insert(BlockedRequest, requests)
