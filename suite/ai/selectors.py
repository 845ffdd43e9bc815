"""Reads behind the model, quota, safety and usage pages and the admin API."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from suite.accounts.models import ApiKey
from suite.privacy import mask_text
from suite.tenancy.models import Tenant
from suite.tenancy.selectors import tenant_subtree

from . import pricing
from .capabilities import Capability, Unit, capability_label
from .models import (
    AiModel,
    CallStatus,
    ModelAlias,
    Price,
    Quota,
    SafetyTerm,
    SpeechLanguage,
    UsageRecord,
    VoiceDefault,
)
from .pricing import sellers, yuan_text
from .quota import (
    BUDGET_ALERT_SHARE,
    KEY_LIMITS,
    amount_text,
    key_limit_status_all,
    quota_status,
)
from .registry import ancestor_ids, configured_models

USAGE_SUMS = ("requests", "tokens", "audio_seconds", "characters", "images", "frames", "cost")
USAGE_COUNTS = ("failed", "fallback")


def _operator_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def usage_days(days: int) -> list[date]:
    """The last `days` calendar days in the operator's time zone, oldest first."""
    today = timezone.now().astimezone(_operator_tz()).date()
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


def usage_records(
    tenant: Tenant,
    *,
    days: int | None = 30,
    capability: str | None = None,
    model: str | None = None,
) -> QuerySet[UsageRecord]:
    return _usage_filtered(
        UsageRecord.objects.for_tenant(tenant), days=days, capability=capability, model=model
    )


def _usage_filtered(
    records: QuerySet[UsageRecord], *, days: int | None, capability: str | None, model: str | None
) -> QuerySet[UsageRecord]:
    if days:
        first = usage_days(days)[0]
        since = datetime.combine(first, datetime.min.time(), tzinfo=_operator_tz())
        records = records.filter(created_at__gte=since)
    if capability:
        records = records.filter(capability=capability)
    if model:
        records = records.filter(model=model)
    return records


def _aggregates() -> dict:
    # Prefixed: an annotation may not share a name with a model field.
    sums = {f"sum_{f}": Sum(f) for f in USAGE_SUMS}
    return {
        **sums,
        "sum_failed": Count("pk", filter=~Q(status=CallStatus.OK)),
        "sum_fallback": Count("pk", filter=Q(fallback=True)),
    }


def _unprefixed(row: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if not k.startswith("sum_")}
    for name in (*USAGE_SUMS, *USAGE_COUNTS):
        out[name] = row.get(f"sum_{name}") or 0
    out["audio_seconds"] = round(float(out["audio_seconds"]), 1)
    out["cost"] = Decimal(out["cost"])
    return out


def usage_by_day(
    tenant: Tenant,
    *,
    days: int = 30,
    capability: str | None = None,
    model: str | None = None,
) -> list[dict]:
    """One row per (day, capability, model) with calls, units, failed (any status but ok) and
    fallback counts. Days are calendar days in the operator's time zone."""
    rows = (
        usage_records(tenant, days=days, capability=capability, model=model)
        .annotate(day=TruncDate("created_at", tzinfo=_operator_tz()))
        .values("day", "capability", "model")
        .annotate(**_aggregates())
        .order_by("day", "capability", "model")
    )
    return [_unprefixed(row) for row in rows]


def spend_by_day(
    tenant: Tenant,
    *,
    days: int = 30,
    capability: str | None = None,
    model: str | None = None,
) -> dict[str, dict[date, float]]:
    """Yuan spent per capability and day by the tenant and every tenant below it: what a
    province or city sells is its subtree's spend."""
    records = UsageRecord.objects.filter(tenant__in=tenant_subtree(tenant)).exclude(cost=0)
    rows = (
        _usage_filtered(records, days=days, capability=capability, model=model)
        .annotate(day=TruncDate("created_at", tzinfo=_operator_tz()))
        .values("day", "capability")
        .annotate(total=Sum("cost"))
    )
    spend: dict[str, dict[date, float]] = {}
    for row in rows:
        spend.setdefault(row["capability"], {})[row["day"]] = float(row["total"])
    return spend


