import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from platformhub.demo import DEMO_PASSWORD
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Q4_2022 = "/teams/platform/okrs/2022-q4/"


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=None)


def test_lead_reads_an_objectives_history_and_restores_the_earlier_version(page, demo):
    log_in(page, "ellie", DEMO_PASSWORD)
    page.goto(Q4_2022)
    objective = page.get_by_role("article").first
    title = objective.get_by_role("heading").first.inner_text()
    objective.get_by_role("group", name=title).get_by_role("button", name="Edit").click()
    page.get_by_role("textbox", name="Title").fill("A title someone regrets")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="A title someone regrets")).to_be_visible()

    page.get_by_role("group", name="A title someone regrets").get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    changed = page.get_by_role("listitem").filter(has_text="Changed").first
    expect(changed.get_by_role("cell", name="A title someone regrets")).to_be_visible()
    expect(changed.get_by_role("cell", name=title)).to_be_visible()
    screenshot(page, "history-objective")

    page.get_by_role("button", name="Restore this version").first.click()
    expect(page.get_by_text(f"Restored the earlier version of “{title}”")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="Restored").first).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "history-objective-phone")
    page.goto(Q4_2022)
    expect(page.get_by_role("heading", name=title)).to_be_visible()


def test_engineer_reads_history_without_restore_buttons(page, demo):
    log_in(page, "guido", DEMO_PASSWORD)
    page.goto("/teams/platform/")
    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    expect(page.get_by_role("button", name="Restore this version")).to_have_count(0)
