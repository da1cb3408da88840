"""The Platform team's Q4 2022 OKRs from its handbook page, with check-ins spread over the quarter."""

import datetime
from decimal import Decimal

from django.db import transaction

from okrs.models import Horizon, KeyResult, Objective, RoadmapItem
from okrs.selectors import roadmap_item_summaries
from okrs.services import (
    check_in_record,
    horizon_create,
    key_result_create,
    objective_create,
    period_get_or_create,
    roadmap_item_create,
    roadmap_item_link_key_result,
    roadmap_snapshot_take,
)
from platformhub.models import Person, Team

HIGH, MEDIUM, LOW = KeyResult.Confidence.HIGH, KeyResult.Confidence.MEDIUM, KeyResult.Confidence.LOW


def _at(month: int, day: int) -> datetime.datetime:
    return datetime.datetime(2022, month, day, 10, 0, tzinfo=datetime.UTC)


def load_platform_okrs(platform: Team) -> bool:
    """Add Q4 2022 unless the team already has objectives in it; returns whether it added them."""
    period = period_get_or_create(year=2022, quarter=4)
    if Objective.objects.filter(team=platform, period=period).exists():
        return False
    _create_q4_2022(platform, period)
    return True


@transaction.atomic
def _create_q4_2022(platform: Team, period) -> None:
    people = {person.user.username: person for person in Person.objects.select_related("user")}
    ellie, guido, daniel = people["ellie"], people["guido"], people["daniel"]

    uptime = objective_create(
        team=platform,
        period=period,
        title="High uptime and increase the resilience/redundancy",
        why="A lack of reliability will cause churn.",
        owners=[guido, daniel],
    )
    postgres = key_result_create(
        objective=uptime,
        title="Migrate postgres out of heroku",
        kind=KeyResult.Kind.ISSUES,
        owners=[guido, daniel],
    )
    _check_ins(
        postgres,
        [
            (guido, _at(10, 14), None, None, HIGH, "RDS instances provisioned; replication from Heroku running."),
            (guido, _at(11, 4), None, None, HIGH, "Plugin-server database cut over with 4 minutes of read-only."),
            (daniel, _at(11, 25), None, None, MEDIUM, "Main app database moved; the last one needs a bigger window."),
        ],
    )
    load_testing = key_result_create(
        objective=uptime,
        title="Regular synthetic load testing on production",
        kind=KeyResult.Kind.METRIC,
        unit="weekly load test runs",
        start_value=Decimal(0),
        target_value=Decimal(12),
        owners=[daniel],
    )
    _check_ins(
        load_testing,
        [
            (daniel, _at(10, 21), Decimal(1), None, HIGH, "First k6 run against prod ingestion at 2× normal load."),
            (daniel, _at(11, 11), Decimal(3), None, MEDIUM, "Runs are manual; automating them in CI next."),
            (daniel, _at(12, 9), Decimal(5), None, LOW, "Paused during the Postgres migration."),
            (daniel, _at(12, 23), Decimal(6), None, LOW, "Half the weeks covered; carrying this into Q1."),
        ],
    )

    compliance = objective_create(
        team=platform,
        period=period,
        title="Meet the compliance needs of 5 companies that we cannot meet today",
        why="Not having these is blocking customers, who we can often uniquely satisfy.",
        owners=[ellie],
    )
    eu_cloud = key_result_create(
        objective=compliance,
        title="EU Cloud is successfully managed",
        kind=KeyResult.Kind.MILESTONE,
        owners=[ellie, guido],
    )
    _check_ins(
        eu_cloud,
        [
            (ellie, _at(10, 28), None, False, MEDIUM, "EU cluster live for beta customers; on-call runbooks missing."),
            (
                guido,
                _at(12, 2),
                None,
                True,
                HIGH,
                "Runbooks, alerts and backups in place; EU Cloud is generally available.",
            ),
        ],
    )
    soc2 = key_result_create(
        objective=compliance,
        title="Progress made on SOC2",
        kind=KeyResult.Kind.PERCENT,
        owners=[ellie],
    )
    _check_ins(
        soc2,
        [
            (ellie, _at(10, 12), Decimal(20), None, HIGH, "Auditor chosen, controls mapped."),
            (ellie, _at(11, 16), Decimal(55), None, HIGH, "Policies written and signed off."),
            (ellie, _at(12, 20), Decimal(80), None, MEDIUM, "Evidence collection lags on access reviews."),
        ],
    )

    infrastructure = Team.objects.get(slug="infrastructure")
    ingestion = Team.objects.get(slug="ingestion")
    replicas = objective_create(
        team=infrastructure,
        period=period,
        title="Postgres runs on managed, replicated AWS infrastructure",
        owners=[guido, daniel],
        parent=uptime,
    )
    cutover = key_result_create(
        objective=replicas,
        title="Read replicas in two availability zones",
        kind=KeyResult.Kind.MILESTONE,
        owners=[guido],
    )
    _check_ins(cutover, [(guido, _at(11, 18), None, True, HIGH, "Replicas in eu-central-1a and 1b.")])
    eu_ingestion = objective_create(
        team=ingestion,
        period=period,
        title="EU events never leave the EU",
        owners=[daniel, ellie],
        parent=compliance,
    )
    pipeline = key_result_create(
        objective=eu_ingestion,
        title="Share of EU events ingested in eu-central-1",
        kind=KeyResult.Kind.PERCENT,
        owners=[daniel],
    )
    _check_ins(
        pipeline,
        [
            (daniel, _at(11, 2), Decimal(60), None, HIGH, "Capture endpoints live in Frankfurt."),
            (daniel, _at(12, 14), Decimal(95), None, HIGH, "Only session recordings still go through the US."),
        ],
    )


