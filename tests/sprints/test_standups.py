"""Async standups: the draft pre-filled from what the person did since their last standup,
posting and rewriting it, and blockers flagged on the team page and the next standup's agenda
until they are cleared."""

import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from okrs.services import check_in_record
from platformhub.models import Membership
from sprints.models import Card, MeetingSeries, StandupUpdate
from sprints.selectors import agenda_suggestions, standup_prefill
from sprints.services import card_create, card_move, meeting_series_create, meetings_schedule
from tests.factories import CheckInFactory, KeyResultFactory, MembershipFactory

pytestmark = pytest.mark.django_db

ROLES = ["lead", "engineer", "viewer", "outsider", "staff", "anonymous"]
EMPTY_MESSAGE = "Write at least one of yesterday, today or blockers."

# A Wednesday in Q4 2022 (the `okr` fixture's quarter); the last standup was on Tuesday morning.
NOW = datetime.datetime(2022, 11, 9, 12, tzinfo=datetime.UTC)
TUESDAY = datetime.date(2022, 11, 8)
LAST_STANDUP_AT = datetime.datetime(2022, 11, 8, 9, 30, tzinfo=datetime.UTC)


def at(hour: int, minute: int = 0) -> datetime.datetime:
    """A time on Tuesday, the day of the last standup."""
    return datetime.datetime.combine(TUESDAY, datetime.time(hour, minute), tzinfo=datetime.UTC)


def standup_on(person, team, day, *, posted_at=None, yesterday="", today="", blockers="") -> StandupUpdate:
    """A standup posted earlier (the service always stamps it now)."""
    return StandupUpdate.objects.create(
        team=team,
        person=person,
        date=day,
        posted_at=posted_at or timezone.make_aware(datetime.datetime.combine(day, datetime.time(9))),
        yesterday=yesterday,
        today=today,
        blockers=blockers,
    )


def standup_url(slug: str = "platform") -> str:
    return reverse("sprints:standup", args=[slug])


def team_url() -> str:
    return reverse("team_detail", args=["platform"])


def post_standup(client, *, version=0, yesterday="", today="", blockers="", slug="platform"):
    return client.post(
        standup_url(slug), {"version": version, "yesterday": yesterday, "today": today, "blockers": blockers}
    )


@pytest.fixture
def engineer(org):
    return org.users["engineer"].person


@pytest.fixture
def last_standup(org, engineer):
    """The engineer's standup of Tuesday morning."""
    return standup_on(engineer, org.team, TUESDAY, posted_at=LAST_STANDUP_AT, today="Cut over Postgres")


@pytest.fixture
def next_standup(org):
    """The Platform standup's next meeting after today (it meets Monday, Wednesday and Friday)."""
    series = meeting_series_create(
        team=org.team, kind=MeetingSeries.Kind.STANDUP, name="Platform standup", weekdays=[0, 2, 4]
    )
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    return meetings_schedule(series=series, start=tomorrow, until=tomorrow + datetime.timedelta(days=6))[0]


def blocker_suggestions(meeting) -> list[str]:
    return [s.text for s in agenda_suggestions(meeting=meeting, now=timezone.now()) if s.kind == "blocker"]


def draft(person, team) -> dict[str, str]:
    return standup_prefill(person=person, team=team, now=NOW)


# The pre-filled draft


def test_cards_moved_since_the_last_standup_are_yesterday_in_the_column_they_ended_up_in(org, engineer, last_standup):
    lead = org.users["lead"].person
    moved_twice = card_create(team=org.team, title="Cut over Postgres")
    card_move(
        card=moved_twice,
        expected_version=moved_twice.version,
        to_column=Card.Column.IN_PROGRESS,
        moved_by=engineer,
        at=at(10),
    )
    card_move(
        card=moved_twice,
        expected_version=moved_twice.version,
        to_column=Card.Column.IN_REVIEW,
        moved_by=engineer,
        at=at(15),
    )
    before = card_create(team=org.team, title="Rotate keys")
    card_move(card=before, expected_version=before.version, to_column=Card.Column.DONE, moved_by=engineer, at=at(9))
    by_someone_else = card_create(team=org.team, title="Kafka lag alert")
    card_move(
        card=by_someone_else,
        expected_version=by_someone_else.version,
        to_column=Card.Column.DONE,
        moved_by=lead,
        at=at(16),
    )

    yesterday = draft(engineer, org.team)["yesterday"]

    assert yesterday == "- Moved “Cut over Postgres” to In review"


