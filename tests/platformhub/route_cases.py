"""The route matrix's data (issue 8): one small Platform tree with an object of every kind a URL
can point at, and a table of route cases saying, for every named URL pattern, how to build its
address and payload and what each role gets.

`build_world(org)` uses the services (as the app does), so every object is valid; titles carry
`SECRET` so a page that leaks Platform's plans to a member of another team is caught.
"""

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from axes.models import AccessFailureLog
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations import tasks
from integrations.models import IssueLink, SavedSearch
from integrations.services import key_result_link_issues, saved_search_add
from integrations.webhooks import sign
from okrs.models import CheckIn, Horizon, KeyResult, Objective, Period, RoadmapItem, RoadmapShareLink
from okrs.services import (
    check_in_record,
    horizon_create,
    key_result_create,
    objective_create,
    objective_delete,
    period_close,
    period_get_or_create,
    roadmap_item_create,
    roadmap_item_link_key_result,
    roadmap_item_link_objective,
    roadmap_share_link_create,
)
from platformhub.models import Person, Team
from sprints.models import (
    ActionItem,
    AgendaItem,
    BlockedRequest,
    Board,
    CalendarFeed,
    Card,
    Meeting,
    MeetingSeries,
    Milestone,
    Project,
    Sprint,
    SprintGoal,
    StandupUpdate,
)
from sprints.services import (
    action_item_add,
    agenda_item_add,
    blocked_request_create,
    board_for,
    cadence_set,
    calendar_feed_create,
    card_create,
    meeting_for,
    meeting_series_create,
    milestone_create,
    project_create,
    roster_set,
    sprint_goal_create,
    sprints_ensure,
    standup_post,
)
from tests.factories import TEST_PASSWORD, UserFactory, build_org, key_result_form_data

SECRET = "Zebracorn"  # in the title of every Platform object: never on a page an outsider gets
WEBHOOK_SECRET = "route-matrix-webhook-secret"
ROLES = ["anonymous", "viewer", "engineer", "lead", "staff", "outsider"]
LOGIN = "login"  # the expected "status" of a login-required page for anonymous: 302 to the login page
# The Platform standup meets on Monday, Wednesday and Friday; Wednesday 9 November 2022 has a meeting.
MEETING_DAY = datetime.date(2022, 11, 9)


@dataclass
class World:
    """One of everything a Platform URL points at (all in the Platform tree)."""

    team: Team
    sub_team: Team
    other_team: Team
    users: dict
    engineer: Person
    lead: Person
    q4: Period
    q3: Period
    objective: Objective
    objective_b: Objective  # not linked to the roadmap item, so it can be linked
    kr: KeyResult
    kr_b: KeyResult  # not linked to the roadmap item
    check_in: CheckIn
    gone_pk: int  # an objective deleted since: only its history is left
    six_month: Horizon
    three_year: Horizon
    item: RoadmapItem
    share_link: RoadmapShareLink
    share_token: str
    issue_link: IssueLink
    saved_search: SavedSearch
    board: Board
    card: Card
    project: Project
    milestone: Milestone
    sprint: Sprint  # the current one
    next_sprint: Sprint  # the one being planned
    goal: SprintGoal
    standup_series: MeetingSeries
    retro_series: MeetingSeries
    retro_day: datetime.date
    meeting: Meeting
    agenda_item: AgendaItem
    action: ActionItem
    standup: StandupUpdate
    blocked_request: BlockedRequest
    feed: CalendarFeed
    feed_token: str
    foreign_objective: Objective  # Payments' plans
    foreign_kr: KeyResult
    foreign_project: Project
    foreign_horizon: Horizon