def _check_ins(key_result: KeyResult, entries) -> None:
    for author, at, value, done, confidence, note in entries:
        key_result.refresh_from_db(fields=["version"])
        check_in_record(
            key_result=key_result,
            author=author,
            expected_version=key_result.version,
            confidence=confidence,
            value=value,
            done=done,
            note=note,
            at=at,
        )


SIX_MONTH_ITEMS = [
    # title, status, commitment, health, KRs that deliver it
    ("No Heroku", RoadmapItem.Status.IN_PROGRESS, "committed", "on_track", ["Migrate postgres out of heroku"]),
    ("5 Billion / month events", RoadmapItem.Status.PLANNED, "likely", "at_risk", []),
    ("SOC 2 Ready", RoadmapItem.Status.IN_PROGRESS, "committed", "at_risk", ["Progress made on SOC2"]),
    (
        "All infra is managed as code on prod / staging + EU Ready 🎈",
        RoadmapItem.Status.IN_PROGRESS,
        "committed",
        "on_track",
        ["EU Cloud is successfully managed"],
    ),
    (
        "Rock solid, reliable infrastructure with regular production load testing to inform scaling plans",
        RoadmapItem.Status.IN_PROGRESS,
        "likely",
        "off_track",
        ["Regular synthetic load testing on production"],
    ),
]
THREE_YEAR_ITEMS = [
    ("All infrastructure is managed as code", RoadmapItem.Status.PLANNED, "likely", "on_track", []),
    ("Cloud is global", RoadmapItem.Status.IN_PROGRESS, "likely", "on_track", ["EU Cloud is successfully managed"]),
    (
        "Best in class security and privacy compliance",
        RoadmapItem.Status.IN_PROGRESS,
        "committed",
        "on_track",
        ["Progress made on SOC2"],
    ),
    ("Scale beyond 1 Trillion events / month", RoadmapItem.Status.PLANNED, "candidate", "on_track", []),
    ("Support non-k8s Deploys 🤖", RoadmapItem.Status.PLANNED, "candidate", "on_track", []),
    ("Painless developer/contributor experience", RoadmapItem.Status.PLANNED, "candidate", "on_track", []),
]


def load_platform_roadmap(platform: Team) -> bool:
    """The handbook's 6-month and 3-year roadmap, linked to the Q4 2022 KRs, with an earlier
    snapshot (the Q3 2022 review) so "what changed" has a story. Skipped if the team has items."""
    if RoadmapItem.objects.filter(team=platform).exists():
        return False
    _create_roadmap(platform)
    return True


@transaction.atomic
def _create_roadmap(platform: Team) -> None:
    six_month = Horizon.objects.filter(team=None, name="6 month").first() or horizon_create(
        team=None, name="6 month", target_date=datetime.date(2023, 6, 30)
    )
    three_year = Horizon.objects.filter(team=None, name="3-year").first() or horizon_create(
        team=None, name="3-year", target_date=datetime.date(2025, 12, 31)
    )
    key_results = {
        kr.title: kr for kr in KeyResult.objects.filter(objective__team=platform).select_related("objective")
    }
    people = {person.user.username: person for person in Person.objects.select_related("user")}
    items = {}
    for horizon, entries in ((six_month, SIX_MONTH_ITEMS), (three_year, THREE_YEAR_ITEMS)):
        for title, status, commitment, health, delivered_by in entries:
            item = roadmap_item_create(
                team=platform,
                horizon=horizon,
                title=title,
                status=status,
                commitment=commitment,
                health=health,
                owners=[people["ellie"]],
            )
            for kr_title in delivered_by:
                roadmap_item_link_key_result(item=item, key_result=key_results[kr_title])
            items[title] = item
    _q3_review(platform, items, six_month, three_year, people["ellie"])


def _q3_review(platform: Team, items: dict, six_month, three_year, ellie) -> None:
    """How the roadmap looked at the end of Q3 2022, before this quarter's changes."""
    current = {entry["title"]: entry for entry in roadmap_item_summaries(team=platform, now=_at(12, 31))}
    before = []
    for title, entry in current.items():
        if title == "Painless developer/contributor experience":
            continue  # added since
        entry = dict(entry)
        if title == "No Heroku":
            entry.update(status="planned", health="at_risk", progress=0)
        if title == "SOC 2 Ready":
            entry.update(commitment="likely", progress=10)
        if title == "5 Billion / month events":
            entry.update(horizon_id=three_year.pk, horizon=three_year.name)
        before.append(entry)
    before.append(
        {
            "id": 0,
            "title": "Self-hosted Kafka upgrades",
            "horizon_id": six_month.pk,
            "horizon": six_month.name,
            "status": "planned",
            "commitment": "candidate",
            "health": "on_track",
            "progress": None,
        }
    )
    roadmap_snapshot_take(
        team=platform,
        name="Q3 2022 review",
        taken_by=ellie,
        items=before,
        at=datetime.datetime(2022, 9, 28, 15, 0, tzinfo=datetime.UTC),
    )
