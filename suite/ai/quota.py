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
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from suite.tenancy.models import Tenant

from .capabilities import Capability, Unit
from .config_cache import memoize
from .errors import QuotaExceeded
from .metering_db import metering_transaction
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


def window_end(period: str, start: datetime) -> datetime:
    if period == Period.MINUTE:
        return start + timedelta(minutes=1)
    if period == Period.HOUR:
        return start + timedelta(hours=1)
    if period == Period.DAY:
        return start + timedelta(days=1)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def whole_units(amounts: dict[str, float]) -> dict[str, int]:
    """Counters hold integers: a partial second of audio counts as a whole one."""
    return {unit: math.ceil(n) for unit, n in amounts.items() if n > 0}


@dataclass
class Reservation:
    # (quota id, window start) -> (unit, units charged)
    charged: dict[tuple[int, datetime], tuple[str, int]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.charged)


@dataclass(frozen=True)
class QuotaRule:
    pk: int
    unit: str
    period: str
    limit: int
    description: str


def _describe(quota: Quota) -> str:
    scope = quota.get_capability_display() if quota.capability else _("all capabilities")
    return _("Quota exceeded: %(tenant)s allows %(limit)s %(unit)s %(period)s for %(scope)s.") % {
        "tenant": quota.tenant.name,
        "limit": quota.limit,
        "unit": quota.get_unit_display().lower(),
        "period": quota.get_period_display().lower(),
        "scope": scope,
    }


def applicable_quotas(tenant: Tenant, capability: str) -> list[QuotaRule]:
    def compute() -> list[QuotaRule]:
        quotas = (
            Quota.objects.select_related("tenant")
            .filter(tenant_id__in=ancestor_ids(tenant), capability__in=["", capability])
            .order_by("pk")  # one lock order for every caller: no deadlocks between bursts
        )
        return [QuotaRule(q.pk, q.unit, q.period, q.limit, _describe(q)) for q in quotas]

    # The description is rendered in the language active when first computed.
    return memoize(("quotas", tenant.pk, capability, get_language()), compute)


def _charge(rule: QuotaRule, start: datetime, n: int) -> bool:
    """Add n to the window's counter if it stays within the limit. One UPDATE in the common
    case; the window's first call creates the counter."""
    window = QuotaCounter.objects.filter(quota_id=rule.pk, window_start=start)
    if window.filter(used__lte=rule.limit - n).update(used=F("used") + n):
        return True
    if window.exists():
        return False
    try:
        with transaction.atomic():
            QuotaCounter.objects.create(quota_id=rule.pk, window_start=start)
    except IntegrityError:  # a concurrent first call in this window created it
        pass
    return bool(window.filter(used__lte=rule.limit - n).update(used=F("used") + n))


def reserve(tenant: Tenant, capability: Capability | str, amounts: dict[str, float]) -> Reservation:
    units = whole_units(amounts)
    reservation = Reservation()
    rules = [r for r in applicable_quotas(tenant, str(capability)) if r.unit in units]
    if not rules:
        return reservation
    now = timezone.now()
    with metering_transaction():
        for rule in rules:
            n = units[rule.unit]
            start = window_start(rule.period, now)
            if not _charge(rule, start, n):
                # Leaving the atomic block by exception rolls back the counters already charged.
                wait = (window_end(rule.period, start) - now).total_seconds()
                raise QuotaExceeded(rule.description, retry_after=max(1, math.ceil(wait)))
            reservation.charged[(rule.pk, start)] = (rule.unit, n)
    return reservation


def settle(reservation: Reservation, actual: dict[str, float]) -> None:
    """Adjust the charge to what the call really used. Only ever refunds: reservations are
    sized to the most a call can use (prompt + max_tokens), so a call cannot overrun."""
    units = whole_units(actual)
    for (quota_id, start), (unit, reserved) in reservation.charged.items():
        refund = reserved - min(units.get(unit, 0), reserved)
        if refund and unit != Unit.REQUESTS:
            _refund(quota_id, start, refund)


def release(reservation: Reservation) -> None:
    for (quota_id, start), (_unit, n) in reservation.charged.items():
        _refund(quota_id, start, n)


def _refund(quota_id: int, start: datetime, n: int) -> None:
    QuotaCounter.objects.filter(quota_id=quota_id, window_start=start).update(used=F("used") - n)


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