def build_world() -> World:
    """The Platform tree with every kind of object, and a row of every model the admin shows."""
    org = build_org()
    org.users["superuser"] = UserFactory(is_staff=True, is_superuser=True)  # for the admin's own pages only
    team, sub_team = org.team, org.sub_team
    lead, engineer = org.users["lead"].person, org.users["engineer"].person
    today = timezone.localdate()

    q4 = period_get_or_create(year=2022, quarter=4)
    q3 = period_get_or_create(year=2022, quarter=3)
    period_close(team=team, period=q3, closed_by=None, scores={})  # for "reopen"
    objective = objective_create(team=team, period=q4, title=f"{SECRET} uptime", owners=[lead])
    objective_b = objective_create(team=team, period=q4, title=f"{SECRET} SOC 2")
    kr = key_result_create(
        objective=objective,
        title=f"{SECRET} postgres off heroku",
        kind=KeyResult.Kind.METRIC,
        start_value=Decimal(0),
        target_value=Decimal(3),
        owners=[engineer],
    )
    check_in = check_in_record(
        key_result=kr, author=engineer, expected_version=kr.version, confidence="high", value=Decimal(1)
    )
    kr.refresh_from_db()
    kr_b = key_result_create(objective=objective, title=f"{SECRET} load tests", kind=KeyResult.Kind.PERCENT)
    gone = objective_create(team=team, period=q4, title=f"{SECRET} deleted")
    gone_pk = gone.pk
    objective_delete(objective=gone)  # its history stays readable by those who could read it

    six_month = horizon_create(team=None, name="6 month")
    three_year = horizon_create(team=None, name="3-year")
    item = roadmap_item_create(team=team, horizon=six_month, title=f"{SECRET} no heroku")
    roadmap_item_link_key_result(item=item, key_result=kr)
    roadmap_item_link_objective(item=item, objective=objective)
    share_link, share_token = roadmap_share_link_create(team=team, label="Board", created_by=lead)

    key_result_link_issues(key_result=kr, text="PostHog/posthog#5", added_by=engineer)
    issue_link = IssueLink.objects.get(key_result=kr)
    saved_search = saved_search_add(key_result=kr, query="repo:PostHog/posthog label:heroku", created_by=engineer)

    cadence_set(length_days=14, first_start=today - datetime.timedelta(days=today.weekday() + 14))
    sprint = sprints_ensure(today=today)
    Sprint.objects.filter(number__lt=sprint.number).update(closed_at=timezone.now())
    next_sprint = Sprint.objects.get(number=sprint.number + 1)
    board = board_for(team)  # the board page makes it on first sight; made here so reading writes nothing
    card = card_create(team=team, title=f"{SECRET} cut over", sprints=[sprint])
    project = project_create(team=team, title=f"{SECRET} re-partition")
    milestone = milestone_create(project=project, title=f"{SECRET} 50 tables", target=Decimal(50))
    goal = sprint_goal_create(sprint=sprint, team=team, title=f"{SECRET} goal")

    standup_series = meeting_series_create(
        team=team, kind=MeetingSeries.Kind.STANDUP, name=f"{SECRET} standup", weekdays=[0, 2, 4]
    )
    retro_series = meeting_series_create(team=team, kind=MeetingSeries.Kind.RETRO, name=f"{SECRET} retro", weekdays=[])
    meeting = meeting_for(series=standup_series, date=MEETING_DAY)
    agenda_item = agenda_item_add(meeting=meeting, title=f"{SECRET} kafka lag", added_by=None)
    action = action_item_add(meeting=meeting, title=f"{SECRET} runbook", owner=engineer)
    standup = standup_post(
        team=team,
        person=engineer,
        date=today - datetime.timedelta(days=1),
        expected_version=0,
        yesterday="",
        today="",
        blockers=f"{SECRET} no access",
    )
    blocked_request = blocked_request_create(
        sprint=next_sprint, from_team=sub_team, to_team=team, requested_by=engineer, body=f"{SECRET} review"
    )
    feed, feed_token = calendar_feed_create(team=team, created_by=engineer)

    # Payments' plans, whose ids a Platform form must refuse.
    other_team = org.other_team
    foreign_objective = objective_create(team=other_team, period=q4, title="Card payments in Brazil")
    foreign_kr = key_result_create(objective=foreign_objective, title="Pix live", kind=KeyResult.Kind.PERCENT)
    foreign_project = project_create(team=other_team, title="Pix")
    foreign_horizon = horizon_create(team=other_team, name="FY27")

    # Rows only the admin pages need.
    roster_set(sprint=sprint, team=sub_team, people=[engineer])
    Group.objects.create(name="Editors")
    tasks.sync_linked_issues.enqueue()  # a background task result
    browser = Client()  # a failed and a successful log-in: django-axes' attempt, failure and access logs
    browser.post(reverse("login"), {"username": org.users["lead"].username, "password": "wrong"})
    browser.post(reverse("login"), {"username": org.users["lead"].username, "password": TEST_PASSWORD})
    AccessFailureLog.objects.create(user_agent="route matrix", ip_address="127.0.0.1", username="x", path_info="/")

    return World(
        team=team,
        sub_team=sub_team,
        other_team=org.other_team,
        users=org.users,
        engineer=engineer,
        lead=lead,
        q4=q4,
        q3=q3,
        objective=objective,
        objective_b=objective_b,
        kr=kr,
        kr_b=kr_b,
        check_in=check_in,
        gone_pk=gone_pk,
        six_month=six_month,
        three_year=three_year,
        item=item,
        share_link=share_link,
        share_token=share_token,
        issue_link=issue_link,
        saved_search=saved_search,
        board=board,
        card=card,
        project=project,
        milestone=milestone,
        sprint=sprint,
        next_sprint=next_sprint,
        goal=goal,
        standup_series=standup_series,
        retro_series=retro_series,
        retro_day=retro_series.date_for_sprint(Sprint.objects.get(number=1)),
        meeting=meeting,
        agenda_item=agenda_item,
        action=action,
        standup=standup,
        blocked_request=blocked_request,
        feed=feed,
        feed_token=feed_token,
        foreign_objective=foreign_objective,
        foreign_kr=foreign_kr,
        foreign_project=foreign_project,
        foreign_horizon=foreign_horizon,
    )


