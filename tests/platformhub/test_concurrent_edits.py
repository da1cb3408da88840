"""No lost edits (issue 8): two writers open the same editable thing at the same version, the
first saves, the second saves from the stale page. The second gets a 409 showing the first
writer's value next to what they typed, the database keeps the first value until the second
writer saves again on purpose, and the history then holds both versions: neither write is
silently lost. Additions from the same page are both kept; marking something twice changes
nothing more. Two tests race real threads against one row, on SQLite and on PostgreSQL.

Every case reads the form off the page the way a browser does (`concurrency_cases.form_on`),
hidden version included, so a form that forgets to carry its version fails here too."""

import pytest
from django.test import Client
from django.urls import reverse

from okrs.models import Objective
from okrs.services import objective_create
from platformhub.models import Membership, Team
from sprints.models import BlockedRequest, Card, CardMove, RosterEntry
from sprints.services import roster_set
from tests.factories import MembershipFactory, UserFactory
from tests.platformhub.concurrency_cases import (
    ADDITIONS,
    EDITS,
    HTMX,
    HTMX_EDITS,
    TWICE,
    World,
    answer_request,
    as_text,
    conflict_box,
    form_on,
    history,
    race,
    racing_database,
    stored,
)

SAVED = (200, 302)


@pytest.fixture
def world(org, okr) -> World:
    """The `org` and `okr` fixtures plus a second lead of Platform, Lars, so two leads can edit."""
    second = MembershipFactory(team=org.team, role=Membership.Role.LEAD, person__display_name="Lars Lead")
    return World(org=org, okr=okr, users={**org.users, "second_lead": second.person.user})


@pytest.fixture
def writer(world):
    """`writer("lead")` is a new browser logged in as that person (call twice for two tabs)."""

    def open_browser(role: str) -> Client:
        client = Client()
        client.force_login(world.users[role])
        return client

    return open_browser


def _edit_params() -> list:
    return [
        pytest.param(name, htmx, id=f"{name}{' (htmx)' if htmx else ''}")
        for name in EDITS
        for htmx in ((False, True) if name in HTMX_EDITS else (False,))
    ]


# Two writers of one object, one form


@pytest.mark.parametrize(("name", "htmx"), _edit_params())
def test_the_second_writer_of_a_stale_form_gets_a_conflict_showing_both_versions_and_neither_is_lost(
    world, writer, name, htmx
):
    case = EDITS[name]
    target = case.make(world)
    headers = HTMX if htmx else {}
    first, second = writer(case.writers[0]), writer(case.writers[1])
    first_form = form_on(first.get(target.page, **headers), action=target.action, having=case.field)
    second_form = form_on(second.get(target.page, **headers), action=target.action, having=case.field)

    saved = first.post(target.action, first_form.filled(**{case.field: case.sent(case.theirs)}), **headers)
    assert saved.status_code in SAVED, saved.content.decode()[:500]
    assert stored(target, case.column) == case.theirs

    stale = second.post(target.action, second_form.filled(**{case.field: case.sent(case.mine)}), **headers)
    now = stored(target, case.column)
    assert stale.status_code == 409, (
        f"the stale save answered {stale.status_code}; stored now: {now!r} "
        f"({'the first writer’s ' + repr(case.theirs) + ' was silently overwritten' if now == case.mine else 'kept'})"
    )
    assert now == case.theirs, "the refused save wrote nothing"
    shown = conflict_box(stale)
    assert case.shown(case.theirs) in shown, "the 409 shows the first writer's value"
    assert f"{world.person(case.writers[0]).display_name} saved a change" in shown, "and who saved it"
    kept = form_on(stale, action=target.action, having=case.field)
    assert kept.value(case.field) == case.sent(case.mine), "what the second writer typed is still in the form"
    if htmx:
        assert "<html" not in stale.content.decode(), "an HTMX request gets the form's partial, not a page"

    again = second.post(target.action, kept.filled(), **headers)
    assert again.status_code in SAVED, again.content.decode()[:500]
    assert stored(target, case.column) == case.mine
    assert history(target, case.column)[:2] == [case.mine, case.theirs], "both versions are in the history"


