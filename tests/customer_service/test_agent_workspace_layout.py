"""The agent's pages as a reviewer saw them in Chromium (issue 16): the queue says how long each
handoff has waited, longest first; the reply box is a composer; each label of the pre-filled
ticket and of the knowledge-base editor sits with its own field; the live-call page explains
itself when no call runs. The browser test measures the layout itself."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from customer_service import selectors
from customer_service.models import Conversation, KbArticle
from customer_service.services import dialogue
from customer_service.services.knowledge import article_create, tags_parse
from suite.tenancy.models import Role
from tests.factories import member

CONTROLS = {"input", "select", "textarea"}


def _chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"


def _handoff(tenant, *, queued_at) -> Conversation:
    conversation = dialogue.conversation_start(tenant=tenant, phone="13812345678")
    dialogue.conversation_message(conversation=conversation, text="转人工")
    conversation.refresh_from_db()
    assert conversation.status == "queued"
    Conversation.objects.filter(pk=conversation.pk).update(queued_at=queued_at)
    conversation.queued_at = queued_at
    return conversation


class _Fields(HTMLParser):
    """In the form with id `form_id`: each `.field` block's labels (their `for`) and the ids of
    its controls; and the controls found outside any `.field`."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.depth, self.in_form = form_id, 0, False
        self.stack: list[bool] = []  # per open element inside the form: is it a .field
        self.fields: list[dict] = []
        self.loose: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.in_form = True
            return
        if not self.in_form:
            return
        is_field = tag == "div" and "field" in (attrs.get("class") or "").split()
        if is_field:
            self.fields.append({"labels": [], "controls": []})
        inside = any(self.stack) or is_field
        if tag == "label":
            (self.fields[-1]["labels"] if inside else self.loose).append(attrs.get("for"))
        elif tag in CONTROLS and attrs.get("type") != "hidden":
            (self.fields[-1]["controls"] if inside else self.loose).append(attrs.get("id"))
        if tag not in ("input", "br", "img", "option"):
            self.stack.append(is_field)

    def handle_endtag(self, tag):
        if not self.in_form:
            return
        if tag == "form":
            self.in_form = False
        elif tag not in ("input", "br", "img", "option") and self.stack:
            self.stack.pop()


def _assert_each_label_with_its_field(page: str, form_id: str, expected: set[str]) -> None:
    parser = _Fields(form_id)
    parser.feed(page)
    assert parser.loose == [], f"labels or fields outside a .field block: {parser.loose}"
    for field in parser.fields:
        assert len(field["labels"]) == 1 and field["labels"] == field["controls"][:1], field
    assert {f["labels"][0] for f in parser.fields} == expected


def _from(html: str, start: str, end: str) -> str:
    """The markup from `start` to the first `end` after it."""
    at = html.index(start)
    return html[at : html.index(end, at)]


# --- 1. the queue: waiting time, longest first ---------------------------------------------


@pytest.mark.django_db
def test_the_queue_shows_how_long_each_handoff_has_waited_longest_first(client, tenant_a, tenant_b):
    now = timezone.now()
    # Created first but queued later: the order is by waiting time, not by number.
    recent = _handoff(tenant_a, queued_at=now - timedelta(seconds=30))
    waiting = _handoff(tenant_a, queued_at=now - timedelta(seconds=192))
    theirs = _handoff(tenant_b, queued_at=now - timedelta(hours=1))

    items = selectors.handoff_queue_waits(tenant_a, now=now)
    assert [(c.pk, c.waited_s, c.long_wait) for c in items] == [
        (waiting.pk, 192, True),
        (recent.pk, 30, False),
    ]

    client.force_login(member(tenant_a, Role.CS_AGENT, username="agent_a"))
    _chinese(client)
    page = client.get(reverse("customer_service:queue")).content.decode()
    rows = re.findall(r'<tr data-conversation="(\d+)"', page)
    assert rows == [str(waiting.pk), str(recent.pk)]
    assert str(theirs.pk) not in rows
    # Counted at the request, a few seconds after `now` on a busy machine.
    assert re.search(r"已等待 3分(1[2-9]|2\d)秒", page), "the handoff's waiting time"
    assert re.search(r"已等待 [3-4]\d秒", page)
    assert page.count("cs-wait-long") == 1  # only the long wait is marked
    assert "等待时长" in page and "Waited" not in page