# Expected statuses per role


def expect(*, anonymous=LOGIN, **statuses) -> dict[str, int | str]:
    return {"anonymous": anonymous, **statuses}


def readers(ok: int = 200) -> dict:
    """The team's tree, org-wide viewers and staff read; a member of another team may not know it exists."""
    return expect(viewer=ok, engineer=ok, lead=ok, staff=ok, outsider=404)


def everyone(ok: int = 200) -> dict:
    """Org-wide pages: everyone logged in, each seeing only the teams they may read."""
    return expect(viewer=ok, engineer=ok, lead=ok, staff=ok, outsider=ok)


def leads(ok: int = 302) -> dict:
    """Leads of the team (or its parent) and staff; readers may see it but not do it (403)."""
    return expect(viewer=403, engineer=403, lead=ok, staff=ok, outsider=404)


def members(ok: int = 302) -> dict:
    """Anyone on the team's tree and staff; viewers read only (403)."""
    return expect(viewer=403, engineer=ok, lead=ok, staff=ok, outsider=404)


def public(ok: int = 200) -> dict:
    return dict.fromkeys(ROLES, ok)


@dataclass(frozen=True)
class Case:
    """One request to one URL name, and what each role gets for it."""

    route: str  # the URL name, namespaced
    method: str  # "get" or "post"
    url: Callable[[World], str]
    expected: dict[str, int | str]
    data: Callable[[World], dict] = lambda w: {}
    label: str = ""  # tells several cases of one route and method apart
    headers: dict[str, str] = field(default_factory=dict)
    changes: bool | None = None  # whether an allowed request writes; default: POST writes, GET does not
    shows_plans: bool = True  # False: by design it shows the tree's plans to whoever has the link (share, feed)
    org_wide: bool = False  # an org-wide page that shows Platform's plans to those who may read them
    xfail: dict[str, str] = field(default_factory=dict)  # role -> why (an app bug, kept as strict xfail)
    raw: Callable[[World], dict] | None = None  # for a raw body: {"data": bytes, "content_type": ..., **headers}

    @property
    def id(self) -> str:
        return f"{self.route} {self.method.upper()}{f' ({self.label})' if self.label else ''}"

    @property
    def writes(self) -> bool:
        return self.method == "post" if self.changes is None else self.changes


def u(name: str, *args: Callable[[World], object]) -> Callable[[World], str]:
    """The URL `name` with args computed from the world."""
    return lambda w: reverse(name, args=[arg(w) for arg in args])


def const(value):
    return lambda w: value


PLATFORM = const("platform")
Q4 = const("2022-q4")
HTMX = {"HTTP_HX_REQUEST": "true"}


def _ping(w: World) -> dict:
    body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
    return {
        "data": body,
        "content_type": "application/json",
        "HTTP_X_GITHUB_EVENT": "ping",
        "HTTP_X_GITHUB_DELIVERY": "route-matrix-1",
        "HTTP_X_HUB_SIGNATURE_256": sign(secret=WEBHOOK_SECRET, body=body),
    }


def _unsigned(w: World) -> dict:
    body = json.dumps({"action": "opened", "issue": {"url": "https://api.github.com/repos/a/b/issues/1"}}).encode()
    return {
        "data": body,
        "content_type": "application/json",
        "HTTP_X_GITHUB_EVENT": "issues",
        "HTTP_X_GITHUB_DELIVERY": "route-matrix-2",
    }


def _meeting(name: str) -> Callable[[World], str]:
    return lambda w: reverse(f"sprints:{name}", args=[w.standup_series.pk, MEETING_DAY.isoformat()])


