"""The agent pages' live feed: queue changes and messages of handed-off conversations reach
the agents of the same tenant only, over /ws/customer-service/queue/."""

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from customer_service.services import dialogue
from suite.asgi import application
from suite.tenancy.models import Role
from tests.cross_tenant import covers
from tests.factories import member
from tests.sockets import Communicator
from tests.suite.test_realtime import _browser, closed_with

QUEUE = "/ws/customer-service/queue/"


async def queue_feed(tenant, username: str, role=Role.CS_AGENT):
    user = await sync_to_async(member)(tenant, role, username=username)
    ws = Communicator(application, QUEUE, headers=await _browser(user))
    connected, _ = await ws.connect()
    assert connected
    hello = await ws.receive_json_from()
    assert hello["type"] == "hello" and "customer_service.queue" in hello["seq"]
    return ws, user


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@covers("ws-cs-queue")
async def test_handoffs_and_messages_reach_only_the_tenants_agents(tenant_a, tenant_b):
    feed_a, agent_a = await queue_feed(tenant_a, "agent_a")
    feed_b, _ = await queue_feed(tenant_b, "agent_b", role=Role.CS_SUPERVISOR)

    conv = await sync_to_async(dialogue.conversation_start)(tenant=tenant_a, phone="13800138000")
    await sync_to_async(dialogue.conversation_message)(conversation=conv, text="转人工")
    queued = await feed_a.receive_json_from()
    assert queued["type"] == "conversation.queued" and queued["conversation"] == conv.pk
    assert "13800138000" not in str(queued)  # ids and status only
    await sync_to_async(dialogue.conversation_accept)(conversation=conv, agent=agent_a)
    await sync_to_async(dialogue.conversation_message)(conversation=conv, text="我的宽带坏了")
    accepted, message = await feed_a.receive_json_from(), await feed_a.receive_json_from()
    assert (accepted["type"], message["type"]) == ("conversation.accepted", "conversation.message")
    assert message["seq"] == accepted["seq"] + 1 == queued["seq"] + 2
    # Tenant B's agents heard nothing of it.
    assert await feed_b.receive_nothing(timeout=0.3)
    theirs = await sync_to_async(dialogue.conversation_start)(tenant=tenant_b)
    await sync_to_async(dialogue.conversation_escalate)(
        conversation=theirs, reason="explicit_request"
    )
    assert (await feed_b.receive_json_from())["conversation"] == theirs.pk
    assert await feed_a.receive_nothing(timeout=0.3)
    await feed_a.disconnect()
    await feed_b.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_queue_feed_needs_a_customer_service_role_and_an_origin(tenant_a):
    for role in (Role.RINGTONE_REVIEWER, Role.SUBSCRIBER):
        user = await sync_to_async(member)(tenant_a, role, username=f"u-{role}")
        assert await closed_with(QUEUE, await _browser(user)) == 4403, role
    admin = await sync_to_async(member)(tenant_a, Role.TENANT_ADMIN, username="boss")
    headers = [h for h in await _browser(admin) if h[0] != b"origin"]
    assert await closed_with(QUEUE, headers) == 4401
    page = [(b"host", b"testserver"), (b"origin", b"http://testserver")]
    assert await closed_with(QUEUE, page) == 4401


@pytest.mark.django_db
def test_the_pages_listen_live_and_label_polling_as_the_fallback(client, tenant_a):
    agent = member(tenant_a, Role.CS_AGENT, username="agent_a")
    client.force_login(agent)
    conv = dialogue.conversation_start(tenant=tenant_a)
    dialogue.conversation_message(conversation=conv, text="转人工")
    queue = client.get(reverse("customer_service:queue")).content.decode()
    assert "agent_live.js" in queue and 'id="queue-body" data-cs-live' in queue
    assert 'data-cs-poll="10"' in queue and "data-cs-poll-badge" in queue
    page = client.get(reverse("customer_service:conversation", args=[conv.pk])).content.decode()
    assert f'data-conversation="{conv.pk}"' in page and 'data-cs-poll="5"' in page
    dialogue.conversation_close(conversation=conv)
    closed = client.get(reverse("customer_service:conversation", args=[conv.pk])).content.decode()
    assert "data-cs-live" not in closed  # nothing left to update


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_queue_page_updates_live_without_polling(browser, asgi_server, tenant_a, tenant_b):
    """One agent's queue page drops a handoff the moment another agent accepts it: with the
    feed connected the page does not poll, so only the WebSocket event can have done it."""
    from tests.browser import new_page, screenshot, staff_login
    from tests.factories import PASSWORD

    member(tenant_a, Role.CS_AGENT, username="agent_one")
    member(tenant_a, Role.CS_AGENT, username="agent_two")
    conv = dialogue.conversation_start(tenant=tenant_a, phone="13800138000")
    dialogue.conversation_message(conversation=conv, text="转人工")
    row = f'#queue-table tr[data-conversation="{conv.pk}"]'

    watcher = new_page(browser, viewport={"width": 1280, "height": 900})
    other = new_page(browser, viewport={"width": 1280, "height": 900})
    try:
        staff_login(watcher, asgi_server, "agent_one", PASSWORD)
        watcher.goto(f"{asgi_server.url}/customer-service/queue/")
        watcher.wait_for_selector("[data-cs-live-badge]:not([hidden])")
        assert watcher.locator("[data-cs-poll-badge]").is_hidden()
        assert watcher.locator(row).count() == 1

        staff_login(other, asgi_server, "agent_two", PASSWORD)
        other.goto(f"{asgi_server.url}/customer-service/conversations/{conv.pk}/")
        other.click("#accept-btn")
        other.wait_for_selector("#reply-form")

        watcher.wait_for_selector(row, state="detached")
        assert watcher.locator("#queue-table tr[data-conversation]").count() == 0
        screenshot(watcher, "customer_service_live_queue")
    finally:
        watcher.context.close()
        other.context.close()


@pytest.mark.django_db
def test_queue_events_leave_only_once_the_change_is_committed(
    tenant_a, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(dialogue, "tenant_group_send", lambda *args: sent.append(args))
    conv = dialogue.conversation_start(tenant=tenant_a, phone="13800138000")
    with django_capture_on_commit_callbacks() as callbacks:
        dialogue.conversation_escalate(conversation=conv, reason="explicit_request")
        assert sent == []  # an agent page refetching now would not see the handoff yet
    assert callbacks
    for callback in callbacks:
        callback()
    assert [event["type"] for _tenant, _group, event in sent] == ["conversation.queued"]
    assert sent[0][2]["conversation"] == conv.pk