def test_check_ins_since_the_last_standup_are_yesterday_with_value_and_confidence(org, okr, engineer, last_standup):
    lead = org.users["lead"].person

    def check_in(author, value, confidence, when, note=""):
        okr.kr.refresh_from_db()
        check_in_record(
            key_result=okr.kr,
            author=author,
            expected_version=okr.kr.version,
            confidence=confidence,
            value=Decimal(value),
            note=note,
            at=when,
        )

    check_in(engineer, "1", "high", at(8), note="Before the standup")
    check_in(engineer, "2.50", "medium", at(16), note="Two and a half moved")
    check_in(lead, "3", "low", at(17), note="Someone else's")

    yesterday = draft(engineer, org.team)["yesterday"]

    assert (
        yesterday == "- Checked in on “Migrate postgres out of heroku”: 2.5, medium confidence (Two and a half moved)"
    )


def test_moves_and_check_ins_are_listed_together(org, okr, engineer, last_standup):
    card = card_create(team=org.team, title="Cut over Postgres")
    card_move(card=card, expected_version=card.version, to_column=Card.Column.DONE, moved_by=engineer, at=at(11))
    check_in_record(
        key_result=okr.kr, author=engineer, expected_version=okr.kr.version, confidence="high", value=Decimal(3)
    )
    # the check-in above is stamped now, long after NOW: drafted at the real time instead
    lines = standup_prefill(person=engineer, team=org.team, now=timezone.now())["yesterday"].splitlines()

    assert lines == [
        "- Moved “Cut over Postgres” to Done",
        "- Checked in on “Migrate postgres out of heroku”: 3, high confidence",
    ]


def test_without_an_earlier_standup_the_draft_covers_the_last_day(org, engineer):
    recent = card_create(team=org.team, title="Recent")
    card_move(
        card=recent,
        expected_version=recent.version,
        to_column=Card.Column.IN_REVIEW,
        moved_by=engineer,
        at=NOW - datetime.timedelta(hours=20),
    )
    old = card_create(team=org.team, title="Old")
    card_move(
        card=old,
        expected_version=old.version,
        to_column=Card.Column.DONE,
        moved_by=engineer,
        at=NOW - datetime.timedelta(hours=30),
    )

    assert draft(engineer, org.team)["yesterday"] == "- Moved “Recent” to In review"


def test_owned_cards_in_progress_are_today_and_blocked_ones_are_blockers_with_their_reason(org, engineer):
    lead = org.users["lead"].person
    card_create(team=org.team, title="Cut over Postgres", owners=[engineer], column=Card.Column.IN_PROGRESS)
    card_create(
        team=org.team,
        title="Upgrade ClickHouse",
        owners=[engineer, lead],
        column=Card.Column.BLOCKED,
        blocked_reason="Waiting for a maintenance window",
    )
    card_create(team=org.team, title="Lead's own work", owners=[lead], column=Card.Column.IN_PROGRESS)
    card_create(team=org.team, title="Finished", owners=[engineer], column=Card.Column.DONE)
    card_create(team=org.team, title="Not started", owners=[engineer], column=Card.Column.ON_DECK)

    drafted = draft(engineer, org.team)

    assert drafted["today"] == "- Carry on with “Cut over Postgres”"
    assert drafted["blockers"] == "- “Upgrade ClickHouse”: Waiting for a maintenance window"
    assert draft(org.users["lead"].person, org.team)["today"] == "- Carry on with “Lead's own work”"


def test_nothing_done_drafts_an_empty_standup(org, engineer, last_standup):
    assert draft(engineer, org.team) == {"yesterday": "", "today": "", "blockers": ""}