@pytest.mark.django_db
def test_the_queue_names_the_customer_by_masked_number_or_as_a_web_visitor(client, tenant_a):
    caller = _handoff(tenant_a, queued_at=timezone.now())
    sub = member(tenant_a, Role.SUBSCRIBER, username="sub_q", phone="13600136000")
    signed_in = dialogue.conversation_start(tenant=tenant_a, subscriber=sub)
    dialogue.conversation_message(conversation=signed_in, text="转人工")
    visitor = dialogue.conversation_start(tenant=tenant_a)
    dialogue.conversation_message(conversation=visitor, text="转人工")

    client.force_login(member(tenant_a, Role.CS_AGENT, username="agent_q"))
    _chinese(client)
    page = client.get(reverse("customer_service:queue")).content.decode()

    def row(conversation):
        return page.split(f'<tr data-conversation="{conversation.pk}"', 1)[1].split("</tr>")[0]

    assert "138****5678" in row(caller)
    assert "136****6000" in row(signed_in)  # a signed-in subscriber's own number
    assert "网页访客" in row(visitor) and "—" not in row(visitor)
    assert "13600136000" not in page


# --- 2. the reply box is a composer --------------------------------------------------------


@pytest.mark.django_db
def test_the_reply_box_is_a_composer_with_its_send_button(client, tenant_a):
    agent = member(tenant_a, Role.CS_AGENT, username="agent_a")
    conversation = _handoff(tenant_a, queued_at=timezone.now())
    dialogue.conversation_accept(conversation=conversation, agent=agent)
    client.force_login(agent)
    _chinese(client)
    page = client.get(reverse("customer_service:conversation", args=[conversation.pk]))
    html = page.content.decode()
    assert '<form method="post" class="composer" id="reply-form">' in html
    form = _from(html, 'id="reply-form"', "</form>")
    assert re.search(r'<textarea id="reply-text"[^>]*rows="5"', form)
    bar = form[form.index('class="composer-bar"') :]
    assert 'type="submit"' in bar and "发送" in bar  # the send button sits in the composer's bar
    assert 'style="' not in form  # styled by the shared stylesheet's classes, not inline


# --- 3. the pre-filled ticket: each label with its own field -------------------------------


TICKET_FIELDS = {"t-type", "t-priority", "t-category", "t-summary", "t-phone", "t-address"}


@pytest.mark.django_db
def test_each_label_of_the_prefilled_ticket_sits_with_its_own_field(client, tenant_a):
    from suite.telephony.services import call_start

    agent = member(tenant_a, Role.CS_AGENT, username="agent_a")
    conversation = _handoff(tenant_a, queued_at=timezone.now())
    dialogue.conversation_close(conversation=conversation, user=agent)
    client.force_login(agent)
    page = client.get(reverse("customer_service:conversation", args=[conversation.pk]))
    _assert_each_label_with_its_field(page.content.decode(), "ticket-form", TICKET_FIELDS)

    call = call_start(tenant=tenant_a, product="customer_service", protocol="stream")
    page = client.get(reverse("customer_service:call_ticket", args=[call.id]))
    _assert_each_label_with_its_field(page.content.decode(), "ticket-form", TICKET_FIELDS)


# --- 4. the knowledge-base editor ----------------------------------------------------------


def test_tags_are_read_from_one_box():
    assert tags_parse("流量, 套餐、5G；流量  漫游，") == ["流量", "套餐", "5G", "漫游"]
    assert tags_parse("  ") == []
    with pytest.raises(ValidationError):
        tags_parse("x" * 41)
    with pytest.raises(ValidationError):
        tags_parse(",".join(f"t{i}" for i in range(21)))


