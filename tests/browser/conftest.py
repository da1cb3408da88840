"""Playwright against Debian's Chromium and pytest-django's live server.

Without Chromium the browser tests are skipped with the reason; in CI (CI=true) a missing
Chromium is an error instead, so the browser tests can never silently stop running there.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.core.cache import caches
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# Flags for a closed network: no background calls home, no sandbox as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI needs Chromium for the browser tests, and {CHROMIUM} is missing.")
    skip = pytest.mark.skip(reason=f"Chromium not installed at {CHROMIUM} (apt-get install -y chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def page_copies(settings):
    """The server keeps copies of built pages, as in production: every browser test then also
    checks that no copy outlives a change made through the UI."""
    settings.CACHES = {**settings.CACHES, "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    caches["pages"].clear()
    yield
    caches["pages"].clear()


@pytest.fixture(scope="session")
def browser() -> Browser:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Page:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: message.type == "error" and "Refused to" in message.text and problems.append(message.text),
    )
    page.on(
        "response",
        lambda response: response.status == 404 and problems.append(f"404 for {response.url}"),
    )
    yield page
    close(context)
    assert not problems, f"The page had script errors, CSP violations or missing files: {problems}"


def close(context) -> None:
    """Close a browser context once its requests are done, so none is still running on the
    live server while the test database is flushed (PostgreSQL would deadlock on it). A page
    that reached "networkidle" once counts as idle for good, so HTMX requests made since are
    waited for by the `htmx-request` class htmx puts on an element while its request runs."""
    for open_page in context.pages:
        open_page.wait_for_load_state("networkidle")
        open_page.wait_for_function("() => !document.querySelector('.htmx-request')")
    context.close()


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/ for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
    page.wait_for_load_state("networkidle")