def test_the_second_writer_of_a_milestone_is_refused_without_overwriting_the_first(world, writer):
    """The stale number is not saved; the page says so, shows the first number and offers the form
    again at the new version."""
    case = EDITS["milestone progress"]
    target = case.make(world)
    first, second = writer("lead"), writer("engineer")
    forms = [form_on(client.get(target.page), action=target.action) for client in (first, second)]
    first.post(target.action, forms[0].filled(current="20"))

    stale = second.post(target.action, forms[1].filled(current="30"), follow=True)

    page = stale.content.decode()
    assert "Someone updated that milestone meanwhile" in page
    assert "20 of 50" in page
    assert stored(target, "current") == "20"
    retry = form_on(page, action=target.action)
    assert retry.value("version") == "2"
    second.post(target.action, retry.filled(current="30"))
    assert history(target, "current")[:2] == ["30", "20"]


def test_a_second_check_in_from_the_same_version_is_shown_the_first_and_both_are_kept(world, writer):
    key_result = world.okr.kr
    url = reverse("okrs:check_in", args=[key_result.pk])
    lead, engineer = writer("lead"), writer("engineer")
    lead_form = form_on(lead.get(url), action=url, having="note")
    engineer_form = form_on(engineer.get(url), action=url, having="note")
    assert lead_form.value("version") == engineer_form.value("version") == "1"

    lead.post(url, lead_form.filled(value="1", confidence="medium", note="One database moved"))
    stale = engineer.post(url, engineer_form.filled(value="2", note="Two moved, one to go"), **HTMX)

    assert stale.status_code == 409
    assert "One database moved" in conflict_box(stale)
    assert "Lena Lead checked in" in conflict_box(stale)
    kept = form_on(stale, action=url, having="note")
    assert (kept.value("value"), kept.value("note")) == ("2", "Two moved, one to go")
    assert engineer.post(url, kept.filled(), **HTMX).status_code == 200
    notes = list(key_result.check_ins.order_by("created_at").values_list("note", flat=True))
    assert notes == ["One database moved", "Two moved, one to go"]
    key_result.refresh_from_db()
    assert as_text(key_result.current_value) == "2"
    assert [as_text(v) for v in key_result.history.values_list("current_value", flat=True)[:2]] == ["2", "1"]


def test_the_second_lead_changing_a_stale_roster_gets_a_conflict_instead_of_dropping_the_first_change(world, writer):
    sprint, sub_team = world.sprint(), world.org.sub_team
    roster_set(sprint=sprint, team=sub_team, people=[world.person("engineer")])
    url = reverse("sprints:roster_update", args=[sprint.number, sub_team.slug])
    control = f"r{sub_team.pk}-people"
    lena, lars = writer("lead"), writer("second_lead")
    lena_form = form_on(lena.get(url), action=url, having=control)
    lars_form = form_on(lars.get(url), action=url, having=control)

    lena.post(url, lena_form.filled(**{control: [*lena_form.values(control), str(world.person("lead").pk)]}))
    stale = lars.post(
        url, lars_form.filled(**{control: [*lars_form.values(control), str(world.person("second_lead").pk)]})
    )

    on_roster = sorted(
        RosterEntry.objects.filter(sprint=sprint, team=sub_team).values_list("person__display_name", flat=True)
    )
    assert "Lena Lead" in on_roster, f"Lena's addition was silently dropped: the roster is now {on_roster}"
    assert stale.status_code == 409


