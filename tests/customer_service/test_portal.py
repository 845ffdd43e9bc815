"""Portal pages: agent workspace, tickets, knowledge base, lexicon, analytics, subscriber chat."""

import io

import pytest
from django.urls import reverse
from PIL import Image

from customer_service.models import ArticleStatus, KbArticle, LexiconEntry, Ticket
from customer_service.services import dialogue, tickets
from customer_service.services.knowledge import article_create
from customer_service.services.lexicon import lexicon_entry_create
from suite.tenancy.models import Role
from tests.cross_tenant import covers
from tests.factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client, tenant_a):
    user = member(tenant_a, Role.CS_AGENT, username="agent_a")
    client.force_login(user)
    return user


@pytest.fixture
def supervisor(client, tenant_a):
    user = member(tenant_a, Role.CS_SUPERVISOR, username="sup_a")
    client.force_login(user)
    return user


def queued(tenant, text="转人工"):
    conv = dialogue.conversation_start(tenant=tenant, phone="13812345678")
    dialogue.conversation_message(conversation=conv, text=text)
    return conv


@covers("customer_service:home", "customer_service:queue", "customer_service:conversation")
def test_agent_accepts_replies_closes_and_confirms_the_ticket(
    client, agent, tenant_a, tenant_b, kb_a
):
    mine = queued(tenant_a, "宽带上不了网，转人工")
    theirs = queued(tenant_b)
    home = client.get(reverse("customer_service:home"))
    assert home.status_code == 200 and 'id="queue-count">1<' in home.content.decode()
    page = client.get(reverse("customer_service:queue")).content.decode()
    assert (
        f'data-conversation="{mine.pk}"' in page and f'data-conversation="{theirs.pk}"' not in page
    )
    assert "138****5678" in page and "13812345678" not in page

    url = reverse("customer_service:conversation", args=[mine.pk])
    client.post(url, {"action": "accept"})
    page = client.get(url).content.decode()
    assert "reply-text" in page and "138****5678" in page and "13812345678" not in page
    assert "use-suggestion" in page  # one-click suggestions while the agent holds the chat
    client.post(url, {"action": "reply", "text": "您好，我来帮您处理"})
    client.post(url, {"action": "close"})
    page = client.get(url).content.decode()
    assert "ticket-form" in page and 'value="fault_repair" selected' in page
    response = client.post(
        url,
        {
            "action": "ticket",
            "type": "fault_repair",
            "priority": "high",
            "summary": "宽带断网",
            "phone": "13812345678",
            "address": "",
        },
    )
    ticket = Ticket.objects.get(conversation=mine)
    assert response.status_code == 302 and ticket.priority == "high"

    their_url = reverse("customer_service:conversation", args=[theirs.pk])
    assert client.get(their_url).status_code == 404
    assert client.post(their_url, {"action": "accept"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "queued"


def test_bad_reply_shows_a_message_not_a_500(client, agent, tenant_a):
    conv = queued(tenant_a)
    url = reverse("customer_service:conversation", args=[conv.pk])
    response = client.post(url, {"action": "reply", "text": "你好"}, follow=True)
    assert response.status_code == 200
    assert "请先接入会话再回复" in response.content.decode()


@covers("customer_service:tickets", "customer_service:ticket")
def test_tickets_pages_mask_lists_and_hide_other_tenants(client, agent, tenant_a, tenant_b):
    mine = tickets.ticket_create(
        tenant=tenant_a, type="complaint", summary="多扣费", phone="13812345678"
    )
    theirs = tickets.ticket_create(
        tenant=tenant_b, type="complaint", summary="四川工单", phone="13900001111"
    )
    page = client.get(reverse("customer_service:tickets")).content.decode()
    assert mine.number in page and "138****5678" in page and "13812345678" not in page
    assert "四川工单" not in page
    url = reverse("customer_service:ticket", args=[mine.pk])
    assert "13812345678" in client.get(url).content.decode()
    client.post(url, {"action": "transition", "status": "in_progress"})
    client.post(url, {"action": "comment", "text": "已联系客户"})
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG")
    upload = io.BytesIO(buf.getvalue())
    upload.name = "shot.png"
    client.post(url, {"action": "attach", "file": upload})
    bad = io.BytesIO(b"not an image")
    bad.name = "x.png"
    response = client.post(url, {"action": "attach", "file": bad}, follow=True)
    assert "仅接受 JPEG" in response.content.decode()
    mine.refresh_from_db()
    assert mine.status == "in_progress" and mine.attachments.count() == 1
    their_url = reverse("customer_service:ticket", args=[theirs.pk])
    assert client.get(their_url).status_code == 404
    assert client.post(their_url, {"action": "comment", "text": "x"}).status_code == 404
    assert not theirs.events.filter(kind="comment").exists()


@covers("customer_service:knowledge", "customer_service:article", "customer_service:article_new")
def test_knowledge_pages(client, supervisor, tenant_a, tenant_b):
    mine = article_create(
        tenant=tenant_a, title="宽带报装", body="需要身份证。", status="published"
    )
    theirs = article_create(tenant=tenant_b, title="四川专享", body="内容")
    page = client.get(reverse("customer_service:knowledge")).content.decode()
    assert "宽带报装" in page and "四川专享" not in page
    response = client.post(
        reverse("customer_service:article_new"),
        {"title": "新文章", "body": "正文", "category": "宽带", "status": "draft"},
    )
    created = KbArticle.objects.get(title="新文章")
    assert response.status_code == 302 and created.tenant == tenant_a
    client.post(
        reverse("customer_service:article", args=[mine.pk]),
        {"title": "宽带报装", "body": "需要身份证和地址。", "category": "", "status": "published"},
    )
    mine.refresh_from_db()
    assert mine.version == 2
    empty = client.post(reverse("customer_service:article_new"), {"title": "", "body": ""})
    assert empty.status_code == 200 and "文章需要标题" in empty.content.decode()
    upload = io.BytesIO("# 话费查询\n拨打10086。\n".encode())
    upload.name = "faq.md"
    client.post(
        reverse("customer_service:knowledge"),
        {"file": upload, "format": "markdown", "publish": "on"},
    )
    assert KbArticle.objects.get(title="话费查询").status == ArticleStatus.PUBLISHED
    their_url = reverse("customer_service:article", args=[theirs.pk])
    assert client.get(their_url).status_code == 404
    assert client.post(their_url, {"title": "x", "body": "y"}).status_code == 404


def test_agents_read_articles_but_cannot_edit_them(client, agent, tenant_a):
    mine = article_create(tenant=tenant_a, title="宽带报装", body="需要身份证。")
    url = reverse("customer_service:article", args=[mine.pk])
    page = client.get(url).content.decode()
    assert "需要身份证。" in page and 'id="article-form"' not in page
    assert client.post(url, {"title": "x", "body": "y", "status": "draft"}).status_code == 404
    mine.refresh_from_db()
    assert (mine.title, mine.version) == ("宽带报装", 1)
    assert client.get(reverse("customer_service:knowledge")).status_code == 200


@covers("customer_service:lexicon")
def test_lexicon_page(client, supervisor, tenant_a, tenant_b):
    theirs = lexicon_entry_create(
        tenant=tenant_b, dialect="sichuanese", term="巴适", mandarin="舒服"
    )
    client.post(
        reverse("customer_service:lexicon"),
        {"dialect": "cantonese", "term": "靓仔", "mandarin": "帅哥"},
    )
    page = client.get(reverse("customer_service:lexicon")).content.decode()
    assert "靓仔" in page and "巴适" not in page
    response = client.post(
        reverse("customer_service:lexicon"), {"action": "delete", "id": theirs.pk}
    )
    assert response.status_code == 404
    assert LexiconEntry.objects.filter(pk=theirs.pk).exists()
    mine = LexiconEntry.objects.get(term="靓仔")
    client.post(reverse("customer_service:lexicon"), {"action": "delete", "id": mine.pk})
    assert not LexiconEntry.objects.filter(pk=mine.pk).exists()
    response = client.post(reverse("customer_service:lexicon"), {"action": "delete", "id": "x"})
    assert response.status_code == 302  # a malformed id is a message, not a 500


@covers("customer_service:analytics")
def test_analytics_page_with_charts_and_draft_article(client, supervisor, tenant_a, tenant_b, kb_a):
    conv = dialogue.conversation_start(tenant=tenant_a)
    dialogue.conversation_message(conversation=conv, text="火星上的天气怎么样")
    queued(tenant_b, "你们有卖卫星电话吗")
    page = client.get(reverse("customer_service:analytics")).content.decode()
    assert 'id="cs-volume"' in page and 'id="cs-dialects"' in page
    assert "火星上的天气怎么样" in page and "卫星电话" not in page
    response = client.post(
        reverse("customer_service:analytics"), {"question": "火星上的天气怎么样"}
    )
    draft = KbArticle.objects.get(title="火星上的天气怎么样")
    assert response.status_code == 302 and draft.status == "draft" and draft.tenant == tenant_a


def test_agents_do_not_see_supervisor_pages(client, agent):
    assert client.get(reverse("customer_service:analytics")).status_code == 404
    assert client.get(reverse("customer_service:lexicon")).status_code == 404


@covers("customer_service:m_chat", "customer_service:m_tickets")
def test_subscriber_pages(client, tenant_a, tenant_b):
    sub = member(tenant_a, Role.SUBSCRIBER, username="sub", phone="13800138000")
    other = member(tenant_b, Role.SUBSCRIBER, username="other", phone="13900139000")
    tickets.ticket_create(tenant=tenant_a, type="fault_repair", summary="宽带报修", subscriber=sub)
    tickets.ticket_create(tenant=tenant_b, type="complaint", summary="成都投诉", subscriber=other)
    client.force_login(sub)
    assert 'id="cs-ptt"' in client.get(reverse("customer_service:m_chat")).content.decode()
    page = client.get(reverse("customer_service:m_tickets")).content.decode()
    assert "宽带报修" in page and "成都投诉" not in page
    home = client.get(reverse("portal:subscriber_home")).content.decode()
    assert reverse("customer_service:m_chat") in home
    # Staff pages are not for subscribers.
    assert client.get(reverse("customer_service:queue")).status_code in (302, 404)


@covers("customer_service:call_ticket")
def test_after_call_summary_prefills_a_ticket_linked_to_the_call(client, agent, tenant_a, tenant_b):
    from suite.telephony.services import call_start, call_utterance_add

    call = call_start(tenant=tenant_a, product="customer_service", protocol="stream",
                      caller_number="+86 138-1234-5678")  # fmt: skip
    call_utterance_add(
        call=call, index=0, text="我家宽带断网了，光猫红灯一直闪", start_s=0, end_s=2
    )
    call_utterance_add(
        call=call, index=1, text="地址是深圳市南山区科技园路10号", start_s=3, end_s=5
    )
    theirs = call_start(tenant=tenant_b, product="customer_service", protocol="stream")
    url = reverse("customer_service:call_ticket", args=[call.id])
    page = client.get(url).content.decode()
    assert 'value="fault_repair" selected' in page and "科技园路10号" in page
    assert "138****5678" in page
    form = {"type": "fault_repair", "priority": "normal", "summary": "宽带断网"}
    form |= {"phone": "13812345678", "address": "深圳市南山区科技园路10号"}
    response = client.post(url, form)
    ticket = Ticket.objects.get(call_id=str(call.id))
    assert response.status_code == 302 and ticket.tenant == tenant_a
    their_url = reverse("customer_service:call_ticket", args=[theirs.id])
    assert client.get(their_url).status_code == 404
    assert client.post(their_url, {"type": "complaint", "summary": "x"}).status_code == 404
    assert not Ticket.objects.filter(call_id=str(theirs.id)).exists()


@covers("customer_service:skills")
def test_supervisor_sets_dialect_skills_that_filter_the_queue(
    client, supervisor, tenant_a, tenant_b
):
    from customer_service.models import AgentSkill

    agent = member(tenant_a, Role.CS_AGENT, username="canto_agent")
    stranger = member(tenant_b, Role.CS_AGENT, username="stranger")
    page = client.get(reverse("customer_service:skills")).content.decode()
    assert f'data-agent="{agent.pk}"' in page and f'data-agent="{stranger.pk}"' not in page
    client.post(
        reverse("customer_service:skills"),
        {"user": agent.pk, "dialects": ["cantonese", "mandarin"]},
    )
    assert AgentSkill.objects.get(user=agent).dialects == ["mandarin", "cantonese"]
    bad = client.post(
        reverse("customer_service:skills"), {"user": agent.pk, "dialects": ["klingon"]}, follow=True
    )
    assert "klingon" in bad.content.decode()
    assert (
        client.post(
            reverse("customer_service:skills"), {"user": stranger.pk, "dialects": ["mandarin"]}
        ).status_code
        == 404
    )
    assert not AgentSkill.objects.filter(user=stranger).exists()

    sichuan = queued(tenant_a, "莫得信号，搞快给我转人工噻")
    client.force_login(agent)
    page = client.get(reverse("customer_service:queue")).content.decode()
    assert f'data-conversation="{sichuan.pk}"' not in page


def test_transcript_refresh_does_not_call_models(client, agent, tenant_a, kb_a):
    from suite.ai.models import UsageRecord

    conv = queued(tenant_a, "宽带上不了网，转人工")
    url = reverse("customer_service:conversation", args=[conv.pk])
    client.get(url)
    before = UsageRecord.objects.count()
    response = client.get(url, HTTP_HX_REQUEST="true")
    assert 'id="transcript"' in response.content.decode()
    assert UsageRecord.objects.count() == before
