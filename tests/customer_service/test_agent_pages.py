"""What an agent (the demo's sz_agent) sees: articles it can read, only links it can open, and
dialects and statuses by their labels, never their codes (issue 16)."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from customer_service.models import KbArticle
from customer_service.services import dialogue, tickets
from customer_service.services.knowledge import article_create
from customer_service.services.lexicon import agent_skill_set
from customer_service.summary import summarize_lines
from suite.tenancy.models import Role
from tests.cross_tenant import covers
from tests.factories import member

pytestmark = pytest.mark.django_db

EDITOR_ROUTES = ("categories", "lexicon", "skills", "analytics", "article_new")
HREF = re.compile(r'href="(/[^"#?]*)')


@pytest.fixture
def agent(client, tenant_a):
    user = member(tenant_a, Role.CS_AGENT, username="agent_a")
    client.force_login(user)
    return user


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"


def _cs_links(page: str) -> set[str]:
    prefix = reverse("customer_service:home")
    return {h for h in HREF.findall(page) if h.startswith(prefix)}


@covers("customer_service:article")
def test_agent_reads_its_tenants_articles_but_cannot_edit_or_see_another_tenants(
    client, agent, tenant_a, tenant_b
):
    mine = article_create(
        tenant=tenant_a, title="宽带报装", body="需要身份证。\n带上房产证明。", status="published"
    )
    theirs = article_create(
        tenant=tenant_b, title="四川专享", body="只给成都用户看", status="published"
    )
    url = reverse("customer_service:article", args=[mine.pk])
    listing = client.get(reverse("customer_service:knowledge")).content.decode()
    assert f'href="{url}"' in listing  # the knowledge base links every article it lists

    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "需要身份证。" in page and "带上房产证明。" in page
    assert 'id="article-view"' in page and 'id="article-form"' not in page

    # Reading only: a post (save or rollback) changes nothing.
    assert client.post(url, {"title": "改了", "body": "改了", "status": "draft"}).status_code == 404
    assert client.post(url, {"action": "rollback", "version": "1"}).status_code == 404
    mine.refresh_from_db()
    assert (mine.title, mine.version, mine.status) == ("宽带报装", 1, "published")
    assert client.get(reverse("customer_service:article_new")).status_code == 404
    new = client.post(reverse("customer_service:article_new"), {"title": "x", "body": "y"})
    assert new.status_code == 404
    assert not KbArticle.objects.filter(title="x").exists()

    their_url = reverse("customer_service:article", args=[theirs.pk])
    assert client.get(their_url).status_code == 404


def test_agent_follows_the_citation_links_of_a_chat(client, agent, tenant_a, kb_a):
    conv = dialogue.conversation_start(tenant=tenant_a, phone="13812345678")
    dialogue.conversation_message(conversation=conv, text="宽带上不了网，光猫红灯，转人工")
    page = client.get(reverse("customer_service:conversation", args=[conv.pk])).content.decode()
    article_links = {h for h in _cs_links(page) if re.fullmatch(r".*/knowledge/\d+/", h)}
    assert article_links  # the suggestion lists the knowledge hits it found
    for href in article_links:
        assert client.get(href).status_code == 200, href


def test_agent_sees_no_link_it_cannot_open(client, agent, tenant_a, kb_a):
    conv = dialogue.conversation_start(tenant=tenant_a, phone="13812345678")
    dialogue.conversation_message(conversation=conv, text="宽带上不了网，转人工")
    ticket = tickets.ticket_create(tenant=tenant_a, type="fault_repair", summary="宽带断网")
    pages = [
        reverse("customer_service:home"),
        reverse("customer_service:queue"),
        reverse("customer_service:live_call"),
        reverse("customer_service:tickets"),
        reverse("customer_service:ticket", args=[ticket.pk]),
        reverse("customer_service:knowledge"),
        reverse("customer_service:article", args=[kb_a[0].pk]),
        reverse("customer_service:conversation", args=[conv.pk]),
    ]
    forbidden = {reverse(f"customer_service:{name}") for name in EDITOR_ROUTES}
    links: set[str] = set()
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        found = _cs_links(response.content.decode())
        assert not found & forbidden, (url, found & forbidden)
        links |= found
    assert reverse("customer_service:knowledge") in links
    for href in sorted(links):
        assert client.get(href).status_code == 200, href
    for url in forbidden:  # and those pages stay closed to agents
        assert client.get(url).status_code == 404, url


def test_editors_still_see_their_tabs(client, tenant_a):
    client.force_login(member(tenant_a, Role.CS_SUPERVISOR, username="sup_a"))
    links = _cs_links(client.get(reverse("customer_service:home")).content.decode())
    for name in ("categories", "lexicon", "skills", "analytics"):
        url = reverse(f"customer_service:{name}")
        assert url in links
        assert client.get(url).status_code == 200


def test_agent_pages_show_dialect_labels_not_codes(client, agent, tenant_a):
    agent_skill_set(tenant=tenant_a, user=agent, dialects=["mandarin", "cantonese"])
    _chinese(client)
    home = client.get(reverse("customer_service:home")).content.decode()
    skills = home.split("我的方言技能", 1)[1].split("</section>", 1)[0]
    assert "普通话" in skills and "粤语" in skills
    assert ">mandarin<" not in skills and ">cantonese<" not in skills
    queue = client.get(reverse("customer_service:queue")).content.decode()
    assert "普通话、粤语" in queue and "mandarin, cantonese" not in queue

    _english(client)
    home = client.get(reverse("customer_service:home")).content.decode()
    assert ">Cantonese<" in home and ">cantonese<" not in home
    queue = client.get(reverse("customer_service:queue")).content.decode()
    assert "Mandarin, Cantonese" in queue


def test_call_ticket_and_summary_name_the_dialect(client, agent, tenant_a):
    from suite.telephony.services import call_start, call_utterance_add

    call = call_start(tenant=tenant_a, product="customer_service", protocol="stream")
    call.dialect = "cantonese"
    call.save(update_fields=["dialect"])
    call_utterance_add(call=call, index=0, text="我家宽带断网了", start_s=0, end_s=2)
    _chinese(client)
    page = client.get(reverse("customer_service:call_ticket", args=[call.id])).content.decode()
    assert "<dd>粤语</dd>" in page and "<dd>cantonese</dd>" not in page

    from django.utils import translation

    with translation.override("zh-hans"):
        summary = summarize_lines(["我家宽带断网了"], dialect="cantonese")["summary"]
    assert "方言：粤语" in summary and "cantonese" not in summary
    with translation.override("en"):
        summary = summarize_lines(["我家宽带断网了"], dialect="cantonese")["summary"]
    assert "Dialect: Cantonese." in summary


def test_ticket_history_names_statuses(client, agent, tenant_a):
    ticket = tickets.ticket_create(tenant=tenant_a, type="fault_repair", summary="宽带断网")
    tickets.ticket_transition(ticket=ticket, status="in_progress", user=agent)
    url = reverse("customer_service:ticket", args=[ticket.pk])
    _chinese(client)
    page = client.get(url).content.decode()
    history = page.split('id="ticket-history"', 1)[1].split("</ol>", 1)[0]
    assert "创建工单: 新建" in history and "新建 → 处理中" in history
    assert "创建时间" not in history and "→ new" not in history
    assert "in_progress" not in history and "—" not in history

    _english(client)
    history = client.get(url).content.decode().split('id="ticket-history"', 1)[1]
    assert "Created: New" in history and "New → In progress" in history
