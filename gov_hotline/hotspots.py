"""Hotspots: orders clustered by subcategory, district and time; an early warning when a
cluster's last window is well above its recent baseline."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.db.models.functions import Round, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from suite.geo import basemap
from suite.geo.places import tenant_places
from suite.tenancy.models import Tenant

from .models import Category, District, HotspotAlert, OrderStatus, WorkOrder

WINDOW = timedelta(days=1)
BASELINE_WINDOWS = 7
MIN_COUNT = 5
GROWTH = 2.0


@dataclass
class Cluster:
    subcategory: Category
    district: District | None
    count: int
    baseline: float  # mean per window over the previous BASELINE_WINDOWS windows

    @property
    def growth(self) -> float:
        return self.count / max(self.baseline, 1.0)

    @property
    def is_warning(self) -> bool:
        return self.count >= MIN_COUNT and self.count >= GROWTH * max(self.baseline, 1.0)


def _counted(tenant: Tenant, start: datetime, end: datetime) -> Counter:
    rows = (
        WorkOrder.objects.for_tenant(tenant)
        .exclude(status=OrderStatus.MERGED)
        .filter(created_at__gte=start, created_at__lt=end, subcategory__isnull=False)
        .values_list("subcategory_id", "district_id")
        .annotate(n=Count("id"))
    )
    return Counter({(s, d): n for s, d, n in rows})


def clusters(tenant: Tenant, now: datetime | None = None, limit: int = 20) -> list[Cluster]:
    now = now or timezone.now()
    current = _counted(tenant, now - WINDOW, now)
    history = _counted(tenant, now - WINDOW * (BASELINE_WINDOWS + 1), now - WINDOW)
    subs = Category.objects.for_tenant(tenant).in_bulk([k[0] for k in current])
    districts = District.objects.for_tenant(tenant).in_bulk([k[1] for k in current if k[1]])
    found = [
        Cluster(subs[s], districts.get(d), n, history.get((s, d), 0) / BASELINE_WINDOWS)
        for (s, d), n in current.items()
        if s in subs
    ]
    found.sort(key=lambda c: (c.is_warning, c.count, c.growth), reverse=True)
    return found[:limit]


def daily_counts(tenant: Tenant, days: int = 14) -> tuple[list[date], dict[str, dict[date, int]]]:
    """Per top-level category and day, for the trend chart."""
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    rows = (
        WorkOrder.objects.for_tenant(tenant)
        .exclude(status=OrderStatus.MERGED)
        .filter(created_at__date__gte=start)
        .annotate(day=TruncDate("created_at"))
        .values_list("category__name", "day")
        .annotate(n=Count("id"))
    )
    series: dict[str, dict[date, int]] = {}
    for name, day, n in rows:
        series.setdefault(name or "—", {})[day] = n
    return [start + timedelta(days=i) for i in range(days)], series


def hotspot_map(tenant: Tenant, now: datetime | None = None) -> basemap.BaseMap | None:
    """The last window's orders on the city's base map: districts shaded by how many orders
    name them, and a marker sized by count wherever orders carry coordinates. None when the
    districts match no shipped city and no order has coordinates."""
    now = now or timezone.now()
    recent = (
        WorkOrder.objects.for_tenant(tenant)
        .exclude(status=OrderStatus.MERGED)
        .filter(created_at__gte=now - WINDOW, created_at__lt=now)
    )
    by_district = dict(
        recent.filter(district__isnull=False)
        .values_list("district__name")
        .annotate(n=Count("id"))
        .values_list("district__name", "n")
    )
    spots = (
        recent.filter(latitude__isnull=False, longitude__isnull=False)
        .annotate(lat=Round("latitude", 3), lon=Round("longitude", 3))
        .values("lat", "lon")
        .annotate(n=Count("id"), latest=Max("id"))
        .order_by("-n")[:200]
    )
    markers = [
        basemap.Marker(
            lon=spot["lon"],
            lat=spot["lat"],
            title=ngettext(
                "%(n)d order here in the last 24 hours",
                "%(n)d orders here in the last 24 hours",
                spot["n"],
            )
            % {"n": spot["n"]},
            url=reverse("gov_hotline:order", args=[spot["latest"]]),
            color="#c2185b",
            radius=min(5 + 3 * spot["n"] ** 0.5, 22),
            css="gh-spot",
        )
        for spot in spots
    ]
    names = by_district or set(District.objects.for_tenant(tenant).values_list("name", flat=True))
    city = basemap.pick_city(markers=markers, places=tenant_places(tenant), district_names=names)
    if city is None and not markers:
        return None
    top = max(by_district.values(), default=0)
    return basemap.render(
        map_id="gh-hotspot-map",
        title=_("Orders by district in the last 24 hours"),
        desc=_(
            "Districts shaded by the number of work orders naming them in the last 24 hours; "
            "circles, sized by count, where orders carry coordinates."
        ),
        markers=markers,
        city=city,
        values=by_district,
        value_title=_("{name}: {value} orders"),
        legend_low=_("No orders"),
        legend_high=ngettext("%(n)d order", "%(n)d orders", top) % {"n": top},
        width=560,
    )


@transaction.atomic
def hotspot_scan(*, tenant: Tenant, now: datetime | None = None) -> list[HotspotAlert]:
    """Records an alert for every cluster growing fast in the window ending at `now` (once)."""
    now = now or timezone.now()
    # One alert per cluster and hour, however often the sweep runs.
    hour = now.replace(minute=0, second=0, microsecond=0)
    alerts = []
    for cluster in clusters(tenant, now, limit=200):
        if not cluster.is_warning:
            continue
        try:
            with transaction.atomic():
                alerts.append(
                    HotspotAlert.objects.create(
                        tenant=tenant,
                        subcategory=cluster.subcategory,
                        district=cluster.district,
                        window_start=hour - WINDOW,
                        window_end=hour,
                        count=cluster.count,
                        baseline=cluster.baseline,
                    )
                )
        except IntegrityError:
            continue
    return alerts
