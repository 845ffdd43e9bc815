"""Atomic quota enforcement across the tenant tree.

A call reserves its units before the backend runs, with one conditional UPDATE per quota row
(`used + n <= limit`). The database serialises concurrent updates of a row (PostgreSQL re-checks
the WHERE clause after the competing transaction commits; SQLite takes the write lock), so a
concurrent burst can never push a counter past its limit. Reservations are settled to the
actual amount afterwards (tokens) or released when the call fails.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from suite.tenancy.models import Tenant

from .capabilities import Capability, Unit
from .errors import QuotaExceeded
from .models import Period, Quota, QuotaCounter
from .registry import ancestor_ids


def window_start(period: str, now: datetime) -> datetime:
    local = timezone.localtime(now)
    if period == Period.MINUTE:
        start = local.replace(second=0, microsecond=0)
    elif period == Period.HOUR:
        start = local.replace(minute=0, second=0, microsecond=0)
    elif period == Period.DAY:
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return start


def whole_units(amounts: dict[str, float]) -> dict[str, int]:
    """Counters hold integers: a partial second of audio counts as a whole one."""
    return {unit: math.ceil(n) for unit, n in amounts.items() if n > 0}


@dataclass
class Reservation:
    charged: dict[int, tuple[str, int]] = field(default_factory=dict)  # counter id -> (unit, n)

    def __bool__(self) -> bool:
        return bool(self.charged)


def _counter(quota: Quota, start: datetime) -> QuotaCounter:
    try:
        with transaction.atomic():
            return QuotaCounter.objects.get_or_create(quota=quota, window_start=start)[0]
    except IntegrityError:  # a concurrent first call in the same window created it
        return QuotaCounter.objects.get(quota=quota, window_start=start)


def _describe(quota: Quota) -> str:
    scope = quota.get_capability_display() if quota.capability else _("all capabilities")
    return _("Quota exceeded: %(tenant)s allows %(limit)s %(unit)s %(period)s for %(scope)s.") % {
        "tenant": quota.tenant.name,
        "limit": quota.limit,
        "unit": quota.get_unit_display().lower(),
        "period": quota.get_period_display().lower(),
        "scope": scope,
    }


def applicable_quotas(tenant: Tenant, capability: str, units) -> list[Quota]:
    return list(
        Quota.objects.select_related("tenant")
        .filter(
            tenant_id__in=ancestor_ids(tenant),
            unit__in=list(units),
            capability__in=["", capability],
        )
        .order_by("pk")  # one lock order for every caller: no deadlocks between bursts
    )


def reserve(tenant: Tenant, capability: Capability | str, amounts: dict[str, float]) -> Reservation:
    units = whole_units(amounts)
    reservation = Reservation()
    if not units:
        return reservation
    quotas = applicable_quotas(tenant, str(capability), units)
    if not quotas:
        return reservation
    now = timezone.now()
    with transaction.atomic():
        for quota in quotas:
            n = units[quota.unit]
            counter = _counter(quota, window_start(quota.period, now))
            updated = QuotaCounter.objects.filter(pk=counter.pk, used__lte=quota.limit - n).update(
                used=F("used") + n
            )
            if not updated:
                # Leaving the atomic block by exception rolls back the counters already charged.
                raise QuotaExceeded(_describe(quota))
            reservation.charged[counter.pk] = (quota.unit, n)
    return reservation


def settle(reservation: Reservation, actual: dict[str, float]) -> None:
    """Adjust the charge to what the call really used. Only ever refunds: reservations are
    sized to the most a call can use (prompt + max_tokens), so a call cannot overrun."""
    units = whole_units(actual)
    for counter_id, (unit, reserved) in reservation.charged.items():
        refund = reserved - min(units.get(unit, 0), reserved)
        if unit == Unit.REQUESTS:
            refund = 0
        if refund:
            QuotaCounter.objects.filter(pk=counter_id).update(used=F("used") - refund)


def release(reservation: Reservation) -> None:
    for counter_id, (_unit, n) in reservation.charged.items():
        QuotaCounter.objects.filter(pk=counter_id).update(used=F("used") - n)


def quota_status(tenant: Tenant) -> list[dict]:
    """Each quota binding this tenant (its own and its ancestors') with the current usage."""
    now = timezone.now()
    quotas = Quota.objects.select_related("tenant").filter(tenant_id__in=ancestor_ids(tenant))
    rows = []
    for quota in quotas:
        counter = QuotaCounter.objects.filter(
            quota=quota, window_start=window_start(quota.period, now)
        ).first()
        used = counter.used if counter else 0
        rows.append({"quota": quota, "used": used, "remaining": max(quota.limit - used, 0)})
    return rows
