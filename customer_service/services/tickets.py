"""Ticket writes: creation with an SLA, assignment, the status workflow, comments, attachments."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from suite.ai.errors import InvalidInput
from suite.audit.services import audit_record
from suite.media import files
from suite.media.files import validate_file
from suite.privacy import mask_phone
from suite.realtime.publish import tenant_group_send
from suite.tenancy.models import Tenant
from suite.tenancy.selectors import user_has_role

from ..models import (
    Conversation,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketEventKind,
    TicketPriority,
    TicketStatus,
    TicketType,
)
from ..roles import STAFF

# Hours to resolve, by type, then shortened by priority.
SLA_HOURS: dict[str, int] = {
    TicketType.CONSULTATION: 48,
    TicketType.COMPLAINT: 24,
    TicketType.FAULT_REPAIR: 24,
    TicketType.BUSINESS: 48,
}
PRIORITY_FACTOR: dict[str, float] = {
    TicketPriority.LOW: 2.0,
    TicketPriority.NORMAL: 1.0,
    TicketPriority.HIGH: 0.5,
    TicketPriority.URGENT: 0.25,
}
TRANSITIONS: dict[str, tuple[str, ...]] = {
    TicketStatus.NEW: (TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS, TicketStatus.CLOSED),
    TicketStatus.ASSIGNED: (TicketStatus.IN_PROGRESS, TicketStatus.WAITING, TicketStatus.CLOSED),
    TicketStatus.IN_PROGRESS: (TicketStatus.WAITING, TicketStatus.RESOLVED),
    TicketStatus.WAITING: (TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED),
    TicketStatus.RESOLVED: (TicketStatus.CLOSED, TicketStatus.IN_PROGRESS),
    TicketStatus.CLOSED: (),
}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENT_PIXELS = 40_000_000
MAX_ATTACHMENT_AUDIO_S = 30 * 60
ATTACHMENT_KINDS = (files.JPEG, files.PNG, files.WEBP, files.PDF, files.WAV, files.MP3)


def sla_due(ticket_type: str, priority: str, start=None):
    hours = SLA_HOURS[ticket_type] * PRIORITY_FACTOR[priority]
    return (start or timezone.now()) + timedelta(hours=hours)


def _clean_choice(field: str, value: str, choices) -> str:
    if value not in choices.values:
        raise ValidationError(
            {
                field: _("“%(v)s” is not one of: %(all)s.")
                % {"v": value, "all": ", ".join(choices.values)}
            }
        )
    return value


def _next_number(tenant: Tenant) -> str:
    today = timezone.localdate()
    prefix = f"CS{today:%Y%m%d}"
    count = Ticket.objects.for_tenant(tenant).filter(number__startswith=prefix).count()
    return f"{prefix}{count + 1:04d}"


def _actor(user):
    return user if getattr(user, "pk", None) else None


@transaction.atomic
def ticket_create(
    *,
    tenant: Tenant,
    type: str,
    summary: str,
    priority: str = TicketPriority.NORMAL,
    category: str = "",
    phone: str = "",
    address: str = "",
    conversation: Conversation | None = None,
    call_id: str = "",
    subscriber=None,
    dialect: str = "mandarin",
    user=None,
) -> Ticket:
    type = _clean_choice("type", type, TicketType)
    priority = _clean_choice("priority", priority, TicketPriority)
    summary = (summary or "").strip()
    if not summary:
        raise ValidationError({"summary": _("A ticket needs a summary of the problem.")})
    if conversation is not None and conversation.tenant_id != tenant.pk:
        raise ValidationError({"conversation": _("Conversation not found.")})
    phone = (phone or "").strip()
    if phone and not (phone.replace("-", "").isdigit() and 5 <= len(phone) <= 20):
        raise ValidationError({"phone": _("The phone number should contain digits only.")})
    ticket = Ticket.objects.create(
        tenant=tenant,
        number=_next_number(tenant),
        type=type,
        priority=priority,
        category=category.strip()[:100],
        summary=summary[:5000],
        phone=phone,
        address=(address or "").strip()[:300],
        sla_due=sla_due(type, priority),
        conversation=conversation,
        call_id=(call_id or (conversation.call_id if conversation else ""))[:64],
        subscriber=subscriber or (conversation.subscriber if conversation else None),
        dialect=conversation.dialect if conversation else dialect,
        created_by=_actor(user),
    )
    TicketEvent.objects.create(
        tenant=tenant,
        ticket=ticket,
        kind=TicketEventKind.CREATED,
        to_status=ticket.status,
        actor=_actor(user),
    )
    audit_record(
        action="customer_service.ticket_create",
        tenant=tenant,
        actor=_actor(user),
        actor_label="" if _actor(user) else "assistant",
        obj=ticket,
        data={"number": ticket.number, "type": type, "phone": mask_phone(phone)},
    )
    return ticket


@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee, user=None) -> Ticket:
    if assignee is not None and not user_has_role(assignee, ticket.tenant, *STAFF):
        raise ValidationError({"assignee": _("The assignee is not an agent of this tenant.")})
    ticket.assignee = assignee
    TicketEvent.objects.create(
        tenant=ticket.tenant,
        ticket=ticket,
        kind=TicketEventKind.ASSIGNED,
        text=str(assignee) if assignee else "",
        actor=_actor(user),
    )
    if assignee is not None and ticket.status == TicketStatus.NEW:
        _set_status(ticket, TicketStatus.ASSIGNED, user)
    ticket.save()
    return ticket


def _set_status(ticket: Ticket, status: str, user, note: str = "") -> None:
    TicketEvent.objects.create(
        tenant=ticket.tenant,
        ticket=ticket,
        kind=TicketEventKind.STATUS,
        from_status=ticket.status,
        to_status=status,
        text=note,
        actor=_actor(user),
    )
    ticket.status = status
    if status == TicketStatus.RESOLVED:
        ticket.resolved_at = timezone.now()


@transaction.atomic
def ticket_transition(*, ticket: Ticket, status: str, user=None, note: str = "") -> Ticket:
    status = _clean_choice("status", status, TicketStatus)
    allowed = TRANSITIONS[ticket.status]
    if status not in allowed:
        raise ValidationError(
            {
                "status": _("A %(from)s ticket cannot become %(to)s; allowed: %(allowed)s.")
                % {
                    "from": ticket.status,
                    "to": status,
                    "allowed": ", ".join(allowed) or _("none (the ticket is closed)"),
                }
            }
        )
    _set_status(ticket, status, user, note.strip()[:2000])
    ticket.save()
    return ticket


@transaction.atomic
def ticket_comment(*, ticket: Ticket, text: str, user=None) -> TicketEvent:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("The comment is empty.")})
    if len(text) > 5000:
        raise ValidationError({"text": _("The comment is longer than 5000 characters.")})
    return TicketEvent.objects.create(
        tenant=ticket.tenant,
        ticket=ticket,
        kind=TicketEventKind.COMMENT,
        text=text,
        actor=_actor(user),
    )


def validate_attachment(data: bytes, name: str) -> str:
    """The attachment's real type, read from its content by suite's one file check."""
    try:
        return validate_file(
            data,
            kinds=ATTACHMENT_KINDS,
            filename=name,
            max_bytes=MAX_ATTACHMENT_BYTES,
            max_pixels=MAX_ATTACHMENT_PIXELS,
            max_audio_s=MAX_ATTACHMENT_AUDIO_S,
        )
    except InvalidInput as exc:
        raise ValidationError({"file": exc.message}) from exc


@transaction.atomic
def ticket_attach(
    *, ticket: Ticket, data: bytes, name: str, shared_with_customer: bool = False, user=None
) -> TicketAttachment:
    from django.core.files.base import ContentFile

    kind = validate_attachment(data, name)
    safe_name = "".join(c for c in (name or "attachment") if c.isalnum() or c in "._-")[:100]
    attachment = TicketAttachment(
        tenant=ticket.tenant,
        ticket=ticket,
        name=(name or "attachment")[:200],
        content_type=kind,
        size=len(data),
        shared_with_customer=shared_with_customer,
        uploaded_by=_actor(user),
    )
    attachment.file.save(safe_name or "attachment", ContentFile(data), save=False)
    attachment.save()
    TicketEvent.objects.create(
        tenant=ticket.tenant,
        ticket=ticket,
        kind=TicketEventKind.ATTACHMENT,
        text=attachment.name,
        actor=_actor(user),
    )
    return attachment


# Open tickets: everything but resolved and closed.
OPEN_STATUSES = tuple(s for s in TicketStatus.values if s not in ("resolved", "closed"))
# The agent pages' feed (services/dialogue.QUEUE_GROUP); named here to avoid an import cycle.
ALERT_GROUP = "customer_service.queue"


@transaction.atomic
def tickets_mark_sla_breached(*, tenant: Tenant, now=None) -> list[Ticket]:
    """Marks the tenant's open tickets past their SLA due time, once each: a history event, and
    an alert to the agents' feed. Running it again finds nothing new (idempotent)."""
    now = now or timezone.now()
    overdue = list(
        Ticket.objects.for_tenant(tenant)
        .select_for_update()
        .filter(status__in=OPEN_STATUSES, sla_due__lt=now, sla_breached_at__isnull=True)
        .order_by("sla_due")
    )
    for ticket in overdue:
        ticket.sla_breached_at = now
        ticket.save(update_fields=["sla_breached_at"])
        TicketEvent.objects.create(
            tenant=tenant,
            ticket=ticket,
            kind=TicketEventKind.SLA_BREACH,
            text=_("Still open %(n)d minutes after its SLA due time.")
            % {"n": int((now - ticket.sla_due).total_seconds() // 60)},
        )
    if overdue:
        audit_record(
            action="customer_service.ticket_sla_breached",
            tenant=tenant,
            actor_label="sla-check",
            data={"tickets": [t.number for t in overdue]},
        )
        tickets = [
            {"id": t.pk, "number": t.number, "priority": t.priority, "status": t.status,
             "assignee": t.assignee_id, "sla_due": t.sla_due.isoformat()}
            for t in overdue
        ]  # fmt: skip
        # Sent after the commit: an agent who re-reads the ticket then sees it marked.
        transaction.on_commit(
            lambda: tenant_group_send(
                tenant.pk, ALERT_GROUP, {"type": "ticket.sla_breached", "tickets": tickets}
            )
        )
    return overdue
