"""The subscriber chat and the agent workspace in a real browser (headless Chromium)."""

import wave
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from customer_service.models import Conversation, Ticket
from customer_service.services import dialogue
from customer_service.services.knowledge import article_create
from suite.accounts.models import User
from suite.ai import gateway
from suite.tenancy.models import Tenant
from tests.browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, screenshot, staff_login
from tests.customer_service.conftest import ARTICLES
from tests.customer_service.threads import off_the_loop

pytestmark = pytest.mark.browser
SLOW_MS = 90_000  # first use of a model in the process loads it (Whisper, TTS)


@pytest.fixture
def shenzhen(demo, settings, tmp_path):
    settings.CUSTOMER_SERVICE_INDEX_DIR = tmp_path / "kb-index"
    tenant = Tenant.objects.get(slug="gd-sz")
    for title, body, category in ARTICLES:
        article_create(tenant=tenant, title=title, body=body, category=category, status="published")
    return tenant


def sign_in_as_subscriber(page, live_server, phone: str) -> None:
    """Subscribers sign in with an SMS code; the session cookie stands in for that step."""
    client = Client()
    client.force_login(User.objects.get(phone=phone))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def test_the_language_model_answers_a_paraphrase_with_its_source(
    mobile_page, live_server, shenzhen, language_model
):
    article_create(
        tenant=shenzhen, title="剩余流量查询", category="流量", status="published",
        body="剩余流量可以发送短信CXLL到10086查询，也可以在App首页查看实时用量。"
        "流量统计可能有1到2小时延迟，以账单为准。",
    )  # fmt: skip
    page = mobile_page
    sign_in_as_subscriber(page, live_server, "13800138000")
    page.goto(f"{live_server.url}/customer-service/m/chat/")
    page.fill("#cs-text", "怎么查我还剩多少流量？")
    page.click("#cs-send")
    answer = page.locator("#cs-messages .cs-bot").nth(1)
    expect(answer).to_contain_text("CXLL", timeout=SLOW_MS)
    expect(answer.locator(".cs-sources")).to_contain_text("剩余流量查询")
    # Generated, and said so with the model's name; not the fallback's label.
    expect(answer.locator(".cs-generated")).to_contain_text("AI生成")
    expect(answer.locator(".cs-generated")).to_contain_text(language_model.served_name)
    expect(answer.locator(".cs-fallback")).to_have_count(0)
    screenshot(page, "cs-subscriber-chat-llm")


def test_subscriber_chats_by_text_hears_the_reply_and_rates(mobile_page, live_server, shenzhen):
    page = mobile_page
    sign_in_as_subscriber(page, live_server, "13800138000")
    page.goto(f"{live_server.url}/m/")
    page.locator('a[href="/customer-service/m/chat/"]').click()
    expect(page.locator("#cs-messages .cs-bot")).to_have_count(1)  # the greeting

    page.fill("#cs-text", "国际漫游怎么开通？")
    page.click("#cs-send")
    answer = page.locator("#cs-messages .cs-bot").nth(1)
    expect(answer).to_contain_text("漫游", timeout=SLOW_MS)
    expect(answer.locator(".cs-sources")).to_contain_text("国际漫游开通")
    expect(answer.locator(".cs-fallback")).to_be_visible()  # no chat model: labelled fallback

    answer.locator(".cs-play").click()
    expect(answer.locator("audio")).to_have_count(1, timeout=SLOW_MS)
    expect(answer.locator(".cs-aigc")).to_have_text("AI生成")

    page.fill("#cs-text", "转人工")
    page.click("#cs-send")
    handoff = page.locator("#cs-messages .cs-bot").last
    # The portal is Chinese unless the user picks English; the chat's replies follow the page.
    expect(handoff).to_contain_text("人工客服", timeout=SLOW_MS)
    expect(handoff.locator(".cs-fallback")).to_contain_text("规则")
    conversation = Conversation.objects.get(subscriber__phone="13800138000")
    assert conversation.status == "queued" and conversation.escalation_reason == "explicit_request"
    # An agent takes the chat in the portal; the reply reaches the subscriber's page by itself
    # (over the chat's socket: the services are called as a web request would call them).
    agent = User.objects.get(username="sz_agent")
    off_the_loop(dialogue.conversation_accept, conversation=conversation, agent=agent)
    off_the_loop(
        dialogue.conversation_agent_reply,
        conversation=conversation,
        agent=agent,
        text="您好，我是客服李娜",
    )
    expect(page.locator("#cs-messages .cs-agent")).to_contain_text("客服李娜", timeout=20_000)

    page.click("#cs-end")
    expect(page.locator("#cs-survey")).to_be_visible()
    page.locator(".cs-rate[data-score='4']").click()
    expect(page.locator("#cs-survey")).to_contain_text("✓")
    conversation.refresh_from_db()
    assert conversation.satisfaction == 4
    screenshot(page, "cs-subscriber-chat")

    page.goto(f"{live_server.url}/customer-service/m/tickets/")
    expect(page.locator("#my-tickets")).to_be_visible()


