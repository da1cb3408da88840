"""The team board, sprints with their goals and rosters, the sprint report, and projects."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from okrs.models import KeyResult
from okrs.selectors import people_for_team, readable_team_ids, readable_teams
from platformhub.access import author_of, found_for_user, get_for_user, is_slug, team_for_user
from platformhub.concurrency import EditConflict, conflict_context
from platformhub.conditional import conditional_page
from platformhub.editing import save_form
from platformhub.models import Person, Team
from platformhub.permissions import access_for
from platformhub.prepared import prepared
from sprints import selectors, services
from sprints.forms import (
    CardForm,
    GoalForm,
    MilestoneForm,
    MilestoneProgressForm,
    MoveCardForm,
    OutcomeForm,
    ProjectForm,
    RosterForm,
)
from sprints.models import Cadence, Card, Milestone, Project, RosterEntry, Sprint, SprintGoal

COLUMNS_TARGET = "board-columns"
FILTERS = ("sprint", "owner", "project", "sub_team")


def _team(request: HttpRequest, slug: str, permission: str = "sprints.view") -> Team:
    return team_for_user(request, slug, permission=permission, with_board=True)


def person_of(request: HttpRequest) -> Person | None:
    return getattr(request.user, "person", None)


def _board_query(request: HttpRequest) -> QueryDict:
    """The board's filters: from the query string, or for a move the ones the board page was
    showing; nothing else (a page's cursor stays out of the links made from it)."""
    given = QueryDict(request.POST.get("query", "")) if request.method == "POST" else request.GET
    query = QueryDict(mutable=True)
    for key in FILTERS:
        if given.get(key):
            query[key] = given[key]
    return query


def _filters(query: QueryDict, team: Team) -> selectors.BoardFilters:
    """The board's filters; unknown values are ignored, never a 500."""
    if not query:
        return selectors.BoardFilters()

    def pick(queryset, key: str, field: str = "pk"):
        value = query.get(key, "")
        if not value or (field in ("pk", "number") and not (value.isascii() and value.isdigit() and len(value) < 18)):
            return None
        if field == "slug" and not is_slug(value):
            return None
        return queryset.filter(**{field: value}).first()

    tree = selectors.team_tree_ids(team)
    return selectors.BoardFilters(
        sprint=pick(Sprint.objects.all(), "sprint", "number"),
        owner=pick(people_for_team(team), "owner"),
        project=pick(Project.objects.filter(team_id__in=tree), "project"),
        sub_team=pick(Team.objects.filter(parent=team), "sub_team", "slug"),
    )


def _board_context(request: HttpRequest, team: Team) -> dict:
    query = _board_query(request)
    page = selectors.board_page(
        team=team,
        board=selectors.board_settings(team),
        filters=_filters(query, team),
        now=timezone.now(),
        viewer_id=access_for(request.user).person_id,
    )
    return {
        "page": page,
        "team": team,
        "can_work": request.user.has_perm("sprints.work", team),
        "query": query.urlencode(),
    }


@require_GET
@conditional_page
def board(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "sprints/board.html", _board_context(request, _team(request, slug)))


@require_GET
def board_column(request: HttpRequest, slug: str, column: str) -> HttpResponse:
    """Every card of one column of the board, a page at a time (Done newest first), with the board's filters."""
    team = _team(request, slug)
    if column not in Card.Column.values:
        raise Http404("No such column")
    query = _board_query(request)
    filters, today = _filters(query, team), timezone.localdate()
    cards = selectors.board_cards(team=team, filters=filters, today=today)
    (shown,) = selectors.board_columns(
        team=team, filters=filters, today=today, board=selectors.board_settings(team), keys=[column]
    )
    page = selectors.column_page(
        cards,
        column=column,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        viewer_id=access_for(request.user).person_id,
    )
    context = {
        "team": team,
        "column": shown,
        "page": page,
        "size": selectors.COLUMN_PAGE_SIZE,
        "can_work": request.user.has_perm("sprints.work", team),
        "query": query.urlencode(),
    }
    return render(request, "sprints/board_column.html", context)


def _board_shown(request: HttpRequest, card_team: Team) -> Team:
    """The board the person was looking at (the Platform board shows its sub-teams' cards too)."""
    if (slug := request.POST.get("board")) and is_slug(slug):
        shown = Team.objects.select_related("parent", "board").filter(slug=slug).first()
        if shown is not None and request.user.has_perm("sprints.view", shown) and card_team.root_id == shown.root_id:
            return shown
    return card_team


def _back_to_board(request: HttpRequest, card_team: Team, message: str) -> HttpResponse:
    """Without JavaScript: back to the board the person was looking at, with its filters."""
    messages.success(request, message)
    query = _board_query(request).urlencode()
    return redirect(
        reverse("sprints:board", args=[_board_shown(request, card_team).slug]) + (f"?{query}" if query else "")
    )


def _card(request: HttpRequest, pk: int) -> Card:
    return found_for_user(request, _card_with_pk(pk=pk), permission="sprints.work")


@prepared
def _card_with_pk(*, pk: int) -> QuerySet[Card]:
    return Card.objects.filter(pk=pk).select_related("team__parent", "team__board", "project", "issue")


def _card_context(request: HttpRequest, card: Card, board: Team) -> dict:
    """What the card's partial needs to show `card` on `board` to the person who just changed it."""
    prefetch_related_objects([card], "project", "issue")  # already there unless the card was just read again
    shown = selectors.BoardCard.of(card)
    selectors.card_details([shown], getattr(person_of(request), "pk", None))
    return {
        "card": shown,
        "team": board,
        "can_work": True,
        "query": _board_query(request).urlencode(),
    }


def _column_counts(request: HttpRequest, board: Team, keys: list[str]) -> list[selectors.BoardColumn]:
    """The counts and WIP state of these columns of the board, with the filters it was showing."""
    return selectors.board_columns(
        team=board,
        filters=_filters(_board_query(request), board),
        today=timezone.localdate(),
        board=selectors.board_settings(board),
        keys=keys,
    )


@require_http_methods(["GET", "POST"])
def card_create(request: HttpRequest, slug: str) -> HttpResponse:
    team = _team(request, slug, "sprints.work")
    template = "sprints/card_form.html#form" if request.htmx else "sprints/card_form.html"
    projects = Project.objects.filter(team_id__in=selectors.team_tree_ids(team), archived=False)
    if request.method == "GET":
        return render(request, template, {"team": team, "form": CardForm(projects=projects)})
    sprint = selectors.current_sprint(timezone.localdate())

    def done(card: Card) -> HttpResponse:
        if not request.htmx:
            return _back_to_board(request, team, f"Added “{card.title}”.")
        response = render(request, "sprints/board.html#columns", _board_context(request, team))
        return reswap(retarget(response, f"#{COLUMNS_TARGET}"), "outerHTML")

    return save_form(
        request,
        form=CardForm(request.POST, projects=projects),
        template=template,
        context={"team": team},
        save=lambda data: services.card_create(team=team, sprints=[sprint] if sprint else [], **data),
        done=done,
    )


@require_POST
def card_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a card (drag and drop or "Move to…"); the move is recorded. With HTMX the answer is
    only what changed: the card in its new column and the two columns' counts."""
    card = _card(request, pk)
    form = MoveCardForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Pick a column." if "column" in form.errors else "Reload the board.", status=400)
    try:
        move = services.card_move(
            card=card,
            to_column=form.cleaned_data["column"],
            expected_version=form.cleaned_data["version"],
            moved_by=author_of(request),
            blocked_reason=form.cleaned_data["blocked_reason"] or "Blocked (no reason given yet)",
        )
    except EditConflict as conflict:
        board = _board_shown(request, card.team)
        return _moved_meanwhile(request, conflict.current, board=board, wanted=form.cleaned_data["column"])
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=400)
    if not request.htmx:
        return _back_to_board(request, card.team, f"Moved “{card.title}”.")
    board = _board_shown(request, card.team)
    if move is None:  # it was there already: the card as it is, where it is
        return render(request, "sprints/board.html#card", _card_context(request, card, board))
    context = {
        **_card_context(request, card, board),
        "changed": _column_counts(request, board, [move.from_column, move.to_column]),
    }
    return render(request, "sprints/board.html#moved", context)


