"""Reads. Every query starts from `Model.objects.for_tenant(tenant)`."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q, QuerySet

from suite.tenancy.models import Tenant

from .models import (
    AgentSkill,
    ArticleStatus,
    Conversation,
    ConversationStatus,
    KbArticle,
    KbCategory,
    LexiconEntry,
    Ticket,
    TicketAttachment,
    Turn,
)


def lexicon_overrides(tenant: Tenant) -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = defaultdict(dict)
    for dialect, term, mandarin in LexiconEntry.objects.for_tenant(tenant).values_list(
        "dialect", "term", "mandarin"
    ):
        table[dialect][term] = mandarin
    return dict(table)


def lexicon_entries(tenant: Tenant) -> QuerySet[LexiconEntry]:
    return LexiconEntry.objects.for_tenant(tenant)


def categories(tenant: Tenant) -> QuerySet[KbCategory]:
    return KbCategory.objects.for_tenant(tenant)


def articles(
    tenant: Tenant, *, status: str | None = None, category: int | None = None, q: str = ""
) -> QuerySet[KbArticle]:
    qs = KbArticle.objects.for_tenant(tenant).select_related("category")
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category_id=category)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(body__icontains=q))
    return qs


def article_get(tenant: Tenant, pk: int) -> KbArticle:
    return KbArticle.objects.for_tenant(tenant).select_related("category").get(pk=pk)


def published_plan_names(tenant: Tenant) -> list[str]:
    """Plan names the slot filler recognises: article titles naming a plan (…套餐)."""
    names = []
    for title in (
        KbArticle.objects.for_tenant(tenant)
        .filter(status=ArticleStatus.PUBLISHED, title__contains="套餐")
        .values_list("title", flat=True)[:200]
    ):
        head = title.split("套餐")[0].strip("：: ")
        if 1 < len(head) <= 10:
            names.append(f"{head}套餐")
    return names


def agent_dialects(tenant: Tenant, user) -> list[str] | None:
    """The agent's dialect skills; None when none are recorded (then every queue item shows)."""
    skill = AgentSkill.objects.for_tenant(tenant).filter(user=user).first()
    return list(skill.dialects) if skill else None


def handoff_queue(tenant: Tenant, *, dialects: list[str] | None = None) -> QuerySet[Conversation]:
    qs = Conversation.objects.for_tenant(tenant).filter(status=ConversationStatus.QUEUED)
    if dialects is not None:
        qs = qs.filter(dialect__in=dialects)
    return qs.order_by("queued_at", "id")


def conversations(tenant: Tenant) -> QuerySet[Conversation]:
    return Conversation.objects.for_tenant(tenant)


def conversation_get(tenant: Tenant, pk: int) -> Conversation:
    return Conversation.objects.for_tenant(tenant).get(pk=pk)


def turns(conversation: Conversation) -> QuerySet[Turn]:
    return Turn.objects.for_tenant(conversation.tenant).filter(conversation=conversation)


def tickets(tenant: Tenant) -> QuerySet[Ticket]:
    return Ticket.objects.for_tenant(tenant).select_related("assignee")


def ticket_get(tenant: Tenant, pk: int) -> Ticket:
    return Ticket.objects.for_tenant(tenant).select_related("assignee", "conversation").get(pk=pk)


def subscriber_tickets(tenant: Tenant, user) -> QuerySet[Ticket]:
    return Ticket.objects.for_tenant(tenant).filter(subscriber=user)


def subscriber_ticket(tenant: Tenant, user, pk: int) -> Ticket:
    return Ticket.objects.for_tenant(tenant).get(pk=pk, subscriber=user)


def subscriber_conversation(tenant: Tenant, user, pk: int) -> Conversation:
    return Conversation.objects.for_tenant(tenant).get(pk=pk, subscriber=user)


def ticket_attachments(ticket: Ticket, *, customer: bool = False):
    """The ticket's files; for the subscriber (`customer`), only those shared with them."""
    items = TicketAttachment.objects.for_tenant(ticket.tenant).filter(ticket=ticket)
    return items.filter(shared_with_customer=True) if customer else items


def ticket_attachment(
    ticket: Ticket, attachment_id: int, *, customer: bool = False
) -> TicketAttachment | None:
    return ticket_attachments(ticket, customer=customer).filter(pk=attachment_id).first()