def test_clearing_a_blocker_from_a_page_older_than_a_new_blocker_is_refused_and_the_new_one_stays(world, writer):
    case = TWICE["standup blocker cleared"]
    target = case.make(world)
    lead, engineer = writer("lead"), writer("engineer")
    clear = form_on(lead.get(target.page), action=target.action)
    standup_form = form_on(engineer.get(target.page), action=target.page, having="blockers")
    engineer.post(target.page, standup_form.filled(blockers="Waiting on security review"))

    refused = lead.post(target.action, clear.filled(), follow=True)

    assert "Eric Engineer updated their standup meanwhile; here it is again." in refused.content.decode()
    assert "Waiting on security review" in refused.content.decode()
    assert target.row().blocker_cleared_at is None
    lead.post(target.action, form_on(refused.content.decode(), action=target.action).filled())
    assert target.row().blocker_cleared_at is not None


def test_answering_a_blocked_request_someone_answered_meanwhile_shows_both_answers_and_keeps_the_first(world, writer):
    target = answer_request(world)
    lead, engineer = writer("lead"), writer("engineer")
    control = f"a{target.row().pk}-answer"
    forms = [form_on(client.get(target.page), action=target.action, having=control) for client in (lead, engineer)]

    lead.post(target.action, forms[0].filled(**{control: "Reviewed; ship it"}))
    late = engineer.post(target.action, forms[1].filled(**{control: "Not yet, we need a day"}))

    assert late.status_code == 409
    box = conflict_box(late)
    assert "answered this request already" in box
    assert "Not yet, we need a day" in box, "what the second person typed is kept"
    assert "↳ Reviewed; ship it" in late.content.decode(), "the first answer is shown"
    assert BlockedRequest.objects.get().answer == "Reviewed; ship it"


def test_a_mission_changed_in_the_admin_is_not_overwritten_by_an_about_form_opened_before(world, writer):
    team = world.org.team
    about = reverse("team_about_edit", args=[team.slug])
    lead = writer("lead")
    lead_form = form_on(lead.get(about), action=about, having="mission")
    admin = Client()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True))
    change = reverse("admin:platformhub_team_change", args=[team.pk])
    admin_form = form_on(admin.get(change), having="mission")
    assert admin.post(change, admin_form.filled(mission="Set by the administrator")).status_code == 302

    stale = lead.post(about, lead_form.filled(mission="Set by the lead"))

    assert Team.objects.get(pk=team.pk).mission == "Set by the administrator", "the administrator's mission was lost"
    assert stale.status_code == 409


# Additions from the same page: both are kept


@pytest.mark.parametrize("name", ADDITIONS)
def test_two_writers_adding_from_the_same_page_both_keep_their_addition(world, writer, name):
    case = ADDITIONS[name]
    target = case.make(world)
    first = {world.spell(key): value for key, value in case.first.items()}
    second = {world.spell(key): value for key, value in case.second.items()}
    having = world.spell(case.having) if case.having else next(iter(first), None)
    clients = [writer(role) for role in case.writers]
    forms = [form_on(client.get(target.page), action=target.action, having=having) for client in clients]

    responses = [
        clients[0].post(target.action, forms[0].filled(**first)),
        clients[1].post(target.action, forms[1].filled(**second)),
    ]

    assert [response.status_code in SAVED for response in responses] == [True, True]
    assert sorted(case.kept(world)) == case.expected


def test_two_leads_moving_the_same_objective_up_from_stale_pages_both_moves_apply_and_orders_stay_distinct(
    world, writer
):
    okr = world.okr
    for title in ("Cheaper infra", "Happier on-call"):
        objective_create(team=world.org.team, period=okr.period, title=title)
    last = Objective.objects.get(title="Happier on-call")
    url = reverse("okrs:objective_move", args=[last.pk])
    page = reverse("okrs:team_okrs", args=[world.org.team.slug, okr.period.slug])
    lena, lars = writer("lead"), writer("second_lead")
    for client in (lena, lars):
        form_on(client.get(page), action=url)

    for client in (lena, lars):
        assert client.post(url, {"direction": "up"}).status_code == 302

    titles = list(Objective.objects.order_by("order").values_list("title", flat=True))
    assert titles == ["Happier on-call", "High uptime", "Cheaper infra"]
    assert sorted(Objective.objects.values_list("order", flat=True)) == [1, 2, 3]