def test_moves_and_check_ins_in_another_team_tree_are_left_out_of_the_draft(org, okr, engineer, last_standup):
    MembershipFactory(team=org.other_team, person=engineer)
    ours = card_create(team=org.sub_team, title="Cut over Postgres")
    card_move(card=ours, expected_version=ours.version, to_column=Card.Column.DONE, moved_by=engineer, at=at(11))
    theirs = card_create(team=org.other_team, title="Card payments in Brazil")
    card_move(card=theirs, expected_version=theirs.version, to_column=Card.Column.DONE, moved_by=engineer, at=at(15))
    CheckInFactory(key_result=okr.kr, author=engineer, value=Decimal(2), created_at=at(13), note="")
    payments_kr = KeyResultFactory(objective__team=org.other_team, title="Launch in Brazil")
    CheckInFactory(key_result=payments_kr, author=engineer, value=Decimal(40), created_at=at(16), note="")

    for_platform = draft(engineer, org.team)["yesterday"].splitlines()
    for_payments = draft(engineer, org.other_team)["yesterday"].splitlines()

    assert for_platform == [
        "- Moved “Cut over Postgres” to Done",
        "- Checked in on “Migrate postgres out of heroku”: 2, high confidence",
    ]
    assert for_payments == [
        "- Moved “Card payments in Brazil” to Done",
        "- Checked in on “Launch in Brazil”: 40, high confidence",
    ]


# Posting


def test_the_standup_page_opens_with_the_drafted_form(org, engineer, client_as):
    card = card_create(team=org.team, title="Cut over Postgres", owners=[engineer])
    card_move(card=card, expected_version=card.version, to_column=Card.Column.IN_PROGRESS, moved_by=engineer)

    response = client_as("engineer").get(standup_url())

    content = response.content.decode()
    assert response.status_code == 200
    assert "Drafted from your card moves and check-ins since your last standup." in content
    assert "- Moved “Cut over Postgres” to In progress" in content
    assert "- Carry on with “Cut over Postgres”" in content
    assert 'name="version" value="0"' in content
    assert "Post standup" in content


def test_posting_a_standup_redirects_back_with_a_message(org, engineer, client_as):
    client = client_as("engineer")

    response = post_standup(client, yesterday="Moved the events tables", today="Cut over Postgres")

    assert response.status_code == 302
    assert response["Location"] == standup_url()
    page = client.get(response["Location"]).content.decode()
    assert "Posted your standup." in page
    assert "Moved the events tables" in page
    assert "Update standup" in page
    standup = StandupUpdate.objects.get()
    assert (standup.person, standup.team, standup.date) == (engineer, org.team, timezone.localdate())
    assert (standup.today, standup.version) == ("Cut over Postgres", 1)


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_a_standup_is_dated_on_the_day_it_is_where_the_person_is(org, engineer, client_as, zone):
    engineer.timezone = zone
    engineer.save(update_fields=["timezone"])
    client = client_as("engineer")

    post_standup(client, today="Cut over Postgres")

    assert StandupUpdate.objects.get().date == timezone.localdate(timezone=ZoneInfo(zone))
    assert "Update standup" in client.get(standup_url()).content.decode(), "found again as today's"


def test_a_blocker_posted_where_it_is_already_tomorrow_is_flagged_on_the_team_page_at_once(
    org, engineer, client_as, monkeypatch
):
    engineer.timezone = "Pacific/Kiritimati"
    engineer.save(update_fields=["timezone"])
    monkeypatch.setattr(timezone, "now", lambda: NOW)  # noon in UTC is 2:00 the next morning in Kiritimati
    post_standup(client_as("engineer"), blockers="Waiting for staging credentials")
    assert StandupUpdate.objects.get().date == NOW.date() + datetime.timedelta(days=1)

    team_page = client_as("lead").get(team_url()).content.decode()

    assert 'id="blockers-heading"' in team_page
    assert "Waiting for staging credentials" in team_page


