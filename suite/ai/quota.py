"""Atomic quota enforcement across the tenant tree.

A call reserves its units before the backend runs, with one conditional UPDATE per quota row
(`used + n <= limit`), all or none, in quota id order; on PostgreSQL all of them are one call of
the `ai_quota_add` function (migration 0004). The database serialises concurrent updates of a
row (PostgreSQL re-checks the WHERE clause after the competing transaction commits; SQLite takes
the write lock), so a concurrent burst can never push a counter past its limit. Reservations are
settled to the actual amount afterwards (tokens), together with the call's usage row and audit
entry, or released when the call fails.

A quota in the `spend` unit is a budget in money (micro-yuan; `pricing` adds each call's cost
to its amounts): enforced the same way, it also raises an alert, once per window, when a
reservation takes it past BUDGET_ALERT_SHARE of its limit.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from suite.audit.services import audit_record
from suite.tenancy.models import Tenant

from .capabilities import Capability, Unit
from .config_cache import memoize
from .errors import QuotaExceeded
from .metering_db import insert_sql, metering_transaction, write
from .models import Period, Quota, QuotaCounter
from .pricing import yuan, yuan_text
from .registry import ancestor_ids

if TYPE_CHECKING:
    from suite.accounts.models import ApiKey

BUDGET_ALERT_SHARE = 0.8
# An API key's own limits: form field -> (unit, period) of the quota bound to the key.
KEY_LIMITS = {
    "rpm": (Unit.REQUESTS, Period.MINUTE),
    "tpm": (Unit.TOKENS, Period.MINUTE),
    "monthly_budget": (Unit.SPEND, Period.MONTH),
}
# While a request tracks them (`counts_tracked`): quota id -> its counter after this request's
# charges and refunds, so the response's rate-limit headers need no read of their own.
_tracked: ContextVar[dict[int, int] | None] = ContextVar("quota_counts", default=None)
# (quota id, window start) -> units to give back.
Refunds = dict[tuple[int, datetime], int]


@contextmanager
def counts_tracked() -> Iterator[dict[int, int]]:
    counts: dict[int, int] = {}
    token = _tracked.set(counts)
    try:
        yield counts
    finally:
        _tracked.reset(token)


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
    tenant_id: int
    unit: str
    period: str
    limit: int
    description: str


def amount_text(unit: str, amount: int) -> str:
    """How a page shows an amount of `unit`: yuan for spend, else the number."""
    if unit == Unit.SPEND:
        return yuan_text(yuan(amount))
    return f"{amount:,}"


def _describe(quota: Quota) -> str:
    if quota.api_key_id is not None:
        return _describe_key_limit(quota)
    scope = quota.get_capability_display() if quota.capability else _("all capabilities")
    if quota.unit == Unit.SPEND:
        message = _("Budget exhausted: %(tenant)s allows %(limit)s %(period)s for %(scope)s.")
        return message % {
            "tenant": quota.tenant.name,
            "limit": amount_text(quota.unit, quota.limit),
            "period": quota.get_period_display().lower(),
            "scope": scope,
        }
    return _("Quota exceeded: %(tenant)s allows %(limit)s %(unit)s %(period)s for %(scope)s.") % {
        "tenant": quota.tenant.name,
        "limit": quota.limit,
        "unit": quota.get_unit_display().lower(),
        "period": quota.get_period_display().lower(),
        "scope": scope,
    }


def _describe_key_limit(quota: Quota) -> str:
    key = cast("ApiKey", quota.api_key)  # _describe sends only the quotas of a key here
    values = {
        "key": key.name,
        "limit": amount_text(quota.unit, quota.limit),
        "unit": quota.get_unit_display().lower(),
        "period": quota.get_period_display().lower(),
    }
    if quota.unit == Unit.SPEND:
        return _("The budget of API key %(key)s is used up: %(limit)s %(period)s.") % values
    return _("API key %(key)s is limited to %(limit)s %(unit)s %(period)s.") % values


def _rules(quotas) -> list[QuotaRule]:
    return [QuotaRule(q.pk, q.tenant_id, q.unit, q.period, q.limit, _describe(q)) for q in quotas]


def applicable_quotas(
    tenant: Tenant, capability: str, api_key_id: int | None = None
) -> list[QuotaRule]:
    """The tree's quotas binding the tenant and, for a call made with a key, the key's own,
    in one lock order for every caller (by id), so concurrent bursts never deadlock."""

    def tree() -> list[QuotaRule]:
        return _rules(
            Quota.objects.select_related("tenant").filter(
                tenant_id__in=ancestor_ids(tenant),
                api_key__isnull=True,
                capability__in=["", capability],
            )
        )

    def of_key() -> list[QuotaRule]:
        return _rules(
            Quota.objects.select_related("tenant", "api_key").filter(
                api_key_id=api_key_id, capability__in=["", capability]
            )
        )

    # Descriptions are rendered in the language active when first computed.
    rules = memoize(("quotas", tenant.pk, capability, get_language()), tree)
    if api_key_id is not None:
        rules = rules + memoize(("key-quotas", api_key_id, capability, get_language()), of_key)
    return sorted(rules, key=lambda rule: rule.pk)


def _add_within_limit(rule: QuotaRule, start: datetime, n: int) -> int | None:
    """The counter after adding n, or None when it would pass the limit (or has no row yet).
    One statement: the conditional UPDATE returns the new count (SQLite knows RETURNING; the
    ORM's update() does not), so a budget's alert needs no second read."""
    table = connection.ops.quote_name(QuotaCounter._meta.db_table)
    # The model's own table name, quoted; every value is a parameter.
    sql = (
        f"UPDATE {table} SET used = used + %s "  # noqa: S608
        "WHERE quota_id = %s AND window_start = %s AND used <= %s RETURNING used"
    )
    when = connection.ops.adapt_datetimefield_value(start)
    with connection.cursor() as cursor:
        cursor.execute(sql, [n, rule.pk, when, rule.limit - n])
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _charge(rule: QuotaRule, start: datetime, n: int) -> int | None:
    """Add n to the window's counter if it stays within the limit: the new count, or None.
    One statement in the common case; the window's first call creates the counter."""
    used = _add_within_limit(rule, start, n)
    if used is not None:
        return used
    window = QuotaCounter.objects.filter(quota_id=rule.pk, window_start=start)
    if window.exists():
        return None
    try:
        with transaction.atomic():
            QuotaCounter.objects.create(quota_id=rule.pk, window_start=start)
    except IntegrityError:  # a concurrent first call in this window created it
        pass
    return _add_within_limit(rule, start, n)


def _charge_all(charges: list[tuple[QuotaRule, datetime, int]]) -> tuple[list[int] | None, int]:
    """Add each amount to its window's counter, all or none: (the new counts, 0), or (None,
    the 1-based position of the first counter it would take past its limit). On PostgreSQL
    one round trip (the `ai_quota_add` function of migration 0004); elsewhere a statement per
    counter inside a transaction."""
    if connection.vendor == "postgresql":
        return _add_in_database([(rule.pk, start, n, rule.limit) for rule, start, n in charges])
    counts: list[int] = []
    with metering_transaction():
        for position, (rule, start, n) in enumerate(charges, 1):
            used = _charge(rule, start, n)
            if used is None:
                transaction.set_rollback(True)
                return None, position
            counts.append(used)
    return counts, 0


def _add_in_database(
    rows: list[tuple[int, datetime, int, int | None]], *, saving: Sequence[Model] = ()
) -> tuple[list[int] | None, int]:
    """One call of ai_quota_add; the INSERTs of `saving` ride along in the same statement (as
    data-modifying WITH clauses, which PostgreSQL always runs to completion)."""
    clauses, params = [], []
    for index, obj in enumerate(saving):
        sql, obj_params = insert_sql(obj)
        clauses.append(f"saved{index} AS ({sql})")
        params += obj_params
    with_clause = f"WITH {', '.join(clauses)} " if clauses else ""
    ids, starts, amounts, caps = (
        (list(column) for column in zip(*rows, strict=True)) if rows else ([], [], [], [])
    )
    # The WITH clauses are the ORM's own INSERTs; every value is a parameter.
    sql = (
        with_clause  # noqa: S608
        + "SELECT counts, failed FROM ai_quota_add("
        "%s::bigint[], %s::timestamptz[], %s::bigint[], %s::bigint[])"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, ids, starts, amounts, caps])
        counts, failed = cursor.fetchone()
    return counts, failed