def usage_by_tenant(
    tenant: Tenant,
    *,
    days: int = 30,
    capability: str | None = None,
    model: str | None = None,
) -> list[dict]:
    """For a tenant with tenants below it: calls per tenant of its subtree (its own included,
    first), those with calls in the window only. A parent's quotas count its whole subtree;
    this shows where those calls come from. Empty for a tenant with no tenants below it."""
    if not Tenant.objects.filter(parent=tenant).exists():
        return []
    records = UsageRecord.objects.filter(tenant__in=tenant_subtree(tenant))
    rows = (
        _usage_filtered(records, days=days, capability=capability, model=model)
        .values("tenant_id", "tenant__name", "tenant__path")
        .annotate(**_aggregates())
        .order_by("tenant__path")
    )
    out = []
    for row in rows:
        item = _unprefixed(row)
        item["tenant_name"] = item.pop("tenant__name")
        item["depth"] = item.pop("tenant__path").count("/") - tenant.path.count("/")
        item["own"] = item["tenant_id"] == tenant.pk
        out.append(item)
    return out


def usage_totals(
    tenant: Tenant,
    *,
    days: int = 30,
    capability: str | None = None,
    model: str | None = None,
) -> dict:
    row = usage_records(tenant, days=days, capability=capability, model=model).aggregate(
        **_aggregates()
    )
    totals = _unprefixed(row)
    calls = totals["requests"]
    totals["fallback_share"] = totals["fallback"] / calls if calls else 0.0
    totals["failed_share"] = totals["failed"] / calls if calls else 0.0
    return totals


def usage_by_capability(rows: list[dict]) -> list[dict]:
    """Totals per capability from `usage_by_day` rows, with the fallback share of each."""
    by_cap: dict[str, dict] = {}
    for row in rows:
        total = by_cap.setdefault(
            row["capability"],
            {"capability": row["capability"], **dict.fromkeys((*USAGE_SUMS, *USAGE_COUNTS), 0)},
        )
        for name in (*USAGE_SUMS, *USAGE_COUNTS):
            total[name] += row[name]
    out = []
    for total in sorted(by_cap.values(), key=lambda t: t["capability"]):
        total["audio_seconds"] = round(total["audio_seconds"], 1)
        total["label"] = capability_label(total["capability"])
        calls = total["requests"]
        total["fallback_share"] = total["fallback"] / calls if calls else 0.0
        out.append(total)
    return out


STATEMENT_SUMS = (
    "requests", "input_tokens", "output_tokens", "tokens", "audio_seconds", "characters",
    "images", "frames", "cost",
)  # fmt: skip
FEN = Decimal("0.01")
STATEMENT_USERS = 20  # the top spenders shown by name


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The calendar month holding `month`, in the operator's time zone."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    tz = _operator_tz()
    return (
        datetime.combine(first, datetime.min.time(), tzinfo=tz),
        datetime.combine(following, datetime.min.time(), tzinfo=tz),
    )


