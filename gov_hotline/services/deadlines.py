"""Deadlines: reminders and escalation, and the public Open311 feed setting."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from suite.audit.services import audit_record
from suite.tenancy.models import Tenant

from ..models import (
    Open311Feed,
    OrderStatus,
    WorkOrder,
)
from .orders import _event

REMIND_BEFORE = timedelta(hours=24)


@transaction.atomic
def sla_sweep(*, tenant: Tenant, now: datetime | None = None) -> dict:
    """Reminders for orders due within a day, escalation of overdue ones; each once."""
    now = now or timezone.now()
    open_orders = WorkOrder.objects.for_tenant(tenant).filter(
        status__in=[
            OrderStatus.NEW,
            OrderStatus.DISPATCHED,
            OrderStatus.IN_PROGRESS,
            OrderStatus.RETURNED,
        ],
        due_at__isnull=False,
    )
    reminded = escalated = 0
    for order in open_orders.filter(
        due_at__lte=now + REMIND_BEFORE, due_at__gt=now, reminded_at=None
    ):
        order.reminded_at = now
        order.save(update_fields=["reminded_at"])
        _event(order, "sla_reminder", due=order.due_at.isoformat())
        reminded += 1
    for order in open_orders.filter(due_at__lte=now, escalated_at=None):
        order.escalated_at = now
        order.save(update_fields=["escalated_at"])
        _event(order, "sla_overdue", due=order.due_at.isoformat())
        escalated += 1
    return {"reminded": reminded, "escalated": escalated}


@transaction.atomic
def open311_feed_set(
    *, tenant: Tenant, public_reads: bool, actor=None, request=None
) -> Open311Feed:
    """Opens (or closes) the tenant's Open311 GETs to callers without an API key."""
    feed, _created = Open311Feed.objects.update_or_create(
        tenant=tenant, defaults={"public_reads": public_reads}
    )
    audit_record(
        action="gov_hotline.open311.feed_set",
        tenant=tenant,
        request=request,
        actor=actor,
        obj=feed,
        data={"public_reads": public_reads},
    )
    return feed