def test_posting_again_the_same_day_updates_the_standup_and_carries_its_version(org, client_as):
    client = client_as("engineer")
    post_standup(client, today="Cut over Postgres")
    assert 'name="version" value="1"' in client.get(standup_url()).content.decode()

    response = post_standup(client, version=1, today="Cut over Postgres, then the runbook")

    assert response.status_code == 302
    standup = StandupUpdate.objects.get()
    assert (standup.today, standup.version) == ("Cut over Postgres, then the runbook", 2)
    page = client.get(standup_url()).content.decode()
    assert 'name="version" value="2"' in page
    assert "Cut over Postgres, then the runbook" in page


def test_a_stale_version_is_a_conflict_and_keeps_the_newer_standup(org, client_as):
    first_tab, second_tab = client_as("engineer"), client_as("engineer")
    post_standup(first_tab, today="Cut over Postgres")
    post_standup(first_tab, version=1, today="Write the runbook")

    stale = post_standup(second_tab, version=1, today="Something older")
    posted_twice = post_standup(second_tab, version=0, today="A second first post")

    assert stale.status_code == 409
    assert "saved a change" in stale.content.decode()
    assert "Write the runbook" in stale.content.decode(), "shows what the other save says"
    assert posted_twice.status_code == 409
    standup = StandupUpdate.objects.get()
    assert (standup.today, standup.version) == ("Write the runbook", 2)


def test_an_empty_standup_is_refused(org, client_as):
    response = post_standup(client_as("engineer"), yesterday="  ", today="", blockers="\n")

    assert response.status_code == 422
    assert EMPTY_MESSAGE in response.content.decode()
    assert not StandupUpdate.objects.exists()


# Blockers


def test_a_posted_blocker_is_flagged_on_the_team_page_and_the_next_standup_agenda(org, client_as, next_standup):
    post_standup(client_as("engineer"), today="Cut over Postgres", blockers="Waiting for staging credentials")

    team_page = client_as("viewer").get(team_url()).content.decode()

    assert 'id="blockers-heading"' in team_page
    assert "Eric Engineer" in team_page.split('id="blockers-heading"')[1]
    assert "Waiting for staging credentials" in team_page
    assert blocker_suggestions(next_standup) == ["Eric Engineer is blocked: Waiting for staging credentials"]


def test_a_blocker_on_a_sub_team_standup_is_flagged_on_the_parent_team_page(org, client_as, next_standup):
    post_standup(client_as("engineer"), blockers="No database for the migration", slug="infrastructure")

    assert "No database for the migration" in client_as("lead").get(team_url()).content.decode()
    assert blocker_suggestions(next_standup) == ["Eric Engineer is blocked: No database for the migration"]


def test_the_blocked_person_clears_their_blocker(org, client_as, next_standup):
    client = client_as("engineer")
    post_standup(client, blockers="Waiting for staging credentials")
    standup = StandupUpdate.objects.get()

    response = client.post(reverse("sprints:standup_clear", args=[standup.pk]), {"version": standup.version})

    assert response.status_code == 302
    assert response["Location"] == standup_url()
    assert "Cleared Eric Engineer’s blocker." in client.get(standup_url()).content.decode()
    assert "Waiting for staging credentials" not in client.get(team_url()).content.decode()
    assert blocker_suggestions(next_standup) == []
    standup.refresh_from_db()
    assert standup.blocker_cleared_at is not None
    assert standup.blockers == "Waiting for staging credentials", "the standup itself still says what it was"


def test_a_lead_clears_someone_elses_blocker_from_the_team_page(org, client_as, next_standup):
    post_standup(client_as("engineer"), blockers="Waiting for staging credentials")
    standup = StandupUpdate.objects.get()

    response = client_as("lead").post(
        reverse("sprints:standup_clear", args=[standup.pk]), {"next": "team", "version": standup.version}
    )

    assert response.status_code == 302
    assert response["Location"] == team_url()
    assert "Waiting for staging credentials" not in client_as("lead").get(team_url()).content.decode()
    assert blocker_suggestions(next_standup) == []