def statement(tenant: Tenant, month: date) -> dict:
    """A tenant's own billed calls in one month, one line per capability, model and API key
    (portal calls have no key), and the total: the sum of the usage rows' costs, rounded to
    the fen once, so it matches the rows to the fen whatever the number of lines."""
    start, end = month_bounds(month)
    billed = UsageRecord.objects.for_tenant(tenant).filter(
        status=CallStatus.OK, created_at__gte=start, created_at__lt=end
    )
    lines = (
        billed.values("capability", "model", "api_key_id", "api_key__name")
        .annotate(**{f"sum_{f}": Sum(f) for f in STATEMENT_SUMS})
        .order_by("capability", "model", "api_key__name")
    )
    out = []
    for row in lines:
        line = {name: row[f"sum_{name}"] or 0 for name in STATEMENT_SUMS}
        line["audio_seconds"] = round(float(line["audio_seconds"]), 1)
        line.update(
            capability=row["capability"],
            label=capability_label(row["capability"]),
            model=row["model"],
            key=row["api_key__name"] or "",
            key_id=row["api_key_id"],
        )
        out.append(line)
    exact = billed.aggregate(total=Sum("cost"))["total"] or Decimal(0)
    by_user = (
        billed.exclude(user=None)
        .values("user_id", "user__username", "user__display_name")
        .annotate(calls=Sum("requests"), cost=Sum("cost"))
        .order_by("-cost", "user__username")
    )
    users = [
        {
            # Subscribers sign in by phone: their names are masked like every list's.
            "name": mask_text(row["user__display_name"] or row["user__username"]),
            "calls": row["calls"],
            "cost": row["cost"],
        }
        for row in by_user[:STATEMENT_USERS]
    ]
    return {
        "tenant": tenant,
        "month": start.date(),
        "start": start,
        "end": end,
        "lines": out,
        "calls": sum(line["requests"] for line in out),
        "users": users,
        "exact": exact,
        "total": exact.quantize(FEN, rounding=ROUND_HALF_UP),
    }


def model_names(tenant: Tenant) -> dict[str, list[str]]:
    """The names of the models the tenant can call, by capability label."""
    names = {}
    for capability in Capability:
        models = configured_models(tenant, capability)
        if models:
            names[str(capability.label)] = [model.name for model in models]
    return names


def _nearest_first(rows, chain: list[int], key) -> list[tuple]:
    """(row, overridden) per row of the tenants in `chain` (nearest first), grouped by `key`;
    within a group the nearest tenant's row comes first and the others are overridden."""
    order = {pk: n for n, pk in enumerate(chain)}
    ordered = sorted(rows, key=lambda row: (key(row), order[row.tenant_id]))
    seen: set = set()
    marked = []
    for row in ordered:
        marked.append((row, key(row) in seen))
        seen.add(key(row))
    return marked


def aliases_for_portal(tenant: Tenant) -> list[dict]:
    """The aliases the tenant's callers can use: its own and its ancestors', each marked when a
    nearer tenant's alias of the same name overrides it."""
    chain = ancestor_ids(tenant)
    rows = ModelAlias.objects.select_related("tenant").filter(tenant_id__in=chain)
    return [
        {"alias": row, "own": row.tenant_id == tenant.pk, "overridden": overridden}
        for row, overridden in _nearest_first(rows, chain, lambda a: (a.capability, a.alias))
    ]


def prices_for_portal(tenant: Tenant) -> dict:
    """`paid`: the lines that price this tenant's calls (its sellers', nearest first), each
    marked when a nearer seller's line for the same model and unit overrides it. `own`: the
    lines this tenant sets for the tenants below it."""
    chain = sellers(tenant)
    lines = Price.objects.select_related("tenant").filter(tenant_id__in=chain)
    paid = [
        {"price": line, "overridden": overridden}
        for line, overridden in _nearest_first(
            lines, chain, lambda p: (p.capability, p.model, p.unit)
        )
    ]
    own = Price.objects.for_tenant(tenant).order_by("capability", "model", "unit")
    return {"paid": paid, "own": list(own), "top": chain == [tenant.pk]}


def keys_with_limits(tenant: Tenant) -> list:
    """The tenant's API keys, each with `limits` (its RPM, TPM and budget with their use in
    the current window, as text) and `spend_month` (yuan, this calendar month)."""
    keys = list(ApiKey.objects.for_tenant(tenant))
    start, _end = month_bounds(timezone.localdate())
    spend = dict(
        UsageRecord.objects.for_tenant(tenant)
        .filter(api_key__in=keys, created_at__gte=start)
        .values("api_key_id")
        .annotate(total=Sum("cost"))
        .values_list("api_key_id", "total")
    )
    limits: dict[int, list] = {}
    for row in key_limit_status_all(keys):
        quota = row["quota"]
        limits.setdefault(quota.api_key_id, []).append(
            {
                "label": quota.get_unit_display(),
                "period": quota.get_period_display(),
                "used": amount_text(quota.unit, row["used"]),
                "limit": amount_text(quota.unit, quota.limit),
            }
        )
    for key in keys:
        key.limits = limits.get(key.pk, [])
        key.spend_month = yuan_text(spend.get(key.pk) or Decimal(0))
    return keys


