import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from platformhub.demo import DEMO_PASSWORD
from tests.browser.conftest import close, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=None)


def _lane(page, name):
    return page.get_by_role("region", name=name, exact=True)


def test_exec_sees_no_heroku_with_its_key_result_and_progress(page, demo):
    log_in(page, "exec", DEMO_PASSWORD)
    page.get_by_role("link", name="Roadmap").click()
    item = _lane(page, "6 month").get_by_role("article", name="No Heroku")
    expect(item).to_be_visible()
    expect(item.get_by_role("link", name="Migrate postgres out of heroku")).to_be_visible()
    expect(item.get_by_role("progressbar", name="No Heroku: 67%")).to_be_visible()
    expect(item.get_by_text("Mean of key result: Migrate postgres out of heroku 67%.")).to_be_visible()
    expect(page.get_by_role("button", name="Move")).to_have_count(0)
    screenshot(page, "roadmap-all-exec")

    page.get_by_label("Health").select_option("at_risk")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("article", name="SOC 2 Ready")).to_be_visible()
    expect(page.get_by_role("article", name="No Heroku")).to_have_count(0)

    page.emulate_media(media="print")
    screenshot(page, "roadmap-print-exec")


def test_lead_moves_an_item_from_six_month_to_three_year_in_place(page, demo):
    log_in(page, "ellie", DEMO_PASSWORD)
    page.goto("/teams/platform/roadmap/")
    item = _lane(page, "6 month").get_by_role("article", name="5 Billion / month events")
    item.get_by_role("combobox", name="Move to").select_option(label="3-year")
    item.get_by_role("button", name="Move").click()

    expect(_lane(page, "3-year").get_by_role("article", name="5 Billion / month events")).to_be_visible()
    expect(_lane(page, "6 month").get_by_role("article", name="5 Billion / month events")).to_have_count(0)
    assert page.url.endswith("/teams/platform/roadmap/"), "moved in place"
    screenshot(page, "roadmap-team-ellie")

    page.reload()
    expect(_lane(page, "3-year").get_by_role("article", name="5 Billion / month events")).to_be_visible()


def test_lead_adds_an_item_and_links_a_key_result(page, demo):
    log_in(page, "ellie", DEMO_PASSWORD)
    page.goto("/teams/platform/roadmap/")
    lane = _lane(page, "6 month")
    lane.get_by_role("button", name="Add item").click()
    lane.get_by_role("textbox", name="Title").fill("EU data residency 🇪🇺")
    lane.get_by_role("combobox", name="Commitment").select_option("committed")
    lane.get_by_role("button", name="Save").click()
    item = _lane(page, "6 month").get_by_role("article", name="EU data residency 🇪🇺")
    expect(item.get_by_text("No key result linked yet")).to_be_visible()

    item.get_by_role("button", name="Link key result").click()
    item.get_by_role("combobox", name="Key result").select_option(label="Q4 2022 · EU Cloud is successfully managed")
    item.get_by_role("button", name="Link key result").last.click()
    item = _lane(page, "6 month").get_by_role("article", name="EU data residency 🇪🇺")
    expect(item.get_by_role("link", name="EU Cloud is successfully managed")).to_be_visible()
    expect(item.get_by_role("progressbar", name="EU data residency 🇪🇺: 100%")).to_be_visible()


def test_a_share_link_opens_the_roadmap_for_someone_without_an_account(page, demo, browser, live_server):
    log_in(page, "ellie", DEMO_PASSWORD)
    page.goto("/teams/platform/roadmap/share/")
    page.get_by_role("textbox", name="Label").fill("Board meeting")
    page.get_by_role("button", name="Create share link").click()
    link = page.get_by_role("textbox", name="Share link").input_value()

    stranger = browser.new_context().new_page()
    stranger.goto(link)
    expect(stranger.get_by_role("heading", name="Platform roadmap")).to_be_visible()
    expect(stranger.get_by_role("article", name="No Heroku")).to_be_visible()
    expect(stranger.get_by_role("link")).to_have_count(0)
    screenshot(stranger, "roadmap-shared")

    page.get_by_role("button", name="Revoke Board meeting").click()
    stranger.reload()
    expect(stranger.get_by_role("heading", name="We couldn't find that page")).to_be_visible()
    close(stranger.context)
