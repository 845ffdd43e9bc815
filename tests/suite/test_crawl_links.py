"""Every link a demo user is shown leads somewhere: signed in as each demo role, follow each
same-site GET link from that role's home, breadth first, and fail on any answer that is not 200."""

from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.urls import reverse

from suite.accounts.models import User
from suite.ai.demo import seed_ai_demo
from suite.products import seed_product_demos
from suite.tenancy.demo import USERS, seed_demo
from suite.tenancy.models import Tenant

pytestmark = pytest.mark.django_db

MAX_PAGES_PER_ROLE = 400
SKIPPED_PREFIXES = ("/static/", "/media/", "/api/", "/v1/", "/ws/", "/i18n/")
SKIPPED_NAMES = ("portal:logout", "portal:switch_tenant", "set_language")
NON_GET = ("hx-post", "hx-put", "hx-patch", "hx-delete")


class _Links(HTMLParser):
    """The href of every <a> a browser would open with a plain GET."""

    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag != "a" or any(name in attributes for name in NON_GET):
            return
        if (attributes.get("data-method") or "get").lower() != "get":
            return
        self.hrefs.append(attributes.get("href") or "")


def _links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    skipped = {reverse(name) for name in SKIPPED_NAMES}
    found = []
    for href in parser.hrefs:
        href = urldefrag(href.strip())[0]
        if not href.startswith("/") or href.startswith("//"):
            continue  # another site, a fragment, mailto:, tel:, ws:// ...
        if href.startswith(SKIPPED_PREFIXES) or urlsplit(href).path in skipped:
            continue
        found.append(href)
    return found


def _crawl(client, start: str, role: str) -> tuple[list[str], int]:
    """Visit every page reachable from `start`; return the failures and the pages visited."""
    seen = {start}
    queue = deque([(start, "(home)")])
    failures = []
    visited = 0
    while queue:
        url, linked_from = queue.popleft()
        visited += 1
        if visited > MAX_PAGES_PER_ROLE:
            failures.append(f"{role}: more than {MAX_PAGES_PER_ROLE} pages, crawl cut at {url}")
            break
        response = client.get(url)
        if response.status_code != 200:
            failures.append(f"{role}: {url} -> {response.status_code} (linked from {linked_from})")
            continue
        if response.streaming:
            response.close()
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        for href in _links(response.content.decode()):
            if href not in seen:
                seen.add(href)
                queue.append((href, url))
    return failures, visited


def test_every_link_shown_to_every_demo_role_opens(client, settings):
    settings.CUSTOMER_SERVICE_KB_VECTORS = False  # lexical index: the e5 pass takes a minute
    seed_demo()
    seed_ai_demo()
    seed_product_demos()
    failures = []
    for demo in USERS:
        user = User.objects.get(username=demo.username)
        for slug, role in demo.grants:
            client.force_login(user)
            tenant = Tenant.objects.get(slug=slug)
            switched = client.post(reverse("portal:switch_tenant"), {"tenant": tenant.pk})
            assert switched.status_code == 302
            home = reverse("portal:subscriber_home" if demo.phone else "portal:home")
            found, visited = _crawl(client, home, f"{demo.username} ({role}@{slug})")
            failures += found
            if visited < 2:  # the crawl must get past the home page, or it proves nothing
                failures.append(f"{demo.username} ({role}@{slug}): no link followed from {home}")
            client.logout()
    assert not failures, "Dead links:\n" + "\n".join(failures)
