"""The pages and partials the benchmark measures on scale data (platformhub/scale.py), as
requests a test client can make; benchmarks/bench.py times them, and a test checks that each
runs the same number of queries at every size."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.test import Client
from django.utils import timezone

BASELINE = "baseline (fortunes)"
HTMX = {"HTTP_HX_REQUEST": "true"}


@dataclass
class PageRequest:
    client: Client
    method: str
    url: str
    data: Callable[[], dict] | None = None  # a fresh form for every request (versions move on)
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> dict | None:
        return self.data() if self.data is not None else None

    def send(self, payload: dict | None):
        return getattr(self.client, self.method)(self.url, payload, **self.headers)


def benchmark_pages(*, lead: Client, viewer: Client) -> dict[str, PageRequest]:
    """Each page as the reference team's lead (`scale-lead`) or the org-wide viewer sees it."""
    from okrs.models import KeyResult, Objective, Period
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

    def check_in_data() -> dict:
        key_result.refresh_from_db(fields=["version", "current_value"])
        value = (key_result.current_value or 0) + 1
        return {"value": str(value), "confidence": "medium", "note": "", "version": key_result.version}

    def move_data() -> dict:
        card.refresh_from_db(fields=["version", "column"])
        target = "in_progress" if card.column != "in_progress" else "in_review"
        return {"column": target, "version": card.version, "query": "", "board": ""}

    def objective_move_data() -> dict:
        """Down from the top, up from anywhere else: it moves every time."""
        first = (
            Objective.objects.filter(team=objective.team, period=objective.period, archived=False)
            .order_by("order", "pk")
            .first()
        )
        return {"direction": "down" if first.pk == objective.pk else "up"}

    def edit_data() -> dict:
        objective.refresh_from_db()
        return {
            "title": objective.title,
            "why": objective.why,
            "owners": list(objective.owners.values_list("pk", flat=True)),
            "parent": objective.parent_id or "",
            "version": objective.version,
        }

    return {
        BASELINE: PageRequest(lead, "get", "/bench/fortunes/"),
        "team OKR page": PageRequest(lead, "get", f"{reference}/okrs/{period.slug}/"),
        "org OKR overview": PageRequest(viewer, "get", "/okrs/"),
        "KR detail": PageRequest(lead, "get", f"/key-results/{key_result.pk}/"),
        "roadmap (one team)": PageRequest(lead, "get", f"{reference}/roadmap/"),
        "roadmap (all teams)": PageRequest(viewer, "get", "/roadmap/"),
        "dashboard": PageRequest(lead, "get", "/"),
        "dashboard (all teams)": PageRequest(viewer, "get", "/"),
        "board": PageRequest(lead, "get", f"{reference}/board/"),
        "sprint report": PageRequest(lead, "get", f"/sprints/{last_closed.number}/report/"),
        "meeting page": PageRequest(lead, "get", f"/meetings/{meeting.series_id}/{meeting.date.isoformat()}/"),
        "partial: check-in": PageRequest(lead, "post", f"/key-results/{key_result.pk}/check-in/", check_in_data, HTMX),
        "partial: card move": PageRequest(lead, "post", f"/cards/{card.pk}/move/", move_data, HTMX),
        "partial: inline edit": PageRequest(lead, "post", f"/objectives/{objective.pk}/edit/", edit_data, HTMX),
        "partial: objective move": PageRequest(
            lead, "post", f"/objectives/{objective.pk}/move/", objective_move_data, HTMX
        ),
    }
