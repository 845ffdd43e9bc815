"""How long media and events are kept, and the sweep that enforces it."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from suite.errors import InvalidInput
from suite.tenancy.models import Tenant

from .. import storage
from ..models import (
    Analysis,
    Camera,
    Event,
    RetentionPolicy,
)
from .common import _audit


@transaction.atomic
def retention_set(
    *,
    tenant: Tenant,
    camera: Camera | None = None,
    event_days: int,
    media_days: int,
    keyframe_only: bool = False,
    actor=None,
) -> RetentionPolicy:
    if not 1 <= int(event_days) <= 3650 or not 0 <= int(media_days) <= 3650:
        raise InvalidInput(
            _("Keep events 1 to 3650 days and media 0 to 3650 days."), param="event_days"
        )
    if int(media_days) > int(event_days):
        raise InvalidInput(_("Media cannot be kept longer than its events."), param="media_days")
    policy, _created = RetentionPolicy.objects.update_or_create(
        tenant=tenant,
        camera=camera,
        defaults={
            "event_days": event_days,
            "media_days": media_days,
            "keyframe_only": keyframe_only,
        },
    )
    _audit(
        action="video_analytics.retention.set",
        tenant=tenant,
        actor=actor,
        obj=policy,
        data={
            "camera": camera.pk if camera else None,
            "event_days": event_days,
            "media_days": media_days,
            "keyframe_only": keyframe_only,
        },
    )
    return policy


def retention_sweep(*, tenant: Tenant, now=None) -> dict:
    """Drops media past `media_days` (events stay, without pictures) and events past
    `event_days`; per camera, the camera's own policy over the tenant's."""
    from ..selectors import retention_for

    now = now or timezone.now()
    freed = removed = stripped = 0
    for camera in Camera.objects.for_tenant(tenant):
        policy = retention_for(camera)
        events = Event.objects.for_tenant(tenant).filter(camera=camera)
        old = events.filter(occurred_at__lt=now - timedelta(days=policy.event_days))
        for event in old.only("snapshot", "clip"):
            freed += storage.delete(event.snapshot, event.clip)
        with transaction.atomic():
            removed += old.delete()[0]
        stale = events.filter(occurred_at__lt=now - timedelta(days=policy.media_days)).exclude(
            snapshot="", clip=""
        )
        for event in stale.only("snapshot", "clip"):
            freed += storage.delete(event.snapshot, event.clip)
            stripped += 1
        with transaction.atomic():
            stale.update(snapshot="", clip="", bytes_stored=0)
    for analysis in (
        Analysis.objects.for_tenant(tenant)
        .exclude(input_path="")
        .filter(finished_at__lt=now - timedelta(days=1))
    ):
        freed += storage.delete(analysis.input_path)
        Analysis.objects.filter(pk=analysis.pk).update(input_path="")
    return {"events_removed": removed, "media_stripped": stripped, "bytes_freed": freed}
