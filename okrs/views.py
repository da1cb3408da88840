"""OKR pages and their in-place edits. Each edit works as an HTMX swap and as a plain form."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from integrations.selectors import linked_issues_context
from okrs import selectors, services
from okrs.charts import progress_chart
from okrs.forms import (
    CheckInForm,
    KeyResultEditForm,
    KeyResultForm,
    ObjectiveEditForm,
    ObjectiveForm,
    OpenNextPeriodForm,
    ScoreForm,
)
from okrs.models import KeyResult, Objective, Period
from okrs.progress import suggested_score
from okrs.templatetags.okrs import EmptyCheckInForm
from platformhub.access import author_of, found_for_user, team_for_user
from platformhub.concurrency import EditConflict
from platformhub.conditional import conditional_page
from platformhub.editing import add_service_errors, save_form
from platformhub.models import Team
from platformhub.permissions import is_one_of
from platformhub.prepared import prepared

LIST_TARGET = "okr-list"
SUMMARY_TARGET = "kr-summary"
NEW_OBJECTIVE_FORM = "objective-new"


def _period(period_slug: str, *, for_writing: bool = False) -> Period:
    """The quarter named like "2022-q4": saved when about to be written to, else possibly unsaved."""
    parsed = selectors.parse_quarter(period_slug)
    if parsed is None:
        raise Http404("No such quarter")
    year, quarter = parsed
    if for_writing:
        return services.period_get_or_create(year=year, quarter=quarter)
    return selectors.period_find(year, quarter)


def _team(request: HttpRequest, slug: str, *, permission: str = "okrs.view") -> Team:
    return team_for_user(request, slug, permission=permission)


def _objective(request: HttpRequest, pk: int, *, permission: str) -> Objective:
    return found_for_user(request, _objective_with_pk(pk=pk), permission=permission)


@prepared
def _objective_with_pk(*, pk: int) -> QuerySet[Objective]:
    return Objective.objects.filter(pk=pk).select_related("team__parent", "period").prefetch_related("owners")


def _key_result(request: HttpRequest, pk: int, *, permission: str) -> KeyResult:
    """The key result with its objective, team and owners: what forms and permissions read. Its
    row's progress is read again after a write (`selectors.key_result_change`), so it is not
    counted here: a GROUP BY over its issues cost the check-in more than its own writes."""
    return found_for_user(request, selectors.key_result_to_edit(pk=pk), permission=permission)


def _page_context(request: HttpRequest, team: Team, period: Period) -> dict:
    now = timezone.now()
    this_quarter = Period.quarter_of(now.date())
    current = period if (period.year, period.quarter) == this_quarter else selectors.period_find(*this_quarter)
    page = selectors.team_okr_page(team=team, period=period, current=current, now=now)
    can_lead = request.user.has_perm("okrs.change", team)
    _allow_check_ins(request, team, [kr for objective in page.objectives for kr in objective.krs])
    return {
        "page": page,
        "team": team,
        "period": period,
        "is_closed": page.is_closed,
        "can_edit": can_lead and not page.is_closed,
        "can_lead": can_lead,
        "reordering": _reordering(request),
    }


def _reordering(request: HttpRequest) -> int | None:
    """The objective whose key results are being reordered (`?reorder=<its id>`): only then do
    its rows show move buttons (in place of their other buttons), which keeps the page small."""
    value = request.GET.get("reorder", "")
    return int(value) if value.isascii() and value.isdigit() else None


def _allow_check_ins(request: HttpRequest, team: Team, key_results: list) -> None:
    """Mark the key results of `team` (with `.owner_ids`) the user may check in on: all of them
    for its members and leads, else the ones they own (`okrs.check_in`, asked of the owners
    already loaded)."""
    everyone = request.user.has_perm("okrs.check_in", team)
    for key_result in key_results:
        key_result.can_check_in = everyone or is_one_of(request.user, key_result.owner_ids)


def _editing_context(request: HttpRequest, objective: Objective, *, written: bool = False) -> dict:
    """The objective with its team and quarter, whether that quarter is closed and whether the
    user may edit the objective: what its card's buttons depend on."""
    return {
        "objective": objective,
        **_quarter_editing_context(request, objective.team, objective.period, written=written),
    }