def reserve(
    tenant: Tenant,
    capability: Capability | str,
    amounts: dict[str, float],
    *,
    api_key_id: int | None = None,
) -> Reservation:
    units = whole_units(amounts)
    reservation = Reservation()
    rules = [r for r in applicable_quotas(tenant, str(capability), api_key_id) if r.unit in units]
    if not rules:
        return reservation
    now = timezone.now()
    charges = [(rule, window_start(rule.period, now), units[rule.unit]) for rule in rules]
    counts, failed = _charge_all(charges)
    if counts is None:
        rule, start, _n = charges[failed - 1]
        wait = (window_end(rule.period, start) - now).total_seconds()
        raise QuotaExceeded(rule.description, retry_after=max(1, math.ceil(wait)))
    tracked = _tracked.get()
    for (rule, start, n), used in zip(charges, counts, strict=True):
        reservation.charged[(rule.pk, start)] = (rule.unit, n)
        if tracked is not None:
            tracked[rule.pk] = used
        if rule.unit == Unit.SPEND:
            _alert_on_crossing(rule, used, n)
    return reservation


def _alert_on_crossing(rule: QuotaRule, used: int, n: int) -> None:
    """An audit event (the portal's budget notice reads the counters) when this charge took
    the budget past the alert share: only the charge that crosses it, so once per window."""
    threshold = rule.limit * BUDGET_ALERT_SHARE
    if used - n < threshold <= used:
        audit_record(
            action="ai.budget_alert",
            tenant=Tenant.objects.get(pk=rule.tenant_id),
            actor_label="system",
            data={
                "quota": rule.pk,
                "period": rule.period,
                "limit_yuan": str(yuan(rule.limit)),
                "used_yuan": str(yuan(used)),
                "percent": round(100 * used / rule.limit) if rule.limit else 100,
            },
        )