CASES: list[Case] = [
    # platformhub
    Case("dashboard", "get", u("dashboard"), everyone(), org_wide=True),
    Case("team_list", "get", u("team_list"), everyone()),
    Case("team_dashboard", "get", u("team_dashboard", PLATFORM), readers()),
    Case("team_detail", "get", u("team_detail", PLATFORM), readers()),
    Case("team_about_edit", "get", u("team_about_edit", PLATFORM), leads(200)),
    Case(
        "team_about_edit",
        "post",
        u("team_about_edit", PLATFORM),
        leads(),
        data=lambda w: {"mission": "Taken over", "guidelines": "", "version": w.team.version},
    ),
    Case("person", "get", u("person", lambda w: w.engineer.pk), readers()),
    Case(
        "login",
        "get",
        u("login"),
        expect(anonymous=200, viewer=302, engineer=302, lead=302, staff=302, outsider=302),
        shows_plans=False,
    ),
    Case(
        "login",
        "post",
        u("login"),
        public(302),  # anonymous: logged in; everyone else: already logged in
        data=lambda w: {"username": w.users["lead"].username, "password": TEST_PASSWORD},
        changes=False,
        shows_plans=False,
    ),
    Case(
        "logout",
        "post",
        u("logout"),
        expect(viewer=302, engineer=302, lead=302, staff=302, outsider=302),
        changes=False,
    ),
    Case("logout", "get", u("logout"), expect(viewer=405, engineer=405, lead=405, staff=405, outsider=405)),
    # integrations
    Case(
        "integrations:github_webhook",
        "post",
        u("integrations:github_webhook"),
        public(200),
        label="signed ping",
        raw=_ping,
        changes=False,
    ),
    Case(
        "integrations:github_webhook",
        "post",
        u("integrations:github_webhook"),
        public(401),
        label="unsigned",
        raw=_unsigned,
    ),
    Case("integrations:github_webhook", "get", u("integrations:github_webhook"), public(405)),
    Case("integrations:link_issues", "get", u("integrations:link_issues", lambda w: w.kr.pk), members(200)),
    Case(
        "integrations:link_issues",
        "post",
        u("integrations:link_issues", lambda w: w.kr.pk),
        members(),
        data=const({"references": "PostHog/posthog#6"}),
    ),
    Case("integrations:unlink_issue", "post", u("integrations:unlink_issue", lambda w: w.issue_link.pk), members()),
    Case(
        "integrations:add_saved_search",
        "post",
        u("integrations:add_saved_search", lambda w: w.kr.pk),
        members(),
        data=const({"query": "label:x"}),
    ),
    Case(
        "integrations:remove_saved_search",
        "post",
        u("integrations:remove_saved_search", lambda w: w.saved_search.pk),
        members(),
    ),
    # okrs
    Case("okrs:overview", "get", lambda w: reverse("okrs:overview") + "?period=2022-q4", everyone(), org_wide=True),
    Case("okrs:team_okrs_current", "get", u("okrs:team_okrs_current", PLATFORM), readers(302)),
    Case("okrs:team_okrs", "get", u("okrs:team_okrs", PLATFORM, Q4), readers()),
    Case("okrs:objective_create", "get", u("okrs:objective_create", PLATFORM, Q4), leads(200)),
    Case(
        "okrs:objective_create",
        "post",
        u("okrs:objective_create", PLATFORM, Q4),
        leads(),
        data=const({"title": "New objective", "why": ""}),
    ),
    Case("okrs:period_open_next", "get", u("okrs:period_open_next", PLATFORM, Q4), leads(200)),
    Case(
        "okrs:period_open_next",
        "post",
        u("okrs:period_open_next", PLATFORM, Q4),
        leads(),
        data=const({"copy_unfinished": "on"}),
    ),
    Case("okrs:period_close", "get", u("okrs:period_close", PLATFORM, Q4), leads(200)),
    Case(
        "okrs:period_close",
        "post",
        u("okrs:period_close", PLATFORM, Q4),
        leads(),
        data=lambda w: {f"kr{kr.pk}-score": "0.5" for kr in (w.kr, w.kr_b)},
    ),
    Case("okrs:period_reopen", "post", u("okrs:period_reopen", PLATFORM, const("2022-q3")), leads()),
    Case("okrs:objective_card", "get", u("okrs:objective_card", lambda w: w.objective.pk), readers(302)),
    Case(
        "okrs:objective_card",
        "get",
        u("okrs:objective_card", lambda w: w.objective.pk),
        readers(200),
        label="htmx",
        headers=HTMX,
    ),
    Case("okrs:objective_edit", "get", u("okrs:objective_edit", lambda w: w.objective.pk), leads(200)),
    Case(
        "okrs:objective_edit",
        "post",
        u("okrs:objective_edit", lambda w: w.objective.pk),
        leads(),
        data=lambda w: {"title": "Renamed", "why": "", "version": w.objective.version},
    ),
    Case("okrs:objective_delete", "get", u("okrs:objective_delete", lambda w: w.objective.pk), leads(200)),
    Case("okrs:objective_delete", "post", u("okrs:objective_delete", lambda w: w.objective.pk), leads()),
    Case(
        "okrs:objective_move",
        "post",
        u("okrs:objective_move", lambda w: w.objective.pk),
        leads(),
        data=lambda w: {"direction": "down", "version": w.objective.version},
    ),
    Case("okrs:key_result_create", "get", u("okrs:key_result_create", lambda w: w.objective.pk), leads(200)),
    Case(
        "okrs:key_result_create",
        "post",
        u("okrs:key_result_create", lambda w: w.objective.pk),
        leads(),
        data=lambda w: key_result_form_data(),
    ),
    Case("okrs:key_result_detail", "get", u("okrs:key_result_detail", lambda w: w.kr.pk), readers()),
    Case("okrs:key_result_edit", "get", u("okrs:key_result_edit", lambda w: w.kr.pk), leads(200)),
    Case(
        "okrs:key_result_edit",
        "post",
        u("okrs:key_result_edit", lambda w: w.kr.pk),
        leads(),
        data=lambda w: key_result_form_data(version=w.kr.version),
    ),
    Case("okrs:key_result_delete", "get", u("okrs:key_result_delete", lambda w: w.kr.pk), leads(200)),
    Case("okrs:key_result_delete", "post", u("okrs:key_result_delete", lambda w: w.kr.pk), leads()),
    Case(
        "okrs:key_result_move",
        "post",
        u("okrs:key_result_move", lambda w: w.kr.pk),
        leads(),
        data=lambda w: {"direction": "down", "version": w.kr.version},
    ),
    Case("okrs:check_in", "get", u("okrs:check_in", lambda w: w.kr.pk), members(200)),
    Case(
        "okrs:check_in",
        "post",
        u("okrs:check_in", lambda w: w.kr.pk),
        members(),
        data=lambda w: {"value": "1", "confidence": "high", "note": "", "version": w.kr.version},
    ),
    # roadmap
    Case("okrs:roadmap", "get", u("okrs:roadmap"), everyone(), org_wide=True),
    Case(
        "okrs:shared_roadmap",
        "get",
        u("okrs:shared_roadmap", lambda w: w.share_token),
        public(200),
        shows_plans=False,
    ),
    Case(
        "okrs:shared_roadmap",
        "get",
        u("okrs:shared_roadmap", lambda w: w.share_token[:-2] + "xx"),
        public(404),
        label="guessed token",
    ),
    Case("okrs:share_link_revoke", "post", u("okrs:share_link_revoke", lambda w: w.share_link.pk), leads()),
    Case("okrs:roadmap_item_edit", "get", u("okrs:roadmap_item_edit", lambda w: w.item.pk), leads(200)),
    Case(
        "okrs:roadmap_item_edit",
        "post",
        u("okrs:roadmap_item_edit", lambda w: w.item.pk),
        leads(),
        data=lambda w: {
            "title": "No Heroku!",
            "status": "done",
            "commitment": "committed",
            "health": "on_track",
            "version": w.item.version,
        },
    ),
    Case("okrs:roadmap_item_delete", "get", u("okrs:roadmap_item_delete", lambda w: w.item.pk), leads(200)),
    Case("okrs:roadmap_item_delete", "post", u("okrs:roadmap_item_delete", lambda w: w.item.pk), leads()),
    Case(
        "okrs:roadmap_item_move",
        "post",
        u("okrs:roadmap_item_move", lambda w: w.item.pk),
        leads(),
        data=lambda w: {"horizon": w.three_year.pk, "version": w.item.version},
    ),
    Case("okrs:roadmap_item_link", "get", u("okrs:roadmap_item_link", lambda w: w.item.pk), leads(200)),
    Case(
        "okrs:roadmap_item_link",
        "post",
        u("okrs:roadmap_item_link", lambda w: w.item.pk),
        leads(),
        data=lambda w: {"key_result": w.kr_b.pk},
    ),
    Case(
        "okrs:roadmap_item_link_objective",
        "post",
        u("okrs:roadmap_item_link_objective", lambda w: w.item.pk),
        leads(),
        data=lambda w: {"objective": w.objective_b.pk},
    ),
    Case(
        "okrs:roadmap_item_unlink_objective",
        "post",
        u("okrs:roadmap_item_unlink_objective", lambda w: w.item.pk, lambda w: w.objective.pk),
        leads(),
    ),
    Case(
        "okrs:roadmap_item_unlink",
        "post",
        u("okrs:roadmap_item_unlink", lambda w: w.item.pk, lambda w: w.kr.pk),
        leads(),
    ),
    Case("okrs:team_roadmap", "get", u("okrs:team_roadmap", PLATFORM), readers()),
    Case(
        "okrs:roadmap_item_create",
        "get",
        lambda w: reverse("okrs:roadmap_item_create", args=["platform"]) + f"?horizon={w.six_month.pk}",
        leads(200),
    ),
    Case(
        "okrs:roadmap_item_create",
        "post",
        u("okrs:roadmap_item_create", PLATFORM),
        leads(),
        data=lambda w: {
            "horizon": w.six_month.pk,
            "title": "SOC 2 Ready",
            "status": "planned",
            "commitment": "likely",
            "health": "on_track",
        },
    ),
    Case("okrs:horizon_create", "get", u("okrs:horizon_create", PLATFORM), leads(200)),
    Case("okrs:horizon_create", "post", u("okrs:horizon_create", PLATFORM), leads(), data=const({"name": "FY27"})),
    Case("okrs:roadmap_changes", "get", u("okrs:roadmap_changes", PLATFORM), readers()),
    Case(
        "okrs:snapshot_create", "post", u("okrs:snapshot_create", PLATFORM), leads(), data=const({"name": "Q4 review"})
    ),
    Case("okrs:share_links", "get", u("okrs:share_links", PLATFORM), leads(200)),
    Case("okrs:share_links", "post", u("okrs:share_links", PLATFORM), leads(200), data=const({"label": "Execs"})),
    # sprints: board, projects, sprints
    Case("sprints:board", "get", u("sprints:board", PLATFORM), readers()),
    Case("sprints:board_column", "get", u("sprints:board_column", PLATFORM, const("done")), readers()),
    Case("sprints:card_create", "get", u("sprints:card_create", PLATFORM), members(200)),
    Case("sprints:card_create", "post", u("sprints:card_create", PLATFORM), members(), data=const({"title": "New"})),
    Case(
        "sprints:card_move",
        "post",
        u("sprints:card_move", lambda w: w.card.pk),
        members(),
        data=lambda w: {"column": "in_review", "version": w.card.version},
    ),
    Case(
        "sprints:card_take",
        "post",
        u("sprints:card_take", lambda w: w.card.pk),
        # staff has no profile, so cannot own a card
        expect(viewer=403, engineer=302, lead=302, staff=403, outsider=404),
        data=lambda w: {"version": w.card.version},
    ),
    Case("sprints:projects", "get", u("sprints:projects", PLATFORM), readers()),
    Case("sprints:projects", "post", u("sprints:projects", PLATFORM), leads(), data=const({"title": "Project X"})),
    Case(
        "sprints:milestone_create",
        "post",
        u("sprints:milestone_create", lambda w: w.project.pk),
        leads(),
        data=const({"title": "M", "target": "5"}),
    ),
    Case(
        "sprints:milestone_progress",
        "post",
        u("sprints:milestone_progress", lambda w: w.milestone.pk),
        members(),
        data=lambda w: {"current": "10", "version": w.milestone.version},
    ),
    Case("sprints:current", "get", u("sprints:current"), everyone(302)),
    Case("sprints:sprint", "get", u("sprints:sprint", lambda w: w.sprint.number), everyone(), org_wide=True),
    Case(
        "sprints:close",
        "post",
        u("sprints:close", lambda w: w.sprint.number),
        # sprints are org-wide: any lead (or staff) closes one, nobody else
        expect(viewer=403, engineer=403, lead=302, staff=302, outsider=403),
    ),
    Case("sprints:report", "get", u("sprints:report", lambda w: w.sprint.number), everyone(), org_wide=True),
    Case("sprints:goal_create", "get", u("sprints:goal_create", lambda w: w.sprint.number, PLATFORM), leads(200)),
    Case(
        "sprints:goal_create",
        "post",
        u("sprints:goal_create", lambda w: w.sprint.number, PLATFORM),
        leads(),
        data=lambda w: {f"goal-{w.team.pk}-title": "Goal"},
    ),
    Case(
        "sprints:goal_outcome",
        "post",
        u("sprints:goal_outcome", lambda w: w.goal.pk),
        leads(),
        data=lambda w: {"outcome": "met", "version": w.goal.version},
    ),
    Case("sprints:roster_update", "get", u("sprints:roster_update", lambda w: w.sprint.number, PLATFORM), leads(200)),
    Case(
        "sprints:roster_update",
        "post",
        u("sprints:roster_update", lambda w: w.sprint.number, PLATFORM),
        leads(),
        data=lambda w: {f"r{w.team.pk}-people": [w.engineer.pk]},
    ),
    # sprints: engineering-wide planning
    Case("sprints:planning_next", "get", u("sprints:planning_next"), everyone(302)),
    Case("sprints:planning", "get", u("sprints:planning", lambda w: w.next_sprint.number), everyone(), org_wide=True),
    Case(
        "sprints:planning_comment",
        "post",
        u("sprints:planning_comment", lambda w: w.next_sprint.number, PLATFORM),
        members(),
        data=lambda w: {f"c{w.team.pk}-body": "Looks good"},
    ),
    Case(
        "sprints:request_create",
        "post",
        u("sprints:request_create", lambda w: w.next_sprint.number),
        # staff is on no team to ask from, and Infrastructure is not the outsider's to ask for: 422
        expect(viewer=403, engineer=302, lead=302, staff=422, outsider=422),
        data=lambda w: {"from_team": w.sub_team.pk, "to_team": w.team.pk, "body": "Review our plan"},
    ),
    Case(
        "sprints:request_answer",
        "post",
        u("sprints:request_answer", lambda w: w.blocked_request.pk),
        members(),
        data=lambda w: {f"a{w.blocked_request.pk}-answer": "Sure"},
    ),
    # sprints: meetings
    Case("sprints:meetings", "get", u("sprints:meetings", PLATFORM), readers()),
    Case("sprints:series_create", "get", u("sprints:series_create", PLATFORM), leads(200)),
    Case(
        "sprints:series_create",
        "post",
        u("sprints:series_create", PLATFORM),
        leads(),
        data=const(
            {
                "name": "Design review",
                "kind": "custom",
                "weekdays": ["3"],
                "duration_minutes": "45",
                "timezone": "Europe/London",
            }
        ),
    ),
    Case("sprints:series", "get", u("sprints:series", lambda w: w.standup_series.pk), readers(302)),
    Case("sprints:meeting", "get", _meeting("meeting"), readers()),
    Case("sprints:agenda_add", "post", _meeting("agenda_add"), members(), data=const({"title": "EU on-call"})),
    Case("sprints:meeting_notes", "get", _meeting("meeting_notes"), members(200)),
    Case(
        "sprints:meeting_notes",
        "post",
        _meeting("meeting_notes"),
        members(),
        data=lambda w: {"version": w.meeting.version, "notes": "Shard the events table"},
    ),
    Case("sprints:action_add", "post", _meeting("action_add"), members(), data=const({"action-title": "Rotate keys"})),
    Case(
        "sprints:retro_note_add",
        "post",
        lambda w: reverse("sprints:retro_note_add", args=[w.retro_series.pk, w.retro_day.isoformat()]),
        members(),
        data=const({"column": "went_well", "went_well-kind": "went_well", "went_well-text": "Shipped it"}),
    ),
    Case(
        "sprints:agenda_discussed",
        "post",
        u("sprints:agenda_discussed", lambda w: w.agenda_item.pk),
        members(),
        data=lambda w: {"discussed": "1", "version": w.agenda_item.version},
    ),
    Case(
        "sprints:action_done",
        "post",
        u("sprints:action_done", lambda w: w.action.pk),
        members(),
        data=lambda w: {"done": "1", "on": MEETING_DAY.isoformat(), "version": w.action.version},
    ),
    # sprints: standups and the calendar feed
    Case("sprints:standup", "get", u("sprints:standup", PLATFORM), readers()),
    Case(
        "sprints:standup",
        "post",
        u("sprints:standup", PLATFORM),
        # staff has no profile to post as
        expect(viewer=403, engineer=302, lead=302, staff=403, outsider=404),
        data=const({"version": "0", "today": "Cut over Postgres"}),
    ),
    Case(
        "sprints:standup_clear",
        "post",
        u("sprints:standup_clear", lambda w: w.standup.pk),
        members(),  # the engineer is the person blocked; the lead and staff run the team's meetings
        data=lambda w: {"version": w.standup.version},
    ),
    Case(
        "sprints:calendar_feed_create",
        "post",
        u("sprints:calendar_feed_create", PLATFORM),
        # an address lives as long as its maker is on the team: staff (no profile) and viewers get none
        expect(viewer=403, engineer=302, lead=302, staff=403, outsider=404),
    ),
    Case(
        "sprints:calendar_feed_revoke",
        "post",
        u("sprints:calendar_feed_revoke", lambda w: w.feed.pk),
        members(),  # the engineer made it; the lead and staff may revoke anyone's
    ),
    Case("sprints:calendar", "get", u("sprints:calendar", lambda w: w.feed_token), public(200), shows_plans=False),
    Case(
        "sprints:calendar",
        "get",
        u("sprints:calendar", lambda w: w.feed_token[:-2] + "xx"),
        public(404),
        label="guessed token",
    ),
]

