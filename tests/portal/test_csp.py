"""Content-Security-Policy: the header on every response, and every main page of every product,
opened by its roles in a real browser, runs without one CSP violation."""

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from playwright.sync_api import Page

from suite.portal.csp import ContentSecurityPolicyMiddleware
from tests.browser import new_page, screenshot, staff_login


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split("; ")}


@pytest.mark.django_db
def test_every_response_carries_the_policy(client):
    policy = _policy(client.get("/login/"))
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    assert policy["media-src"] == ["'self'", "blob:"]
    assert policy["connect-src"] == ["'self'", "ws://testserver", "wss://testserver"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    # JSON and errors too; only the third-party API pages may use inline styles.
    assert "'unsafe-inline'" not in client.get("/no-such-page/")["Content-Security-Policy"]
    api = _policy(client.get("/api/docs/"))
    assert api["style-src"] == ["'self'", "'unsafe-inline'"] and api["script-src"] == ["'self'"]


@pytest.mark.django_db
def test_extra_sources_come_from_settings_and_bad_ones_stop_startup(client):
    with override_settings(CSP_EXTRA_SOURCES=["img-src https://tiles.example.com"]):
        assert _policy(client.get("/login/"))["img-src"][-1] == "https://tiles.example.com"
    with (
        override_settings(CSP_EXTRA_SOURCES=["script https://x.example.com"]),
        pytest.raises(ImproperlyConfigured, match="script-src"),
    ):
        ContentSecurityPolicyMiddleware(lambda request: None)


PACKAGES = ("suite", "customer_service", "video_ringtone", "video_analytics", "gov_hotline")
TEMPLATES = sorted(
    path
    for package in PACKAGES
    for path in (Path(settings.BASE_DIR) / package).glob("**/templates/**/*.html")
)
INLINE = {
    "an inline <script>": re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))", re.I),
    "an on...= handler": re.compile(r"<[^>]+\son[a-z]+\s*=", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
    "a style attribute": re.compile(r"<[^>]+\sstyle\s*=", re.I),
    "an inline <style>": re.compile(r"<style", re.I),
}


def test_no_template_has_inline_script_or_style():
    # Inline handlers only fail when they fire, so the browser test cannot see them all.
    assert len(TEMPLATES) > 50
    found = [
        f"{path.relative_to(settings.BASE_DIR)}: {what}"
        for path in TEMPLATES
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text())
    ]
    assert not found, "\n".join(found)


# --- In the browser --------------------------------------------------------------------------

# Who opens what: every product's roles. Each user's home, its main navigation and every
# product's own navigation are crawled, plus the first item of each list.
USERS = [
    "gd_admin",
    "sz_admin",
    "sz_agent",
    "sz_supervisor",
    "sz_reviewer",
    "sz_analyst",
    "ent_admin",
    "hl_admin",
    "hl_agent",
    "hl_dispatcher",
    "hl_handler",
]
SKIP = ("/logout/", "/i18n/", "download", "/file/", "/export", ".csv", ".xlsx", "/api/")
MAX_PAGES = 40


def _watch(page: Page, violations: list[str]) -> None:
    def on_console(msg) -> None:
        text = msg.text
        if "Content Security Policy" in text or text.startswith("Refused to"):
            violations.append(f"{page.url}: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: violations.append(f"{page.url}: {exc}"))


def _links(page: Page, selector: str, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all(selector, "els => els.map(e => e.href)")
    found = []
    for href in hrefs:
        parsed = urlparse(href)
        if f"{parsed.scheme}://{parsed.netloc}" != origin or any(s in href for s in SKIP):
            continue
        found.append(href.split("#")[0])
    return found


def _crawl(page: Page, origin: str) -> list[str]:
    seen: list[str] = []
    queue = [f"{origin}/"]
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.append(url)
        page.goto(url)
        page.wait_for_load_state("load")
        page.wait_for_timeout(250)  # deferred scripts, htmx and sockets start
        for more in _links(page, "nav a", origin):
            if more not in seen and more not in queue:
                queue.append(more)
        detail = _links(page, "main table a, main .cards a, main li a", origin)[:1]
        queue.extend(d for d in detail if d not in seen and d not in queue)
    return seen


@pytest.mark.browser
@pytest.mark.parametrize("username", USERS)
def test_the_main_pages_of_every_role_run_without_a_csp_violation(
    browser, asgi_server, demo, username
):
    page = new_page(browser, viewport={"width": 1280, "height": 900})
    violations: list[str] = []
    _watch(page, violations)
    try:
        staff_login(page, asgi_server, username)
        visited = _crawl(page, asgi_server.url)
        screenshot(page, f"csp-{username}")
    finally:
        page.context.close()
    assert len(visited) > 3, visited
    assert not violations, "\n".join(violations)


@pytest.mark.browser
def test_sign_in_pages_and_the_api_docs_run_without_a_csp_violation(browser, asgi_server, demo):
    page = new_page(browser, viewport={"width": 375, "height": 812}, is_mobile=True)
    violations: list[str] = []
    _watch(page, violations)
    try:
        for path in ("/login/", "/m/login/", "/api/docs/"):
            page.goto(f"{asgi_server.url}{path}")
            page.wait_for_load_state("load")
            page.wait_for_timeout(500)
        assert page.locator(".swagger-ui").count() == 1  # its script ran
    finally:
        page.context.close()
    assert not violations, "\n".join(violations)