def _quarter_editing_context(request: HttpRequest, team: Team, period: Period, *, written: bool = False) -> dict:
    """Whether the team's quarter is closed and whether the user may edit its objectives. After
    this request `written` to the quarter it is not asked again: the write found it open (the
    service checks, `services.ensure_period_open`, with the team locked)."""
    closed = not written and selectors.team_period_is_closed(team=team, period=period)
    return {
        "team": team,
        "period": period,
        "is_closed": closed,
        "can_edit": request.user.has_perm("okrs.change", team) and not closed,
    }


def _render_card(
    request: HttpRequest,
    objective: Objective,
    *,
    retarget_card: bool = True,
    card: selectors.ObjectiveCard | None = None,
    written: bool = False,
) -> HttpResponse:
    """The objective's card, plus (out of band) the page's status counts, which adding or removing
    a key result moves."""
    card = card or selectors.objective_card(objective=objective, now=timezone.now())
    _allow_check_ins(request, card.objective.team, card.objective.krs)
    context = {**_editing_context(request, card.objective, written=written), "counts": card.status_counts}
    response = render(request, "okrs/team_okrs.html#objective_card", context)
    return reswap(retarget(response, f"#objective-{objective.pk}"), "outerHTML") if retarget_card else response


def _render_key_results(
    request: HttpRequest, objective: Objective, *, reordering: bool, with_actions: bool = False, written: bool = False
) -> HttpResponse:
    """The rows of the objective's key results (with move buttons while `reordering`), and out of
    band its buttons when reordering starts or ends (the button to end it takes the place of the
    one to start it)."""
    objective = selectors.objective_rows(objective=objective, now=timezone.now())
    _allow_check_ins(request, objective.team, objective.krs)
    context = {
        **_editing_context(request, objective, written=written),
        "reordering": objective.pk if reordering else None,
    }
    template = "okrs/team_okrs.html#key_results_change" if with_actions else "okrs/team_okrs.html#key_results"
    response = render(request, template, context)
    return reswap(retarget(response, f"#objective-{objective.pk}-krs"), "outerHTML")


def _render_objective_head(
    request: HttpRequest, objective_id: int, *, with_actions: bool, written: bool = False
) -> HttpResponse:
    """The head of the objective's card (title, owners, progress, why), and out of band its
    buttons when they may have changed (they name the objective)."""
    objective = selectors.objective_for_head(objective_id=objective_id, now=timezone.now())
    template = "okrs/team_okrs.html#objective_change" if with_actions else "okrs/team_okrs.html#objective_head"
    return render(request, template, _editing_context(request, objective, written=written))


def _render_key_result_change(request: HttpRequest, key_result: KeyResult, *, written: bool = False) -> HttpResponse:
    """After a check-in or an edit in place of a key result's row (or its Cancel): the row, and out
    of band its objective's progress and status and the page's counts (not the whole card)."""
    change = selectors.key_result_change(key_result=key_result, now=timezone.now())
    _allow_check_ins(request, change.objective.team, [change.key_result])
    context = {
        **_editing_context(request, change.objective, written=written),
        "kr": change.key_result,
        "counts": change.status_counts,
    }
    return render(request, "okrs/team_okrs.html#key_result_change", context)


def _render_key_results_change(
    request: HttpRequest, objective: Objective, *, added: KeyResult | None = None, written: bool = False
) -> HttpResponse:
    """After a key result is added to the objective (`added`) or deleted from it: out of band, the
    new row at the end of its rows, the objective's progress and buttons (reordering needs two key
    results) and the page's counts; the form or confirmation that asked goes. The first key result
    added, or the last deleted, answers with the card (its "No key results yet" comes or goes)."""
    card = selectors.objective_card(objective=objective, now=timezone.now())
    key_results = card.objective.krs
    if (added is not None and len(key_results) == 1) or not key_results:
        return _render_card(request, objective, card=card, written=written)
    _allow_check_ins(request, card.objective.team, key_results)
    context = {
        **_editing_context(request, card.objective, written=written),
        "counts": card.status_counts,
        "added": next((kr for kr in key_results if added is not None and kr.pk == added.pk), None),
    }
    return reswap(render(request, "okrs/team_okrs.html#key_results_count_change", context), "delete")