@pytest.mark.django_db
def test_the_editor_lays_out_its_fields_and_saves_tags(client, tenant_a):
    client.force_login(member(tenant_a, Role.CS_SUPERVISOR, username="boss"))
    _chinese(client)
    url = reverse("customer_service:article_new")
    page = client.get(url).content.decode()
    _assert_each_label_with_its_field(
        page, "article-form", {"a-title", "a-category", "a-status", "a-body", "a-tags"}
    )
    assert re.search(r'<textarea id="a-body"[^>]*class="tall"', page)

    # A refused save keeps what the editor typed, in place.
    refused = client.post(url, {"title": "宽带提速", "body": "", "tags": "宽带，提速"})
    assert refused.status_code == 200
    assert not KbArticle.objects.filter(title="宽带提速").exists()
    html = refused.content.decode()
    assert 'value="宽带提速"' in html and 'value="宽带，提速"' in html

    saved = client.post(
        url, {"title": "宽带提速", "body": "可以在App办理。", "tags": "宽带, 提速、宽带"}
    )
    article = KbArticle.objects.get(title="宽带提速")
    assert saved.status_code == 302 and article.tags == ["宽带", "提速"]
    edit = client.get(reverse("customer_service:article", args=[article.pk])).content.decode()
    assert 'value="宽带，提速"' in edit
    client.post(
        reverse("customer_service:article", args=[article.pk]),
        {"title": "宽带提速", "body": "可以在App办理。", "tags": "", "status": "draft"},
    )
    article.refresh_from_db()
    assert article.tags == [] and article.version == 1


# --- 5. the live-call page with no call ----------------------------------------------------


@pytest.mark.django_db
def test_the_live_call_page_explains_itself_when_no_call_runs(client, tenant_a, tenant_b):
    from suite.telephony.services import call_start

    client.force_login(member(tenant_a, Role.CS_AGENT, username="agent_a"))
    _chinese(client)
    call_start(tenant=tenant_b, product="customer_service", protocol="stream")  # not ours
    idle = client.get(reverse("customer_service:live_call")).content.decode()
    assert 'class="live-call is-idle"' in idle and 'id="live-empty"' in idle
    empty = _from(idle, 'id="live-empty"', "</section>")
    assert "没有进行中的通话" in empty and "API" in empty and empty.count("<li>") == 3

    assert '<p id="pick-call" class="muted" hidden>' in idle

    # A call runs and none is chosen: the panels, and a word on picking one.
    call = call_start(tenant=tenant_a, product="customer_service", protocol="stream")
    busy = client.get(reverse("customer_service:live_call")).content.decode()
    assert 'class="live-call"' in busy and "is-idle" not in busy.split('id="live-call"')[1][:40]
    assert '<p id="pick-call" class="muted">在左侧选择一个通话' in busy
    chosen = client.get(reverse("customer_service:live_call"), {"call": call.id}).content.decode()
    assert '<p id="pick-call" class="muted" hidden>' in chosen


# --- in Chromium: the layout itself ----------------------------------------------------------


def _box(page, selector):
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box


def _label_above_its_field(page, form):
    for label in page.locator(f"{form} label[for]").all():
        target = label.get_attribute("for")
        lb, fb = label.bounding_box(), _box(page, f"#{target}")
        assert lb["y"] + lb["height"] <= fb["y"] + 1, f"{target}: label not above its field"
        assert abs(lb["x"] - fb["x"]) <= 2, f"{target}: label not aligned with its field"


