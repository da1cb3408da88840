"""Team rituals: meeting series and their meetings (agenda, notes, decisions, action items, retro
notes), async standups, engineering-wide sprint planning, and the calendar feed."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from okrs.selectors import people_for_team, readable_teams
from platformhub.access import get_for_user, is_slug, team_for_user
from platformhub.concurrency import EditConflict
from platformhub.conditional import conditional_page
from platformhub.editing import add_service_errors, save_form
from platformhub.forms import VersionedForm
from platformhub.models import Person, Team
from platformhub.permissions import access_for
from platformhub.prepared import prepared
from sprints import calendar, selectors, services
from sprints.forms import (
    ActionItemForm,
    AgendaItemForm,
    BlockedRequestForm,
    MeetingNotesForm,
    MeetingSeriesForm,
    PlanningCommentForm,
    RequestAnswerForm,
    RetroNoteForm,
    StandupForm,
)
from sprints.models import (
    ActionItem,
    AgendaItem,
    BlockedRequest,
    Cadence,
    CalendarFeed,
    MeetingSeries,
    RetroNote,
    Sprint,
    StandupUpdate,
)
from sprints.templatetags.sprints import EmptyActionForm
from sprints.views import person_of, sprint_or_404

STANDUP_DAYS_SHOWN = 7
NEW_FEED_KEY = "new_calendar_feed_url"  # shown once, on the page the creation redirects to


def _team(request: HttpRequest, slug: str, permission: str = "sprints.view_meetings") -> Team:
    return team_for_user(request, slug, permission=permission)


def _series(request: HttpRequest, pk: int, permission: str = "sprints.view_meetings") -> MeetingSeries:
    """The series if the user may see it (404 otherwise) and hold `permission` on it (403)."""
    found = _series_with_pk(pk=pk)
    series = found[0] if found else None
    if series is None or not request.user.has_perm("sprints.view_meetings", series):
        raise Http404("No such meeting series")
    if not request.user.has_perm(permission, series):
        raise PermissionDenied
    return series


@prepared
def _series_with_pk(*, pk: int) -> QuerySet[MeetingSeries]:
    return MeetingSeries.objects.filter(pk=pk).select_related("team__parent")


EARLIEST, LATEST = datetime.date(1970, 1, 1), datetime.date(2200, 12, 31)


def _parse_date(text: str) -> datetime.date | None:
    """A meeting day from a URL or form: an ISO date in a range date arithmetic cannot overflow."""
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST else None


def _date(text: str) -> datetime.date:
    day = _parse_date(text)
    if day is None:
        raise Http404("No such date")
    return day


def _people(request: HttpRequest, team: Team | None) -> QuerySet[Person]:
    """Who can attend or own actions: the team's tree, or for an org-wide series the people on
    the teams the reader can read."""
    if team is None:
        readable = readable_teams(request.user).values("pk")
        return Person.objects.filter(memberships__team__in=readable).distinct().order_by("display_name")
    return people_for_team(team)


def _owner_choices(request: HttpRequest, team: Team | None) -> tuple[tuple[int, str], ...]:
    """(id, name) of `_people(request, team)`, as the action form lists them."""
    if team is None:
        return tuple(_people(request, None).values_list("pk", "display_name"))
    return tuple(_owner_choices_of_tree(root_id=team.root_id))


@prepared
def _owner_choices_of_tree(*, root_id: int) -> QuerySet[Person]:
    return people_for_team(Team(pk=root_id)).values_list("pk", "display_name")


def blockers_for(request: HttpRequest, teams, as_of: datetime.date) -> list[StandupUpdate]:
    """Open blockers, each marked with whether this reader may clear it (the person, or a lead
    of the blocked person's team)."""
    person_id = access_for(request.user).person_id
    blockers = selectors.open_blockers(teams=teams, as_of=as_of)
    for standup in blockers:
        standup.can_clear = standup.person_id == person_id or request.user.has_perm(
            "sprints.run_meetings", standup.team
        )
    return blockers


def meeting_url(series: MeetingSeries, date: datetime.date) -> str:
    return reverse("sprints:meeting", args=[series.pk, date.isoformat()])


# Meetings: the team's series, one meeting's page, and what gets written to it


@require_GET
def meetings(request: HttpRequest, slug: str) -> HttpResponse:
    team = _team(request, slug)
    return render(request, "sprints/meetings.html", _meetings_context(request, team))


def _meetings_context(request: HttpRequest, team: Team, **extra) -> dict:
    tree = selectors.team_tree_ids(team.parent or team)
    today = timezone.localdate()
    series = selectors.series_with_next_dates(tree, today)
    actions = selectors.flag_overdue(selectors.team_open_actions(tree), today)
    person_id = access_for(request.user).person_id
    context = {
        "team": team,
        "today": today,
        "series_list": series,
        "actions": actions,
        "can_run": request.user.has_perm("sprints.run_meetings", team),
        "can_attend": request.user.has_perm("sprints.attend", team),
        "feeds": _feeds_listed(request, team, person_id),
        "new_feed_url": request.session.pop(f"{NEW_FEED_KEY}:{team.pk}", None),
    }
    return {**context, **extra}


def _feeds_listed(request: HttpRequest, team: Team, person_id: int | None) -> QuerySet[CalendarFeed]:
    """Your own calendar addresses; a lead sees (and may revoke) everyone's on the team."""
    feeds = CalendarFeed.objects.filter(team=team, revoked_at__isnull=True).select_related("created_by")
    if request.user.has_perm("sprints.run_meetings", team):
        return feeds
    return feeds.filter(created_by_id=person_id) if person_id else feeds.none()


@require_http_methods(["GET", "POST"])
def series_create(request: HttpRequest, slug: str) -> HttpResponse:
    team = _team(request, slug, "sprints.run_meetings")
    may_run_org_wide = request.user.has_perm("sprints.run_meetings", MeetingSeries(team=None))
    if request.method == "GET":
        form = MeetingSeriesForm(may_run_org_wide=may_run_org_wide)
        return render(request, "sprints/series_form.html", {"team": team, "form": form})

    def done(series: MeetingSeries) -> HttpResponse:
        messages.success(request, f"Added “{series.name}”.")
        return redirect("sprints:series", pk=series.pk)

    return save_form(
        request,
        form=MeetingSeriesForm(request.POST, may_run_org_wide=may_run_org_wide),
        template="sprints/series_form.html",
        context={"team": team},
        save=lambda data: services.meeting_series_create(
            team=None if data.get("org_wide") else team,
            kind=data["kind"],
            name=data["name"],
            weekdays=data["weekdays"],
            starts_at=data["starts_at"],
            duration_minutes=data["duration_minutes"],
            timezone_name=data["timezone"],
        ),
        done=done,
    )


@require_GET
def series_next(request: HttpRequest, pk: int) -> HttpResponse:
    """A series' address opens its meeting today, or the next one."""
    series = _series(request, pk)
    day = selectors.next_meeting_date(series, timezone.localdate())
    if day is None:
        last = series.meetings.order_by("-date").first()
        if last is None:
            messages.info(request, f"{series.name} has no meetings yet.")
            return redirect("sprints:meetings", slug=series.team.slug) if series.team else redirect("dashboard")
        day = last.date
    return redirect(meeting_url(series, day))


def _empty_retro_forms(page: selectors.MeetingPage) -> dict:
    """The retro's two note forms before anything is typed (only a retro shows them)."""
    if page.retro is None:
        return {"went_well_form": None, "to_improve_form": None}
    return {
        "went_well_form": RetroNoteForm(initial={"kind": RetroNote.Kind.WENT_WELL}, prefix="went_well"),
        "to_improve_form": RetroNoteForm(initial={"kind": RetroNote.Kind.TO_IMPROVE}, prefix="to_improve"),
    }


def _meeting_context(request: HttpRequest, page: selectors.MeetingPage, **forms) -> dict:
    series, meeting = page.series, page.meeting
    can_attend = request.user.has_perm("sprints.attend", series)
    context = {
        "page": page,
        "series": series,
        "meeting": meeting,
        "team": series.team,
        "meeting_url": meeting_url(series, meeting.date),
        "can_attend": can_attend,
        "agenda_form": None,  # a refused one, with what was typed; else the empty one is drawn from memory
        "action_form": None,
        "empty_action_form": EmptyActionForm(owners=_owner_choices(request, series.team)),
        **_empty_retro_forms(page),
        "today": timezone.localdate(),
        "can_answer": can_attend and series.team is not None,
    }
    return {**context, **forms}


def _meeting_response(
    request: HttpRequest, series: MeetingSeries, date: datetime.date, partial: str, status: int = 200, **forms
) -> HttpResponse:
    """After a write: the changed part of the page for HTMX, else back to the page (or the page
    again with the form's errors)."""
    if status == 200 and not request.htmx:
        return redirect(meeting_url(series, date))
    page = selectors.meeting_page(series=series, date=date, now=timezone.now(), readable=readable_teams(request.user))
    context = _meeting_context(request, page, **forms)
    if not request.htmx:
        return render(request, "sprints/meeting.html", context, status=status)
    response = render(request, f"sprints/meeting.html#{partial}", context, status=status)
    if partial == "actions" and status == 200:
        # Ticking or adding an action changes the agenda's open actions and the retro's list too.
        also = ["agenda", "retro"] if page.retro else ["agenda"]
        for other in also:
            response.content += render_to_string(
                f"sprints/meeting.html#{other}", {**context, "oob": True}, request=request
            ).encode()
    return response


@require_GET
@conditional_page
def meeting_detail(request: HttpRequest, pk: int, day: str) -> HttpResponse:
    series = _series(request, pk)
    page = selectors.meeting_page(
        series=series, date=_date(day), now=timezone.now(), readable=readable_teams(request.user)
    )
    return render(request, "sprints/meeting.html", _meeting_context(request, page))


@require_POST
def agenda_add(request: HttpRequest, pk: int, day: str) -> HttpResponse:
    series, date = _series(request, pk, "sprints.attend"), _date(day)
    form = AgendaItemForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():  # no empty meeting is left behind by a refused item
                meeting = services.meeting_for(series=series, date=date)
                services.agenda_item_add(meeting=meeting, title=form.cleaned_data["title"], added_by=person_of(request))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _meeting_response(request, series, date, "agenda")
    return _meeting_response(request, series, date, "agenda", status=422, agenda_form=form)


@require_POST
def agenda_discussed(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_for_user(
        request, AgendaItem.objects.select_related("meeting__series__team"), permission="sprints.attend", pk=pk
    )
    services.agenda_item_set_discussed(item=item, discussed=request.POST.get("discussed") == "1")
    return _meeting_response(request, item.meeting.series, item.meeting.date, "agenda")


@require_POST
def action_add(request: HttpRequest, pk: int, day: str) -> HttpResponse:
    series, date = _series(request, pk, "sprints.attend"), _date(day)
    form = ActionItemForm(request.POST, people=_people(request, series.team), prefix="action")
    if form.is_valid():
        try:
            with transaction.atomic():
                meeting = services.meeting_for(series=series, date=date)
                services.action_item_add(meeting=meeting, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _meeting_response(request, series, date, "actions")
    return _meeting_response(request, series, date, "actions", status=422, action_form=form)


@require_POST
def action_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Tick an action item off (or undo it) from any meeting it shows in, or from its owner's page."""
    item = get_for_user(
        request, ActionItem.objects.select_related("series__team", "raised_in"), permission="sprints.attend", pk=pk
    )
    from_person = request.POST.get("from") == "person"
    shown_on = None if from_person else _parse_date(request.POST.get("on", ""))
    if request.POST.get("done") == "1":
        services.action_item_complete(item=item, on=shown_on)
    else:
        services.action_item_reopen(item=item)
    if from_person and item.owner_id:
        messages.success(request, f"Ticked off “{item.title}”." if item.done_at else f"Reopened “{item.title}”.")
        return redirect("person", pk=item.owner_id)
    shown_on = shown_on or item.raised_in.date
    return _meeting_response(request, item.series, shown_on, "actions")


@require_http_methods(["GET", "POST"])
def meeting_notes(request: HttpRequest, pk: int, day: str) -> HttpResponse:
    """Notes, decisions and attendees, edited together with the conflict check."""
    series, date = _series(request, pk, "sprints.attend"), _date(day)
    meeting = series.meetings.filter(date=date).first()
    people = _people(request, series.team)
    template = "sprints/meeting_notes.html#form" if request.htmx else "sprints/meeting_notes.html"
    context = {"series": series, "date": date, "meeting_url": meeting_url(series, date)}
    if request.method == "GET":
        initial = {"version": 1}
        if meeting is not None:
            initial = {
                "version": meeting.version,
                "notes": meeting.notes,
                "decisions": meeting.decisions,
                "attendees": list(meeting.attendees.all()),
            }
        return render(request, template, {**context, "form": MeetingNotesForm(initial=initial, people=people)})

    @transaction.atomic
    def save(data: dict):
        saved = services.meeting_for(series=series, date=date)
        unseen = saved.attendees.exclude(pk__in=people.values("pk"))  # kept: the writer could not untick them
        return services.meeting_update(
            meeting=saved,
            expected_version=data["version"],
            notes=data["notes"],
            decisions=data["decisions"],
            attendees=[*data["attendees"], *unseen],
        )

    return save_form(
        request,
        form=MeetingNotesForm(request.POST, people=people),
        template=template,
        context=context,
        save=save,
        done=lambda _: _meeting_response(request, series, date, "notes"),
    )


@require_POST
def retro_note_add(request: HttpRequest, pk: int, day: str) -> HttpResponse:
    series, date = _series(request, pk, "sprints.attend"), _date(day)
    prefix = request.POST.get("column", "")
    if prefix not in RetroNote.Kind.values or series.kind != MeetingSeries.Kind.RETRO:
        return HttpResponse("Not a retro column.", status=400)
    form = RetroNoteForm(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            with transaction.atomic():
                meeting = services.meeting_for(series=series, date=date)
                services.retro_note_add(meeting=meeting, author=person_of(request), **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _meeting_response(request, series, date, "retro")
    return _meeting_response(request, series, date, "retro", status=422, **{f"{prefix}_form": form})


# Async standup


def _standup_day(person: Person | None) -> datetime.date:
    """Standups are per day where the person is: an evening post in California is that day's."""
    return timezone.localdate(timezone=person.tzinfo) if person is not None else timezone.localdate()


def _standup_context(request: HttpRequest, team: Team, form: StandupForm | None = None) -> dict:
    person = person_of(request)
    today = _standup_day(person)
    tree = selectors.team_tree_ids(team.parent or team)
    can_post = person is not None and request.user.has_perm("sprints.attend", team)
    mine = None
    if can_post and form is None:
        mine = StandupUpdate.objects.filter(team=team, person=person, date=today).first()
        if mine is not None:
            initial = {"version": mine.version, "yesterday": mine.yesterday, "today": mine.today}
            form = StandupForm(initial={**initial, "blockers": mine.blockers})
        else:
            form = StandupForm(
                initial={"version": 0, **selectors.standup_prefill(person=person, team=team, now=timezone.now())}
            )
    by_day: dict[datetime.date, list[StandupUpdate]] = {}
    for standup in selectors.standups_since(tree, today - datetime.timedelta(days=STANDUP_DAYS_SHOWN)):
        by_day.setdefault(standup.date, []).append(standup)
    return {
        "team": team,
        "form": form,
        "can_post": can_post,
        "posted_today": mine is not None,
        "by_day": list(by_day.items()),
        "blockers": blockers_for(request, tree, selectors.latest_date_anywhere(timezone.now())),
        "today": today,
    }


@require_http_methods(["GET", "POST"])
def standup(request: HttpRequest, slug: str) -> HttpResponse:
    """Post today's standup (pre-filled from what you did since your last one) and read the team's."""
    if request.method == "GET":
        team = _team(request, slug)
        return render(request, "sprints/standup.html", _standup_context(request, team))
    team = _team(request, slug, "sprints.attend")
    person = person_of(request)
    if person is None:
        raise PermissionDenied
    form = StandupForm(request.POST)

    def done(_) -> HttpResponse:
        messages.success(request, "Posted your standup.")
        return redirect("sprints:standup", slug=team.slug)

    return save_form(
        request,
        form=form,
        template="sprints/standup.html",
        context=_standup_context(request, team, form),
        save=lambda data: services.standup_post(
            team=team,
            person=person,
            date=_standup_day(person),
            expected_version=data["version"],
            yesterday=data["yesterday"],
            today=data["today"],
            blockers=data["blockers"],
        ),
        done=done,
    )


@require_POST
def standup_clear_blocker(request: HttpRequest, pk: int) -> HttpResponse:
    """The person who was blocked, or a lead, says the blocker is sorted out."""
    standup = get_for_user(
        request, StandupUpdate.objects.select_related("team__parent", "person"), permission="sprints.attend", pk=pk
    )
    if standup.person_id != access_for(request.user).person_id and not request.user.has_perm(
        "sprints.run_meetings", standup.team
    ):
        raise PermissionDenied
    try:
        services.standup_clear_blocker(standup=standup, expected_version=_version(request))
    except EditConflict:
        messages.error(request, f"{standup.person.display_name} updated their standup meanwhile; here it is again.")
    else:
        messages.success(request, f"Cleared {standup.person.display_name}’s blocker.")
    slug = request.POST.get("team", "")
    shown = (is_slug(slug) and Team.objects.filter(slug=slug).first()) or standup.team
    if request.POST.get("next", "") == "team":
        return redirect(shown.get_absolute_url())
    return redirect("sprints:standup", slug=shown.slug)


def _version(request: HttpRequest) -> int:
    """The version a plain form (not a whole edit form) was showing; 0 when missing or bad."""
    form = VersionedForm(request.POST)
    return form.cleaned_data["version"] if form.is_valid() else 0


# Engineering-wide sprint planning


@require_GET
def planning_next(request: HttpRequest) -> HttpResponse:
    """Planning is for the sprint after the current one."""
    today = timezone.localdate()
    if Cadence.objects.exists():
        services.sprints_ensure(today=today)
    sprint = selectors.next_sprint(today)
    if sprint is None:
        return render(request, "sprints/no_sprints.html")
    return redirect("sprints:planning", number=sprint.number)


def _planning_context(request: HttpRequest, sprint: Sprint, **bound) -> dict:
    teams = list(readable_teams(request.user))
    access = access_for(request.user)
    own = [team for team in teams if team.pk in access.member_team_ids or team.parent_id in access.member_team_ids]
    columns = selectors.planning_page(sprint=sprint, teams=teams, now=timezone.now())
    for column in columns:
        column.can_discuss = request.user.has_perm("sprints.discuss", column.team)
        column.can_answer = request.user.has_perm("sprints.attend", column.team)
        form = bound.get("comment_forms", {}).get(column.team.pk)
        column.comment_form = form or PlanningCommentForm(prefix=f"c{column.team.pk}")
        for blocked in column.requests_received:
            answer_form = bound.get("answer_forms", {}).get(blocked.pk)
            blocked.answer_form = answer_form or RequestAnswerForm(prefix=f"a{blocked.pk}")
    team_ids = [team.pk for team in teams]
    request_form = bound.get("request_form") or BlockedRequestForm(
        own_teams=Team.objects.filter(pk__in=[team.pk for team in own]),
        other_teams=Team.objects.filter(pk__in=team_ids),
    )
    neighbours = {s.number: s for s in Sprint.objects.filter(number__in=[sprint.number - 1, sprint.number + 1])}
    return {
        "sprint": sprint,
        "columns": columns,
        "can_request": bool(own) and request.user.has_perm("sprints.discuss", own[0]),
        "request_form": request_form,
        "previous": neighbours.get(sprint.number - 1),
        "following": neighbours.get(sprint.number + 1),
    }


@require_GET
def planning(request: HttpRequest, number: int) -> HttpResponse:
    sprint = sprint_or_404(number)
    return render(request, "sprints/planning.html", _planning_context(request, sprint))


@require_POST
def planning_comment(request: HttpRequest, number: int, slug: str) -> HttpResponse:
    sprint = sprint_or_404(number)
    team = _team(request, slug, "sprints.discuss")
    form = PlanningCommentForm(request.POST, prefix=f"c{team.pk}")
    if form.is_valid():
        services.planning_comment_add(sprint=sprint, team=team, author=person_of(request), **form.cleaned_data)
        return redirect(reverse("sprints:planning", args=[sprint.number]) + f"#team-{team.slug}")
    context = _planning_context(request, sprint, comment_forms={team.pk: form})
    return render(request, "sprints/planning.html", context, status=422)


@require_POST
def blocked_request_create(request: HttpRequest, number: int) -> HttpResponse:
    sprint = sprint_or_404(number)
    access = access_for(request.user)
    if not (access.is_staff or access.member_team_ids):
        raise PermissionDenied  # only people on a team ask other teams for things
    teams = readable_teams(request.user)
    form = BlockedRequestForm(
        request.POST,
        own_teams=teams.filter(Q(pk__in=access.member_team_ids) | Q(parent_id__in=access.member_team_ids)),
        other_teams=teams,
    )
    if form.is_valid():
        if not request.user.has_perm("sprints.discuss", form.cleaned_data["to_team"]):
            raise PermissionDenied
        try:
            made = services.blocked_request_create(sprint=sprint, requested_by=person_of(request), **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Asked {made.to_team.name}; it shows on their planning agenda and board.")
            return redirect(reverse("sprints:planning", args=[sprint.number]) + f"#team-{made.from_team.slug}")
    return render(request, "sprints/planning.html", _planning_context(request, sprint, request_form=form), status=422)


@require_POST
def blocked_request_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Someone on the receiving team answers; the request leaves their agenda and board."""
    blocked = get_for_user(
        request,
        BlockedRequest.objects.select_related("to_team__parent", "from_team", "sprint"),
        permission="sprints.attend",
        pk=pk,
    )
    form = RequestAnswerForm(request.POST, prefix=f"a{blocked.pk}")
    back = request.POST.get("next", "")
    if form.is_valid():
        try:
            services.blocked_request_answer(request=blocked, answered_by=person_of(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages[0])  # someone answered first: show theirs, keep this text
            context = _planning_context(request, blocked.sprint, answer_forms={blocked.pk: form})
            return render(request, "sprints/planning.html", context, status=409)
        messages.success(request, f"Answered {blocked.from_team.name}.")
        if back == "board":
            return redirect("sprints:board", slug=blocked.to_team.slug)
        return redirect(reverse("sprints:planning", args=[blocked.sprint.number]) + f"#team-{blocked.to_team.slug}")
    context = _planning_context(request, blocked.sprint, answer_forms={blocked.pk: form})
    return render(request, "sprints/planning.html", context, status=422)


# Calendar feed


@require_POST
def calendar_feed_create(request: HttpRequest, slug: str) -> HttpResponse:
    """A new secret subscription address, shown this once."""
    team = _team(request, slug, "sprints.attend")
    person = person_of(request)
    if person is None:
        raise PermissionDenied  # an address works only while the person who made it is on the team
    _, token = services.calendar_feed_create(team=team, created_by=person)
    request.session[f"{NEW_FEED_KEY}:{team.pk}"] = request.build_absolute_uri(reverse("sprints:calendar", args=[token]))
    return redirect(reverse("sprints:meetings", args=[team.slug]) + "#calendar-heading")


@require_POST
def calendar_feed_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    feed = get_for_user(request, CalendarFeed.objects.select_related("team"), permission="sprints.attend", pk=pk)
    if feed.created_by_id != access_for(request.user).person_id and not request.user.has_perm(
        "sprints.run_meetings", feed.team
    ):
        raise PermissionDenied
    services.calendar_feed_revoke(feed=feed)
    messages.success(request, "Revoked the calendar address; calendars subscribed to it stop updating.")
    return redirect("sprints:meetings", slug=feed.team.slug)


@login_not_required
@require_GET
def calendar_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The team's calendar for a subscribing calendar app: no login, the token is the key."""
    feed = (
        CalendarFeed.objects.select_related("team__parent", "created_by__user")
        .filter(token_hash=services.calendar_token_hash(token), revoked_at__isnull=True)
        .first()
    )
    if feed is None or feed.created_by is None or not feed.created_by.user.has_perm("sprints.attend", feed.team):
        raise Http404("No such calendar")  # revoked, or its maker has left the team
    body = calendar.team_calendar(team=feed.team, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{feed.team.slug}.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