def spoken_question(path: Path, tenant) -> Path:
    """A Mandarin question in the tenant's default (native Kokoro) voice, as the browser's fake
    microphone input."""
    served = gateway.synthesize(gateway.Caller(tenant=tenant), "国际漫游怎么开通")
    clip = served.value
    pcm = (np.clip(clip.samples, -1, 1) * 32767).astype("<i2")
    silence = np.zeros(clip.sample_rate // 2, dtype="<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(clip.sample_rate)
        w.writeframes(np.concatenate([silence, pcm, silence, silence]).tobytes())
    return path


def test_push_to_talk_is_transcribed_and_answered(browser, live_server, shenzhen, tmp_path):
    wav = spoken_question(tmp_path / "question.wav", shenzhen)
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
    ]
    # A second Chromium from the same Playwright, whose microphone plays the spoken question.
    speaking = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=args)
    try:
        context = speaking.new_context(locale="en-US", viewport={"width": 375, "height": 812})
        context.set_default_timeout(TIMEOUT_MS)
        context.grant_permissions(["microphone"], origin=live_server.url)
        page = context.new_page()
        sign_in_as_subscriber(page, live_server, "13800138000")
        page.goto(f"{live_server.url}/customer-service/m/chat/")
        expect(page.locator("#cs-messages .cs-bot")).to_have_count(1)
        ptt = page.locator("#cs-ptt")
        ptt.hover()
        page.mouse.down()
        expect(ptt).to_have_attribute("aria-pressed", "true")
        page.wait_for_timeout(3500)
        page.mouse.up()
        expect(page.locator("#cs-messages .cs-customer")).to_have_count(1, timeout=SLOW_MS)
        expect(page.locator("#cs-messages .cs-bot")).to_have_count(2, timeout=SLOW_MS)
        conversation = Conversation.objects.get(subscriber__phone="13800138000")
        turn = conversation.turns.get(role="customer")
        assert turn.text and turn.audio_seconds > 1
        screenshot(page, "cs-subscriber-voice")
    finally:
        speaking.close()


def test_agent_takes_a_cantonese_handoff_uses_a_suggestion_and_confirms_the_ticket(
    page, live_server, shenzhen
):
    conversation = dialogue.conversation_start(tenant=shenzhen, phone="13812345678")
    dialogue.conversation_message(
        conversation=conversation, text="唔该帮我转人工，我屋企宽带琴日开始上唔到网"
    )
    staff_login(page, live_server, "sz_agent")
    page.goto(f"{live_server.url}/customer-service/queue/")
    row = page.locator(f'tr[data-conversation="{conversation.pk}"]')
    expect(row).to_contain_text("138****5678")
    row.locator("button").click()

    expect(page.locator("#reply-text")).to_be_visible()
    expect(page.locator("#ctx-phone")).to_have_text("138****5678")
    expect(page.locator("#transcript")).to_contain_text("屋企")
    suggestion = page.locator(".use-suggestion").first
    text = suggestion.get_attribute("data-text")
    suggestion.click()
    expect(page.locator("#reply-text")).to_have_value(text)
    page.locator("#reply-form button[type=submit]").click()
    expect(page.locator("#transcript .turn-agent")).to_contain_text(text[:10])

    page.locator("#close-btn").click()
    expect(page.locator("#ticket-form")).to_be_visible()
    expect(page.locator("#t-type")).to_have_value("fault_repair")
    page.fill("#t-address", "深圳市南山区科技园路10号")
    page.locator("#ticket-form button[type=submit]").click()
    expect(page.locator("#ticket-status")).to_be_visible()
    ticket = Ticket.objects.get(conversation=conversation)
    assert ticket.address == "深圳市南山区科技园路10号" and ticket.phone == "13812345678"
    assert ticket.type == "fault_repair"
    screenshot(page, "cs-agent-ticket")


def test_the_agent_asks_the_model_for_replies_and_uses_one(
    page, live_server, shenzhen, scripted_model
):
    import json

    restart = "请先重启光猫和路由器，再看看光猫的LOS灯是不是红色。"
    scripted_model.reply = json.dumps(
        {"建议": [{"回复": restart, "资料": [1]}, {"回复": "上门费30元。", "资料": [1]}]},
        ensure_ascii=False,
    )
    conversation = dialogue.conversation_start(tenant=shenzhen, phone="13812345678")
    dialogue.conversation_message(conversation=conversation, text="转人工")
    agent = User.objects.get(username="sz_agent")
    dialogue.conversation_accept(conversation=conversation, agent=agent)
    dialogue.conversation_message(conversation=conversation, text="我屋企宽带琴日开始上唔到网")
    staff_login(page, live_server, "sz_agent")
    page.goto(f"{live_server.url}/customer-service/conversations/{conversation.pk}/")
    replies = page.locator("#assist-replies li")
    expect(replies.first.locator(".badge")).to_have_text("模板建议")
    page.locator("#suggest-btn").click()
    generated = page.locator('#assist-replies li[data-generated="1"]')
    expect(generated).to_have_count(1)  # the invented fee is not offered
    expect(generated.first.locator(".badge")).to_have_text("AI生成 · scripted")
    expect(generated.first.locator(".reply-text")).to_have_text(restart)
    expect(generated.first).to_contain_text("KB-")
    expect(page.locator('#assist-replies li[data-generated="0"]').first).to_contain_text("模板建议")
    generated.first.locator(".use-suggestion").click()
    expect(page.locator("#reply-text")).to_have_value(restart)
    screenshot(page, "cs-agent-model-replies")
