"""The subscriber's side of a chat: where a handed-off conversation stands in the queue (with an
estimated wait), the conversation to resume, and a reply's text as the chat page shows it.

The dialogue service (services/dialogue.py) owns the conversation itself; this module only reads
it, and adds one notice turn when a conversation joins the queue.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from statistics import median

from django.db import IntegrityError, transaction
from django.db.models import Max, Min, OuterRef, Q, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from suite.ai.search import extract_notice
from suite.tenancy.models import Tenant

from ..models import Channel, Conversation, ConversationStatus, Turn, TurnRole

# The estimate: recent handoffs' waits (queued -> an agent joined), their median, once for the
# subscriber's own turn and once more for each conversation ahead. With fewer than
# MIN_SAMPLES recent handoffs it assumes DEFAULT_WAIT_MINUTES per conversation. Always shown
# as an estimate ("预计…约"), rounded up to whole minutes.
DEFAULT_WAIT_MINUTES = 3
MIN_SAMPLES = 3
RECENT_HANDOFFS = 20
RECENT_DAYS = 7


def _recent_waits(tenant: Tenant) -> list[float]:
    """Seconds each of the tenant's latest accepted handoffs waited for its agent."""
    joined = (
        Turn.objects.filter(
            conversation=OuterRef("pk"),
            role=TurnRole.SYSTEM,
            created_at__gte=OuterRef("queued_at"),
        )
        .values("conversation")
        .annotate(first=Min("created_at"))
        .values("first")
    )
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    rows = (
        Conversation.objects.for_tenant(tenant)
        .filter(queued_at__gte=since, agent__isnull=False)
        .annotate(joined_at=Subquery(joined))
        .filter(joined_at__isnull=False)
        .order_by("-queued_at")
        .values_list("queued_at", "joined_at")[:RECENT_HANDOFFS]
    )
    return [max(0.0, (joined - queued).total_seconds()) for queued, joined in rows]


def expected_wait(tenant: Tenant, ahead: int) -> dict:
    """{"minutes": whole minutes, "basis": "recent" | "default", "samples": n}."""
    waits = _recent_waits(tenant)
    if len(waits) >= MIN_SAMPLES:
        per_conversation, basis = median(waits) / 60, "recent"
    else:
        per_conversation, basis = float(DEFAULT_WAIT_MINUTES), "default"
    minutes = max(1, math.ceil(per_conversation * (ahead + 1)))
    return {"minutes": minutes, "basis": basis, "samples": len(waits)}


def queue_status(conversation: Conversation) -> dict | None:
    """Where a queued conversation stands: None unless it waits for an agent."""
    if conversation.status != ConversationStatus.QUEUED or conversation.queued_at is None:
        return None
    ahead = (
        Conversation.objects.for_tenant(conversation.tenant)
        .filter(status=ConversationStatus.QUEUED)
        .filter(
            Q(queued_at__lt=conversation.queued_at)
            | Q(queued_at=conversation.queued_at, pk__lt=conversation.pk)
        )
        .count()
    )
    wait = expected_wait(conversation.tenant, ahead)
    return {
        "ahead": ahead,
        "position": ahead + 1,
        "wait_minutes": wait["minutes"],
        "estimate": True,
        "basis": wait["basis"],
        "text": queue_text(ahead, wait["minutes"]),
    }


def queue_text(ahead: int, minutes: int) -> str:
    wait = ngettext("about %(n)d minute", "about %(n)d minutes", minutes) % {"n": minutes}
    if ahead == 0:
        return _("You are next in the queue. Estimated wait: %(wait)s.") % {"wait": wait}
    return ngettext(
        "There is %(ahead)d person ahead of you. Estimated wait: %(wait)s.",
        "There are %(ahead)d people ahead of you. Estimated wait: %(wait)s.",
        ahead,
    ) % {"ahead": ahead, "wait": wait}


def announce_queue_position(conversation: Conversation) -> Turn | None:
    """The notice right after a handoff: the queue position and the estimated wait, as a turn
    of the conversation (so the answer to "转人工" says it at once, and the transcript keeps it).
    Nothing when the conversation is not (or no longer) queued."""
    conversation.refresh_from_db()
    status = queue_status(conversation)
    if status is None:
        return None
    for _attempt in range(3):
        try:
            with transaction.atomic():
                last = Turn.objects.filter(conversation=conversation).aggregate(m=Max("seq"))["m"]
                return Turn.objects.create(
                    tenant=conversation.tenant,
                    conversation=conversation,
                    seq=(last or 0) + 1,
                    role=TurnRole.SYSTEM,
                    text=status["text"],
                    dialect=conversation.dialect,
                )
        except IntegrityError:  # another turn took the number: take the next one
            continue
    return None


# --- resuming ------------------------------------------------------------------------------


def open_chat(tenant: Tenant, subscriber) -> Conversation | None:
    """The subscriber's latest chat that has not ended: the chat page resumes it."""
    if not getattr(subscriber, "pk", None):
        return None
    return (
        Conversation.objects.for_tenant(tenant)
        .filter(subscriber=subscriber, channel=Channel.CHAT)
        .exclude(status=ConversationStatus.CLOSED)
        .order_by("-created_at", "-pk")
        .first()
    )


# --- what the chat page shows --------------------------------------------------------------


def _notices() -> list[str]:
    """The disclaimers answerers write into a reply's text, in every language they may have
    been written in (a reply is stored in the language of the request that asked)."""
    texts = []
    for language in ("en", "zh-hans", translation.get_language() or "en"):
        with translation.override(language):
            texts += [
                extract_notice(),
                _("(Knowledge-base extract; the answering model is unavailable.)"),
            ]
    return list(dict.fromkeys(t for t in texts if t))


_SOURCES = re.compile(r"\n+\s*(Sources:|来源：)\s*\n(\[\d+\][^\n]*(\n|$))+\s*$")


def display_text(turn: Turn) -> str:
    """A reply as the subscriber's chat shows it. The page labels a knowledge-base or rules
    reply itself ("摘自知识库，非大模型生成") and lists its sources under it, so the answerer's own
    disclaimer line and "Sources:" block are left out: each is said once, not twice."""
    text = turn.text
    if turn.role != TurnRole.BOT or not turn.fallback:
        return text
    for notice in _notices():
        if text.startswith(notice):
            text = text[len(notice) :].lstrip()
            break
    if turn.citations:
        text = _SOURCES.sub("", text)
    return text.strip() or turn.text