def key_limits_initial(key) -> dict:
    """The key limits form's values: its model list, and each limit of KEY_LIMITS it has."""
    return {"allowed_models": ", ".join(key.allowed_models), **key_limits_of([key])[key.pk]}


def key_limits_of(keys) -> dict[int, dict]:
    """Each key's KEY_LIMITS values (None where it has none; yuan for a budget), in one query."""
    found: dict[int | None, dict] = {}
    for quota in Quota.objects.filter(api_key__in=keys):
        found.setdefault(quota.api_key_id, {})[(quota.unit, quota.period)] = quota.limit
    result: dict[int, dict] = {}
    for key in keys:
        limits = found.get(key.pk, {})
        result[key.pk] = {}
        for name, (unit, period) in KEY_LIMITS.items():
            limit = limits.get((unit, period))
            if limit is not None and unit == Unit.SPEND:
                result[key.pk][name] = pricing.yuan(limit)
            else:
                result[key.pk][name] = limit
    return result


def statement_tenants(tenant: Tenant) -> list[Tenant]:
    """Whose statements this tenant's admin may read: its own and its subtree's."""
    return list(tenant_subtree(tenant).order_by("path"))


def usage_model_names(tenant: Tenant, *, days: int = 30) -> list[str]:
    return list(
        usage_records(tenant, days=days)
        .exclude(model="")
        .order_by("model")
        .values_list("model", flat=True)
        .distinct()
    )


def _model_row(row: AiModel | dict, *, origin: str, owner: str = "") -> dict:
    if isinstance(row, AiModel):
        return {
            "pk": row.pk if origin == "own" else None,
            "origin": origin,
            "owner": owner,
            "name": row.name,
            "engine": row.engine,
            "path": row.path,
            "priority": row.priority,
            "is_default": row.is_default,
            "dialect": row.dialect,
            "enabled": row.enabled,
            "timeout_s": row.timeout_s,
        }
    return {
        "pk": None,
        "origin": origin,
        "owner": owner,
        "name": row["name"],
        "engine": row["engine"],
        "path": row.get("path", ""),
        "priority": None,
        "is_default": False,
        "dialect": row.get("dialect", ""),
        "enabled": True,
        "timeout_s": row.get("timeout_s"),
    }


def models_for_portal(tenant: Tenant) -> list[dict]:
    """Per capability: the tenant's own rows, its ancestors' rows (inherited) and the settings
    defaults, each marked by origin, and which of those sets is in effect (the registry's rule:
    own enabled rows, else the nearest ancestor's, else the defaults)."""
    chain = ancestor_ids(tenant)
    rows = list(AiModel.objects.filter(tenant_id__in=chain).select_related("tenant"))
    order = {pk: n for n, pk in enumerate(chain)}
    rows.sort(key=lambda r: (order[r.tenant_id], -r.is_default, r.priority, r.name))
    sections = []
    for capability in Capability:
        mine = [r for r in rows if r.capability == capability]
        sets: list[tuple[int | None, str, list[dict]]] = []
        for pk in chain:
            of_tenant = [r for r in mine if r.tenant_id == pk]
            if of_tenant:
                origin = "own" if pk == tenant.pk else "inherited"
                owner = of_tenant[0].tenant.name
                sets.append(
                    (pk, origin, [_model_row(r, origin=origin, owner=owner) for r in of_tenant])
                )
        defaults = settings.AI_DEFAULT_MODELS.get(str(capability), [])
        sets.append((None, "default", [_model_row(d, origin="default") for d in defaults]))
        in_effect = next(
            (pk for pk, _origin, entries in sets if pk and any(e["enabled"] for e in entries)),
            None,
        )
        entries = []
        for set_pk, _origin, group in sets:
            for entry in group:
                entry["in_effect"] = set_pk == in_effect
                entries.append(entry)
        sections.append(
            {
                "capability": str(capability),
                "label": str(capability.label),
                "models": entries,
                "own_count": sum(1 for e in entries if e["origin"] == "own"),
            }
        )
    return sections