# Marking something once, twice


@pytest.mark.parametrize("name", TWICE)
def test_two_people_marking_the_same_thing_from_the_same_page_get_one_consistent_outcome(world, writer, name):
    case = TWICE[name]
    target = case.make(world)
    having = world.spell(case.having) if case.having else None
    action = None if case.having else target.action  # the quarter's close form posts to its own page
    clients = [writer(role) for role in case.writers]
    forms = [form_on(client.get(target.page), action=action, having=having) for client in clients]

    first = clients[0].post(target.action, forms[0].filled())
    after_first = case.state(target)
    second = clients[1].post(target.action, forms[1].filled())

    assert first.status_code in SAVED, first.content.decode()[:500]
    assert second.status_code < 500
    assert case.state(target) == after_first, "the second mark changed nothing"
    assert all(value is not None and value is not False for value in after_first), "the first mark took effect"


# Real concurrency: two threads, one row, released together after both read version N


@pytest.mark.django_db(transaction=True)
def test_two_leads_saving_the_same_objective_at_the_same_moment_one_wins_and_the_other_gets_a_conflict(
    world, writer, tmp_path
):
    objective = world.okr.objective
    url = reverse("okrs:objective_edit", args=[objective.pk])
    titles = {"lead": "Five nines for the API", "second_lead": "Nobody pages at night"}
    clients = {role: writer(role) for role in titles}
    forms = {role: form_on(client.get(url), action=url, having="title") for role, client in clients.items()}
    assert {form.value("version") for form in forms.values()} == {"1"}

    with racing_database(tmp_path) as read:
        responses = dict(
            zip(
                titles,
                race(
                    *(
                        lambda role=role: clients[role].post(url, forms[role].filled(title=titles[role]))
                        for role in titles
                    )
                ),
                strict=True,
            )
        )
        saved = read(
            lambda: (
                Objective.objects.filter(pk=objective.pk).values_list("title", "version").get(),
                list(objective.history.values_list("title", flat=True)),
            )
        )

    assert sorted(response.status_code for response in responses.values()) == [302, 409]
    winner = next(role for role, response in responses.items() if response.status_code == 302)
    loser = next(role for role in titles if role != winner)
    (title, version), titles_saved = saved
    assert (title, version) == (titles[winner], 2)
    assert titles_saved[:2] == [titles[winner], "High uptime"], "the history has the winner's version"
    assert titles[loser] not in titles_saved, "and nothing of the loser's, who was told and kept their text"
    assert titles[winner] in conflict_box(responses[loser]), "the loser is shown the winner's title"
    assert form_on(responses[loser], action=url, having="title").value("title") == titles[loser], "and keeps theirs"


@pytest.mark.django_db(transaction=True)
def test_two_people_moving_the_same_card_at_the_same_moment_one_wins_and_the_other_gets_a_conflict(
    world, writer, tmp_path
):
    card = world.card()
    board = reverse("sprints:board", args=[world.org.team.slug])
    url = reverse("sprints:card_move", args=[card.pk])
    columns = {"lead": "in_progress", "engineer": "done"}
    clients = {role: writer(role) for role in columns}
    forms = {role: form_on(client.get(board), action=url, having="column") for role, client in clients.items()}

    with racing_database(tmp_path) as read:
        responses = race(
            *(lambda role=role: clients[role].post(url, forms[role].filled(column=columns[role])) for role in columns)
        )
        moves, column = read(
            lambda: (list(CardMove.objects.values_list("from_column", "to_column")), Card.objects.get().column)
        )

    if any(response.status_code >= 500 for response in responses):
        pytest.fail("a racing move crashed")
    assert len(moves) == 1, f"both moves applied from the backlog: {moves}; the card ends in {column!r}"
    assert sorted(response.status_code for response in responses) == [302, 409]