# History pages: one case per kind of tracked object, each checked against its own permission.
HISTORY_OBJECTS: dict[str, Callable[[World], object]] = {
    "team": lambda w: w.team,
    "membership": lambda w: w.engineer.memberships.get(team=w.team),
    "objective": lambda w: w.objective,
    "key-result": lambda w: w.kr,
    "check-in": lambda w: w.check_in,
    "roadmap-item": lambda w: w.item,
    "sprint": lambda w: w.sprint,
    "goal": lambda w: w.goal,
    "project": lambda w: w.project,
    "milestone": lambda w: w.milestone,
    "card": lambda w: w.card,
    "meeting": lambda w: w.meeting,
    "action": lambda w: w.action,
}
RESTORABLE: dict[str, Callable[[World], object]] = {
    "objective": lambda w: w.objective,
    "key-result": lambda w: w.kr,
    "roadmap-item": lambda w: w.item,
}


def _history_url(kind: str, obj: Callable[[World], object], view: str = "history") -> Callable[[World], str]:
    return lambda w: reverse(view, args=[kind, obj(w).pk])


def _first_version(obj: Callable[[World], object]) -> Callable[[World], dict]:
    """Restore the version the object was created with."""

    def data(w: World) -> dict:
        current = obj(w)
        record = type(current).history.filter(id=current.pk).order_by("history_id").first()
        return {"record": record.history_id, "version": type(current).objects.get(pk=current.pk).version}

    return data