def refunds_due(reservation: Reservation | None, actual: dict[str, float]) -> Refunds:
    """What to give back of the reservation once the call used `actual`. Only ever refunds:
    reservations are sized to the most a call can use (prompt + max_tokens), so a call cannot
    overrun. The request's tracked counts (its rate-limit headers) take the refund at once."""
    units = whole_units(actual)
    refunds = {}
    for (quota_id, start), (unit, reserved) in (reservation.charged if reservation else {}).items():
        refund = reserved - min(units.get(unit, 0), reserved)
        if refund and unit != Unit.REQUESTS:
            refunds[(quota_id, start)] = refund
            if (tracked := _tracked.get()) is not None and quota_id in tracked:
                tracked[quota_id] -= refund
    return refunds


def release(reservation: Reservation) -> None:
    refunds = {window: n for window, (_unit, n) in reservation.charged.items()}
    write(lambda: refund(refunds))


def refund(amounts: Refunds, *, saving: Sequence[Model] = ()) -> None:
    """Give units back (in quota id order like every charge, so the two never deadlock) and
    save the rows of `saving` (a call's usage row and audit entry) with them, all or none: on
    PostgreSQL in one statement."""
    ordered = sorted(amounts.items())
    if connection.vendor == "postgresql":
        if ordered or saving:
            _add_in_database([(pk, start, -n, None) for (pk, start), n in ordered], saving=saving)
        return
    with metering_transaction():
        for (quota_id, start), n in ordered:
            QuotaCounter.objects.filter(quota_id=quota_id, window_start=start).update(
                used=F("used") - n
            )
        for obj in saving:
            obj.save(force_insert=True)


def quota_status(tenant: Tenant) -> list[dict]:
    """Each quota binding this tenant (its own and its ancestors') with the current usage."""
    quotas = Quota.objects.select_related("tenant").filter(
        tenant_id__in=ancestor_ids(tenant), api_key__isnull=True
    )
    return _with_usage(quotas)


def key_limit_status_all(api_keys) -> list[dict]:
    """The keys' own limits (RPM, TPM, budget) with the current usage."""
    return _with_usage(
        Quota.objects.select_related("tenant").filter(api_key__in=api_keys).order_by("unit")
    )


def _with_usage(quotas) -> list[dict]:
    now = timezone.now()
    rows = []
    for quota in quotas:
        counter = QuotaCounter.objects.filter(
            quota=quota, window_start=window_start(quota.period, now)
        ).first()
        used = counter.used if counter else 0
        rows.append({"quota": quota, "used": used, "remaining": max(quota.limit - used, 0)})
    return rows


RATE_HEADER_UNITS = ((Unit.REQUESTS, "requests"), (Unit.TOKENS, "tokens"))


def rate_limit_headers(
    tenant: Tenant,
    capability: Capability | str,
    api_key_id: int | None,
    known: dict[int, int] | None = None,
) -> dict[str, str]:
    """OpenAI's x-ratelimit-{limit,remaining,reset}-{requests,tokens} for the limit with the
    least left (of the key's own and the tenant tree's), so a client can pace itself. None
    when no limit binds that unit. `known`: counters this request already holds (read only
    the others)."""
    known = known or {}
    rules = [
        rule
        for rule in applicable_quotas(tenant, str(capability), api_key_id)
        if rule.unit in (Unit.REQUESTS, Unit.TOKENS)
    ]
    if not rules:
        return {}
    now = timezone.now()
    starts = {rule.pk: window_start(rule.period, now) for rule in rules}
    used = {pk: n for pk, n in known.items() if pk in starts}
    unknown = [pk for pk in starts if pk not in used]
    if unknown:
        counters = QuotaCounter.objects.filter(quota_id__in=unknown).values_list(
            "quota_id", "window_start", "used"
        )
        used.update({pk: n for pk, start, n in counters if start == starts[pk]})
    headers = {}
    for unit, name in RATE_HEADER_UNITS:
        left = [(max(r.limit - used.get(r.pk, 0), 0), r) for r in rules if r.unit == unit]
        if not left:
            continue
        remaining, rule = min(left, key=lambda pair: (pair[0], pair[1].pk))
        reset = (window_end(rule.period, starts[rule.pk]) - now).total_seconds()
        headers[f"x-ratelimit-limit-{name}"] = str(rule.limit)
        headers[f"x-ratelimit-remaining-{name}"] = str(remaining)
        headers[f"x-ratelimit-reset-{name}"] = duration_text(reset)
    return headers


def duration_text(seconds: float) -> str:
    """OpenAI's reset format: "1s", "6m0s", "20h13m5s"."""
    whole = max(1, math.ceil(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}h" if hours else ""
    text += f"{minutes}m" if hours or minutes else ""
    return text + f"{secs}s"
