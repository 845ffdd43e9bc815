"""Reads of the hotline, always through the tenant's querysets."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from suite.ai.gateway import transcription_prompt
from suite.tenancy.models import Tenant

from . import duplicates
from .models import (
    Assignment,
    AssignmentStatus,
    Category,
    Department,
    DispatchRule,
    District,
    ExtensionRequest,
    ExtensionStatus,
    HandlingRole,
    OrderStatus,
    WorkOrder,
)


def orders_for(tenant: Tenant) -> QuerySet[WorkOrder]:
    return WorkOrder.objects.for_tenant(tenant).select_related(
        "category", "subcategory", "district"
    )


def order_get(tenant: Tenant, pk) -> WorkOrder:
    return orders_for(tenant).get(pk=pk)


def taxonomy(tenant: Tenant, active_only: bool = True) -> list[tuple[Category, list[Category]]]:
    rows = Category.objects.for_tenant(tenant).select_related("parent")
    if active_only:
        rows = rows.filter(is_active=True)
    tops = [c for c in rows if c.parent_id is None]
    children: dict[int, list[Category]] = {}
    for c in rows:
        if c.parent_id:
            children.setdefault(c.parent_id, []).append(c)
    return [(t, children.get(t.pk, [])) for t in tops]


def departments_of_user(tenant: Tenant, user) -> QuerySet[Department]:
    return Department.objects.for_tenant(tenant).filter(members=user, is_active=True)


def handler_assignments(tenant: Tenant, user) -> QuerySet[Assignment]:
    """Every assignment of the user's departments that was not withdrawn, soonest due first."""
    return (
        Assignment.objects.for_tenant(tenant)
        .filter(department__in=departments_of_user(tenant, user))
        .exclude(status=AssignmentStatus.WITHDRAWN)
        .select_related("order", "department", "order__subcategory", "order__district")
        .order_by("order__due_at")
    )


def handler_queue(tenant: Tenant, user, order_status: str = "") -> QuerySet[Assignment]:
    """The handler's open work (pending or accepted); with an order status, every assignment of
    theirs whose order has that status, the list the overview's counts link to."""
    rows = handler_assignments(tenant, user)
    if order_status in OrderStatus.values:
        return rows.filter(order__status=order_status)
    return rows.filter(status__in=[AssignmentStatus.PENDING, AssignmentStatus.ACCEPTED])


def handler_orders(tenant: Tenant, user) -> QuerySet[WorkOrder]:
    """The orders the handler's departments hold an assignment on (the overview counts them)."""
    return orders_for(tenant).filter(pk__in=handler_assignments(tenant, user).values("order_id"))


def assignment_for_handler(tenant: Tenant, user, pk) -> Assignment:
    """The assignment if the user belongs to its department; else DoesNotExist, like missing."""
    return (
        Assignment.objects.for_tenant(tenant)
        .filter(department__in=departments_of_user(tenant, user))
        .select_related("order", "department")
        .get(pk=pk)
    )


def order_evidence(order: WorkOrder) -> QuerySet[Assignment]:
    """The order's assignments that carry an evidence file, in dispatch order."""
    return order.assignments.exclude(evidence="").select_related("department")


def pending_extensions(tenant: Tenant) -> QuerySet[ExtensionRequest]:
    return (
        ExtensionRequest.objects.for_tenant(tenant)
        .filter(status=ExtensionStatus.PENDING)
        .select_related("assignment__order", "assignment__department")
    )


@dataclass
class Suggestion:
    department: Department
    role: str
    reasons: list[str]
    score: float

    @property
    def role_label(self) -> str:
        return str(HandlingRole(self.role).label)


def dispatch_suggestions(order: WorkOrder) -> list[Suggestion]:
    """Departments for the order, best first, each with the reasons it was suggested: the
    dispatch catalogue (district rule before city-wide, subcategory before category) and which
    departments closed orders of this subcategory in this district before."""
    tenant = order.tenant
    rules = DispatchRule.objects.for_tenant(tenant).select_related(
        "department", "category", "district"
    )
    wanted = [c for c in (order.subcategory, order.category) if c is not None]
    found: dict[int, Suggestion] = {}
    for rule in rules.filter(category__in=wanted):
        if rule.district_id and rule.district_id != order.district_id:
            continue
        score = (2.0 if rule.category_id == order.subcategory_id else 1.0) + (
            1.0 if rule.district_id else 0.0
        )
        if rule.role == HandlingRole.CO:
            score -= 0.5
        # The reason names the place in the catalogue, not the role: the role is the
        # suggestion's (and, once dispatched, the assignment's), which the page shows beside it.
        reason = _("Dispatch catalogue: %(category)s · %(where)s") % {
            "category": rule.category,
            "where": rule.district.name if rule.district_id else _("city-wide"),
        }
        current = found.get(rule.department_id)
        if current is None or score > current.score:
            found[rule.department_id] = Suggestion(rule.department, rule.role, [reason], score)
        else:
            current.reasons.append(reason)
    history = Counter(
        Assignment.objects.for_tenant(tenant)
        .filter(
            role=HandlingRole.LEAD,
            status=AssignmentStatus.REPLIED,
            order__subcategory=order.subcategory,
            order__district=order.district,
        )
        .exclude(order=order)
        .values_list("department_id", flat=True)
    )
    departments = Department.objects.for_tenant(tenant).in_bulk(list(history))
    for dep_id, n in history.items():
        reason = _("History: closed %(n)d orders of this kind in this district") % {"n": n}
        if dep_id in found:
            found[dep_id].reasons.append(reason)
            found[dep_id].score += min(n, 5) * 0.1
        elif dep_id in departments:
            found[dep_id] = Suggestion(
                departments[dep_id], HandlingRole.CO, [reason], min(n, 5) * 0.1
            )
    suggestions = sorted(found.values(), key=lambda s: s.score, reverse=True)
    if suggestions and all(s.role != HandlingRole.LEAD for s in suggestions):
        suggestions[0].role = HandlingRole.LEAD
        suggestions[0].reasons.append(_("the catalogue names no lead department for this"))
    return suggestions