def _moved_meanwhile(request: HttpRequest, card: Card, *, board: Team, wanted: str) -> HttpResponse:
    """409: someone moved the card while this person was moving it. The card where it is now,
    saying who moved it where (its latest move), with the column this person picked still picked
    on it; with HTMX only that card and its columns, without it the whole board."""
    move = card.moves.select_related("moved_by").first()
    moved_meanwhile = {"card": card, "move": move, "wanted_label": Card.Column(wanted).label}
    if request.htmx:
        context = {
            **_card_context(request, card, board),
            "changed": _column_counts(request, board, [move.from_column, move.to_column] if move else [card.column]),
        }
        shown = [context["card"]]
    else:
        context = _board_context(request, board)
        shown = [on_board for column in context["page"].columns for on_board in column.cards if on_board.pk == card.pk]
    for on_board in shown:
        on_board.picked = wanted
    context["moved_meanwhile"] = moved_meanwhile
    return render(request, "sprints/board.html#moved" if request.htmx else "sprints/board.html", context, status=409)


@require_POST
def card_take(request: HttpRequest, pk: int) -> HttpResponse:
    card = _card(request, pk)
    person = person_of(request)
    if person is None:
        raise PermissionDenied("Only people with a profile can own cards.")
    services.card_take(card=card, person=person)
    if not request.htmx:
        return _back_to_board(request, card.team, f"You own “{card.title}”.")
    return render(request, "sprints/board.html#card", _card_context(request, card, _board_shown(request, card.team)))


