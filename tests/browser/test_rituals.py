import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from platformhub.demo import DEMO_PASSWORD
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())


def test_engineer_posts_a_standup_with_a_blocker_and_sees_it_on_the_team_page(page, demo):
    log_in(page, "daniel", DEMO_PASSWORD)
    page.goto("/teams/platform/")
    page.get_by_role("link", name="Standup", exact=True).click()
    today = page.get_by_role("textbox", name="Today")
    expect(today).to_have_value("- Carry on with “Kafka consumer lag alert”")  # pre-filled from his cards
    page.get_by_role("textbox", name="Blockers").fill("Waiting for the staging database credentials")
    screenshot(page, "standup-daniel")
    page.get_by_role("button", name="Post standup").click()
    expect(page.get_by_role("status")).to_contain_text("Posted your standup.")
    expect(page.get_by_role("button", name="Update standup")).to_be_visible()

    page.get_by_role("link", name="Platform", exact=True).first.click()
    blocked = page.get_by_role("region", name="Blocked")
    expect(blocked).to_contain_text("Daniel Jaramillo")
    expect(blocked).to_contain_text("Waiting for the staging database credentials")
    screenshot(page, "team-platform-blocked")

    page.get_by_role("link", name="Meetings", exact=True).click()
    page.get_by_role("link", name="Platform standup", exact=True).click()
    agenda = page.get_by_role("region", name="Agenda")
    expect(agenda).to_contain_text("Daniel Jaramillo is blocked: Waiting for the staging database credentials")


def test_lead_ticks_off_an_action_item_in_the_next_meeting(page, demo):
    log_in(page, "ellie", DEMO_PASSWORD)
    page.goto("/teams/platform/meetings/")
    screenshot(page, "meetings-platform")
    page.get_by_role("link", name="Platform standup", exact=True).click()
    page.get_by_role("link", name="←").click()  # the previous standup, where the actions were raised
    actions = page.get_by_role("region", name="Action items")
    expect(actions).to_contain_text("Share the holiday on-call rota in #team-platform")
    screenshot(page, "meeting-standup-previous")

    page.get_by_role("link", name="→").click()  # the next standup: the open action carried into it
    actions = page.get_by_role("region", name="Action items")
    rota = actions.get_by_role("listitem").filter(has_text="Share the holiday on-call rota")
    expect(rota).to_contain_text("Overdue")
    expect(rota).to_contain_text("from")
    screenshot(page, "meeting-standup-next")
    rota.get_by_role("button", name="Tick off “Share the holiday on-call rota in #team-platform”").click()
    rota = page.get_by_role("region", name="Action items").get_by_role("listitem").filter(has_text="on-call rota")
    expect(rota).to_contain_text("Done")
    expect(rota.get_by_role("button", name="Reopen “Share the holiday on-call rota in #team-platform”")).to_be_visible()

    page.reload()
    expect(page.get_by_role("region", name="Action items").filter(has_text="on-call rota")).to_contain_text("Done")
    page.get_by_role("link", name="→").click()  # and it no longer carries into the meeting after
    expect(page.get_by_role("region", name="Action items")).not_to_contain_text("on-call rota")
    expect(page.get_by_role("region", name="Action items")).to_contain_text("Add a disk-usage alert for staging")


def test_lead_adds_to_the_agenda_and_writes_notes_in_place(page, demo):
    log_in(page, "ellie", DEMO_PASSWORD)
    page.goto("/teams/platform/meetings/")
    page.get_by_role("link", name="Platform standup", exact=True).click()
    meeting_url = page.url
    page.get_by_role("textbox", name="Add to the agenda").fill("EU bastion hosts: who picks it up?")
    page.get_by_role("button", name="Add", exact=True).click()
    agenda = page.get_by_role("region", name="Agenda")
    expect(agenda).to_contain_text("EU bastion hosts: who picks it up?")
    expect(page.get_by_role("textbox", name="Add to the agenda")).to_have_value("")
    assert page.url == meeting_url, "the agenda changes in place"

    page.get_by_role("region", name="Notes").get_by_role("link", name="Edit").click()
    page.get_by_role("textbox", name="Notes").fill("Guido takes the bastion hosts.")
    page.get_by_role("checkbox", name="Guido Iaquinti").check()
    page.get_by_role("button", name="Save notes").click()
    notes = page.get_by_role("region", name="Notes")
    expect(notes).to_contain_text("Guido takes the bastion hosts.")
    expect(notes).to_contain_text("Guido Iaquinti")
    screenshot(page, "meeting-standup-today")
    page.reload()
    expect(page.get_by_role("region", name="Notes")).to_contain_text("Guido takes the bastion hosts.")


def test_exec_reads_planning_and_the_retro_without_edit_controls(page, demo):
    log_in(page, "exec", DEMO_PASSWORD)
    page.goto("/sprints/planning/")
    expect(page.get_by_role("heading", name="Engineering-wide planning")).to_be_visible()
    infrastructure = page.get_by_role("region", name="Infrastructure")
    expect(infrastructure).to_contain_text("Migrate the remaining 50 tables")
    expect(infrastructure).to_contain_text("Three more Kafka brokers in EU before the load test.")
    expect(page.get_by_role("button", name="Comment")).to_have_count(0)
    screenshot(page, "planning-exec")

    page.goto("/teams/platform/meetings/")
    page.get_by_role("link", name="Platform retro", exact=True).click()
    page.get_by_role("link", name="←").click()
    retro = page.get_by_role("region", name="Retro", exact=False)
    expect(retro).to_contain_text("Migration framework shipped a day early")
    expect(retro).to_contain_text("Met")
    expect(page.get_by_role("button", name="Add")).to_have_count(0)
    screenshot(page, "meeting-retro-exec")

    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "meeting-retro-mobile")


@pytest.mark.parametrize("username", ["ellie", "guido", "exec"])
def test_the_meetings_page_fits_a_phone(browser, live_server, demo, username):
    """Its series table scrolls inside its own region; the page stays as wide as the phone."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, username, DEMO_PASSWORD)
    page.goto("/teams/platform/meetings/")
    expect(page.get_by_role("region", name="Meeting series").get_by_role("link", name="Platform retro")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"meetings-phone-{username}")
    context.close()
