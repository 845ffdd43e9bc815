"""Reads behind the model, quota, safety and usage pages and the admin API."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from suite.tenancy.models import Tenant
from suite.tenancy.selectors import tenant_subtree

from .capabilities import Capability, capability_label
from .models import (
    AiModel,
    CallStatus,
    Quota,
    SafetyTerm,
    SpeechLanguage,
    UsageRecord,
    VoiceDefault,
)
from .quota import quota_status
from .registry import ancestor_ids

USAGE_SUMS = ("requests", "tokens", "audio_seconds", "characters", "images", "frames")
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


def _unprefixed(row: dict) -> dict:
    out = {k: v for k, v in row.items() if not k.startswith("sum_")}
    for name in (*USAGE_SUMS, *USAGE_COUNTS):
        out[name] = row.get(f"sum_{name}") or 0
    out["audio_seconds"] = round(float(out["audio_seconds"]), 1)
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
        for pk, _origin, group in sets:
            for entry in group:
                entry["in_effect"] = pk == in_effect
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
