"""Reads. Every query starts from `Model.objects.for_tenant(tenant)`."""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, cast

from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from suite.ai.gateway import transcription_prompt
from suite.jobs.models import Job, JobStatus
from suite.jobs.selectors import jobs_for
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

if TYPE_CHECKING:

    class WaitingConversation(Conversation):
        """A queued conversation as `handoff_queue_waits` returns it (the type checker's view
        only: the rows are plain Conversations given two attributes)."""

        waited_s: int
        long_wait: bool


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


# "流量加油包订购" offers "流量加油包"; the words after the offer's name describe the article.
_OFFER_TITLE = re.compile(r"^(.{2,12}?(?:套餐|流量包|加油包|副卡|宽带))")
# "10元1GB", "128元档每月含30GB", "每月9元，含10GB": a tier by its price and its data.
_TIER = re.compile(r"(\d+)元[^。；]{0,6}?(\d+GB)")
MAX_OFFERS = 40


def offer_names(tenant: Tenant) -> list[str]:
    """What a customer can order, for reading "10GB的那个" as an offer: each published article
    that names a plan or pack, with the price and data of each tier its text lists."""
    offers: list[str] = []
    for title, body in (
        KbArticle.objects.for_tenant(tenant)
        .filter(status=ArticleStatus.PUBLISHED)
        .values_list("title", "body")[:500]
    ):
        match = _OFFER_TITLE.match(title)
        if not match:
            continue
        name = match.group(1)
        tiers = [f"{name} {yuan}元{data}" for yuan, data in _TIER.findall(body)]
        offers.extend(tiers or [name])
    return list(dict.fromkeys(offers))[:MAX_OFFERS]


def agent_dialects(tenant: Tenant, user) -> list[str] | None:
    """The agent's dialect skills; None when none are recorded (then every queue item shows)."""
    skill = AgentSkill.objects.for_tenant(tenant).filter(user=user).first()
    return list(skill.dialects) if skill else None


def handoff_queue(tenant: Tenant, *, dialects: list[str] | None = None) -> QuerySet[Conversation]:
    """The handoffs waiting for an agent, the one waiting longest first."""
    qs = (
        Conversation.objects.for_tenant(tenant)
        .filter(status=ConversationStatus.QUEUED)
        .select_related("subscriber")  # the customer column's number
    )
    if dialects is not None:
        qs = qs.filter(dialect__in=dialects)
    # A handoff without its queue time (none is expected) counts from when it began.
    return qs.order_by(Coalesce("queued_at", "created_at").asc(), "id")


# Waiting longer than this, a handoff is marked on the agent's queue.
LONG_WAIT_S = 120


def handoff_queue_waits(
    tenant: Tenant, *, dialects: list[str] | None = None, limit: int = 200, now=None
) -> list[WaitingConversation]:
    """The queue as the agent reads it: oldest first, each conversation with `waited_s` (the
    seconds since it was handed off) and `long_wait` (waited over LONG_WAIT_S)."""
    now = now or timezone.now()
    # Each row gets its two attributes in the loop below, before anyone reads them.
    items = cast(
        "list[WaitingConversation]", list(handoff_queue(tenant, dialects=dialects)[:limit])
    )
    for item in items:
        since = item.queued_at or item.created_at
        item.waited_s = max(0, int((now - since).total_seconds()))
        item.long_wait = item.waited_s > LONG_WAIT_S
    return items


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


# --- the recognition prompt ---------------------------------------------------------------

# What callers of every operator say and Whisper mishears without a hint (套餐 -> 炮参,
# 咨询 -> 资讯): first in the prompt, before the tenant's own terms.
ASR_CORE_TERMS = ("套餐", "咨询", "话费", "流量包", "宽带", "副卡", "国际漫游", "携号转网")
ASR_PROMPT_TTL_S = 3600
MAX_TITLE_TERM = 8


def asr_terms(tenant: Tenant) -> list[str]:
    """The tenant's vocabulary for speech recognition, most useful first: the core terms, its
    plan names, the key terms (tags) of its published articles by how many articles carry them,
    its knowledge-base categories, then its short article titles."""
    published = KbArticle.objects.for_tenant(tenant).filter(status=ArticleStatus.PUBLISHED)
    rows = list(published.order_by("-updated_at").values_list("title", "tags")[:500])
    tag_counts: Counter[str] = Counter()
    for _title, tags in rows:
        tag_counts.update({str(t).strip() for t in tags or [] if str(t).strip()})
    tags = [tag for tag, _n in sorted(tag_counts.items(), key=lambda item: (-item[1], item[0]))]
    categories_used = (
        KbCategory.objects.for_tenant(tenant)
        .annotate(used=Count("articles", filter=Q(articles__status=ArticleStatus.PUBLISHED)))
        .filter(used__gt=0)
        .order_by("-used", "order", "name")
        .values_list("name", flat=True)
    )
    titles = [title for title, _tags in rows if len(title) <= MAX_TITLE_TERM]
    terms = [*ASR_CORE_TERMS, *published_plan_names(tenant), *offer_names(tenant), *tags]
    terms += [*categories_used, *titles]
    # An offer's tier ("流量加油包 10元1GB") is read back, not heard: keep the name only.
    return list(dict.fromkeys(term.split(" ")[0] for term in terms))


def _kb_fingerprint(tenant: Tenant) -> str:
    """Changes whenever an article or a category of the tenant is added, edited or removed."""
    stats = KbArticle.objects.for_tenant(tenant).aggregate(
        n=Count("id"), top=Max("id"), last=Max("updated_at")
    )
    names = list(KbCategory.objects.for_tenant(tenant).order_by("id").values_list("id", "name"))
    return hashlib.blake2b(repr((stats, names)).encode(), digest_size=8).hexdigest()


def asr_prompt(tenant: Tenant) -> str | None:
    """The tenant's recognition prompt (`suite.ai.gateway.transcription_prompt` over `asr_terms`),
    cached per tenant under its knowledge base's fingerprint: an edited, published or removed
    article or plan gives the next transcription a new prompt."""
    key = f"customer_service:asr-prompt:{tenant.pk}:{_kb_fingerprint(tenant)}"
    prompt = cache.get(key)
    if prompt is None:
        prompt = transcription_prompt(asr_terms(tenant)) or ""
        cache.set(key, prompt, ASR_PROMPT_TTL_S)
    return prompt or None


KB_INDEX_KIND = "customer_service.kb_index"


def kb_index_job_to_show(tenant: Tenant) -> Job | None:
    """The knowledge base's latest indexing job while it waits or runs, or if it failed (the
    assistant answers from the previous index meanwhile); nothing once it is done."""
    job = jobs_for(tenant=tenant, kind_prefix=KB_INDEX_KIND).order_by("-created_at").first()
    return job if job is not None and job.status != JobStatus.SUCCEEDED else None
