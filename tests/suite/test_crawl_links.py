"""Every link a demo user is shown leads somewhere, and every page it leads to speaks Chinese:
signed in as each demo role, follow each same-site GET link from that role's home, breadth
first; fail on any answer that is not 200, and on any page that shows, as a whole piece of text,
an English message our catalogues translate or a model's raw choice code ("new", "cantonese")."""

import re
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import polib
import pytest
from django.apps import apps
from django.conf import settings
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


class _Text(HTMLParser):
    """What a reader sees: text outside scripts and styles, and the attributes a browser shows."""

    HIDDEN = {"script", "style", "template", "code", "pre", "textarea"}
    SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")

    def __init__(self):
        super().__init__()
        self.pieces: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self._hidden += 1
        attributes = dict(attrs)
        self.pieces += [attributes[a] or "" for a in self.SHOWN_ATTRIBUTES if a in attributes]
        if tag == "input" and attributes.get("type") in ("submit", "button"):
            self.pieces.append(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.pieces.append(data)


def _shown_text(html: str) -> set[str]:
    parser = _Text()
    parser.feed(html)
    return {" ".join(piece.split()) for piece in parser.pieces} - {""}


def _translated_msgids() -> set[str]:
    """English messages our catalogues give Chinese words for: shown as such, one was missed."""
    msgids = set()
    for path in Path(settings.BASE_DIR).glob("*/locale/zh_Hans/LC_MESSAGES/django.po"):
        for entry in polib.pofile(str(path)).translated_entries():
            if entry.msgstr != entry.msgid and re.search("[A-Za-z]{2}", entry.msgid):
                msgids.add(" ".join(entry.msgid.split()))
    return msgids


def _raw_choice_codes() -> set[str]:
    """The stored codes of our models' choices whose label says something else."""
    ours = {"suite", "customer_service", "video_ringtone", "video_analytics", "gov_hotline"}
    codes = set()
    for model in apps.get_models():
        if model.__module__.split(".")[0] not in ours:
            continue
        for field in model._meta.get_fields():
            for value, label in getattr(field, "flatchoices", None) or ():
                code = isinstance(value, str) and re.fullmatch(r"[a-z][a-z0-9_.-]+", value)
                if code and value != str(label):
                    codes.add(value)
    return codes


# A lowercase ASCII word standing on its own inside a longer text ("方言技能: mandarin cantonese"),
# not part of a file name, an address (rtsp://…) or an e-mail.
_WORD = re.compile(r"(?<![\w.@/:-])[a-z][a-z0-9]*(?:[_.-][a-z0-9]+)*(?![\w.@/:-])")


def _codes_inside(shown: set[str], codes: set[str]) -> set[str]:
    """Choice codes printed inside a longer piece of text, where the whole-text check misses
    them."""
    return {word for piece in shown for word in _WORD.findall(piece) if word in codes}


def _crawl(client, start: str, role: str, untranslated: set[str]) -> tuple[list[str], int]:
    """Visit every page reachable from `start`; return the failures and the pages visited. A
    page showing one of `untranslated` as a whole piece of text is a failure too."""
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
        html = response.content.decode()
        shown = _shown_text(html)
        leaked = sorted(shown & untranslated | _codes_inside(shown, untranslated))
        if leaked:
            failures.append(f"{role}: {url} shows untranslated {leaked}")
        for href in _links(html):
            if href not in seen:
                seen.add(href)
                queue.append((href, url))
    return failures, visited


def test_the_page_scan_sees_what_a_reader_sees():
    html = (
        '<p title="Status">new</p><script>var s = "new";</script>'
        '<input type="submit" value="Save"><option>cantonese</option>'
    )
    assert _shown_text(html) == {"Status", "new", "Save", "cantonese"}
    assert {"new", "cantonese"} <= _raw_choice_codes()
    shown = {"我的方言技能: mandarin cantonese", "录音 new_call.wav", "sz_agent@example.com"}
    shown |= {"rtsp://用户名:密码@主机/流"}
    assert _codes_inside(shown, _raw_choice_codes()) == {"mandarin", "cantonese"}
    assert "Save" in _translated_msgids()


def test_every_link_shown_to_every_demo_role_opens_in_chinese(client, settings):
    settings.CUSTOMER_SERVICE_KB_VECTORS = False  # lexical index: the e5 pass takes a minute
    seed_demo()
    seed_ai_demo()
    seed_product_demos()
    untranslated = _translated_msgids() | _raw_choice_codes()
    failures = []
    for demo in USERS:
        user = User.objects.get(username=demo.username)
        for slug, role in demo.grants:
            client.force_login(user)
            tenant = Tenant.objects.get(slug=slug)
            switched = client.post(reverse("portal:switch_tenant"), {"tenant": tenant.pk})
            assert switched.status_code == 302
            home = reverse("portal:subscriber_home" if demo.phone else "portal:home")
            role_name = f"{demo.username} ({role}@{slug})"
            found, visited = _crawl(client, home, role_name, untranslated)
            failures += found
            if visited < 2:  # the crawl must get past the home page, or it proves nothing
                failures.append(f"{demo.username} ({role}@{slug}): no link followed from {home}")
            client.logout()
    assert not failures, "Dead links or untranslated pages:\n" + "\n".join(failures)
