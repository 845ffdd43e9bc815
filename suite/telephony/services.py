"""Writes for calls. Each takes the tenant explicitly."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from suite.accounts.models import ApiKey
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
    api_key: ApiKey | None = None,
) -> Call:
    return Call.objects.create(
        alive_at=timezone.now(),
        api_key=api_key,
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
    call.alive_at = timezone.now()
    fields = ["alive_at"]
    if call.status == CallStatus.DROPPED:
        call.status = CallStatus.ACTIVE
        call.ended_at = None
        fields += ["status", "ended_at"]
    call.save(update_fields=fields)
    return call


def call_keepalive(*, call: Call) -> bool:
    """The holding process is alive: renew the call's mark. False when the call's API key was
    revoked meanwhile (the call must end: a revoked key opens nothing, not even a call in
    progress)."""
    Call.objects.filter(pk=call.pk, status=CallStatus.ACTIVE).update(alive_at=timezone.now())
    if call.api_key_id is None:
        return True
    return ApiKey.objects.filter(pk=call.api_key_id, revoked_at__isnull=True).exists()


def call_sweep_orphaned(*, now=None) -> int:
    """End as dropped every active call that no process has renewed for longer than a resume
    could take: its server died (kill -9, OOM, a lost host), so nothing else will end it."""
    now = now or timezone.now()
    grace = settings.TELEPHONY_RESUME_WINDOW_S + 3 * settings.TELEPHONY_KEEPALIVE_S
    stale = Call.objects.filter(status=CallStatus.ACTIVE).filter(
        Q(alive_at__lt=now - timedelta(seconds=grace))
        | Q(alive_at__isnull=True, started_at__lt=now - timedelta(seconds=grace))
    )
    return stale.update(status=CallStatus.DROPPED, ended_at=now)


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
