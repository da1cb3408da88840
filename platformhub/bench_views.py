"""The benchmark's baseline: the fastest page this stack serves, measured in the same run as the
real pages so their ratio means something on any machine. Routed only when BENCHMARK_ROUTES is on."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from platformhub.models import Team


@require_GET
def fortunes(request: HttpRequest) -> HttpResponse:
    """One query for 12 rows and a small template, through the same middleware as every page."""
    teams = list(Team.objects.order_by("pk").values_list("pk", "name")[:12])
    return render(request, "platformhub/fortunes.html", {"teams": teams})
