import io

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone
from playwright.sync_api import expect

from platformhub.demo import DEMO_PASSWORD
from platformhub.models import Person
from platformhub.scale import LEAD_USERNAME, REFERENCE_TEAM_SLUG, seed_scale
from platformhub.scale import PASSWORD as SCALE_PASSWORD
from sprints.models import Card
from sprints.services import card_move
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BOARD = "/teams/platform/board/"


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())


def _column(page, name):
    return page.get_by_role("region", name=name, exact=True)


def _count(page, key):
    return page.locator(f"#status-{key} .board-column__count")


def test_engineer_drags_a_card_to_in_review_and_it_stays_there(page, demo):
    log_in(page, "guido", DEMO_PASSWORD)
    page.goto(BOARD)
    on_deck, in_review = (int(_count(page, key).inner_text().split(" / ")[0]) for key in ("on_deck", "in_review"))
    card = _column(page, "On deck").get_by_role("article", name="k6 scenario for 2× peak ingestion")
    target = _column(page, "In review").locator(".board-column__cards")
    card.locator("h3").drag_to(target)
    expect(_column(page, "In review").get_by_role("article", name="k6 scenario for 2× peak ingestion")).to_be_visible()
    expect(_count(page, "in_review")).to_have_text(f"{in_review + 1} / 3")
    expect(_count(page, "on_deck")).to_have_text(f"{on_deck - 1} / 6")
    if in_review + 1 > 3:
        expect(_column(page, "In review").get_by_role("status")).to_have_text("Over the WIP limit of 3")
    screenshot(page, "board-after-drag-guido")
    page.reload()
    expect(_column(page, "In review").get_by_role("article", name="k6 scenario for 2× peak ingestion")).to_be_visible()
    expect(_column(page, "On deck").get_by_role("article", name="k6 scenario for 2× peak ingestion")).to_have_count(0)


def test_a_card_someone_moved_meanwhile_stays_where_they_put_it_and_the_board_says_so(page, demo):
    log_in(page, "guido", DEMO_PASSWORD)
    page.goto(BOARD)
    card = Card.objects.get(title="k6 scenario for 2× peak ingestion")
    daniel = Person.objects.get(user__username="daniel")
    card_move(card=card, expected_version=card.version, to_column=Card.Column.IN_PROGRESS, moved_by=daniel)

    article = _column(page, "On deck").get_by_role("article", name="k6 scenario for 2× peak ingestion")
    article.locator("h3").drag_to(_column(page, "In review").locator(".board-column__cards"))

    alert = page.locator(".conflict")
    expect(alert).to_contain_text("Daniel Jaramillo saved a change")
    expect(alert).to_contain_text("while you were moving “k6 scenario for 2× peak ingestion” to In review")
    expect(alert).to_contain_text("they moved it from On deck to In progress, where it stays.")
    moved = _column(page, "In progress").get_by_role("article", name="k6 scenario for 2× peak ingestion")
    expect(moved.get_by_role("combobox", name="Move to")).to_have_value("in_review")
    screenshot(page, "board-moved-meanwhile")
    moved.get_by_role("button", name="Move").click()
    expect(_column(page, "In review").get_by_role("article", name="k6 scenario for 2× peak ingestion")).to_be_visible()
    expect(alert).to_have_count(0)


def test_a_card_moves_with_the_keyboard_alone(page, demo):
    log_in(page, "daniel", DEMO_PASSWORD)
    page.goto(BOARD)
    card = _column(page, "Backlog").get_by_role("article", name="Terraform the EU bastion hosts")
    select = card.get_by_role("combobox", name="Move to")
    select.focus()
    select.select_option("on_deck")
    page.keyboard.press("Tab")
    expect(card.get_by_role("button", name="Move")).to_be_focused()
    page.keyboard.press("Enter")
    moved = _column(page, "On deck").get_by_role("article", name="Terraform the EU bastion hosts")
    expect(moved).to_be_visible()
    expect(moved.get_by_role("button", name="Move")).to_be_focused()  # the keyboard stays with the card
    _column(page, "On deck").get_by_role("article", name="Terraform the EU bastion hosts").get_by_role(
        "button", name="Take"
    ).click()
    expect(
        _column(page, "On deck")
        .get_by_role("article", name="Terraform the EU bastion hosts")
        .get_by_title("Daniel Jaramillo")
    ).to_be_visible()


def test_exec_reads_the_board_but_cannot_move_cards(page, demo):
    log_in(page, "exec", DEMO_PASSWORD)
    page.goto(BOARD)
    expect(_column(page, "In progress").get_by_role("article", name="Kafka consumer lag alert")).to_be_visible()
    expect(page.get_by_role("button", name="Move")).to_have_count(0)
    expect(page.get_by_role("button", name="Take")).to_have_count(0)
    card = _column(page, "On deck").get_by_role("article", name="k6 scenario for 2× peak ingestion")
    card.locator("h3").drag_to(_column(page, "Done").locator(".board-column__cards"))
    page.reload()
    expect(_column(page, "On deck").get_by_role("article", name="k6 scenario for 2× peak ingestion")).to_be_visible()
    screenshot(page, "board-exec")


def test_a_card_moves_without_javascript(browser, live_server, demo):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    log_in(page, "daniel", DEMO_PASSWORD)
    page.goto(BOARD)
    card = _column(page, "Backlog").get_by_role("article", name="Terraform the EU bastion hosts")
    card.get_by_role("combobox", name="Move to").select_option("in_progress")
    card.get_by_role("button", name="Move").click()
    page.wait_for_url(f"**{BOARD}")
    expect(_column(page, "In progress").get_by_role("article", name="Terraform the EU bastion hosts")).to_be_visible()
    expect(page.get_by_text("Moved “Terraform the EU bastion hosts”.")).to_be_visible()
    context.close()


def test_the_done_column_shows_the_sprints_done_cards_and_the_older_ones_page_by_page(page):
    seed_scale(size="S")
    board = f"/teams/{REFERENCE_TEAM_SLUG}/board/"
    today = timezone.localdate()
    done = Card.objects.filter(
        Q(team__slug=REFERENCE_TEAM_SLUG) | Q(team__parent__slug=REFERENCE_TEAM_SLUG), column=Card.Column.DONE
    )
    done_this_sprint = done.filter(sprints__start__lte=today, sprints__end__gte=today).count()
    assert 0 < done_this_sprint < done.count()
    log_in(page, LEAD_USERNAME, SCALE_PASSWORD)
    page.goto(board)
    expect(_column(page, "Done").get_by_role("article")).to_have_count(done_this_sprint)
    expect(_count(page, "done")).to_have_text(str(done.count()))
    screenshot(page, "board-scale")

    _column(page, "Done").get_by_role("link", name="Show older done cards").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Done on the Reference board")
    seen = page.get_by_role("article").all_inner_texts()
    while page.get_by_role("link", name="Next 50 →").count():
        shown = page.url
        page.get_by_role("link", name="Next 50 →").click()
        page.wait_for_url(lambda url, shown=shown: url != shown)
        seen += page.get_by_role("article").all_inner_texts()
    screenshot(page, "board-done-last-page")
    assert len(seen) == done.count(), "every done card, a page at a time"
    page.get_by_role("link", name="Board", exact=True).click()
    expect(page).to_have_url(f"{page.url.split('/teams/')[0]}{board}")
