"""Team pages. Views stay thin: access checks in `_get_team_for_user`, reads in selectors,
writes in services, and HTMX requests get the page's partial instead of the whole page."""

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from integrations import selectors as integration_selectors
from okrs.selectors import readable_teams
from platformhub import selectors, services
from platformhub.access import get_for_user
from platformhub.conditional import conditional_page, page_clock
from platformhub.editing import save_form
from platformhub.forms import TeamAboutForm
from platformhub.models import Team
from sprints import selectors as sprint_selectors
from sprints.meeting_views import blockers_for

ABOUT_TARGET = "team-about"


def _get_team_for_user(
    request: HttpRequest,
    slug: str,
    *,
    permission: str = "platformhub.view_team",
    queryset: QuerySet[Team] | None = None,
) -> Team:
    queryset = queryset if queryset is not None else Team.objects.select_related("parent")
    return get_for_user(request, queryset, permission=permission, slug=slug)


@require_GET
def team_list(request: HttpRequest) -> HttpResponse:
    return render(request, "platformhub/home.html", {"teams": selectors.team_list_visible_to(request.user)})


@require_GET
@conditional_page
def dashboard(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """Every key result of the quarter with the GitHub work delivering it, for one team
    (`/teams/<slug>/dashboard/`) or every team the reader may see (`/`)."""
    team = _get_team_for_user(request, slug) if slug else None
    board = integration_selectors.dashboard(
        user=request.user,
        team=team,
        team_slug=request.GET.get("team", ""),
        quarter=request.GET.get("quarter", ""),
        status=request.GET.get("status", ""),
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        now=page_clock(),
    )
    context = {"board": board, "team": board.team}
    return render(request, "platformhub/dashboard.html", context)


@require_GET
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team = _get_team_for_user(request, slug, queryset=selectors.team_get_for_page_queryset())
    context = {
        "team": team,
        "can_edit": request.user.has_perm("platformhub.change_team", team),
        "now": timezone.now(),
        "blockers": blockers_for(
            request,
            sprint_selectors.team_tree_ids(team.parent or team),
            sprint_selectors.latest_date_anywhere(timezone.now()),
        ),
    }
    if request.htmx and request.htmx.target == ABOUT_TARGET:
        return render(request, "platformhub/team_detail.html#about", context)
    return render(request, "platformhub/team_detail.html", context)


@require_http_methods(["GET", "POST"])
def team_about_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Edit the mission and guidelines: a form swapped into the team page, or a page of its own."""
    team = _get_team_for_user(request, slug, permission="platformhub.change_team")
    template = "platformhub/team_about_edit.html#form" if request.htmx else "platformhub/team_about_edit.html"
    if request.method == "GET":
        form = TeamAboutForm(initial={"mission": team.mission, "guidelines": team.guidelines, "version": team.version})
        return render(request, template, {"team": team, "form": form})

    def done(saved: Team) -> HttpResponse:
        if request.htmx:
            return render(request, "platformhub/team_detail.html#about", {"team": saved, "can_edit": True})
        messages.success(request, "Saved the team's mission and guidelines.")
        return redirect(saved)

    return save_form(
        request,
        form=TeamAboutForm(request.POST),
        template=template,
        context={"team": team},
        save=lambda data: services.team_update_about(
            team=team, mission=data["mission"], guidelines=data["guidelines"], expected_version=data["version"]
        ),
        done=done,
    )


@require_GET
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A person's page: their teams, the action items they owe, their cards and recent standups."""
    person = selectors.person_for_page(pk)
    if person is None or not selectors.person_is_visible_to(person, request.user):
        raise Http404("No such person")
    today = timezone.localdate()
    readable = readable_teams(request.user)
    actions = sprint_selectors.flag_overdue(sprint_selectors.person_open_actions(person, readable), today)
    for action in actions:
        action.can_tick = request.user.has_perm("sprints.attend", action)
    context = {
        "person": person,
        "now": timezone.now(),
        "actions": actions,
        "overdue_count": sum(action.overdue for action in actions),
        "cards": sprint_selectors.person_open_cards(person, readable),
        "standups": sprint_selectors.person_recent_standups(person, readable),
    }
    return render(request, "platformhub/person.html", context)
