"""The roadmap: horizons of items delivered by quarterly key results, for execs to read and
leads to shape in place. All in-place edits answer with the refreshed lanes."""

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from okrs import selectors, services
from okrs.forms import (
    HorizonForm,
    LinkKeyResultForm,
    LinkObjectiveForm,
    RoadmapItemEditForm,
    RoadmapItemForm,
    RoadmapMoveForm,
    ShareLinkForm,
    SnapshotForm,
)
from okrs.models import Horizon, KeyResult, Objective, RoadmapItem, RoadmapShareLink, RoadmapSnapshot
from platformhub.access import get_for_user, team_for_user
from platformhub.concurrency import EditConflict, last_change
from platformhub.conditional import conditional_page, page_clock
from platformhub.editing import save_form
from platformhub.models import Team

LANES_TARGET = "roadmap-lanes"
HEALTH_CHOICES = RoadmapItem.Health.choices


def _team(request: HttpRequest, slug: str, *, permission: str = "okrs.view") -> Team:
    return team_for_user(request, slug, permission=permission)


def _item(request: HttpRequest, pk: int, *, permission: str = "okrs.change") -> RoadmapItem:
    queryset = RoadmapItem.objects.select_related("team__parent", "horizon").prefetch_related("owners")
    return get_for_user(request, queryset, permission=permission, pk=pk)


def _health(request: HttpRequest) -> str | None:
    health = request.GET.get("health") or None
    return health if health in RoadmapItem.Health.values else None


def _team_query(request: HttpRequest) -> str:
    """The team name searched for on the roadmap of every team (PostgreSQL refuses a NUL in text)."""
    return request.GET.get("team", "").replace("\x00", "").strip()[:100]


def _page_context(request: HttpRequest, team: Team, health: str | None = None) -> dict:
    page = selectors.roadmap_page(team=team, health=health, now=timezone.now())
    can_edit = request.user.has_perm("okrs.change", team)
    return {"page": page, "team": team, "can_edit": can_edit, "health_choices": HEALTH_CHOICES}


def _page_shown(request: HttpRequest, fallback: Team) -> tuple[Team, str | None]:
    """The team roadmap (and health filter) the browser shows, from HTMX's HX-Current-URL, so an
    in-place change on the Platform roadmap answers with Platform's lanes, not a sub-team's. A header
    that is not a URL (urlsplit() refuses "http://[::1") falls back to the item's own team."""
    try:
        url = urlsplit(request.htmx.current_url or "")
        match = resolve(url.path)
    except (ValueError, Resolver404):
        return fallback, None
    health = QueryDict(url.query).get("health")
    health = health if health in RoadmapItem.Health.values else None
    if match.view_name == "okrs:team_roadmap":
        team = Team.objects.select_related("parent").filter(slug=match.kwargs["slug"]).first()
        if team is not None and request.user.has_perm("okrs.view", team):
            return team, health
    return fallback, health


def _render_lanes(request: HttpRequest, team: Team, *, moved_meanwhile: dict | None = None) -> HttpResponse:
    page_team, health = _page_shown(request, team)
    context = {**_page_context(request, page_team, health), "moved_meanwhile": moved_meanwhile}
    response = render(request, "okrs/roadmap.html#lanes", context, status=409 if moved_meanwhile else 200)
    return reswap(retarget(response, f"#{LANES_TARGET}"), "outerHTML")


def _after_change(request: HttpRequest, item_team: Team, message: str) -> HttpResponse:
    if request.htmx:
        return _render_lanes(request, item_team)
    messages.success(request, message)
    return redirect("okrs:team_roadmap", slug=item_team.slug)


