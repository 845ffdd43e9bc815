"""Demo data for `manage.py seed_demo`: the knowledge base (63 telecom articles), dialect skills,
a tenant lexicon, and conversations and tickets spread over the last two weeks. Idempotent."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from suite.accounts.models import User
from suite.tenancy.models import Tenant

from . import knowledge
from .models import (
    AgentSkill,
    ArticleSource,
    Conversation,
    KbArticle,
    LexiconEntry,
    Ticket,
    TicketEvent,
)
from .services import dialogue, tickets
from .services.knowledge import article_create

DATA = Path(__file__).resolve().parent / "data"
TENANTS = ("gd-sz", "sc-cd")
SKILLS = {
    "gd-sz": {"sz_agent": ["mandarin", "cantonese"], "sz_supervisor": ["mandarin", "cantonese"]},
    "sc-cd": {"cd_agent": ["mandarin", "sichuanese"]},
}
LEXICON = {
    "gd-sz": [("cantonese", "上唔到网", "上不了网"), ("cantonese", "蚊", "元")],
    "sc-cd": [("sichuanese", "网络扯拐", "网络故障"), ("sichuanese", "屋头", "家里")],
}
# (days ago, subscriber phone or "", messages, close?, rating)
SCRIPTS = {
    "gd-sz": [
        (13, "13800138000", ["国际漫游怎么开通？", "日本漫游流量包多少钱"], True, 5),
        (12, "", ["话费余额怎么查询"], True, 4),
        (
            11,
            "",
            [
                "我屋企嘅宽带琴日开始上唔到网，光猫闪红灯",
                "13812345678",
                "地址系深圳市南山区科技园路10号",
                "听日上午",
                "系",
            ],
            True,
            4,
        ),
        (10, "", ["流量用完了怎么办", "加油包怎么订购"], True, 5),
        (9, "", ["你们有没有卖二手手机", "那可以回收旧手机吗"], False, None),
        (8, "", ["携号转网需要什么条件"], True, 3),
        (7, "", ["你哋乱扣费，我要投诉！气死我了！"], False, None),
        (6, "", ["电子发票在哪里开"], True, 5),
        (5, "13800138000", ["我想把套餐换成5G畅享套餐", "13800138000", "是的"], True, 4),
        (4, "", ["千兆宽带安装要多久"], True, 4),
        (3, "", ["手机丢了，要挂失停机", "13922223333", "对"], True, 5),
        (2, "", ["转人工"], False, None),
        (1, "", ["点样开通国际漫游？"], True, 4),
        (1, "", ["宠物可以办手机卡吗", "那狗狗能用5G吗"], False, None),
        (0, "", ["唔该帮我转人工，部手机冇信号"], False, None),
        (0, "", ["网速慢怎么办"], True, 3),
    ],
    "sc-cd": [
        (6, "13900139000", ["莫得信号，咋个办嘛", "屋头信号一直恼火"], True, 3),
        (4, "", ["宽带装起要好久？"], True, 4),
        (2, "", ["你们搞快点给我转人工噻"], False, None),
        (1, "", ["话费还剩好多钱，咋个查"], True, 5),
    ],
}


def _articles() -> list[dict]:
    return json.loads((DATA / "kb_articles.json").read_text(encoding="utf-8"))


@transaction.atomic
def seed_tenant(tenant: Tenant) -> None:
    existing = set(KbArticle.objects.for_tenant(tenant).values_list("title", flat=True))
    for item in _articles():
        if item["title"] not in existing:
            article_create(
                tenant=tenant,
                title=item["title"],
                body=item["body"],
                category=item["category"],
                tags=item.get("tags", []),
                status="published",
                source=ArticleSource.DEMO,
            )
    for username, dialects in SKILLS.get(tenant.slug, {}).items():
        user = User.objects.filter(username=username).first()
        if user:
            AgentSkill.objects.get_or_create(
                tenant=tenant, user=user, defaults={"dialects": dialects}
            )
    for dialect, term, mandarin in LEXICON.get(tenant.slug, []):
        LexiconEntry.objects.get_or_create(
            tenant=tenant, dialect=dialect, term=term, defaults={"mandarin": mandarin}
        )


def seed_conversations(tenant: Tenant) -> None:
    if Conversation.objects.for_tenant(tenant).exists():
        return
    now = timezone.now()
    open_ones = 0
    for days_ago, phone, messages, close, rating in SCRIPTS.get(tenant.slug, []):
        subscriber = User.objects.filter(phone=phone).first() if phone else None
        conversation = dialogue.conversation_start(
            tenant=tenant, subscriber=subscriber, phone=phone
        )
        for text in messages:
            conversation.refresh_from_db()
            if conversation.status == "closed":
                break
            dialogue.conversation_message(conversation=conversation, text=text)
        conversation.refresh_from_db()
        if close and conversation.status != "closed":
            dialogue.conversation_close(conversation=conversation)
            if rating:
                dialogue.conversation_rate(conversation=conversation, score=rating)
        # Spread the demo over two weeks so the supervisor charts have a shape; a chat still
        # open arrived minutes ago, as in a real queue (not one waiting "170 hours").
        if close:
            start = now - timedelta(days=days_ago, hours=2)
        else:
            open_ones += 1
            start = now - timedelta(minutes=2 + 5 * open_ones)
        Conversation.objects.filter(pk=conversation.pk).update(
            created_at=start,
            queued_at=start + timedelta(minutes=1) if conversation.queued_at else None,
            closed_at=start + timedelta(minutes=4 + len(messages) * 2) if close else None,
        )
        conversation.turns.update(created_at=start)
        for ticket in Ticket.objects.filter(conversation=conversation):
            Ticket.objects.filter(pk=ticket.pk).update(
                created_at=start, sla_due=tickets.sla_due(ticket.type, ticket.priority, start)
            )
            # Its history moves with it: a "created" event dated today under a due date two
            # weeks ago read as a ticket due before it was opened.
            TicketEvent.objects.filter(ticket=ticket).update(created_at=start)
    # One ticket from a phone call handled by an agent, linked by call id.
    tickets.ticket_create(
        tenant=tenant,
        type="complaint",
        priority="high",
        summary="[投诉] 客户反映本月多扣30元视频会员费，要求退费。",
        category="投诉",
        phone="13700001111",
        call_id="CA-demo-0001",
    )


def seed_demo() -> None:
    # The assistant's stored replies are in the suite's default language (zh-hans). Every demo
    # tenant starts with the same articles: each passage is embedded once for all their indexes.
    with translation.override(settings.LANGUAGE_CODE), knowledge.shared_passage_vectors():
        _seed()


def _seed() -> None:
    for slug in TENANTS:
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            continue
        seed_tenant(tenant)
        seed_conversations(tenant)
