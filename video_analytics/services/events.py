"""Events: created by the pipeline, published live, acknowledged and resolved."""

from __future__ import annotations

from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from suite.errors import InvalidInput
from suite.jobs.services import task_send
from suite.realtime.publish import tenant_group_send

from .. import storage
from ..models import (
    SEVERITY_ORDER,
    Analysis,
    Camera,
    Event,
    EventStatus,
    Rule,
    WebhookDelivery,
    WebhookEndpoint,
    Zone,
)
from .common import _audit, _person

ALERTS_GROUP = "va.alerts"


def event_payload(event: Event) -> dict:
    return {
        "id": event.pk,
        "camera": {"id": event.camera_id, "name": event.camera.name},
        "zone": event.zone.name if event.zone is not None else "",
        "kind": event.kind,
        "kind_label": event.get_kind_display(),
        "severity": event.severity,
        "severity_label": event.get_severity_display(),
        "description": event.description,
        "occurred_at": event.occurred_at.isoformat(),
        "status": event.status,
        "status_label": event.get_status_display(),
        "snapshot": bool(event.snapshot),
    }


def analysis_event(*, analysis: Analysis, key: str) -> Event | None:
    """The event an analysis already recorded for one firing, if any."""
    return Event.objects.for_tenant(analysis.tenant).filter(analysis=analysis, key=key).first()


@transaction.atomic
def event_create(
    *,
    camera: Camera,
    kind: str,
    severity: str,
    description: str,
    occurred_at,
    rule: Rule | None = None,
    zone: Zone | None = None,
    analysis: Analysis | None = None,
    frame_index: int = 0,
    video_time_s: float = 0.0,
    snapshot: str = "",
    ocr_text: str = "",
    scene_tags: list | None = None,
    track: list | None = None,
    frame_at: float | None = None,
    key: str = "",
) -> Event:
    """Records the event, then (after commit) pushes the alert to the tenant's portal sockets
    and queues one signed delivery per matching webhook.

    An `analysis` event with a `key` is recorded once: when that firing is already recorded
    (the analysis runs again after its worker died), the recorded event is returned and
    nothing is alerted or delivered again.
    """
    keyed = analysis is not None and bool(key)
    if (
        analysis is not None
        and key
        and (recorded := analysis_event(analysis=analysis, key=key)) is not None
    ):
        return recorded
    try:
        # A savepoint: a concurrent run of the same analysis may insert the same firing first.
        with transaction.atomic():
            event = Event.objects.create(
                tenant=camera.tenant,
                camera=camera,
                rule=rule,
                zone=zone,
                analysis=analysis,
                kind=kind,
                severity=severity,
                description=description[:500],
                occurred_at=occurred_at,
                frame_index=frame_index,
                video_time_s=round(video_time_s, 3),
                snapshot=snapshot,
                ocr_text=ocr_text,
                scene_tags=scene_tags or [],
                track=track or [],
                bytes_stored=storage.size_of(snapshot),
                key=key,
            )
    except IntegrityError:
        if not keyed:
            raise
        storage.delete(snapshot)  # the other run's event has its own
        return Event.objects.get(analysis=analysis, key=key)
    payload = event_payload(event)
    if frame_at is not None:
        payload["frame_at"] = frame_at  # wall clock of the frame, for latency measurement
    transaction.on_commit(
        lambda: tenant_group_send(
            camera.tenant_id, ALERTS_GROUP, {"type": "va.event", "event": payload}
        )
    )
    rank = SEVERITY_ORDER[severity]
    for endpoint in WebhookEndpoint.objects.for_tenant(camera.tenant).filter(enabled=True):
        if SEVERITY_ORDER[endpoint.min_severity] > rank:
            continue
        delivery = WebhookDelivery.objects.create(
            tenant=camera.tenant, endpoint=endpoint, event=event
        )
        transaction.on_commit(partial(_queue_delivery, delivery))
    return event


def _queue_delivery(delivery: WebhookDelivery) -> None:
    task_send(
        "video_analytics.deliver_webhook",
        kwargs={"tenant_id": delivery.tenant_id, "delivery_id": delivery.pk},
    )


def event_attach_clip(*, event: Event, clip: str) -> None:
    event.clip = clip
    event.bytes_stored = storage.size_of(event.snapshot, clip)
    Event.objects.filter(pk=event.pk).update(clip=clip, bytes_stored=event.bytes_stored)


def _transition(event: Event, to: EventStatus) -> None:
    allowed = {
        EventStatus.ACKNOWLEDGED: {EventStatus.NEW},
        EventStatus.RESOLVED: {EventStatus.NEW, EventStatus.ACKNOWLEDGED},
    }[to]
    if event.status not in allowed:
        raise InvalidInput(
            _("The event is %(status)s; it cannot be %(action)s.")
            % {
                "status": event.get_status_display(),
                "action": _("acknowledged") if to == EventStatus.ACKNOWLEDGED else _("resolved"),
            },
            param="status",
        )


def _publish_status(event: Event) -> None:
    payload = event_payload(event)
    transaction.on_commit(
        lambda: tenant_group_send(
            event.tenant_id, ALERTS_GROUP, {"type": "va.event.status", "event": payload}
        )
    )


@transaction.atomic
def event_acknowledge(*, event: Event, user, note: str = "") -> Event:
    event = Event.objects.select_for_update().get(pk=event.pk)
    _transition(event, EventStatus.ACKNOWLEDGED)
    event.status = EventStatus.ACKNOWLEDGED
    event.acknowledged_by, event.acknowledged_at = _person(user), timezone.now()
    if note:
        event.note = note[:500]
    event.save(update_fields=["status", "acknowledged_by", "acknowledged_at", "note"])
    _audit(action="video_analytics.event.acknowledge", tenant=event.tenant, actor=user, obj=event)
    _publish_status(event)
    return event


@transaction.atomic
def event_resolve(*, event: Event, user, note: str = "") -> Event:
    event = Event.objects.select_for_update().get(pk=event.pk)
    _transition(event, EventStatus.RESOLVED)
    now = timezone.now()
    if event.acknowledged_at is None:
        event.acknowledged_by, event.acknowledged_at = _person(user), now
    event.status = EventStatus.RESOLVED
    event.resolved_by, event.resolved_at = _person(user), now
    if note:
        event.note = note[:500]
    event.save(
        update_fields=[
            "status",
            "acknowledged_by",
            "acknowledged_at",
            "resolved_by",
            "resolved_at",
            "note",
        ]
    )
    _audit(action="video_analytics.event.resolve", tenant=event.tenant, actor=user, obj=event)
    _publish_status(event)
    return event
