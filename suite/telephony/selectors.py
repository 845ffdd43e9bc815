"""Reads for calls: always within one tenant."""

from __future__ import annotations

import uuid

from django.db.models import Max, QuerySet

from suite.privacy import mask_phone
from suite.tenancy.models import Tenant

from .models import Call, CallStatus, CallUtterance


def call_get(
    *, tenant: Tenant, call_id: str | uuid.UUID, product: str | None = None
) -> Call | None:
    """None for a missing call and for another tenant's call alike."""
    try:
        uuid.UUID(str(call_id))
    except ValueError:
        return None
    calls = Call.objects.for_tenant(tenant)
    if product:
        calls = calls.filter(product=product)
    return calls.filter(pk=call_id).first()


def calls_active(*, tenant: Tenant, product: str) -> QuerySet[Call]:
    return Call.objects.for_tenant(tenant).filter(product=product, status=CallStatus.ACTIVE)


def calls_recent(*, tenant: Tenant, product: str, limit: int = 20) -> QuerySet[Call]:
    return Call.objects.for_tenant(tenant).filter(product=product)[:limit]


def call_utterances(*, call: Call) -> QuerySet[CallUtterance]:
    return CallUtterance.objects.for_tenant(call.tenant).filter(call=call).order_by("index")


def call_next_utterance_index(*, call: Call) -> int:
    """Numbered per call, not per connection: a resumed call continues where it left off."""
    last = call_utterances(call=call).aggregate(m=Max("index"))["m"]
    return 0 if last is None else last + 1


def call_summary(call: Call) -> dict:
    """What an agent's list or desk shows of a call: the caller's number masked."""
    return {
        "id": str(call.id),
        "protocol": call.protocol,
        "caller": mask_phone(call.caller_number),
        "status": call.status,
        "dialect": call.dialect,
        "started_at": call.started_at.isoformat() if call.started_at else None,
    }
