import io
import json

import httpx
import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from integrations.webhooks import sign
from okrs.models import KeyResult
from platformhub.demo import DEMO_PASSWORD
from tests.browser.conftest import log_in, screenshot
from tests.integrations.github_standin import GitHubStandIn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = "browser-test-secret"
KR = "Migrate postgres out of heroku"


@pytest.fixture
def github(settings):
    """The GitHub stand-in, with the two issues Ellie is about to link."""
    with GitHubStandIn() as standin:
        standin.add_issue("PostHog/posthog", 14001, title="Move the events table's sequences off Heroku")
        standin.add_issue("PostHog/posthog", 14002, title="Point PgBouncer at RDS", assignees=["guidoiaquinti"])
        settings.GITHUB_API_URL = standin.url
        settings.GITHUB_WEBHOOK_SECRET = SECRET
        yield standin


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0, stdout=io.StringIO())


def test_linked_issues_move_a_key_results_progress_on_the_dashboard(page, live_server, github):
    call_command("load_demo", stdout=io.StringIO())
    log_in(page, "ellie", DEMO_PASSWORD)
    work = page.get_by_role("article", name=KR)
    expect(work.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "67")

    work.get_by_role("link", name=KR).click()
    page.get_by_role("textbox", name="Issues").fill(
        "PostHog/posthog#14001\nhttps://github.com/PostHog/posthog/issues/14002"
    )
    page.get_by_role("button", name="Link issues").click()
    expect(page.get_by_text("Linked 2 issues")).to_be_visible()
    run_worker()  # the background sync fetches the new issues from GitHub
    page.reload()
    expect(page.get_by_text("Point PgBouncer at RDS")).to_be_visible()
    screenshot(page, "linked-issues-ellie")

    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("article", name=KR).get_by_role("progressbar")).to_have_attribute("aria-valuenow", "50")

    closed = github.update_issue("PostHog/posthog", 14001, state="closed", closed_at="2022-12-20T10:00:00Z")
    body = json.dumps({"action": "closed", "issue": closed, "repository": {"full_name": "PostHog/posthog"}}).encode()
    response = httpx.post(
        f"{live_server.url}/integrations/github/webhook",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-GitHub-Event": "issues",
            "X-GitHub-Delivery": "browser-test-1",
            "X-Hub-Signature-256": sign(secret=SECRET, body=body),
        },
    )
    assert response.status_code == 202
    run_worker()

    page.reload()
    work = page.get_by_role("article", name=KR)
    expect(work.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "63")
    expect(work.get_by_text("5 of 8 linked issues closed")).to_be_visible()
    screenshot(page, "dashboard-after-webhook-ellie")


@pytest.mark.parametrize("username", ["ellie", "exec"])
def test_key_result_page_with_linked_issues_fits_a_phone(browser, live_server, username):
    """The linked-issues table scrolls inside its own region; the page stays as wide as the phone."""
    call_command("load_demo", stdout=io.StringIO())
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, username, DEMO_PASSWORD)
    page.goto(KeyResult.objects.get(title=KR).get_absolute_url())
    table = page.get_by_role("region", name="Linked issues table")
    expect(table.get_by_role("row")).to_have_count(7)  # a header and the demo's six issues
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"key-result-phone-{username}")
    context.close()
