import pytest
from playwright.sync_api import expect

from platformhub.demo import DEMO_PASSWORD, load_platform_team
from tests.browser.conftest import close, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_edits_the_mission_in_place_and_it_stays_after_reload(page):
    load_platform_team()
    log_in(page, "ellie", DEMO_PASSWORD)
    screenshot(page, "dashboard-ellie")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Teams").click()
    page.get_by_role("link", name="Platform", exact=True).click()
    expect(page.get_by_role("heading", name="Platform", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="People").get_by_text("Guido Iaquinti")).to_be_visible()
    screenshot(page, "team-platform-ellie")

    page.get_by_role("link", name="Edit mission and guidelines").click()
    mission = page.get_by_role("textbox", name="Mission")
    expect(mission).to_be_visible()
    assert page.url.endswith("/teams/platform/"), "the form opens in place, without leaving the page"
    screenshot(page, "team-platform-editing")
    mission.fill("Make deploying PostHog boring, in the best way.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Make deploying PostHog boring, in the best way.")).to_be_visible()
    expect(page.get_by_role("textbox", name="Mission")).to_have_count(0)

    page.reload()
    expect(page.get_by_text("Make deploying PostHog boring, in the best way.")).to_be_visible()


def test_a_concurrent_edit_is_shown_not_overwritten(page, browser, live_server):
    load_platform_team()
    log_in(page, "ellie", DEMO_PASSWORD)
    page.goto("/teams/platform/")
    page.get_by_role("link", name="Edit mission and guidelines").click()
    page.get_by_role("textbox", name="Mission").fill("My version of the mission")

    other_tab = browser.new_context(base_url=live_server.url).new_page()
    log_in(other_tab, "ellie", DEMO_PASSWORD)
    other_tab.goto("/teams/platform/about/edit/")
    other_tab.get_by_role("textbox", name="Mission").fill("The other tab's mission")
    other_tab.get_by_role("button", name="Save").click()
    other_tab.wait_for_url("**/teams/platform/")
    close(other_tab.context)

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("saved a change")
    expect(page.get_by_role("alert")).to_contain_text("The other tab's mission")
    expect(page.get_by_role("textbox", name="Mission")).to_have_value("My version of the mission")
    screenshot(page, "team-platform-conflict")

    page.get_by_role("button", name="Save").click()
    expect(page.locator("#team-about").get_by_role("textbox")).to_have_count(0)  # saved, not the form again
    expect(page.locator("#team-about")).to_contain_text("My version of the mission")


def test_engineer_sees_no_edit_control(page):
    load_platform_team()
    log_in(page, "guido", DEMO_PASSWORD)
    page.goto("/teams/platform/")
    expect(page.get_by_role("region", name="People").get_by_text("Ellie Huxtable")).to_be_visible()
    expect(page.get_by_role("link", name="Edit mission and guidelines")).to_have_count(0)


def test_team_page_fits_a_phone(browser, live_server):
    load_platform_team()
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, "exec", DEMO_PASSWORD)
    page.goto("/teams/platform/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "team-platform-phone-exec")
    close(context)