def _render_objectives_change(
    request: HttpRequest,
    team: Team,
    period: Period,
    *,
    objective_id: int | None = None,
    moved: services.Direction | None = None,
    unaligned: list[Objective] | None = None,
    written: bool = False,
) -> HttpResponse:
    """After an objective is added (`objective_id`), moved (`objective_id` and `moved`) or deleted,
    what changed, out of band, instead of the whole list: the added card, or the moved one (htmx
    moves the card already on the page, hx-preserve), in its place beside a neighbour; the move
    buttons of the cards whose place among the first and last may have changed; the counts (not
    moved by a move); and the sub-team objectives a delete left `unaligned`. The form or
    confirmation that asked goes; a move's button stays where it is, in its moved card. The first
    objective, or the last deleted, answers with the list (its empty state comes or goes)."""
    if moved:
        change = selectors.objective_list_move(team=team, period=period, objective_id=objective_id)
    else:
        change = selectors.objective_list_change(
            team_id=team.pk, period_id=period.pk, now=timezone.now(), objective_id=objective_id
        )
    alone = change.objective is not None and change.previous is None and change.next is None
    if not change.ends or alone or (objective_id is not None and change.objective is None):
        return _render_list(request, team, period)
    if change.objective is None:
        place, neighbours = None, change.ends
    else:
        place = (
            f"afterend:#objective-{change.previous.pk}"
            if change.previous
            else f"beforebegin:#objective-{change.next.pk}"
        )
        swapped = change.previous if moved == "down" else change.next
        neighbours = [swapped] if moved else [change.previous]
        if not moved:
            _allow_check_ins(request, team, change.objective.krs)
    context = {
        "objective": change.objective,
        **_quarter_editing_context(request, team, period, written=written),
        "counts": change.status_counts,
        "moved": moved,
        "place": place,
        "neighbours": [objective for objective in neighbours if objective],
        "unaligned": unaligned,
    }
    response = render(request, "okrs/team_okrs.html#objectives_change", context)
    return reswap(response, "none" if moved else "delete")


def _render_list(request: HttpRequest, team: Team, period: Period) -> HttpResponse:
    response = render(request, "okrs/team_okrs.html#okr_list", _page_context(request, team, period))
    return reswap(retarget(response, f"#{LIST_TARGET}"), "outerHTML")


@require_GET
def team_okrs_current(request: HttpRequest, slug: str) -> HttpResponse:
    team = _team(request, slug)
    period = selectors.default_period(today=timezone.localdate(), team_ids=[team.pk])
    return redirect("okrs:team_okrs", slug=team.slug, period=period.slug)


@require_GET
@conditional_page
def team_okrs(request: HttpRequest, slug: str, period: str) -> HttpResponse:
    team = _team(request, slug)
    context = _page_context(request, team, _period(period))
    if request.htmx and request.htmx.target == LIST_TARGET:
        return render(request, "okrs/team_okrs.html#okr_list", context)
    return render(request, "okrs/team_okrs.html", context)