@pytest.mark.browser
def test_the_agent_pages_are_laid_out(page, asgi_server, tenant_a):
    from customer_service.calls import call_summary, publish
    from suite.telephony.services import call_start
    from tests.browser import screenshot, staff_login
    from tests.customer_service.threads import off_the_loop
    from tests.factories import PASSWORD

    def seed():
        agent = member(tenant_a, Role.CS_AGENT, username="agent_a")
        member(tenant_a, Role.CS_SUPERVISOR, username="boss")
        talking = _handoff(tenant_a, queued_at=timezone.now() - timedelta(seconds=75))
        dialogue.conversation_accept(conversation=talking, agent=agent)
        closed = _handoff(tenant_a, queued_at=timezone.now())
        dialogue.conversation_close(conversation=closed, user=agent)
        _handoff(tenant_a, queued_at=timezone.now() - timedelta(seconds=200))
        _handoff(tenant_a, queued_at=timezone.now() - timedelta(seconds=20))
        return talking, closed

    def call_comes_in():
        call = call_start(tenant=tenant_a, product="customer_service", protocol="stream")
        publish(call, {"type": "call.started", "call": call_summary(call)})

    talking, closed = off_the_loop(seed)
    base = asgi_server.url
    staff_login(page, asgi_server, "agent_a", PASSWORD)

    # The queue: waiting times count on in the page.
    page.goto(f"{base}/customer-service/queue/")
    first = page.locator("#queue-body tr .cs-wait-text").first
    before = first.inner_text()
    page.wait_for_function(
        "t => document.querySelector('#queue-body tr .cs-wait-text').textContent !== t", arg=before
    )
    # A badge marked hidden is hidden (a .badge's inline-block once kept "live" showing
    # beside "not connected").
    page.wait_for_selector("[data-cs-live-badge]:not([hidden])")
    page.evaluate("document.querySelector('[data-cs-live-badge]').hidden = true")
    assert page.locator("[data-cs-live-badge]").is_hidden()
    waits = page.locator("#queue-body td.cs-wait")
    assert "cs-wait-long" in waits.first.get_attribute("class")  # 200 s, first
    assert "cs-wait-long" not in waits.last.get_attribute("class")  # 20 s, last
    screenshot(page, "cs_queue_waits")

    # The composer: full width of its card, several rows, the send button at its right edge.
    page.goto(f"{base}/customer-service/conversations/{talking.pk}/")
    card, box, send = _box(page, "#reply-form"), _box(page, "#reply-text"), _box(page, "#send-btn")
    assert box["width"] >= card["width"] - 2 and box["height"] >= 100
    assert send["y"] >= box["y"] + box["height"]
    assert abs((send["x"] + send["width"]) - (box["x"] + box["width"])) <= 2
    screenshot(page, "cs_conversation_composer")

    page.goto(f"{base}/customer-service/conversations/{closed.pk}/")
    _label_above_its_field(page, "#ticket-form")
    screenshot(page, "cs_conversation_ticket")

    # No call: the designed empty state; a call that starts replaces it, live.
    page.goto(f"{base}/customer-service/calls/live/")
    assert page.locator("#live-empty").is_visible()
    assert page.locator("#transcript").is_hidden()
    screenshot(page, "cs_live_call_empty")
    page.wait_for_selector("#live-badge:not([hidden])")
    off_the_loop(call_comes_in)
    page.wait_for_selector("#live-empty", state="hidden")
    assert page.locator("#call-list li").count() == 1 and page.locator("#reply-box").is_visible()

    # The knowledge-base editor (an editor's page).
    page.context.clear_cookies()
    staff_login(page, asgi_server, "boss", PASSWORD)
    article = off_the_loop(
        article_create, tenant=tenant_a, title="宽带提速", body="可以在App办理。", tags=["宽带"]
    )
    page.goto(f"{base}/customer-service/knowledge/{article.pk}/")
    form, body = _box(page, "#article-form"), _box(page, "#a-body")
    assert body["height"] >= 350 and body["width"] >= form["width"] - 2 * 16 - 4
    _label_above_its_field(page, "#article-form")
    screenshot(page, "cs_article_editor")
