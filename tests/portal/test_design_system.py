"""One design system for every page (issue 16), held by rules a machine can check:

- templates carry no inline `style=` (the Content-Security-Policy refuses them, and a one-off
  look is what the shared stylesheet is for);
- every table uses the shared `.table` style;
- a table with nothing in it says what will appear there and how: its only row is the shared
  empty state (portal/_empty_row.html), never a bare "none" cell;
- every form control a page shows sits in a shared form component (a `.field`, a filter bar, a
  form row, a composer, a check-box label...), so it gets the shared look and its label.

The rendered checks crawl, as each demo role, every page linked from that role's home on
a demo with tenants and users but no product data, so most tables are empty."""

import re
from collections import deque
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from suite.accounts.models import User
from suite.tenancy.demo import USERS, seed_demo
from suite.tenancy.models import Tenant
from tests.suite.test_crawl_links import _links

TEMPLATE_DIRS = ("suite", "customer_service", "video_ringtone", "video_analytics", "gov_hotline")
EMPTY_ROW = "portal/_empty_row.html"
MAX_PAGES_PER_ROLE = 150

# A form control must sit inside an element with one of these classes (or carry one itself).
SHARED_FORM_CLASSES = {
    "field",  # a labelled field: portal/_form_fields.html, or written out
    "filters",  # a list's filter bar
    "form-row",  # a form laid out in a row
    "composer",  # a message box with its send bar
    "input-row",  # one text box and its button (a chat box, a one-sentence search)
    "check",  # a check box with its words
    "tenant-switcher",  # the top bar's tenant picker
}
CONTROL_SKIPPED_TYPES = {"hidden", "submit", "button", "reset", "image"}


def _templates() -> list[Path]:
    base = Path(settings.BASE_DIR)
    return [p for d in TEMPLATE_DIRS for p in (base / d).rglob("templates/**/*.html")]


