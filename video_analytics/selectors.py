"""Reads, always through the tenant-scoped querysets."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from suite.geo import basemap
from suite.geo.places import tenant_places
from suite.tenancy.models import Tenant

from . import storage
from .models import (
    Analysis,
    Camera,
    CameraStatus,
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


STATUS_COLOURS: dict[str, str] = {
    CameraStatus.ACTIVE: "#1f6fd1",
    CameraStatus.ONLINE: "#2a9d5b",
    CameraStatus.OFFLINE: "#c62828",
    CameraStatus.DISABLED: "#9aa3ad",
}


def camera_map(*, tenant: Tenant, cameras: list[Camera]) -> basemap.BaseMap | None:
    """The tenant's located cameras on the base map of their city (status colours, each a
    link to its camera). With no camera located yet, the city the tenant's name gives
    (成都市分公司: 成都), drawn empty; None when neither gives a place."""
    located = [c for c in cameras if c.latitude is not None and c.longitude is not None]
    markers = [
        basemap.Marker(
            lon=lon,
            lat=lat,
            title=f"{c.name} · {c.get_status_display()}",
            url=reverse("video_analytics:camera_detail", args=[c.pk]),
            label=c.name,
            color=STATUS_COLOURS.get(c.status, "#1f6fd1"),
            css=f"va-pin status-{c.status}",
            image=reverse("video_analytics:camera_snapshot", args=[c.pk]) if c.snapshot else "",
            data_id=str(c.pk),
        )
        for c in located
        # always true for a located camera; the names carry the narrowed types
        if (lon := c.longitude) is not None and (lat := c.latitude) is not None
    ]
    city = basemap.pick_city(markers=markers, places=tenant_places(tenant))
    if not markers and city is None:
        return None
    return basemap.render(
        map_id="va-map",
        title=_("Camera map"),
        desc=_("Cameras placed by their latitude and longitude; the colour shows the status."),
        markers=markers,
        city=city,
        width=480,
        focus=True,
        legend=[
            (STATUS_COLOURS[status], str(status.label))
            for status in CameraStatus
            if any(c.status == status for c in located)
        ],
    )