CASES += [
    Case(
        "history",
        "get",
        _history_url(kind, obj),
        everyone() if kind == "sprint" else readers(),  # sprints are org-wide
        label=kind,
    )
    for kind, obj in HISTORY_OBJECTS.items()
]
CASES += [
    Case("history", "get", lambda w: reverse("history", args=["objective", w.gone_pk]), readers(), label="deleted"),
    Case(
        "history",
        "get",
        lambda w: reverse("history", args=["no-such-kind", w.objective.pk]),
        everyone(404),
        label="unknown kind",
    ),
]
CASES += [
    Case(
        "history_restore",
        "post",
        _history_url(kind, obj, "history_restore"),
        leads(),
        data=_first_version(obj),
        label=kind,
    )
    for kind, obj in RESTORABLE.items()
]
CASES += [
    Case(
        "history_restore",
        "post",
        _history_url("card", lambda w: w.card, "history_restore"),
        everyone(404),  # only objectives, key results and roadmap items are restored
        label="card",
        data=lambda w: {"record": 1, "version": 1},
    ),
]

# Another team's ids in a Platform form: refused (422, or 400 for a move), and nothing saved.
CASES += [
    Case(
        "okrs:objective_create",
        "post",
        u("okrs:objective_create", const("infrastructure"), Q4),
        leads(422),
        data=lambda w: {"title": "Aligned elsewhere", "why": "", "parent": w.foreign_objective.pk},
        label="aligned to another team's objective",
    ),
    Case(
        "okrs:roadmap_item_link",
        "post",
        u("okrs:roadmap_item_link", lambda w: w.item.pk),
        leads(422),
        data=lambda w: {"key_result": w.foreign_kr.pk},
        label="another team's key result",
    ),
    Case(
        "okrs:roadmap_item_link_objective",
        "post",
        u("okrs:roadmap_item_link_objective", lambda w: w.item.pk),
        leads(422),
        data=lambda w: {"objective": w.foreign_objective.pk},
        label="another team's objective",
    ),
    Case(
        "okrs:roadmap_item_move",
        "post",
        u("okrs:roadmap_item_move", lambda w: w.item.pk),
        leads(400),
        data=lambda w: {"horizon": w.foreign_horizon.pk, "version": w.item.version},
        label="onto another team's horizon",
    ),
    Case(
        "sprints:card_create",
        "post",
        u("sprints:card_create", PLATFORM),
        members(422),
        data=lambda w: {"title": "Pix card", "project": w.foreign_project.pk},
        label="in another team's project",
    ),
    Case(
        "sprints:goal_create",
        "post",
        u("sprints:goal_create", lambda w: w.sprint.number, PLATFORM),
        leads(302),  # back to the sprint page with the form's error as a message
        data=lambda w: {f"goal-{w.team.pk}-title": "Pix goal", f"goal-{w.team.pk}-key_result": w.foreign_kr.pk},
        label="against another team's key result",
        changes=False,
    ),
    Case(
        "sprints:action_add",
        "post",
        _meeting("action_add"),
        members(422),
        data=lambda w: {"action-title": "Chase Payments", "action-owner": w.users["outsider"].person.pk},
        label="owned by someone on another team",
    ),
    Case(
        "sprints:meeting_notes",
        "post",
        _meeting("meeting_notes"),
        members(422),
        data=lambda w: {"version": w.meeting.version, "notes": "x", "attendees": [w.users["outsider"].person.pk]},
        label="attended by someone on another team",
    ),
]

# Reading writes nothing: the board of a team that has none yet.
CASES += [
    Case(
        "sprints:board",
        "get",
        u("sprints:board", const("infrastructure")),
        readers(),
        label="a team without a board yet",
    ),
]
