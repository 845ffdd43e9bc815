"""Reads, always through the tenant-scoped querysets."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone

from suite.tenancy.models import Tenant

from . import storage
from .models import (
    Analysis,
    Camera,
    CountSample,
    Event,
    RetentionPolicy,
    WebhookDelivery,
    WebhookEndpoint,
)


def cameras_for(*, tenant: Tenant) -> QuerySet[Camera]:
    return Camera.objects.for_tenant(tenant)


def camera_get(*, tenant: Tenant, pk) -> Camera:
    camera = Camera.objects.for_tenant(tenant).filter(pk=pk).first()
    if camera is None:
        raise Http404
    return camera


def event_get(*, tenant: Tenant, pk) -> Event:
    event = (
        Event.objects.for_tenant(tenant)
        .select_related("camera", "zone", "rule")
        .filter(pk=pk)
        .first()
    )
    if event is None:
        raise Http404
    return event


def analyses_for(*, tenant: Tenant, camera: Camera | None = None) -> QuerySet[Analysis]:
    qs = Analysis.objects.for_tenant(tenant).select_related("camera", "job")
    return qs.filter(camera=camera) if camera is not None else qs


def webhooks_for(*, tenant: Tenant) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.for_tenant(tenant)


def webhook_get(*, tenant: Tenant, pk: int) -> WebhookEndpoint:
    """This tenant's endpoint, or 404 (another tenant's is exactly like a missing one)."""
    endpoint = WebhookEndpoint.objects.for_tenant(tenant).filter(pk=pk).first()
    if endpoint is None:
        raise Http404
    return endpoint


def deliveries_for(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.for_tenant(endpoint.tenant)
        .filter(endpoint=endpoint)
        .select_related("event", "event__camera")
        .order_by("-created_at", "-pk")
    )


@dataclass
class EventFilters:
    camera: int | None = None
    zone: int | None = None
    kind: str = ""
    severity: str = ""
    status: str = ""
    since: datetime | None = None
    until: datetime | None = None
    q: str = ""


def events_search(*, tenant: Tenant, filters: EventFilters | None = None) -> QuerySet[Event]:
    """By camera, zone, type, severity, status and time; `q` matches any of its words in the
    description, the OCR text, the camera's name or the zone's name."""
    f = filters or EventFilters()
    qs = Event.objects.for_tenant(tenant).select_related("camera", "zone", "rule")
    if f.camera:
        qs = qs.filter(camera_id=f.camera)
    if f.zone:
        qs = qs.filter(zone_id=f.zone)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.severity:
        qs = qs.filter(severity=f.severity)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.since:
        qs = qs.filter(occurred_at__gte=f.since)
    if f.until:
        qs = qs.filter(occurred_at__lt=f.until)
    for word in f.q.split()[:8]:
        qs = qs.filter(
            Q(description__icontains=word)
            | Q(ocr_text__icontains=word)
            | Q(camera__name__icontains=word)
            | Q(zone__name__icontains=word)
        )
    return qs


def days_back(days: int, today: date | None = None) -> list[date]:
    today = today or timezone.localdate()
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


def event_counts(*, tenant: Tenant, days: list[date], by: str) -> dict[str, dict[date, int]]:
    """Events per day, one series per camera (`by="camera"`) or per zone (`by="zone"`)."""
    field = "camera__name" if by == "camera" else "zone__name"
    start = timezone.make_aware(datetime.combine(days[0], datetime.min.time()))
    rows = (
        Event.objects.for_tenant(tenant)
        .filter(occurred_at__gte=start)
        .exclude(**{f"{field}__isnull": True})
        .annotate(day=TruncDate("occurred_at"))
        .values(field, "day")
        .annotate(n=Count("id"))
    )
    series: dict[str, dict[date, int]] = defaultdict(dict)
    for row in rows:
        series[row[field]][row["day"]] = row["n"]
    return dict(series)


def people_peaks(*, tenant: Tenant, days: list[date]) -> dict[str, dict[date, int]]:
    """The most people seen at once per day, per camera and per zone ("camera / zone")."""
    start = timezone.make_aware(datetime.combine(days[0], datetime.min.time()))
    rows = (
        CountSample.objects.for_tenant(tenant)
        .filter(minute__gte=start)
        .annotate(day=TruncDate("minute"))
        .values("camera__name", "zone__name", "day")
        .annotate(n=Max("people"))
    )
    series: dict[str, dict[date, int]] = defaultdict(dict)
    for row in rows:
        name = row["camera__name"] + (f" / {row['zone__name']}" if row["zone__name"] else "")
        series[name][row["day"]] = row["n"]
    return dict(series)


def storage_used(*, tenant: Tenant) -> dict:
    events = Event.objects.for_tenant(tenant).aggregate(
        n=Count("id"),
        bytes=Sum("bytes_stored"),
        snapshots=Count("id", filter=~Q(snapshot="")),
        clips=Count("id", filter=~Q(clip="")),
    )
    return {
        "events": events["n"],
        "snapshots": events["snapshots"],
        "clips": events["clips"],
        "event_bytes": events["bytes"] or 0,
        "total_bytes": storage.folder_size(tenant.pk),
    }


def retention_for(camera: Camera) -> RetentionPolicy:
    own = RetentionPolicy.objects.for_tenant(camera.tenant).filter(camera=camera).first()
    if own is not None:
        return own
    tenant_wide = (
        RetentionPolicy.objects.for_tenant(camera.tenant).filter(camera__isnull=True).first()
    )
    return tenant_wide or RetentionPolicy(tenant=camera.tenant)


def latest_events(*, tenant: Tenant, limit: int = 20) -> QuerySet[Event]:
    return Event.objects.for_tenant(tenant).select_related("camera", "zone")[:limit]


def map_positions(
    cameras: list[Camera], width: int = 720, height: int = 360, pad: int = 40
) -> list[dict]:
    """Cameras placed in an SVG box by longitude/latitude (equirectangular, fitted to their
    extent); cameras without coordinates are listed beside the map instead."""
    located = [c for c in cameras if c.latitude is not None and c.longitude is not None]
    if not located:
        return []
    lons = [c.longitude for c in located]
    lats = [c.latitude for c in located]
    span_x = max(max(lons) - min(lons), 1e-4)
    span_y = max(max(lats) - min(lats), 1e-4)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    off_x = (width - span_x * scale) / 2
    off_y = (height - span_y * scale) / 2
    return [
        {
            "camera": c,
            "x": round(off_x + (c.longitude - min(lons)) * scale, 1),
            "y": round(height - off_y - (c.latitude - min(lats)) * scale, 1),
        }
        for c in located
    ]