def duplicate_candidates(order: WorkOrder, limit: int = 5) -> list[tuple[WorkOrder, float]]:
    """Open orders of the same district within the window whose text is close to this one."""
    return _similar_open_orders(
        order.tenant,
        text=order.text,
        address=order.address,
        district=order.district,
        at=order.created_at,
        exclude_pk=order.pk,
        limit=limit,
    )


def draft_duplicates(
    tenant: Tenant, *, text: str, district: str, address: str, limit: int = 5
) -> list[tuple[WorkOrder, float]]:
    """Likely duplicates of a draft not yet saved, so the agent can merge at intake."""
    found = District.objects.for_tenant(tenant).filter(name=district).first() if district else None
    return _similar_open_orders(
        tenant,
        text=text,
        address=address,
        district=found,
        at=timezone.now(),
        exclude_pk=None,
        limit=limit,
    )


def _similar_open_orders(
    tenant: Tenant, *, text, address, district, at, exclude_pk, limit
) -> list[tuple[WorkOrder, float]]:
    window = timedelta(days=duplicates.WINDOW_DAYS)
    qs = (
        WorkOrder.objects.for_tenant(tenant)
        .exclude(status__in=[OrderStatus.MERGED, OrderStatus.TRANSFERRED])
        .filter(created_at__gte=at - window, created_at__lte=at + window, merged_into__isnull=True)
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if district is not None:
        qs = qs.filter(district=district)
    candidates = list(qs.order_by("-created_at")[:2000])
    matches = duplicates.similar_to(
        text,
        address,
        [(c.text, c.address) for c in candidates],
        district=district.name if district is not None else "",
    )
    return [(candidates[m.index], m.score) for m in matches[:limit]]


# --- the recognition prompt ---------------------------------------------------------------

# What 12345 callers say whatever the city: the request types first (咨询 is heard as 资讯
# without a hint), then words of the most common complaints.
ASR_CORE_TERMS = (
    "咨询", "求助", "投诉", "举报", "建议", "工单", "噪音扰民", "物业", "社保", "公积金", "医保"
)  # fmt: skip
ASR_PROMPT_TTL_S = 3600
ASR_USAGE_DAYS = 90


def asr_terms(tenant: Tenant) -> list[str]:
    """The tenant's vocabulary for speech recognition, most useful first: the core terms, its
    districts, its active subcategories by how many of its orders of the last 90 days they
    classify (then in catalogue order), then its top-level categories."""
    since = timezone.now() - timedelta(days=ASR_USAGE_DAYS)
    used = Counter(
        WorkOrder.objects.for_tenant(tenant)
        .filter(created_at__gte=since, subcategory__isnull=False)
        .values_list("subcategory_id", flat=True)
    )
    active = list(Category.objects.for_tenant(tenant).filter(is_active=True))
    subcategories = sorted(
        (c for c in active if c.parent_id), key=lambda c: (-used[c.pk], c.parent_id, c.position)
    )
    tops = [c.name for c in active if not c.parent_id]
    districts = District.objects.for_tenant(tenant).values_list("name", flat=True)
    terms = [*ASR_CORE_TERMS, *districts, *(c.name for c in subcategories), *tops]
    return list(dict.fromkeys(terms))


def _catalogue_fingerprint(tenant: Tenant) -> str:
    """Changes whenever a category or district of the tenant is added, renamed or removed."""
    categories = list(
        Category.objects.for_tenant(tenant)
        .order_by("id")
        .values_list("id", "name", "is_active", "parent_id")
    )
    districts = list(District.objects.for_tenant(tenant).order_by("id").values_list("id", "name"))
    return hashlib.blake2b(repr((categories, districts)).encode(), digest_size=8).hexdigest()


def asr_prompt(tenant: Tenant) -> str | None:
    """The tenant's recognition prompt (`suite.ai.gateway.transcription_prompt` over `asr_terms`),
    cached per tenant under its catalogue's fingerprint; the usage order refreshes hourly."""
    key = f"gov_hotline:asr-prompt:{tenant.pk}:{_catalogue_fingerprint(tenant)}"
    prompt = cache.get(key)
    if prompt is None:
        prompt = transcription_prompt(asr_terms(tenant)) or ""
        cache.set(key, prompt, ASR_PROMPT_TTL_S)
    return prompt or None