def quotas_for_portal(tenant: Tenant) -> list[dict]:
    """Every quota binding the tenant (own first, then the nearest ancestor's) with the usage
    in the current window. An ancestor's counter covers its whole subtree."""
    chain = ancestor_ids(tenant)
    order = {pk: n for n, pk in enumerate(chain)}
    rows = quota_status(tenant)
    for row in rows:
        quota: Quota = row["quota"]
        row["own"] = quota.tenant_id == tenant.pk
        row["percent"] = min(100, round(100 * row["used"] / quota.limit)) if quota.limit else 100
        row["capped_by"] = [
            other["quota"]
            for other in rows
            if other["quota"].tenant_id != quota.tenant_id
            and order[other["quota"].tenant_id] > order[quota.tenant_id]
            and other["quota"].unit == quota.unit
            and other["quota"].period == quota.period
            and other["quota"].capability in ("", quota.capability)
            and other["quota"].limit < quota.limit
        ]
        row["limit_text"] = amount_text(quota.unit, quota.limit)
        row["used_text"] = amount_text(quota.unit, row["used"])
        row["remaining_text"] = amount_text(quota.unit, row["remaining"])
        row["capped_text"] = [
            {"tenant": cap.tenant, "limit": amount_text(cap.unit, cap.limit)}
            for cap in row["capped_by"]
        ]
        row["alert"] = quota.unit == Unit.SPEND and row["used"] >= quota.limit * BUDGET_ALERT_SHARE
    rows.sort(
        key=lambda r: (
            order[r["quota"].tenant_id],
            r["quota"].capability,
            r["quota"].unit,
            r["quota"].period,
        )
    )
    return rows


def safety_terms(tenant: Tenant) -> QuerySet[SafetyTerm]:
    return SafetyTerm.objects.for_tenant(tenant)


def inherited_safety_term_count(tenant: Tenant) -> int:
    return SafetyTerm.objects.filter(tenant_id__in=ancestor_ids(tenant)[1:]).count()


def voices_for_portal(tenant: Tenant) -> dict:
    """Per language: the voices the tenant can choose, its own choice ("model|voice" or ""),
    and what it inherits without one (a label)."""
    from .voices import voice_options

    chain = ancestor_ids(tenant)
    rows = VoiceDefault.objects.filter(tenant_id__in=chain)
    by_language: dict[str, dict[int, VoiceDefault]] = {}
    for row in rows:
        by_language.setdefault(row.language, {})[row.tenant_id] = row
    options, current, inherited = {}, {}, {}
    for language in SpeechLanguage.values:
        options[language] = voice_options(tenant, language)
        labels = {(m, v): text for m, v, text in options[language]}
        own = by_language.get(language, {}).get(tenant.pk)
        current[language] = f"{own.model}|{own.voice}" if own else ""
        parent = next(
            (by_language[language][pk] for pk in chain[1:] if pk in by_language.get(language, {})),
            None,
        )
        if parent is not None:
            pair = (parent.model, parent.voice)
        else:
            entry = settings.AI_DEFAULT_VOICES.get(language, {})
            pair = (entry.get("model", ""), entry.get("voice", ""))
        inherited[language] = labels.get(pair, "/".join(p for p in pair if p) or "—")
    return {"options": options, "current": current, "inherited": inherited}
