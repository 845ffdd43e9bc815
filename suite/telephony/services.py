"""Writes for calls. Each takes the tenant explicitly."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from suite.tenancy.models import Tenant

from .models import Call, CallStatus, CallUtterance, Speaker


@transaction.atomic
def call_start(
    *,
    tenant: Tenant,
    product: str,
    protocol: str,
    external_id: str = "",
    stream_id: str = "",
    caller_number: str = "",
    language: str = "",
    speak_replies: bool = False,
    metadata: dict | None = None,
) -> Call:
    return Call.objects.create(
        tenant=tenant,
        product=product,
        protocol=protocol,
        external_id=external_id[:64],
        stream_id=stream_id[:64],
        caller_number=caller_number[:32],
        language=language[:10],
        speak_replies=speak_replies,
        metadata=metadata or {},
    )


@transaction.atomic
def call_resume(*, tenant: Tenant, call_id: str | uuid.UUID, product: str) -> Call | None:
    """The tenant's call with that id, reopened if a drop had closed it; None for a missing
    call, another tenant's call or another product's call alike."""
    try:
        uuid.UUID(str(call_id))
    except ValueError:
        return None
    calls = Call.objects.for_tenant(tenant).select_for_update().filter(product=product)
    call = calls.filter(pk=call_id).first()
    if call is None:
        return None
    if call.status == CallStatus.ENDED:
        return None
    if call.status == CallStatus.DROPPED:
        call.status = CallStatus.ACTIVE
        call.ended_at = None
        call.save(update_fields=["status", "ended_at"])
    return call


@transaction.atomic
def call_end(*, call: Call, dropped: bool = False, audio_seconds: float | None = None) -> Call:
    call.status = CallStatus.DROPPED if dropped else CallStatus.ENDED
    call.ended_at = timezone.now()
    fields = ["status", "ended_at"]
    if audio_seconds is not None:
        call.audio_seconds = audio_seconds
        fields.append("audio_seconds")
    call.save(update_fields=fields)
    return call


@transaction.atomic
def call_utterance_add(
    *,
    call: Call,
    index: int,
    text: str,
    start_s: float,
    end_s: float,
    speaker: str = Speaker.CALLER,
) -> CallUtterance:
    return CallUtterance.objects.create(
        tenant_id=call.tenant_id,
        call=call,
        index=index,
        speaker=speaker,
        text=text,
        start_s=start_s,
        end_s=end_s,
    )


@transaction.atomic
def call_utterance_annotate(
    *,
    utterance: CallUtterance,
    dialect: str = "",
    dialect_confidence: float | None = None,
    intent: str = "",
    sentiment: str = "",
    details: dict | None = None,
) -> CallUtterance:
    utterance.dialect = dialect[:30]
    utterance.dialect_confidence = dialect_confidence
    utterance.intent = intent[:40]
    utterance.sentiment = sentiment[:20]
    utterance.details = details or {}
    utterance.save(
        update_fields=["dialect", "dialect_confidence", "intent", "sentiment", "details"]
    )
    if dialect and dialect != utterance.call.dialect:
        Call.objects.filter(pk=utterance.call_id).update(dialect=dialect[:30])
        utterance.call.dialect = dialect[:30]
    return utterance