def sprint_or_404(number: int) -> Sprint:
    found = _sprint_numbered(number=number)
    if not found:
        raise Http404("No such sprint")
    return found[0]


@prepared
def _sprint_numbered(*, number: int) -> QuerySet[Sprint]:
    return Sprint.objects.filter(number=number).select_related("closed_by").order_by("pk")[:1]


@require_GET
def sprint_current(request: HttpRequest) -> HttpResponse:
    if Cadence.objects.exists():
        services.sprints_ensure(today=timezone.localdate())  # upcoming sprints appear as time goes on
    sprint = selectors.current_sprint(timezone.localdate()) or Sprint.objects.order_by("-number").first()
    if sprint is None:
        return render(request, "sprints/no_sprints.html")
    return redirect("sprints:sprint", number=sprint.number)


def _sprint_context(request: HttpRequest, sprint: Sprint) -> dict:
    teams = list(readable_teams(request.user))
    return {
        "page": selectors.sprint_page(sprint=sprint, teams=teams, now=timezone.now()),
        "sprint": sprint,
        "planable_teams": [team for team in teams if request.user.has_perm("sprints.plan", team)],
        "can_close": request.user.has_perm("sprints.close_sprint") and not sprint.is_closed,
        "outcome_choices": SprintGoal.Outcome.choices,
    }


@require_GET
def sprint_detail(request: HttpRequest, number: int) -> HttpResponse:
    return render(request, "sprints/sprint.html", _sprint_context(request, sprint_or_404(number)))


@require_POST
def sprint_close(request: HttpRequest, number: int) -> HttpResponse:
    if not request.user.has_perm("sprints.close_sprint"):
        raise PermissionDenied
    sprint = sprint_or_404(number)
    try:
        services.sprints_ensure(today=max(timezone.localdate(), sprint.end))
        carried = services.sprint_close(sprint=sprint, closed_by=person_of(request))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"Closed {sprint.name}; {carried} unfinished card(s) carried into the next sprint.")
    return redirect("sprints:report", number=sprint.number)


@require_GET
@conditional_page
def sprint_report(request: HttpRequest, number: int) -> HttpResponse:
    sprint = sprint_or_404(number)
    report = selectors.sprint_report(sprint=sprint, team_ids=readable_team_ids(request.user))
    return render(request, "sprints/report.html", {"report": report, "sprint": sprint})


@require_http_methods(["GET", "POST"])
def goal_create(request: HttpRequest, number: int, slug: str) -> HttpResponse:
    """The goal form is fetched when someone opens it, so the sprint page costs the same
    whatever the number of teams the reader plans for."""
    sprint = sprint_or_404(number)
    team = _team(request, slug, "sprints.plan")
    if request.method == "GET":
        form = GoalForm(prefix=f"goal-{team.pk}", **_goal_form_kwargs(team, sprint))
        template = "sprints/planning_forms.html#goal" if request.htmx else "sprints/planning_forms.html"
        return render(request, template, {"sprint": sprint, "team": team, "goal_form": form})
    form = GoalForm(request.POST, prefix=f"goal-{team.pk}", **_goal_form_kwargs(team, sprint))
    if form.is_valid():
        services.sprint_goal_create(sprint=sprint, team=team, **form.cleaned_data)
        messages.success(request, f"Added the goal “{form.cleaned_data['title']}”.")
    else:
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
    return redirect("sprints:sprint", number=sprint.number)


def _goal_form_kwargs(team: Team, sprint: Sprint | None = None) -> dict:
    """Goal owners come from the sub-team's roster for the sprint (everyone in the team's tree
    when it has none); milestones and KRs from the whole tree."""
    tree = selectors.team_tree_ids(team.parent or team)
    people = people_for_team(team)
    if sprint is not None and RosterEntry.objects.filter(sprint=sprint, team=team).exists():
        people = people.filter(roster_entries__sprint=sprint, roster_entries__team=team)
    return {
        "people": people,
        "milestones": Milestone.objects.filter(project__team_id__in=tree, project__archived=False).select_related(
            "project"
        ),
        "key_results": KeyResult.objects.filter(objective__team_id__in=tree, objective__archived=False).order_by(
            "-objective__period__start", "title"
        ),
    }


