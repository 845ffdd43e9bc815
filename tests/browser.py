"""Browser-test fixtures (headless Debian Chromium through Playwright's sync API), loaded for
the whole suite from tests/conftest.py. Screenshots land in $BROWSER_SCREENSHOTS_DIR when set.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from suite.tenancy.demo import DEMO_PASSWORD, seed_demo

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def _allow_orm_beside_playwright():
    # Playwright's sync API keeps an event loop in this thread, so Django's ORM would refuse
    # to run; allow it for these tests only, not for the async consumers tested elsewhere.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def browser(_allow_orm_beside_playwright):
    # Fail, never skip: a missing browser must not turn CI green.
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; install it with: apt-get install -y chromium")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


def new_page(browser: Browser, **options) -> Page:
    options.setdefault("locale", "en-US")  # the portal is Chinese unless the user picks English
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


@pytest.fixture
def page(browser):
    page = new_page(browser, viewport={"width": 1280, "height": 900})
    yield page
    page.context.close()


@pytest.fixture
def mobile_page(browser):
    page = new_page(browser, viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    yield page
    page.context.close()


@pytest.fixture
def demo(transactional_db):
    return seed_demo()


def screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("BROWSER_SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def staff_login(page: Page, live_server, username: str, password: str = DEMO_PASSWORD):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.stack button[type=submit]")
