import ipaddress
import logging

from django.conf import settings
from django.db import models

from suite.privacy import mask_text
from suite.tenancy.models import Tenant

from .models import AuditEntry

logger = logging.getLogger("suite.audit")


def _trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in settings.TRUSTED_PROXIES)


def client_ip(request) -> str | None:
    """The address of whoever sent the request: the one client-IP rule of the whole suite.

    X-Forwarded-For counts only when the connection comes from a proxy the operator listed in
    TRUSTED_PROXIES (empty by default); then the nearest hop that is no trusted proxy is the
    client. Anyone else could write any address there and slip past per-IP limits.
    """
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    if remote is None or not _trusted_proxy(remote):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        if _trusted_proxy(hop):
            continue
        try:
            return str(ipaddress.ip_address(hop))
        except ValueError:
            return remote  # a garbled header: fall back to the proxy itself
    return remote


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
    entry = audit_entry(
        action=action,
        tenant=tenant,
        request=request,
        actor=actor,
        actor_label=actor_label,
        obj=obj,
        data=data,
    )
    entry.save(force_insert=True)
    audit_logged(entry)
    return entry


def audit_entry(
    *,
    action: str,
    tenant: Tenant | None,
    request=None,
    actor=None,
    actor_label: str = "",
    obj: models.Model | None = None,
    data: dict | None = None,
) -> AuditEntry:
    """The entry audit_record saves, unsaved: for a writer that saves it in one statement with
    other rows (the model gateway's metering), then calls audit_logged."""
    if actor is None and not actor_label:
        actor, actor_label = actor_of(request)
    elif actor is not None and not actor_label:
        actor_label = actor.get_username()
    return AuditEntry(
        tenant=tenant,
        actor=actor,
        actor_label=mask_text(actor_label),
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip=client_ip(request),
        data=data or {},
    )


def audit_logged(entry: AuditEntry) -> None:
    tenant = entry.tenant.slug if entry.tenant is not None else "-"
    logger.info("audit %s by %s tenant=%s", entry.action, entry.actor_label, tenant)
