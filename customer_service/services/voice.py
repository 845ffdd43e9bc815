"""Live calls recorded as voice conversations, so that containment, satisfaction, dialect and
unanswered-question analytics cover calls as well as chats.

The call handler (customer_service/calls.py) calls these once per call start, once per final
utterance and once at the end. `call_id` is the telephony Call's id; a resumed call finds the
conversation it already has.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from suite.tenancy.models import Tenant

from ..models import (
    Channel,
    Conversation,
    ConversationStatus,
    Dialect,
    EscalationReason,
    Intent,
    Turn,
    TurnRole,
)
from .dialogue import _publish, _summary, _turn


@transaction.atomic
def conversation_for_call(
    *, tenant: Tenant, call_id: str, phone: str = "", dialect: str = Dialect.MANDARIN
) -> Conversation:
    """The call's voice conversation, created on the first call (idempotent on resume)."""
    call_id = str(call_id or "").strip()[:64]
    if not call_id:
        raise ValidationError({"call_id": _("A call id is required.")})
    existing = (
        Conversation.objects.for_tenant(tenant)
        .select_for_update()
        .filter(channel=Channel.VOICE, call_id=call_id)
        .first()
    )
    if existing is not None:
        return existing
    return Conversation.objects.create(
        tenant=tenant,
        channel=Channel.VOICE,
        phone=phone[:20],
        call_id=call_id,
        dialect=dialect if dialect in Dialect.values else Dialect.MANDARIN,
        state={"slots": {"phone": phone} if phone else {}, "failures": 0, "call": True},
    )


@transaction.atomic
def conversation_add_call_turn(
    *,
    conversation: Conversation,
    text: str,
    role: str = TurnRole.CUSTOMER,
    normalized_text: str = "",
    dialect: str = Dialect.MANDARIN,
    dialect_confidence: float = 0.0,
    intent: str = "",
    intent_confidence: float = 0.0,
    sentiment: str = "",
    sentiment_score: float = 0.0,
    answered: bool | None = None,
    fallback: bool = False,
    audio_seconds: float = 0.0,
) -> Turn:
    """One turn of the call: a caller's final utterance (with what assist made of it), or what
    the bot spoke back. A non-Mandarin dialect heard once becomes the conversation's dialect."""
    if conversation.channel != Channel.VOICE:
        raise ValidationError({"conversation": _("This conversation is not a call.")})
    if conversation.status == ConversationStatus.CLOSED:
        raise ValidationError({"conversation": _("This call has already ended.")})
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("The message is empty.")})
    if role not in TurnRole.values:
        raise ValidationError({"role": _("Unknown turn role.")})
    if dialect not in Dialect.values:
        dialect = Dialect.MANDARIN
    if role == TurnRole.CUSTOMER:
        if dialect != Dialect.MANDARIN or conversation.dialect == Dialect.MANDARIN:
            conversation.dialect = dialect
        if intent and intent not in ("unknown", "greeting", "human_agent"):
            conversation.intent = intent
        conversation.save(update_fields=["dialect", "intent"])
    return _turn(
        conversation,
        role,
        text,
        normalized_text=normalized_text if role == TurnRole.CUSTOMER else "",
        dialect=dialect,
        dialect_confidence=dialect_confidence,
        intent=intent if intent in Intent.values else "",
        intent_confidence=intent_confidence,
        sentiment=sentiment[:8],
        sentiment_score=sentiment_score,
        answered=answered if role == TurnRole.CUSTOMER else None,
        fallback=fallback,
        audio_seconds=audio_seconds,
    )


def conversation_close_call(
    *,
    conversation: Conversation,
    handed_to_agent: bool = False,
    escalation_reason: str = "",
    satisfaction: int | None = None,
) -> Conversation:
    """Ends the call's conversation with a summary. `handed_to_agent` (an agent took the call
    over) makes it count as not contained; `satisfaction` is a post-call IVR rating 1-5.
    Closing twice returns the closed conversation unchanged."""
    if conversation.status == ConversationStatus.CLOSED:
        return conversation
    if escalation_reason and escalation_reason not in EscalationReason.values:
        raise ValidationError({"reason": _("Unknown escalation reason.")})
    if satisfaction is not None and not (isinstance(satisfaction, int) and 1 <= satisfaction <= 5):
        raise ValidationError({"score": _("The rating must be a whole number from 1 to 5.")})
    if handed_to_agent and not escalation_reason:
        escalation_reason = EscalationReason.EXPLICIT
    result = _summary(conversation, escalation_reason)  # may ask a model: no transaction yet
    with transaction.atomic():
        conversation.summary = result["summary"]
        conversation.escalation_reason = escalation_reason
        conversation.status = ConversationStatus.CLOSED
        conversation.closed_at = timezone.now()
        if satisfaction is not None:
            conversation.satisfaction = satisfaction
        state = conversation.state or {}
        state["prefill"] = result["ticket"]
        state["summary_model"] = result.get("model", "")
        conversation.state = state
        conversation.save()
    _publish(conversation, "conversation.closed")
    return conversation
