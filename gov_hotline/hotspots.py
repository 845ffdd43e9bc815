"""Hotspots: orders clustered by subcategory, district and time; an early warning when a
cluster's last window is well above its recent baseline."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

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
