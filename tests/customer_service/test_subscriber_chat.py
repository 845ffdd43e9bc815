"""The subscriber's chat across the handoff (issue 16): "转人工" is answered at once with the
queue position and an estimated wait, leaving and coming back resumes the open conversation, the
agent's reply reaches the open chat over its socket, a knowledge-base answer says "not a language
model" once, and "My tickets" speaks the subscriber's words with dates in order."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from customer_service.models import Conversation, Ticket, TicketEvent, Turn, TurnRole
from customer_service.services import dialogue, subscriber_chat, tickets
from suite.asgi import application
from suite.tenancy.models import Role
from tests.cross_tenant import covers, refuses_wrong_roles
from tests.factories import member
from tests.sockets import Communicator
from tests.suite.test_realtime import _browser, closed_with

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
CHAT = "/ws/customer-service/chat/{}/"


def _api(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def _chat(api: APIClient) -> dict:
    response = api.post(reverse("api:cs-chat-list"), {"channel": "chat"}, format="json", **ZH)
    assert response.status_code == 201
    return response.json()


def _say(api: APIClient, conversation_id: int, text: str) -> dict:
    url = reverse("api:cs-chat-messages", args=[conversation_id])
    response = api.post(url, {"text": text}, format="json", **ZH)
    assert response.status_code == 201, response.content
    return response.json()


def _queued(tenant, n: int) -> list[Conversation]:
    out = []
    for _ in range(n):
        conversation = dialogue.conversation_start(tenant=tenant)
        out.append(
            dialogue.conversation_escalate(conversation=conversation, reason="explicit_request")
        )
    return out


def _handoff(tenant, agent, waited: timedelta) -> None:
    """A handoff an agent took `waited` after it was queued (dated in the past)."""
    conversation = _queued(tenant, 1)[0]
    dialogue.conversation_accept(conversation=conversation, agent=agent)
    queued = timezone.now() - timedelta(hours=1)
    Conversation.objects.filter(pk=conversation.pk).update(queued_at=queued)
    Turn.objects.filter(conversation=conversation, role=TurnRole.SYSTEM).update(
        created_at=queued + waited
    )


# --- 1. the handoff answers at once ---------------------------------------------------------


@pytest.mark.django_db
def test_handoff_answers_at_once_with_queue_position_and_estimated_wait(tenant_a, tenant_b):
    _queued(tenant_a, 2)
    _queued(tenant_b, 3)  # another tenant's queue is not this subscriber's
    sub = member(tenant_a, Role.SUBSCRIBER, username="sub", phone="13800138000")
    api = _api(sub)
    conv = _chat(api)
    body = _say(api, conv["id"], "转人工")
    minutes = subscriber_chat.DEFAULT_WAIT_MINUTES * 3  # no recent handoffs: the default
    assert body["conversation"]["status"] == "queued"
    assert body["queue"]["ahead"] == 2 and body["queue"]["position"] == 3
    assert body["queue"]["wait_minutes"] == minutes and body["queue"]["estimate"] is True
    assert body["queue"]["basis"] == "default"
    notice = body["turns"][-1]
    assert notice["role"] == "system"
    assert f"您前面还有 2 位，预计等待约 {minutes} 分钟" in notice["text"], notice
    # The handoff's own reply still comes first, in the same answer.
    assert "人工" in body["turns"][-2]["text"]
    # The notice stays in the conversation (the transcript and a resumed chat show it).
    assert Turn.objects.filter(conversation_id=conv["id"], text=notice["text"]).exists()


@pytest.mark.django_db
def test_the_wait_is_estimated_from_recent_handoffs_of_the_tenant(tenant_a, tenant_b):
    agent = member(tenant_a, Role.CS_AGENT, username="agent_a")
    for minutes in (4, 6, 10):
        _handoff(tenant_a, agent, timedelta(minutes=minutes))
    theirs = member(tenant_b, Role.CS_AGENT, username="agent_b")
    for _ in range(3):
        _handoff(tenant_b, theirs, timedelta(minutes=60))
    first, second = _queued(tenant_a, 2)
    wait = subscriber_chat.expected_wait(tenant_a, 0)
    assert wait == {"minutes": 6, "basis": "recent", "samples": 3}  # the median
    with translation.override("en"):
        status = subscriber_chat.queue_status(second)
    assert (status["ahead"], status["wait_minutes"]) == (1, 12)
    assert status["text"] == ("There is 1 person ahead of you. Estimated wait: about 12 minutes.")
    with translation.override("zh-hans"):
        assert subscriber_chat.queue_status(first)["text"] == "下一位就是您，预计等待约 6 分钟。"
    # Taken by an agent: no longer in the queue.
    dialogue.conversation_accept(conversation=first, agent=agent)
    first.refresh_from_db()
    assert subscriber_chat.queue_status(first) is None
    assert subscriber_chat.queue_status(second)["ahead"] == 0


# --- 2. leaving and coming back -------------------------------------------------------------


@covers("customer_service:m_chat")
@pytest.mark.django_db
def test_coming_back_resumes_the_open_conversation(client, tenant_a, tenant_b):
    sub = member(tenant_a, Role.SUBSCRIBER, username="sub", phone="13800138000")
    other = member(tenant_a, Role.SUBSCRIBER, username="other", phone="13900139000")
    stranger = member(tenant_b, Role.SUBSCRIBER, username="stranger", phone="13700137000")
    api = _api(sub)
    conv = _chat(api)
    _say(api, conv["id"], "转人工")

    client.force_login(sub)
    page = client.get(reverse("customer_service:m_chat")).content.decode()
    assert f'data-resume="{conv["id"]}"' in page
    resumed = api.get(reverse("api:cs-chat-detail", args=[conv["id"]]), **ZH).json()
    assert [t["text"] for t in resumed["turns"] if t["role"] == "customer"] == ["转人工"]
    assert resumed["status"] == "queued" and resumed["queue"]["ahead"] == 0

    # Not someone else's: neither another subscriber's page nor their API resumes it.
    for user in (other, stranger):
        client.force_login(user)
        page = client.get(reverse("customer_service:m_chat")).content.decode()
        assert 'data-resume=""' in page
        url = reverse("api:cs-chat-detail", args=[conv["id"]])
        assert _api(user).get(url).status_code == 404

    # An ended conversation is not resumed: the next visit starts a new one.
    dialogue.conversation_close(conversation=Conversation.objects.get(pk=conv["id"]))
    client.force_login(sub)
    assert 'data-resume=""' in client.get(reverse("customer_service:m_chat")).content.decode()


@pytest.mark.django_db
def test_the_page_listens_live_and_labels_polling_as_the_fallback(client, tenant_a):
    sub = member(tenant_a, Role.SUBSCRIBER, username="sub", phone="13800138000")
    client.force_login(sub)
    page = client.get(reverse("customer_service:m_chat"), **ZH).content.decode()
    assert 'data-socket-path="/ws/customer-service/chat/"' in page
    assert 'id="cs-live-badge"' in page and 'id="cs-queue"' in page
    # The polling notice is written out, labelled as the fallback.
    assert "（后备方式）" in page or "(fallback)" in page


# --- 3. the agent's reply arrives over the socket ------------------------------------------


@covers("ws-cs-chat")
@refuses_wrong_roles("ws-cs-chat")
@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_agents_reply_reaches_the_open_chat_over_its_socket(tenant_a, tenant_b):
    make = sync_to_async(member)
    sub = await make(tenant_a, Role.SUBSCRIBER, username="sub", phone="13800138000")
    agent = await make(tenant_a, Role.CS_AGENT, username="agent_a")
    ahead = (await sync_to_async(_queued)(tenant_a, 1))[0]
    conv = await sync_to_async(dialogue.conversation_start)(tenant=tenant_a, subscriber=sub)
    await sync_to_async(dialogue.conversation_message)(conversation=conv, text="转人工")
    last = await sync_to_async(lambda: conv.turns.order_by("-seq").first().seq)()

    ws = Communicator(
        application, CHAT.format(conv.pk) + f"?after={last}", headers=await _browser(sub)
    )
    assert (await ws.connect())[0]
    assert (await ws.receive_json_from())["type"] == "hello"
    first = await ws.receive_json_from()  # the state on connecting
    assert first["type"] == "chat.update" and first["status"] == "queued"
    assert first["turns"] == [] and first["queue"]["ahead"] == 1

    # The one ahead is taken: the position moves up, live.
    await sync_to_async(dialogue.conversation_accept)(conversation=ahead, agent=agent)
    moved = await ws.receive_json_from()
    assert moved["queue"]["ahead"] == 0 and moved["turns"] == []
    assert "13800138000" not in str(moved)

    await sync_to_async(dialogue.conversation_accept)(conversation=conv, agent=agent)
    joined = await ws.receive_json_from()
    assert joined["status"] == "agent" and joined["queue"] is None
    assert [t["role"] for t in joined["turns"]] == ["system"]
    await sync_to_async(dialogue.conversation_agent_reply)(
        conversation=conv, agent=agent, text="您好，我是客服小李，马上为您查询。"
    )
    reply = await ws.receive_json_from()
    assert [(t["role"], t["text"]) for t in reply["turns"]] == [
        ("agent", "您好，我是客服小李，马上为您查询。")
    ]
    # Another conversation's message is not this chat's business.
    await sync_to_async(dialogue.conversation_agent_reply)(
        conversation=ahead, agent=agent, text="另一位客户的回复"
    )
    assert await ws.receive_nothing(timeout=0.5)
    await ws.disconnect()

    # Only the subscriber whose conversation it is: anyone else is told it does not exist,
    # staff are not subscribers, and nobody signed in is refused.
    other = await make(tenant_a, Role.SUBSCRIBER, username="other", phone="13900139000")
    stranger = await make(tenant_b, Role.SUBSCRIBER, username="stranger", phone="13700137000")
    for user in (other, stranger):
        assert await closed_with(CHAT.format(conv.pk), await _browser(user)) == 4404
    assert await closed_with(CHAT.format(conv.pk), await _browser(agent)) == 4403
    page = [(b"host", b"testserver"), (b"origin", b"http://testserver")]
    assert await closed_with(CHAT.format(conv.pk), page) == 4401


# --- 4. one disclaimer per answer -----------------------------------------------------------


@pytest.mark.django_db
def test_a_knowledge_base_answer_says_not_a_language_model_once(tenant_a, kb_a):
    sub = member(tenant_a, Role.SUBSCRIBER, username="sub", phone="13800138000")
    api = _api(sub)
    conv = _chat(api)
    body = _say(api, conv["id"], "流量加油包怎么订购")
    answer = body["turns"][-1]
    stored = Turn.objects.get(conversation_id=conv["id"], seq=answer["seq"])
    # The extractive answerer wrote its own disclaimer and source list into the text …
    assert "非大模型" in stored.text and "来源" in stored.text
    # … the page labels the reply (fallback + citations) and lists the sources itself, so the
    # text it gets carries neither.
    assert answer["fallback"] is True and answer["citations"]
    assert "非大模型" not in answer["text"] and "来源" not in answer["text"]
    assert "10元1GB" in answer["text"]
    resumed = api.get(reverse("api:cs-chat-detail", args=[conv["id"]])).json()
    assert "非大模型" not in resumed["turns"][-1]["text"]


def test_display_text_drops_each_known_disclaimer_only_from_fallback_replies():
    from suite.ai.citations import extract_notice as notice

    for language in ("en", "zh-hans"):
        with translation.override(language):
            text = notice() + "\n流量加油包10元1GB。[1]\n\n" + "Sources:\n[1] KB-2 流量加油包订购"
            unavailable = translation.gettext(
                "(Knowledge-base extract; the answering model is unavailable.)"
            )
        turn = Turn(role=TurnRole.BOT, text=text, fallback=True, citations=[{"id": 2}])
        shown = subscriber_chat.display_text(turn)
        assert shown == "流量加油包10元1GB。[1]", (language, shown)
        turn = Turn(role=TurnRole.BOT, text=f"{unavailable}\n光猫重启[1]", fallback=True)
        assert subscriber_chat.display_text(turn) == "光猫重启[1]"
    # A language model's answer, or the customer's own words, are shown as written.
    generated = Turn(role=TurnRole.BOT, text="Sources:\n[1] x", fallback=False, model="m")
    assert subscriber_chat.display_text(generated) == generated.text


# --- 5. my tickets in the subscriber's words ------------------------------------------------


@covers("customer_service:m_ticket", "customer_service:m_tickets")
@pytest.mark.django_db
def test_my_tickets_say_overdue_in_subscriber_words(client, tenant_a, tenant_b):
    sub = member(tenant_a, Role.SUBSCRIBER, username="sub", phone="13800138000")
    stranger = member(tenant_b, Role.SUBSCRIBER, username="stranger", phone="13700137000")
    ticket = tickets.ticket_create(
        tenant=tenant_a, type="fault_repair", summary="宽带报修", subscriber=sub
    )
    theirs = tickets.ticket_create(
        tenant=tenant_b, type="complaint", summary="成都投诉", subscriber=stranger
    )
    later = ticket.sla_due + timedelta(hours=1)
    assert tickets.tickets_mark_sla_breached(tenant=tenant_a, now=later) == [ticket]
    client.force_login(sub)
    for url in (
        reverse("customer_service:m_ticket", args=[ticket.pk]),
        reverse("customer_service:m_tickets"),
    ):
        page = client.get(url, **ZH).content.decode()
        assert "处理超时，已加急" in page, url
        assert "SLA" not in page and "已超时（SLA）" not in page, url
        assert (
            ticket.created_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d")
            in page
        )
    assert client.get(reverse("customer_service:m_ticket", args=[theirs.pk])).status_code == 404


@pytest.mark.django_db
def test_demo_tickets_are_never_due_before_they_were_opened(tenant_a):
    from customer_service.demo import seed_conversations

    member(tenant_a, Role.SUBSCRIBER, username="sub", phone="13800138000")
    with translation.override("zh-hans"):
        seed_conversations(tenant_a)
    items = list(Ticket.objects.for_tenant(tenant_a))
    assert items
    for ticket in items:
        assert ticket.sla_due > ticket.created_at, ticket
        events = TicketEvent.objects.filter(ticket=ticket)
        # What the ticket page shows as its first step is dated when the ticket was opened.
        assert min(e.created_at for e in events) >= ticket.created_at - timedelta(seconds=1)
        assert min(e.created_at for e in events) < ticket.sla_due


# --- the whole journey in a browser ---------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_subscriber_is_queued_comes_back_and_reads_the_agents_reply_live(
    browser, asgi_server, tenant_a
):
    """In headless Chromium: "转人工" shows the position at once; leaving and coming back shows
    the same conversation; the agent's reply appears while the socket is up (the page does not
    poll then, so only the socket can have brought it)."""
    from django.conf import settings
    from django.test import Client

    from tests.browser import new_page, screenshot
    from tests.customer_service.threads import off_the_loop

    sub = member(tenant_a, Role.SUBSCRIBER, username="sub", phone="13800138000")
    agent = member(tenant_a, Role.CS_AGENT, username="agent_a")
    off_the_loop(_queued, tenant=tenant_a, n=1)
    client = Client()
    client.force_login(sub)
    page = new_page(browser, viewport={"width": 375, "height": 812}, is_mobile=True)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": asgi_server.url,
            }
        ]
    )
    try:
        chat = f"{asgi_server.url}/customer-service/m/chat/"
        page.goto(chat)
        page.wait_for_selector("#cs-messages .cs-bot")
        page.fill("#cs-text", "转人工")
        page.click("#cs-send")
        page.wait_for_selector("#cs-messages .cs-system")
        notice = page.locator("#cs-messages .cs-system").last.inner_text()
        assert "您前面还有 1 位" in notice and "预计等待约" in notice
        # The status line would say the same: the position is said once, not twice.
        assert page.locator("#cs-queue").is_hidden()
        assert page.locator("#cs-queue").text_content() in notice
        page.wait_for_selector("#cs-live-badge:not([hidden])")
        assert page.locator("#cs-poll-badge").is_hidden()

        # Away and back: the same conversation, not a blank one.
        page.goto(f"{asgi_server.url}/customer-service/m/tickets/")
        page.goto(chat)
        page.wait_for_selector("#cs-messages .cs-customer")
        assert page.locator("#cs-messages .cs-customer").inner_text().endswith("转人工")
        assert Conversation.objects.filter(subscriber=sub).count() == 1
        page.wait_for_selector("#cs-live-badge:not([hidden])")

        conversation = Conversation.objects.get(subscriber=sub)
        off_the_loop(dialogue.conversation_accept, conversation=conversation, agent=agent)
        off_the_loop(
            dialogue.conversation_agent_reply,
            conversation=conversation,
            agent=agent,
            text="您好，我是客服李娜",
        )
        page.wait_for_selector("#cs-messages .cs-agent", timeout=4000)
        assert "客服李娜" in page.locator("#cs-messages .cs-agent").inner_text()
        assert page.locator("#cs-queue").is_hidden()  # with an agent now: no queue line
        screenshot(page, "cs-subscriber-chat-handoff")
    finally:
        page.context.close()