@require_GET
@conditional_page
def roadmap(request: HttpRequest) -> HttpResponse:
    """The roadmap of every team, read-only, a page of top-level teams (each with its sub-teams) at
    a time; filterable by team name (?team=) and health, and the filters kept from page to page."""
    page = selectors.org_roadmap_page(
        user=request.user,
        team_query=_team_query(request),
        health=_health(request),
        now=page_clock(),
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    context = {
        "page": page,
        "all_teams": True,
        "health_choices": HEALTH_CHOICES,
        "page_size": selectors.ROADMAP_TEAMS_PER_PAGE,
    }
    return render(request, "okrs/roadmap.html", context)


@require_GET
@conditional_page
def team_roadmap(request: HttpRequest, slug: str) -> HttpResponse:
    team = _team(request, slug)
    context = _page_context(request, team, _health(request))
    if request.htmx and request.htmx.target == LANES_TARGET:
        return render(request, "okrs/roadmap.html#lanes", context)
    return render(request, "okrs/roadmap.html", context)


@login_not_required
@require_GET
def shared_roadmap(request: HttpRequest, token: str) -> HttpResponse:
    """The read-only roadmap behind a share link: no login, no links to anything else."""
    link = selectors.share_link_for_token(token)
    if link is None:
        raise Http404("This link does not exist or was revoked.")
    page = selectors.roadmap_page(team=link.team, health=None, now=timezone.now(), only_own_work=True)
    response = render(request, "okrs/roadmap_shared.html", {"page": page, "team": link.team, "read_only": True})
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def roadmap_changes(request: HttpRequest, slug: str) -> HttpResponse:
    team = _team(request, slug)
    snapshots = list(RoadmapSnapshot.objects.filter(team=team).select_related("taken_by"))
    chosen = None
    if snapshot_id := request.GET.get("snapshot"):
        chosen = next((s for s in snapshots if str(s.pk) == snapshot_id), None)
        if chosen is None:
            raise Http404("No such snapshot")
    elif snapshots:
        chosen = snapshots[0]
    changes = []
    if chosen is not None:
        current = selectors.roadmap_item_summaries(team=team, now=timezone.now())
        changes = selectors.roadmap_diff(before=chosen.items, after=current)
    context = {
        "team": team,
        "snapshots": snapshots,
        "snapshot": chosen,
        "changes": changes,
        "can_edit": request.user.has_perm("okrs.change", team),
        "form": SnapshotForm(),
    }
    return render(request, "okrs/roadmap_changes.html", context)


@require_POST
def snapshot_create(request: HttpRequest, slug: str) -> HttpResponse:
    team = _team(request, slug, permission="okrs.change")
    form = SnapshotForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the snapshot a name, such as “Q4 2022 review”.")
        return redirect("okrs:roadmap_changes", slug=team.slug)
    snapshot = services.roadmap_snapshot_take(
        team=team,
        name=form.cleaned_data["name"],
        taken_by=getattr(request.user, "person", None),
        items=selectors.roadmap_item_summaries(team=team, now=timezone.now()),
    )
    messages.success(request, f"Saved the roadmap as “{snapshot.name}”.")
    return redirect(reverse("okrs:roadmap_changes", args=[team.slug]) + f"?snapshot={snapshot.pk}")


@require_http_methods(["GET", "POST"])
def share_links(request: HttpRequest, slug: str) -> HttpResponse:
    team = _team(request, slug, permission="okrs.change")
    new_link = None
    form = ShareLinkForm()
    if request.method == "POST":
        form = ShareLinkForm(request.POST)
        if form.is_valid():
            _, token = services.roadmap_share_link_create(
                team=team, label=form.cleaned_data["label"], created_by=getattr(request.user, "person", None)
            )
            new_link = request.build_absolute_uri(reverse("okrs:shared_roadmap", args=[token]))
            form = ShareLinkForm()
    links = list(RoadmapShareLink.objects.filter(team=team).select_related("created_by"))
    context = {"team": team, "links": links, "form": form, "new_link": new_link}
    return render(request, "okrs/roadmap_share.html", context, status=422 if form.errors else 200)


@require_POST
def share_link_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    link = get_for_user(request, RoadmapShareLink.objects.select_related("team"), permission="okrs.change", pk=pk)
    services.roadmap_share_link_revoke(link=link)
    messages.success(request, "Revoked the link. It no longer opens the roadmap.")
    return redirect("okrs:share_links", slug=link.team.slug)


@require_http_methods(["GET", "POST"])
def horizon_create(request: HttpRequest, slug: str) -> HttpResponse:
    team = _team(request, slug, permission="okrs.change")
    template, context = "okrs/roadmap_horizon_form.html", {"team": team}
    if request.method == "GET":
        return render(request, template, {**context, "form": HorizonForm()})

    def done(horizon: Horizon) -> HttpResponse:
        messages.success(request, f"Added the horizon “{horizon.name}”.")
        return redirect("okrs:team_roadmap", slug=team.slug)

    return save_form(
        request,
        form=HorizonForm(request.POST),
        template=template,
        context=context,
        save=lambda data: services.horizon_create(team=team, **data),
        done=done,
        field_map={"__all__": "name"},
    )


def _item_horizons(team: Team):
    return Horizon.objects.filter(Q(team__isnull=True) | Q(team=team)).order_by("order", "pk")


@require_http_methods(["GET", "POST"])
def item_create(request: HttpRequest, slug: str) -> HttpResponse:
    team = _team(request, slug, permission="okrs.change")
    try:
        horizon = _item_horizons(team).get(pk=request.GET.get("horizon") or request.POST.get("horizon"))
    except (Horizon.DoesNotExist, ValueError):
        raise Http404("Pick one of the team's horizons") from None
    form_kwargs = {"people": selectors.people_for_team(team)}
    template = "okrs/roadmap_item_form.html#form" if request.htmx else "okrs/roadmap_item_form.html"
    context = {"team": team, "horizon": horizon}
    if request.method == "GET":
        return render(request, template, {**context, "form": RoadmapItemForm(**form_kwargs)})
    return save_form(
        request,
        form=RoadmapItemForm(request.POST, **form_kwargs),
        template=template,
        context=context,
        save=lambda data: services.roadmap_item_create(team=team, horizon=horizon, **data),
        done=lambda item: _after_change(request, team, f"Added “{item.title}” to {horizon.name}."),
    )


@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    form_kwargs = {"people": selectors.people_for_team(item.team)}
    template = "okrs/roadmap_item_form.html#form" if request.htmx else "okrs/roadmap_item_form.html"
    context = {"team": item.team, "horizon": item.horizon, "item": item}
    if request.method == "GET":
        form = RoadmapItemEditForm(initial=RoadmapItemEditForm.initial_for(item), **form_kwargs)
        return render(request, template, {**context, "form": form})
    return save_form(
        request,
        form=RoadmapItemEditForm(request.POST, **form_kwargs),
        template=template,
        context=context,
        save=lambda data: services.roadmap_item_update(
            item=item,
            expected_version=data["version"],
            title=data["title"],
            description=data["description"],
            owners=data["owners"],
            status=data["status"],
            commitment=data["commitment"],
            health=data["health"],
        ),
        done=lambda saved: _after_change(request, saved.team, f"Saved “{saved.title}”."),
    )


@require_http_methods(["GET", "POST"])
def item_delete(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    if request.method == "GET":
        template = "okrs/confirm_delete.html#confirm" if request.htmx else "okrs/confirm_delete.html"
        context = {
            "thing": item,
            "kind": "roadmap item",
            "consequence": "Its links to key results go with it; the key results stay.",
            "action": reverse("okrs:roadmap_item_delete", args=[item.pk]),
            "cancel": request.htmx.current_url or reverse("okrs:team_roadmap", args=[item.team.slug]),
            "back": reverse("okrs:team_roadmap", args=[item.team.slug]),
            "replace_id": f"item-{item.pk}",
            "target": f"#{LANES_TARGET}",
            "team": item.team,
            "breadcrumbs": "okrs/_roadmap_breadcrumbs.html",
        }
        return render(request, template, context)
    services.roadmap_item_delete(item=item)
    return _after_change(request, item.team, f"Deleted “{item.title}”.")


@require_POST
def item_move(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    form = RoadmapMoveForm(request.POST, horizons=_item_horizons(item.team))
    if not form.is_valid():
        problem = form.errors.get("__all__") or form.errors.get("version") or ["Pick a horizon."]
        return HttpResponse(" ".join(problem), status=400)
    horizon = form.cleaned_data["horizon"]
    try:
        if horizon is None:
            services.roadmap_item_reorder(item=item, direction=form.cleaned_data["direction"])
        else:
            services.roadmap_item_move(item=item, horizon=horizon, expected_version=form.cleaned_data["version"])
    except EditConflict as conflict:
        return _moved_meanwhile(request, conflict.current, wanted=horizon)
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=400)
    return _after_change(request, item.team, f"Moved “{item.title}”.")


def _moved_meanwhile(request: HttpRequest, item: RoadmapItem, *, wanted: Horizon) -> HttpResponse:
    """409: someone changed the item while this person was moving it. The roadmap as it is now,
    naming the horizon the item is in, with the horizon this person picked still picked."""
    moved_meanwhile = {"item": item.pk, "now_in": item.horizon, "wanted": wanted, "changed_by": last_change(item)}
    if request.htmx:
        return _render_lanes(request, item.team, moved_meanwhile=moved_meanwhile)
    context = {**_page_context(request, item.team), "moved_meanwhile": moved_meanwhile}
    return render(request, "okrs/roadmap.html", context, status=409)


def _linkable_key_results(item: RoadmapItem):
    root = item.team.root_id
    return (
        KeyResult.objects.filter(Q(objective__team_id=root) | Q(objective__team__parent_id=root))
        .exclude(pk__in=item.key_results.values("pk"))
        .select_related("objective__period")
        .order_by("-objective__period__start", "objective__order", "order")
    )


def _linkable_objectives(item: RoadmapItem):
    root = item.team.root_id
    return (
        Objective.objects.filter(Q(team_id=root) | Q(team__parent_id=root), archived=False)
        .exclude(pk__in=item.objectives.values("pk"))
        .select_related("period")
        .order_by("-period__start", "order")
    )


@require_http_methods(["GET", "POST"])
def item_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link a key result (its progress counts in the item's) or an objective to the item."""
    item = _item(request, pk)
    template = "okrs/roadmap_link_form.html#form" if request.htmx else "okrs/roadmap_link_form.html"
    objective_form = LinkObjectiveForm(objectives=_linkable_objectives(item))
    context = {"item": item, "team": item.team, "objective_form": objective_form}
    key_results = _linkable_key_results(item)
    if request.method == "GET":
        return render(request, template, {**context, "form": LinkKeyResultForm(key_results=key_results)})

    def link(data: dict) -> KeyResult:
        services.roadmap_item_link_key_result(item=item, key_result=data["key_result"])
        return data["key_result"]

    return save_form(
        request,
        form=LinkKeyResultForm(request.POST, key_results=key_results),
        template=template,
        context=context,
        save=link,
        done=lambda key_result: _after_change(request, item.team, f"Linked “{key_result.title}”."),
        field_map={"__all__": "key_result"},
    )


@require_POST
def item_link_objective(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    template = "okrs/roadmap_link_form.html#form" if request.htmx else "okrs/roadmap_link_form.html"
    objective_form = LinkObjectiveForm(request.POST, objectives=_linkable_objectives(item))
    context = {
        "item": item,
        "team": item.team,
        "objective_form": objective_form,
        "form": LinkKeyResultForm(key_results=_linkable_key_results(item)),
    }

    def link(data: dict) -> Objective:
        services.roadmap_item_link_objective(item=item, objective=data["objective"])
        return data["objective"]

    return save_form(
        request,
        form=objective_form,
        template=template,
        context=context,
        save=link,
        done=lambda objective: _after_change(request, item.team, f"Linked “{objective.title}”."),
        field_map={"__all__": "objective"},
    )


@require_POST
def item_unlink_objective(request: HttpRequest, pk: int, objective_pk: int) -> HttpResponse:
    item = _item(request, pk)
    objective = item.objectives.filter(pk=objective_pk).first()
    if objective is None:
        raise Http404("That objective is not linked to this item")
    services.roadmap_item_unlink_objective(item=item, objective=objective)
    return _after_change(request, item.team, f"Unlinked “{objective.title}”.")


@require_POST
def item_unlink(request: HttpRequest, pk: int, key_result_pk: int) -> HttpResponse:
    item = _item(request, pk)
    key_result = item.key_results.filter(pk=key_result_pk).first()
    if key_result is None:
        raise Http404("That key result is not linked to this item")
    services.roadmap_item_unlink_key_result(item=item, key_result=key_result)
    return _after_change(request, item.team, f"Unlinked “{key_result.title}”.")