@require_GET
@conditional_page
def overview(request: HttpRequest) -> HttpResponse:
    period_slug = request.GET.get("period")
    period = (
        _period(period_slug) if period_slug else selectors.default_period(today=timezone.localdate(), team_ids=None)
    )
    overview = selectors.org_overview(
        user=request.user,
        period=period,
        now=timezone.now(),
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    context = {"overview": overview, "period": period, "page_size": selectors.OVERVIEW_TEAMS_PER_PAGE}
    return render(request, "okrs/overview.html", context)


# Objectives


@require_http_methods(["GET", "POST"])
def objective_create(request: HttpRequest, slug: str, period: str) -> HttpResponse:
    team = _team(request, slug, permission="okrs.change")
    period = _period(period, for_writing=request.method == "POST")
    form_kwargs = {
        "people": selectors.people_for_team(team),
        "people_among": selectors.people_for_team_among(team),
        "parent_choices": selectors.parent_objective_choices(team=team, period=period),
    }
    template = "okrs/objective_form.html#form" if request.htmx else "okrs/objective_form.html"
    context = {"team": team, "period": period}
    if request.method == "GET" and request.htmx and request.htmx.target == NEW_OBJECTIVE_FORM:
        return HttpResponse("")  # the form's Cancel: it goes, and nothing else changed
    if request.method == "GET":
        return render(request, template, {**context, "form": ObjectiveForm(**form_kwargs)})

    def done(objective: Objective) -> HttpResponse:
        if request.htmx:
            return _render_objectives_change(request, team, period, objective_id=objective.pk, written=True)
        messages.success(request, f"Added “{objective.title}”.")
        return redirect(objective)

    return save_form(
        request,
        form=ObjectiveForm(request.POST, **form_kwargs),
        template=template,
        context=context,
        save=lambda data: services.objective_create(team=team, period=period, **data),
        done=done,
    )


@require_GET
def objective_card(request: HttpRequest, pk: int) -> HttpResponse:
    """The card of an objective, or the part of it that an in-place form or mode took over: its
    head (the edit form's Cancel) or its key results' rows (starting and ending reordering)."""
    objective = _objective(request, pk, permission="okrs.view")
    if not request.htmx:
        return redirect(objective)
    if request.htmx.target == f"objective-{objective.pk}-head":
        return _render_objective_head(request, objective.pk, with_actions=False)
    if request.htmx.target == f"objective-{objective.pk}-krs":
        return _render_key_results(request, objective, reordering="reorder" in request.GET, with_actions=True)
    return _render_card(request, objective, retarget_card=False)


@require_http_methods(["GET", "POST"])
def objective_edit(request: HttpRequest, pk: int) -> HttpResponse:
    objective = _objective(request, pk, permission="okrs.change")
    form_kwargs = {
        "people": selectors.people_for_team(objective.team),
        "people_among": selectors.people_for_team_among(objective.team),
        "parent_choices": selectors.parent_objective_choices(team=objective.team, period=objective.period),
    }
    template = "okrs/objective_form.html#form" if request.htmx else "okrs/objective_form.html"
    context = {"team": objective.team, "period": objective.period, "objective": objective}
    if request.method == "GET":
        form = ObjectiveEditForm(initial=ObjectiveEditForm.initial_for(objective), **form_kwargs)
        return render(request, template, {**context, "form": form})

    def save(data: dict) -> Objective:
        return services.objective_update(
            objective=objective,
            expected_version=data["version"],
            title=data["title"],
            why=data["why"],
            owners=data["owners"],
            parent=data.get("parent"),
            archived=data["archived"],
        )

    def done(saved: Objective) -> HttpResponse:
        if not request.htmx:
            messages.success(request, f"Saved “{saved.title}”.")
            return redirect(saved)
        if saved.archived:
            return _render_list(request, saved.team, saved.period)
        return _render_objective_head(request, saved.pk, with_actions=True, written=True)

    form = ObjectiveEditForm(request.POST, **form_kwargs)
    return save_form(request, form=form, template=template, context=context, save=save, done=done)


@require_http_methods(["GET", "POST"])
def objective_delete(request: HttpRequest, pk: int) -> HttpResponse:
    objective = _objective(request, pk, permission="okrs.change")
    if request.method == "GET":
        template = "okrs/confirm_delete.html#confirm" if request.htmx else "okrs/confirm_delete.html"
        context = {
            "thing": objective,
            "kind": "objective",
            "consequence": f"Its {objective.key_results.count()} key result(s) and their check-ins go with it.",
            "action": reverse("okrs:objective_delete", args=[objective.pk]),
            "cancel": reverse("okrs:objective_card", args=[objective.pk]),
            "back": objective.get_absolute_url(),
            "replace_id": f"objective-{objective.pk}",
            "target": f"#objective-{objective.pk}",
            "team": objective.team,
            "period": objective.period,
        }
        return render(request, template, context)
    team, period = objective.team, objective.period
    had_aligned = objective.children.exists()  # they join the sub-team objectives aligned to none
    try:
        services.objective_delete(objective=objective)
    except ValidationError as error:
        raise PermissionDenied(error.messages[0]) from error
    if request.htmx:
        unaligned = (
            selectors.unaligned_sub_team_objectives(team=team, period=period, now=timezone.now())
            if had_aligned
            else None
        )
        return _render_objectives_change(request, team, period, unaligned=unaligned, written=True)
    messages.success(request, f"Deleted “{objective.title}”.")
    return redirect("okrs:team_okrs", slug=team.slug, period=period.slug)


@require_POST
def objective_move(request: HttpRequest, pk: int) -> HttpResponse:
    objective = _objective(request, pk, permission="okrs.change")
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        return HttpResponse("Say whether to move up or down.", status=400)
    try:
        services.objective_move(objective=objective, direction=direction)
    except ValidationError as error:
        raise PermissionDenied(error.messages[0]) from error
    if request.htmx:
        return _render_objectives_change(
            request, objective.team, objective.period, objective_id=objective.pk, moved=direction, written=True
        )
    return redirect(objective)


# Key results


@require_http_methods(["GET", "POST"])
def key_result_create(request: HttpRequest, objective_pk: int) -> HttpResponse:
    objective = _objective(request, objective_pk, permission="okrs.change")
    form_kwargs = {
        "people": selectors.people_for_team(objective.team),
        "people_among": selectors.people_for_team_among(objective.team),
    }
    template = "okrs/key_result_form.html#form" if request.htmx else "okrs/key_result_form.html"
    context = {"objective": objective, "team": objective.team, "period": objective.period}
    if request.method == "GET" and request.htmx and request.htmx.target == f"kr-new-{objective.pk}":
        return HttpResponse("")  # the form's Cancel: it goes, and nothing else changed
    if request.method == "GET":
        return render(request, template, {**context, "form": KeyResultForm(**form_kwargs)})
    form = KeyResultForm(request.POST, **form_kwargs)

    def done(key_result: KeyResult) -> HttpResponse:
        if request.htmx:
            return _render_key_results_change(request, objective, added=key_result, written=True)
        messages.success(request, f"Added “{key_result.title}”.")
        return redirect(objective)

    return save_form(
        request,
        form=form,
        template=template,
        context=context,
        save=lambda data: services.key_result_create(
            objective=objective, title=data["title"], due_date=data["due_date"], owners=data["owners"], **form.measure()
        ),
        done=done,
    )


@require_GET
@conditional_page
def key_result_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.htmx and request.htmx.target == f"kr-{pk}":  # Cancel on a form that took the place of its row
        return _render_key_result_change(request, _key_result(request, pk, permission="okrs.view"))
    key_result = found_for_user(request, selectors.key_result_to_show(pk=pk), permission="okrs.view")
    context = key_result_page_context(
        request, pk, key_result=selectors.with_page_details(key_result, now=timezone.now())
    )
    if request.htmx and request.htmx.target == SUMMARY_TARGET:
        return render(request, "okrs/key_result_detail.html#summary", context)
    return render(request, "okrs/key_result_detail.html", context)


def key_result_page_context(
    request: HttpRequest, pk: int, form: CheckInForm | None = None, *, key_result: KeyResult | None = None
) -> dict:
    """What the KR page shows; `key_result`, when the view has it already, comes from
    `selectors.key_result_to_show` with its page details (`with_page_details`)."""
    if key_result is None:
        key_result = selectors.key_result_for_page(key_result_id=pk, now=timezone.now())
    objective = key_result.objective
    closed = selectors.team_period_is_closed(team=objective.team, period=objective.period)
    can_check_in = request.user.has_perm("okrs.check_in", key_result) and not closed
    return {
        **linked_issues_context(user=request.user, key_result=key_result),
        "key_result": key_result,
        "objective": objective,
        "team": objective.team,
        "period": objective.period,
        "check_ins": selectors.check_ins_page(
            key_result=key_result, after=request.GET.get("after"), before=request.GET.get("before")
        ),
        "check_ins_per_page": selectors.CHECK_INS_PER_PAGE,
        "chart": progress_chart(key_result),
        "can_edit": request.user.has_perm("okrs.change", key_result) and not closed,
        "can_check_in": can_check_in,
        "form": form,  # a refused check-in, with what was typed; else the empty form is drawn from memory
        "empty_check_in_form": EmptyCheckInForm.of(key_result) if can_check_in else None,
    }


@require_http_methods(["GET", "POST"])
def key_result_edit(request: HttpRequest, pk: int) -> HttpResponse:
    key_result = _key_result(request, pk, permission="okrs.change")
    objective = key_result.objective
    form_kwargs = {
        "people": selectors.people_for_team(objective.team),
        "people_among": selectors.people_for_team_among(objective.team),
    }
    template = "okrs/key_result_form.html#form" if request.htmx else "okrs/key_result_form.html"
    context = {"objective": objective, "team": objective.team, "period": objective.period, "key_result": key_result}
    if request.method == "GET":
        form = KeyResultEditForm(initial=KeyResultEditForm.initial_for(key_result), **form_kwargs)
        return render(request, template, {**context, "form": form})
    form = KeyResultEditForm(request.POST, **form_kwargs)

    def done(saved: KeyResult) -> HttpResponse:
        if request.htmx:
            return _render_key_result_change(request, saved, written=True)
        messages.success(request, f"Saved “{saved.title}”.")
        return redirect(saved)

    return save_form(
        request,
        form=form,
        template=template,
        context=context,
        save=lambda data: services.key_result_update(
            key_result=key_result,
            expected_version=data["version"],
            title=data["title"],
            due_date=data["due_date"],
            owners=data["owners"],
            **form.measure(),
        ),
        done=done,
    )


@require_http_methods(["GET", "POST"])
def key_result_delete(request: HttpRequest, pk: int) -> HttpResponse:
    key_result = _key_result(request, pk, permission="okrs.change")
    objective = key_result.objective
    if request.method == "GET":
        template = "okrs/confirm_delete.html#confirm" if request.htmx else "okrs/confirm_delete.html"
        context = {
            "thing": key_result,
            "kind": "key result",
            "consequence": f"Its {key_result.check_ins.count()} check-in(s) go with it.",
            "action": reverse("okrs:key_result_delete", args=[key_result.pk]),
            "cancel": key_result.get_absolute_url(),  # its row comes back
            "back": key_result.get_absolute_url(),
            "replace_id": f"kr-{key_result.pk}",
            "target": f"#kr-{key_result.pk}",
            "team": objective.team,
            "period": objective.period,
        }
        return render(request, template, context)
    try:
        services.key_result_delete(key_result=key_result)
    except ValidationError as error:
        raise PermissionDenied(error.messages[0]) from error
    if request.htmx:
        return _render_key_results_change(request, objective, written=True)
    messages.success(request, f"Deleted “{key_result.title}”.")
    return redirect(objective)


@require_POST
def key_result_move(request: HttpRequest, pk: int) -> HttpResponse:
    key_result = _key_result(request, pk, permission="okrs.change")
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        return HttpResponse("Say whether to move up or down.", status=400)
    try:
        services.key_result_move(key_result=key_result, direction=direction)
    except ValidationError as error:
        raise PermissionDenied(error.messages[0]) from error
    objective = key_result.objective
    if request.htmx:
        return _render_key_results(request, objective, reordering=True, written=True)
    page = reverse("okrs:team_okrs", args=[objective.team.slug, objective.period.slug])
    return redirect(f"{page}?reorder={objective.pk}#objective-{objective.pk}")


@require_http_methods(["GET", "POST"])
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    """Record progress on a KR. From the team page the KR's row comes back, with its objective's
    progress and the page's counts out of band; from the KR page its summary, chart and history do."""
    key_result = _key_result(request, pk, permission="okrs.check_in")
    from_detail = request.htmx and request.htmx.target == SUMMARY_TARGET
    template = "okrs/check_in_form.html#form" if request.htmx else "okrs/check_in_form.html"
    context = {"key_result": key_result, "objective": key_result.objective, "team": key_result.objective.team}
    if request.method == "GET":
        form = CheckInForm(initial=CheckInForm.initial_for(key_result), key_result=key_result)
        return render(request, template, {**context, "form": form})
    form = CheckInForm(request.POST, key_result=key_result)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.check_in_record(
                key_result=key_result,
                author=author_of(request),
                expected_version=data["version"],
                confidence=data["confidence"],
                value=data.get("value"),
                done=data.get("done"),
                note=data["note"],
            )
        except EditConflict as conflict:
            current = conflict.current
            form = CheckInForm({**form.data.dict(), "version": current.version}, key_result=current)
            latest = current.check_ins.select_related("author").first()
            context["latest_check_in"] = latest
            status = 409
        except ValidationError as error:
            add_service_errors(form, error, {"current_value": "value"})
        else:
            if from_detail:
                return render(request, "okrs/key_result_detail.html#summary", key_result_page_context(request, pk))
            if request.htmx:
                return _render_key_result_change(request, key_result, written=True)
            messages.success(request, "Checked in.")
            return redirect(key_result)
    if from_detail:
        detail = key_result_page_context(request, pk, form)
        detail["latest_check_in"] = context.get("latest_check_in")
        return render(request, "okrs/key_result_detail.html#summary", detail, status=status)
    return render(request, template, {**context, "form": form}, status=status)


# Quarters


@require_http_methods(["GET", "POST"])
def period_open_next(request: HttpRequest, slug: str, period: str) -> HttpResponse:
    team = _team(request, slug, permission="okrs.change")
    period = _period(period, for_writing=request.method == "POST")
    year, quarter = period.next_quarter()
    next_name = f"Q{quarter} {year}"
    if request.method == "POST":
        form = OpenNextPeriodForm(request.POST)
        if form.is_valid():
            try:
                next_period = services.period_open_next(
                    team=team, period=period, copy_unfinished=form.cleaned_data["copy_unfinished"]
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Opened {next_period.name}.")
                return redirect("okrs:team_okrs", slug=team.slug, period=next_period.slug)
        return render(
            request,
            "okrs/period_open_next.html",
            {"team": team, "period": period, "next_name": next_name, "form": form},
            status=422,
        )
    return render(
        request,
        "okrs/period_open_next.html",
        {"team": team, "period": period, "next_name": next_name, "form": OpenNextPeriodForm()},
    )


@require_http_methods(["GET", "POST"])
def period_close(request: HttpRequest, slug: str, period: str) -> HttpResponse:
    team = _team(request, slug, permission="okrs.change")
    period = _period(period, for_writing=request.method == "POST")
    key_results = list(
        selectors.with_issue_counts(KeyResult.objects.filter(objective__team=team, objective__period_id=period.pk))
        .select_related("objective__period")
        .order_by("objective__order", "objective__pk", "order", "pk")
    )
    if request.method == "GET":
        forms = [
            ScoreForm(prefix=f"kr{kr.pk}", initial={"score": suggested_score(kr), "comment": kr.score_comment})
            for kr in key_results
        ]
        status = 200
    else:
        forms = [ScoreForm(request.POST, prefix=f"kr{kr.pk}") for kr in key_results]
        status = 422
        if all(form.is_valid() for form in forms):
            scores = {
                kr.pk: (form.cleaned_data["score"], form.cleaned_data["comment"])
                for kr, form in zip(key_results, forms, strict=True)
            }
            try:
                services.period_close(
                    team=team, period=period, closed_by=getattr(request.user, "person", None), scores=scores
                )
            except ValidationError as error:
                messages.error(request, error.messages[0])
            else:
                messages.success(
                    request, f"Closed {period.name} for {team.name}. It is read-only until a lead reopens it."
                )
                return redirect("okrs:team_okrs", slug=team.slug, period=period.slug)
    rows = list(zip(key_results, forms, strict=True))
    closed = selectors.team_period_is_closed(team=team, period=period)
    return render(
        request,
        "okrs/period_close.html",
        {"team": team, "period": period, "rows": rows, "closed": closed},
        status=status,
    )


@require_POST
def period_reopen(request: HttpRequest, slug: str, period: str) -> HttpResponse:
    team = _team(request, slug, permission="okrs.change")
    period = _period(period, for_writing=True)
    try:
        services.period_reopen(team=team, period=period)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"Reopened {period.name} for {team.name}.")
    return redirect("okrs:team_okrs", slug=team.slug, period=period.slug)