class _Page(HTMLParser):
    """The design-system faults of one rendered page."""

    VOID = {"input", "br", "img", "hr", "meta", "link", "source", "area", "col", "wbr", "track"}

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, set[str]]] = []
        self.faults: list[str] = []
        self.tables: list[dict] = []  # open tables: data rows seen, empty state seen

    def _classes(self, attrs) -> set[str]:
        return set((dict(attrs).get("class") or "").split())

    def _inside(self, wanted: set[str]) -> bool:
        return any(classes & wanted for _, classes in self.stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = self._classes(attrs)
        if "style" in attributes:
            self.faults.append(f"inline style on <{tag}>")
        if tag == "table":
            if "table" not in classes:
                self.faults.append(f"<table> without the shared .table class: {attributes}")
            names = {attributes.get("id")} | classes
            self.tables.append(
                {"rows": 0, "empty_state": False, "id": attributes.get("id"), "names": names}
            )
        elif tag == "tr" and self.tables and self._inside_tbody():
            if "empty" not in classes:
                self.tables[-1]["rows"] += 1
        elif "empty-state" in classes and self.tables:
            self.tables[-1]["empty_state"] = True
        if tag in ("input", "select", "textarea"):
            kind = (attributes.get("type") or "text").lower() if tag == "input" else tag
            hidden = kind in CONTROL_SKIPPED_TYPES or "hidden" in attributes
            shared = classes & SHARED_FORM_CLASSES or self._inside(SHARED_FORM_CLASSES)
            if not hidden and not shared:
                name = attributes.get("name") or attributes.get("id")
                self.faults.append(f"<{tag} {kind} name={name}> outside a shared form component")
        if tag not in self.VOID:
            self.stack.append((tag, classes))

    def _inside_tbody(self) -> bool:
        for tag, _ in reversed(self.stack):
            if tag == "thead":
                return False
            if tag in ("tbody", "table"):
                return True
        return False

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag == "table" and self.tables:
            table = self.tables.pop()
            if not table["rows"] and not table["empty_state"]:
                self.faults.append(f"empty <table id={table['id']}> without an .empty-state")
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break


def _faults(html: str) -> list[str]:
    page = _Page()
    page.feed(html)
    page.close()
    return page.faults


def test_the_page_check_finds_each_kind_of_fault():
    good = (
        '<form class="filters"><input name="q"><select name="s"></select></form>'
        '<div class="field"><textarea name="t"></textarea></div>'
        '<label class="check"><input type="checkbox" name="c"></label>'
        '<input type="hidden" name="h">'
        '<table class="table"><thead><tr><th>a</th></tr></thead>'
        "<tbody><tr><td>1</td></tr></tbody></table>"
        '<table class="table"><tbody><tr class="empty"><td><div class="empty-state">'
        "<p>x</p></div></td></tr></tbody></table>"
    )
    assert _faults(good) == []
    bad = (
        '<p style="color:red">x</p><table><tbody><tr><td>1</td></tr></tbody></table>'
        '<table class="table"><thead><tr><th>a</th></tr></thead><tbody>'
        '<tr class="empty"><td>None.</td></tr></tbody></table>'
        '<form><select name="s"></select><input type="file" name="f"><textarea name="t"></textarea>'
        '<label><input type="checkbox" name="c"></label></form>'
    )
    faults = _faults(bad)
    assert any("inline style" in f for f in faults)
    assert any("without the shared .table class" in f for f in faults)
    assert any("without an .empty-state" in f for f in faults)
    for name in ("s", "f", "t", "c"):
        assert any(f"name={name}>" in f for f in faults), name


def test_templates_carry_no_inline_style():
    offenders = [str(p) for p in _templates() if re.search(r"\sstyle\s*=", p.read_text())]
    assert not offenders, f"inline style= in {offenders}; use a class in portal.css"


def test_every_table_in_the_templates_uses_the_shared_style():
    offenders = []
    for path in _templates():
        for tag in re.findall(r"<table\b[^>]*>", path.read_text()):
            classes = re.search(r'class="([^"]*)"', tag)
            if not classes or "table" not in classes.group(1).split():
                offenders.append(f"{path}: {tag}")
    assert not offenders, "\n".join(offenders)


def test_empty_tables_use_the_shared_empty_state():
    """`{% empty %}` straight into a hand-made row, or a bare `<tr class="empty">`, is a one-off
    "none" cell: the shared row says what will appear and how."""
    offenders = []
    for path in _templates():
        relative = path.relative_to(settings.BASE_DIR).as_posix()
        if relative.endswith(EMPTY_ROW):
            continue
        text = path.read_text()
        if re.search(r"{%\s*empty\s*%}\s*<tr", text) or re.search(r"<tr[^>]*class=\"empty\"", text):
            offenders.append(str(path))
    assert not offenders, f"empty rows not made with {EMPTY_ROW}: {offenders}"


@pytest.mark.django_db
def test_every_page_of_every_demo_role_keeps_the_design_rules(client):
    """Staff from the portal's home, subscribers from the phone home."""
    seed_demo()
    failures = []
    for demo in USERS:
        user = User.objects.get(username=demo.username)
        for slug, _role in demo.grants:
            client.force_login(user)
            tenant = Tenant.objects.get(slug=slug)
            client.post(reverse("portal:switch_tenant"), {"tenant": tenant.pk})
            start = reverse("portal:subscriber_home" if demo.phone else "portal:home")
            seen, queue, visited = {start}, deque([start]), 0
            while queue and visited < MAX_PAGES_PER_ROLE:
                url = queue.popleft()
                visited += 1
                response = client.get(url)
                if response.status_code != 200 or response.streaming:
                    continue
                if not response.get("Content-Type", "").startswith("text/html"):
                    continue
                html = response.content.decode()
                failures += [f"{demo.username}@{slug} {url}: {f}" for f in _faults(html)]
                for href in _links(html):
                    if href not in seen:
                        seen.add(href)
                        queue.append(href)
            assert visited > 1, f"{demo.username}@{slug}: no page linked from home"
            client.logout()
    assert not failures, "Design-system faults:\n" + "\n".join(sorted(set(failures)))
