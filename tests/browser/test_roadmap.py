import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from okrs.models import Horizon, RoadmapItem
from platformhub.demo import DEMO_PASSWORD
from platformhub.models import Team
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
    platform = page.get_by_role("region", name="Platform", exact=True)
    item = _lane(platform, "Platform 6 month").get_by_role("article", name="No Heroku")
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


@pytest.fixture
def many_teams(demo):
    """Twelve more top-level teams, each with a sub-team and an off-track item on a horizon of its own."""
    for number in range(12):
        top = Team.objects.create(name=f"Squad {number:02}", slug=f"squad-{number:02}")
        Team.objects.create(name=f"Squad {number:02} API", slug=f"squad-{number:02}-api", parent=top)
        horizon = Horizon.objects.create(team=top, name="Next year")
        RoadmapItem.objects.create(team=top, horizon=horizon, title=f"Squad {number:02} plan", health="off_track")


@pytest.mark.parametrize("width", [1280, 390])
def test_exec_pages_through_every_team_and_finds_the_trouble(page, many_teams, width):
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "exec", DEMO_PASSWORD)
    page.goto("/roadmap/")
    expect(page.get_by_role("heading", level=2, name="Platform")).to_be_visible()
    expect(page.get_by_role("region", name="Squad 00", exact=True)).to_be_visible()
    screenshot(page, f"roadmap-all-page-1-{width}")

    page.get_by_role("navigation", name="More teams").get_by_role("link", name="Next 5 teams").click()
    expect(page.get_by_role("region", name="Squad 05", exact=True)).to_be_visible()
    expect(page.get_by_role("region", name="Platform", exact=True)).to_have_count(0)
    page.get_by_role("link", name="← Previous 5 teams").click()
    expect(page.get_by_role("region", name="Squad 00", exact=True)).to_be_visible()

    off_track = RoadmapItem.objects.filter(health="off_track").count()  # the demo's and the squads'
    page.get_by_role("link", name=f"{off_track} off track").click()
    expect(page.get_by_label("Health")).to_have_value("off_track")
    expect(page.get_by_role("article", name="No Heroku")).to_have_count(0)
    squad = page.get_by_role("region", name="Squad 00", exact=True)
    expect(_lane(squad, "Squad 00 Next year (Squad 00)").get_by_role("article", name="Squad 00 plan")).to_be_visible()
    page.get_by_role("textbox", name="Team").fill("squad 1")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("heading", level=2)).to_have_text(["Squad 10", "Squad 11"])
    screenshot(page, f"roadmap-all-filtered-{width}")


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
    expect(page.get_by_role("button", name="Revoke Board meeting")).to_have_count(0)
    stranger.reload()
    expect(stranger.get_by_role("heading", name="We couldn't find that page")).to_be_visible()
    close(stranger.context)
