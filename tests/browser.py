"""Browser-test fixtures (headless Debian Chromium through Playwright's sync API, and the real
ASGI application served for it), loaded for the whole suite from tests/conftest.py. Screenshots
land in $BROWSER_SCREENSHOTS_DIR when set.
"""

import os
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from playwright.sync_api import Browser, Page, sync_playwright

from suite.tenancy.demo import DEMO_PASSWORD, seed_demo
from tests.db import close_sync_thread_connections

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


class AsgiServer:
    """suite.asgi's application (HTTP and WebSocket, plus static files as runserver serves them)
    under uvicorn in a thread: pytest-django's live_server speaks no WebSocket."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        from suite.asgi import application  # sets Django up on import

        # Bound here and handed to uvicorn, so no other process can take the port in between.
        self._socket = socket.socket()
        self._socket.bind((self.host, 0))
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://{self.host}:{self.port}"
        config = uvicorn.Config(
            ASGIStaticFilesHandler(application),
            lifespan="off",
            log_level="warning",
            ws="websockets-sansio",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def ws_url(self, path: str) -> str:
        return f"ws://{self.host}:{self.port}{path}"

    def start(self, timeout_s: float = 15) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not self._server.started:
            self.stop()
            pytest.fail("uvicorn did not start")

    def stop(self, timeout_s: float = 10) -> None:
        self._server.should_exit = True
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            self._server.force_exit = True  # stop waiting for connections that do not close
            self._thread.join(timeout_s)
        self._socket.close()
        # Channels runs the consumers' database_sync_to_async code in asgiref's shared
        # thread, which outlives the server; Django's HTTP requests get a thread each, and
        # close their connections when the response is done (request_finished).
        close_sync_thread_connections()


@pytest.fixture
def asgi_server(transactional_db, settings):
    """The served application: its threads see only committed data, hence transactional_db."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, AsgiServer.host]
    server = AsgiServer()
    server.start()
    yield server
    server.stop()


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