def test_another_engineer_cannot_clear_someone_elses_blocker(org, client_as, next_standup):
    post_standup(client_as("engineer"), blockers="Waiting for staging credentials")
    standup = StandupUpdate.objects.get()
    colleague = MembershipFactory(team=org.team, person__display_name="Carla Colleague").person.user
    client = client_as("anonymous")
    client.force_login(colleague)

    response = client.post(reverse("sprints:standup_clear", args=[standup.pk]), {"version": standup.version})

    assert response.status_code == 403
    standup.refresh_from_db()
    assert standup.blocker_cleared_at is None
    assert "Waiting for staging credentials" in client.get(team_url()).content.decode()
    assert len(blocker_suggestions(next_standup)) == 1


def test_the_cleared_button_is_offered_to_the_blocked_person_and_leads_only(org, client_as):
    post_standup(client_as("engineer"), blockers="Waiting for staging credentials")
    colleague = client_as("anonymous")
    colleague.force_login(MembershipFactory(team=org.team).person.user)
    readers = {"lead": client_as("lead"), "engineer": client_as("engineer"), "viewer": client_as("viewer")}
    readers["another engineer"] = colleague

    offered = {
        who: [">Cleared</button>" in client.get(url).content.decode() for url in (team_url(), standup_url())]
        for who, client in readers.items()
    }

    assert offered == {
        "lead": [True, True],
        "engineer": [True, True],
        "viewer": [False, False],
        "another engineer": [False, False],
    }


def test_a_later_standup_without_blockers_unflags_the_blocker(org, engineer, client_as, next_standup):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    standup_on(engineer, org.team, yesterday, blockers="Waiting for staging credentials")
    assert "Waiting for staging credentials" in client_as("lead").get(team_url()).content.decode()
    assert len(blocker_suggestions(next_standup)) == 1

    post_standup(client_as("engineer"), yesterday="Got the credentials", today="Cut over Postgres")

    assert "Waiting for staging credentials" not in client_as("lead").get(team_url()).content.decode()
    assert blocker_suggestions(next_standup) == []


def test_a_new_blocker_after_a_cleared_one_is_flagged_again(org, client_as, next_standup):
    client = client_as("engineer")
    post_standup(client, blockers="Waiting for staging credentials")
    standup = StandupUpdate.objects.get()
    client.post(reverse("sprints:standup_clear", args=[standup.pk]), {"version": standup.version})
    standup.refresh_from_db()  # clearing is a change: the form starts again from it

    post_standup(
        client, version=standup.version, blockers="Waiting for staging credentials\nAnd a review of the runbook"
    )

    assert blocker_suggestions(next_standup) == [
        "Eric Engineer is blocked: Waiting for staging credentials\nAnd a review of the runbook"
    ]


def test_rewriting_a_standup_with_the_same_cleared_blocker_keeps_it_cleared(org, client_as, next_standup):
    client = client_as("engineer")
    post_standup(client, blockers="Waiting for staging credentials")
    client.post(
        reverse("sprints:standup_clear", args=[StandupUpdate.objects.get().pk]),
        {"version": StandupUpdate.objects.get().version},
    )

    post_standup(client, version=1, today="Cut over Postgres", blockers="Waiting for staging credentials")

    assert blocker_suggestions(next_standup) == []


def cleared_button(person_name: str) -> str:
    return f'aria-label="Mark {person_name}’s blocker cleared"'


def test_a_sub_team_lead_is_not_offered_to_clear_a_blocker_posted_on_the_parent_team(org, client_as):
    post_standup(client_as("engineer"), blockers="Waiting for staging credentials")
    standup = StandupUpdate.objects.get()
    infrastructure_lead = client_as("anonymous")
    infrastructure_lead.force_login(
        MembershipFactory(team=org.sub_team, role=Membership.Role.LEAD, person__display_name="Ines Infra").person.user
    )

    for slug in ("infrastructure", "platform"):
        team_page = reverse("team_detail", args=[slug])
        shown = infrastructure_lead.get(team_page).content.decode()
        assert "Waiting for staging credentials" in shown
        assert cleared_button("Eric Engineer") not in shown
        assert cleared_button("Eric Engineer") in client_as("lead").get(team_page).content.decode()
    cleared = infrastructure_lead.post(reverse("sprints:standup_clear", args=[standup.pk]), {"version": 1})
    assert cleared.status_code == 403