@require_http_methods(["GET", "POST"])
def roster_update(request: HttpRequest, number: int, slug: str) -> HttpResponse:
    """Who is on a sub-team this sprint, changed in one place (later sprints start from it). The form
    carries the roster it showed, so a roster another lead changed since answers 409 instead."""
    sprint = sprint_or_404(number)
    team = _team(request, slug, "sprints.plan")
    template = "sprints/planning_forms.html#roster" if request.htmx else "sprints/planning_forms.html"
    context = {"sprint": sprint, "team": team}
    if request.method == "GET":
        on_roster = list(Person.objects.filter(roster_entries__sprint=sprint, roster_entries__team=team))
        form = RosterForm(
            initial={"people": on_roster, "shown": on_roster}, people=people_for_team(team), prefix=f"r{team.pk}"
        )
        return render(request, template, {**context, "roster_form": form})
    form = RosterForm(request.POST, people=people_for_team(team), prefix=f"r{team.pk}")
    if form.is_valid():
        try:
            services.roster_set(
                sprint=sprint, team=team, people=form.cleaned_data["people"], expected=form.cleaned_data["shown"]
            )
        except services.RosterChanged as changed:  # 409: their roster shown, this lead's choice kept
            data = form.data.copy()
            data.setlist(form.add_prefix("shown"), [str(person.pk) for person in changed.people])
            context |= {"roster_form": form.rebound(data), "roster_now": changed.people}
            return render(request, template, context, status=409)
        messages.success(request, f"Updated who is on {team.name} in {sprint.name}.")
    return redirect("sprints:sprint", number=sprint.number)


@require_POST
def goal_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_for_user(request, SprintGoal.objects.select_related("team", "sprint"), permission="sprints.plan", pk=pk)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.sprint_goal_set_outcome(
                goal=goal, expected_version=form.cleaned_data["version"], outcome=form.cleaned_data["outcome"]
            )
        except EditConflict as conflict:  # 409: their outcome shown, this lead's pick kept
            context = {
                **_sprint_context(request, goal.sprint),
                **conflict_context(current=conflict.current, form=form),
                "outcome_goal": goal.pk,
            }
            return render(request, "sprints/sprint.html", context, status=409)
    else:
        problem = f"Pick met, partly or missed for “{goal.title}”; nothing was saved."
        messages.error(request, form.errors.get("version", [problem])[0])
    return redirect("sprints:sprint", number=goal.sprint.number)


def _project_form_kwargs(team: Team) -> dict:
    return {"people": people_for_team(team), "key_results": _goal_form_kwargs(team)["key_results"]}


def _projects_context(request: HttpRequest, team: Team, *, form: ProjectForm) -> dict:
    return {
        "team": team,
        "projects": selectors.projects_page(team=team, now=timezone.now()),
        "form": form,
        "milestone_form": MilestoneForm(),
        "can_plan": request.user.has_perm("sprints.plan", team),
        "can_work": request.user.has_perm("sprints.work", team),
    }


@require_http_methods(["GET", "POST"])
def projects(request: HttpRequest, slug: str) -> HttpResponse:
    team = _team(request, slug)
    form = ProjectForm(**_project_form_kwargs(team))
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("sprints.plan", team):
            raise PermissionDenied
        form = ProjectForm(request.POST, **_project_form_kwargs(team))
        if form.is_valid():
            project = services.project_create(team=team, **form.cleaned_data)
            messages.success(request, f"Added the project “{project.title}”.")
            return redirect("sprints:projects", slug=team.slug)
        status = 422
    return render(request, "sprints/projects.html", _projects_context(request, team, form=form), status=status)


@require_POST
def milestone_create(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_for_user(request, Project.objects.select_related("team"), permission="sprints.plan", pk=pk)
    form = MilestoneForm(request.POST)
    if form.is_valid():
        services.milestone_create(project=project, **form.cleaned_data)
    else:
        messages.error(request, "; ".join(error for errors in form.errors.values() for error in errors))
    return redirect("sprints:projects", slug=project.team.slug)


@require_POST
def milestone_progress(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = get_for_user(
        request, Milestone.objects.select_related("project__team"), permission="sprints.work", pk=pk
    )
    form = MilestoneProgressForm(request.POST)
    if form.is_valid():
        try:
            services.milestone_update_progress(
                milestone=milestone,
                expected_version=form.cleaned_data["version"],
                current=form.cleaned_data["current"],
                is_done=form.cleaned_data["is_done"] if milestone.target is None else None,
            )
        except EditConflict as conflict:  # 409: their number shown, this person's kept at the new version
            team, kept = milestone.project.team, conflict_context(current=conflict.current, form=form)
            context = {
                **_projects_context(request, team, form=ProjectForm(**_project_form_kwargs(team))),
                "progress_milestone": milestone.pk,
                "progress_form": kept["form"],
                "changed_by": kept["changed_by"],
            }
            return render(request, "sprints/projects.html", context, status=409)
        except ValidationError as error:
            messages.error(request, error.messages[0])
    else:
        messages.error(request, form.errors.get("version", ["Enter the progress as a number."])[0])
    return redirect("sprints:projects", slug=milestone.project.team.slug)
