"""Webhook endpoints and their signed, retried deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from suite.errors import InvalidInput
from suite.netguard import Policy, TargetRefused, check_url
from suite.tenancy.models import Tenant

from .. import crypto
from ..models import (
    DeliveryStatus,
    Severity,
    WebhookDelivery,
    WebhookEndpoint,
)
from .common import _audit
from .events import event_payload

WEBHOOK_MAX_ATTEMPTS = 5


def _check_webhook(*, url: str, min_severity: str) -> None:
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(_("The webhook URL must start with http:// or https://."), param="url")
    if min_severity not in Severity.values:
        raise InvalidInput(_("Unknown severity."), param="min_severity")
    if not webhook_host_allowed(url, resolve=False):
        raise InvalidInput(_("Webhooks cannot be sent to internal addresses."), param="url")


@transaction.atomic
def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, name: str, url: str, min_severity: str, actor=None
) -> WebhookEndpoint:
    _check_webhook(url=url, min_severity=min_severity)
    endpoint.name, endpoint.url, endpoint.min_severity = (name or url)[:80], url, min_severity
    endpoint.save(update_fields=["name", "url", "min_severity"])
    _audit(
        action="video_analytics.webhook.update",
        tenant=endpoint.tenant,
        actor=actor,
        obj=endpoint,
        data={"url": url, "min_severity": min_severity},
    )
    return endpoint


@transaction.atomic
def webhook_secret_rotate(*, endpoint: WebhookEndpoint, actor=None) -> str:
    """A new signing secret, shown this once; the old one stops signing at once."""
    secret = "whsec_" + secrets.token_urlsafe(24)
    endpoint.secret_encrypted = crypto.encrypt(secret)
    endpoint.save(update_fields=["secret_encrypted"])
    _audit(
        action="video_analytics.webhook.rotate_secret",
        tenant=endpoint.tenant,
        actor=actor,
        obj=endpoint,
    )
    return secret


@transaction.atomic
def webhook_endpoint_create(
    *, tenant: Tenant, name: str, url: str, min_severity: str = Severity.LOW, actor=None
) -> tuple[WebhookEndpoint, str]:
    """Returns the endpoint and its signing secret, which is shown this once."""
    _check_webhook(url=url, min_severity=min_severity)
    secret = "whsec_" + secrets.token_urlsafe(24)
    endpoint = WebhookEndpoint.objects.create(
        tenant=tenant,
        name=(name or url)[:80],
        url=url,
        min_severity=min_severity,
        secret_encrypted=crypto.encrypt(secret),
    )
    _audit(
        action="video_analytics.webhook.create",
        tenant=tenant,
        actor=actor,
        obj=endpoint,
        data={"url": url},
    )
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_set_enabled(
    *, endpoint: WebhookEndpoint, enabled: bool, actor=None
) -> WebhookEndpoint:
    """A disabled endpoint gets no new deliveries, and the retries of queued ones give up."""
    endpoint.enabled = enabled
    endpoint.save(update_fields=["enabled"])
    _audit(
        action="video_analytics.webhook.enable" if enabled else "video_analytics.webhook.disable",
        tenant=endpoint.tenant,
        actor=actor,
        obj=endpoint,
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor=None) -> None:
    """Deletes the endpoint and its delivery log (a delivery still queued finds nothing)."""
    _audit(
        action="video_analytics.webhook.delete",
        tenant=endpoint.tenant,
        actor=actor,
        obj=endpoint,
        data={"url": endpoint.url},
    )
    endpoint.delete()


def webhook_host_allowed(url: str, *, resolve: bool) -> bool:
    """Webhooks may not reach the operator's own network (loopback, private, link-local,
    metadata addresses) unless the host is listed in VIDEO_ANALYTICS_WEBHOOK_HOSTS (names,
    IPs or CIDRs; "*": any): a tenant must not be able to aim the server at internal services.
    `resolve` also checks what the name resolves to, at delivery time."""
    from django.conf import settings

    policy = Policy.of(settings.VIDEO_ANALYTICS_WEBHOOK_HOSTS, private_ok=False)
    try:
        check_url(url, policy, resolve=resolve)
    except TargetRefused as exc:
        # an unresolvable name is no internal address: the delivery fails and is retried
        return exc.unresolvable
    return True


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def webhook_attempt(*, tenant_id: int, delivery_id: int, timeout_s: float = 5.0) -> str:
    """One POST of the event, signed. Returns "delivered", "retry" or "failed" (gave up, or
    nothing to deliver). Never raises for the remote side's faults."""
    import httpx

    delivery = (
        WebhookDelivery.objects.filter(tenant_id=tenant_id, pk=delivery_id)
        .select_related("endpoint", "event", "event__camera", "event__zone")
        .first()
    )
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return "failed" if delivery is None else delivery.status
    secret = crypto.decrypt(delivery.endpoint.secret_encrypted)
    body = json.dumps(
        {
            "type": "video_analytics.event",
            "delivery": delivery.pk,
            "event": event_payload(delivery.event),
        },
        ensure_ascii=False,
        sort_keys=True,
    ).encode()
    timestamp = int(time.time())
    delivery.attempts += 1
    code, error = None, ""
    if not delivery.endpoint.enabled:
        error = "the webhook was disabled"
        secret = None  # give up: a disabled endpoint gets nothing more, retries included
    elif secret is None:
        error = "signing secret unreadable"
    elif not webhook_host_allowed(delivery.endpoint.url, resolve=True):
        error = "refused: the host resolves to an internal address"
        secret = None  # give up at once: retrying will not change the answer
    else:
        try:
            response = httpx.post(
                delivery.endpoint.url,
                content=body,
                timeout=timeout_s,
                headers={
                    "Content-Type": "application/json",
                    "X-Suite-Signature": webhook_signature(secret, timestamp, body),
                    "X-Suite-Delivery": str(delivery.pk),
                },
                follow_redirects=False,
            )
            code = response.status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
    delivery.response_code = code
    delivery.error = error or ("" if code and code < 300 else f"HTTP {code}")
    if code is not None and 200 <= code < 300:
        delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, timezone.now()
    elif (
        secret is None
        or delivery.attempts >= WEBHOOK_MAX_ATTEMPTS
        or (code is not None and 400 <= code < 500 and code not in (408, 429))
    ):
        delivery.status = DeliveryStatus.FAILED
    delivery.save(update_fields=["status", "attempts", "response_code", "error", "delivered_at"])
    if delivery.status == DeliveryStatus.PENDING:
        return "retry"
    return delivery.status