def test_clearing_a_blocker_replaced_meanwhile_keeps_the_new_one_and_says_so(org, client_as):
    engineer, lead = client_as("engineer"), client_as("lead")
    post_standup(engineer, blockers="Waiting for staging credentials")
    seen = lead.get(team_url()).content.decode()
    version = re.search(r'name="version" value="(\d+)"', seen.split('id="blockers-heading"')[1]).group(1)
    post_standup(engineer, version=1, blockers="No database for the migration")

    response = lead.post(
        reverse("sprints:standup_clear", args=[StandupUpdate.objects.get().pk]), {"next": "team", "version": version}
    )

    assert response.status_code == 302
    shown = lead.get(response["Location"]).content.decode()
    assert "Eric Engineer updated their standup meanwhile; here it is again." in shown
    assert "No database for the migration" in shown.split('id="blockers-heading"')[1]
    standup = StandupUpdate.objects.get()
    assert (standup.blockers, standup.blocker_cleared_at, standup.version) == ("No database for the migration", None, 2)


def test_a_blocker_stays_flagged_however_old_until_it_is_cleared_or_a_later_standup_drops_it(
    org, engineer, client_as, next_standup
):
    three_weeks_ago = timezone.localdate() - datetime.timedelta(days=21)
    standup_on(engineer, org.team, three_weeks_ago, blockers="Waiting for the vendor contract")

    assert "Waiting for the vendor contract" in client_as("lead").get(team_url()).content.decode()
    assert blocker_suggestions(next_standup) == ["Eric Engineer is blocked: Waiting for the vendor contract"]


# Who may do what


@pytest.mark.parametrize("role", ROLES)
def test_standup_page_posting_and_clearing_by_role(org, engineer, client_as, role):
    blocked = standup_on(engineer, org.team, timezone.localdate() - datetime.timedelta(days=1), blockers="No access")
    client = client_as(role)

    page = client.get(standup_url())
    post = post_standup(client, today="Cut over Postgres")
    clear = client.post(reverse("sprints:standup_clear", args=[blocked.pk]), {"version": blocked.version})

    blocked.refresh_from_db()
    if role == "anonymous":
        for response in (page, post, clear):
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))
    elif role == "outsider":
        assert (page.status_code, post.status_code, clear.status_code) == (404, 404, 404)
    elif role == "viewer":
        assert (page.status_code, post.status_code, clear.status_code) == (200, 403, 403)
        assert "Post your standup" not in page.content.decode()
    elif role == "staff":  # an administrator without a profile reads and clears but cannot post
        assert (page.status_code, post.status_code, clear.status_code) == (200, 403, 302)
    else:
        assert (page.status_code, post.status_code, clear.status_code) == (200, 302, 302)
        assert "Post your standup" in page.content.decode()
    assert StandupUpdate.objects.filter(date=timezone.localdate()).exists() is (role in ("lead", "engineer"))
    assert (blocked.blocker_cleared_at is not None) is (role in ("lead", "engineer", "staff"))


def test_a_standup_without_its_version_says_to_reload(org, client_as):
    response = client_as("engineer").post(standup_url(), {"today": "Cut over Postgres"})

    assert response.status_code == 422
    assert "This form is out of date; reload the page and try again." in response.content.decode()
    assert not StandupUpdate.objects.exists()


def test_clearing_a_blocker_with_a_team_that_is_not_a_slug_goes_back_to_the_standups_team(org, client_as):
    """PostgreSQL refuses a NUL in text: the posted team is checked to be a slug before it is looked up."""
    client = client_as("engineer")
    post_standup(client, blockers="Waiting for staging credentials")
    standup = StandupUpdate.objects.get()

    response = client.post(
        reverse("sprints:standup_clear", args=[standup.pk]), {"version": standup.version, "team": "\x00"}
    )

    assert response.status_code == 302
    assert response["Location"] == standup_url()
