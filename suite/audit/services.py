import logging

from django.db import models

from suite.privacy import mask_text
from suite.tenancy.models import Tenant

from .models import AuditEntry

logger = logging.getLogger("suite.audit")


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def actor_of(request):
    """(user or None, label) for whoever makes the request: a user or an API key."""
    if request is None:
        return None, "system"
    api_key = getattr(request, "api_key", None)
    if api_key is not None:
        return None, f"api-key {api_key.prefix}…"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user, user.get_username()
    return None, "anonymous"


def audit_record(
    *,
    action: str,
    tenant: Tenant | None,
    request=None,
    actor=None,
    actor_label: str = "",
    obj: models.Model | None = None,
    data: dict | None = None,
) -> AuditEntry:
    if actor is None and not actor_label:
        actor, actor_label = actor_of(request)
    elif actor is not None and not actor_label:
        actor_label = actor.get_username()
    entry = AuditEntry.objects.create(
        tenant=tenant,
        actor=actor,
        actor_label=mask_text(actor_label),
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip=client_ip(request),
        data=data or {},
    )
    logger.info(
        "audit %s by %s tenant=%s", action, entry.actor_label, tenant.slug if tenant else "-"
    )
    return entry
