"""Issue 16, the customer-service supervisor's journey in Chromium: the analytics page (charts
drawn, durations in minutes and seconds, unanswered questions listed) and, from an unanswered
question, the conversation it was asked in."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customer_service.models import Conversation
from customer_service.services import dialogue
from suite.tenancy.models import Tenant
from tests.browser import screenshot, staff_login

pytestmark = pytest.mark.browser

QUESTIONS = {"你们有没有卖二手手机": 300, "宠物可以办手机卡吗": 464}  # handle times: 6分22秒 avg


def _closed_chat(tenant, question: str, seconds: int) -> Conversation:
    conversation = dialogue.conversation_start(tenant=tenant, phone="13800138000")
    dialogue.conversation_message(conversation=conversation, text=question)
    conversation.refresh_from_db()
    if conversation.status != "closed":
        dialogue.conversation_close(conversation=conversation)
    start = timezone.now() - timedelta(hours=3)
    Conversation.objects.filter(pk=conversation.pk).update(
        created_at=start, closed_at=start + timedelta(seconds=seconds)
    )
    return conversation


def test_supervisor_reads_the_analytics_and_opens_an_unanswered_conversation(
    page, live_server, demo, settings, tmp_path
):
    settings.CUSTOMER_SERVICE_INDEX_DIR = tmp_path / "kb-index"  # an empty knowledge base
    tenant = Tenant.objects.get(slug="gd-sz")
    chats = {q: _closed_chat(tenant, q, s) for q, s in QUESTIONS.items()}

    staff_login(page, live_server, "sz_supervisor")
    page.goto(f"{live_server.url}/customer-service/analytics/")
    totals = page.locator("#cs-totals")
    expect(totals.locator('[data-total="conversations"]')).to_have_text("2")
    expect(totals.locator('[data-total="aht"]')).to_have_text("6分22秒")
    expect(page.locator("#cs-volume rect").first).to_be_visible()
    expect(page.locator("#cs-containment")).to_be_visible()
    # The dialect bars sit in a half-width card: their labels stay readable (not ~6 px).
    label = page.locator("#cs-dialects text").first
    expect(label).to_have_text("普通话")
    assert label.bounding_box()["height"] >= 10
    rows = page.locator("#unanswered tbody tr")
    expect(rows).to_have_count(2)
    for question in QUESTIONS:
        expect(rows.filter(has_text=question)).to_have_count(1)
    screenshot(page, "cs-supervisor-analytics")

    rows.filter(has_text="宠物可以办手机卡吗").locator("a").click()
    pets = chats["宠物可以办手机卡吗"]
    expect(page).to_have_url(f"{live_server.url}/customer-service/conversations/{pets.pk}/")
    expect(page.locator("main")).to_contain_text("宠物可以办手机卡吗")
    expect(page.locator("main")).not_to_contain_text("你们有没有卖二手手机")
    screenshot(page, "cs-supervisor-conversation")
