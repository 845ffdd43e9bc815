"""Work orders: numbered, categorised and created from an intake, with their history."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from suite.audit.services import audit_record
from suite.tenancy.models import Tenant

from .. import extraction
from ..models import (
    AssignmentStatus,
    Category,
    Channel,
    District,
    ExampleSource,
    OrderEvent,
    OrderStatus,
    RecordingIntake,
    RequestType,
    TrainingExample,
    Urgency,
    WorkOrder,
)
from ..sla import due_at
from ..taxonomy import (
    EMERGENCY_LINES,
)
from .common import TRAINED_FIELDS


def _event(order: WorkOrder, action: str, *, user=None, before: str = "", note="", **data) -> None:
    OrderEvent.objects.create(
        tenant_id=order.tenant_id,
        order=order,
        action=action,
        from_status=before,
        to_status=order.status,
        note=note,
        data=data,
        actor=user if getattr(user, "pk", None) else None,
        actor_label=str(user) if user is not None else "system",
    )


def _set_status(order: WorkOrder, status: str, action: str, *, user=None, note="", **data):
    before = order.status
    order.status = status
    order.save()
    _event(order, action, user=user, before=before, note=note, **data)


def _next_number(tenant: Tenant) -> str:
    today = timezone.localdate()
    prefix = f"{today:%Y%m%d}"
    last = (
        WorkOrder.objects.for_tenant(tenant)
        .filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    seq = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{seq:05d}"


def resolve_category(tenant: Tenant, category: str, subcategory: str) -> tuple[Category, Category]:
    """Names (or "top/sub") to the tenant's active categories, or a clear error."""
    if "/" in subcategory and not category:
        category, subcategory = subcategory.split("/", 1)
    top = (
        Category.objects.for_tenant(tenant)
        .filter(parent=None, name=category, is_active=True)
        .first()
    )
    if top is None:
        raise ValidationError({"category": _("Unknown category “%(name)s”.") % {"name": category}})
    sub = (
        Category.objects.for_tenant(tenant)
        .filter(parent=top, name=subcategory, is_active=True)
        .first()
    )
    if sub is None:
        raise ValidationError(
            {
                "subcategory": _("“%(sub)s” is not a subcategory of “%(top)s”.")
                % {"sub": subcategory, "top": category}
            }
        )
    return top, sub


def resolve_district(tenant: Tenant, name: str) -> District | None:
    if not name:
        return None
    district = District.objects.for_tenant(tenant).filter(name=name).first()
    if district is None:
        raise ValidationError({"district": _("Unknown district “%(name)s”.") % {"name": name}})
    return district


@transaction.atomic
def order_create(
    *,
    tenant: Tenant,
    text: str,
    channel: str,
    request_type: str,
    category: str,
    subcategory: str,
    summary: str,
    district: str = "",
    address: str = "",
    urgency: str = Urgency.NORMAL,
    contact_name: str = "",
    contact_phone: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    draft: dict | None = None,
    transcript: list | None = None,
    recording=None,
    direct_answer: str = "",
    emergency_line: str = "",
    user=None,
    request=None,
) -> WorkOrder:
    text = extraction.clean_text(text)
    errors = {}
    if channel not in Channel.values:
        errors["channel"] = _("Unknown channel.")
    if request_type not in RequestType.values:
        errors["request_type"] = _("Choose one of: %(types)s.") % {
            "types": "、".join(RequestType.values)
        }
    if urgency not in Urgency.values:
        errors["urgency"] = _("Urgency must be normal, urgent or critical.")
    summary = (summary or "").strip()
    if not summary:
        errors["summary"] = _("Write the citizen's demand in one line.")
    if emergency_line and emergency_line not in EMERGENCY_LINES:
        errors["emergency_line"] = _("Emergency lines are 110, 119, 120 and 122.")
    if errors:
        raise ValidationError(errors)
    top, sub = resolve_category(tenant, category, subcategory)
    district_obj = resolve_district(tenant, district)
    if not contact_phone:
        # The number the citizen gave in the call or text is kept; lists only show it masked.
        contact_phone = extraction.extract_contact(text)[1].value
    now = timezone.now()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                order = WorkOrder.objects.create(
                    tenant=tenant,
                    number=_next_number(tenant),
                    channel=channel,
                    text=text,
                    transcript=transcript or [],
                    request_type=request_type,
                    category=top,
                    subcategory=sub,
                    district=district_obj,
                    address=address.strip()[:200],
                    latitude=latitude,
                    longitude=longitude,
                    summary=summary[:200],
                    urgency=urgency,
                    contact_name=contact_name.strip()[:60],
                    contact_phone=contact_phone[:20],
                    draft=draft or {},
                    emergency_line=emergency_line,
                    direct_answer=direct_answer.strip(),
                    due_at=due_at(tenant, request_type, urgency, now),
                    created_by=user if getattr(user, "pk", None) else None,
                )
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover - three concurrent numbering collisions in a row
        raise ValidationError(_("Could not number the order; try again."))
    if recording is not None:
        order.recording.save(f"{order.number}{_suffix(recording)}", recording, save=True)
    _event(order, "created", user=user, channel=channel)
    _keep_training_example(order, sub, draft or {})
    if emergency_line:
        _set_status(
            order,
            OrderStatus.TRANSFERRED,
            "transferred",
            user=user,
            note=_("Transferred to %(line)s.") % {"line": emergency_line},
            line=emergency_line,
        )
    elif direct_answer.strip():
        order.closed_at = now
        _set_status(order, OrderStatus.CLOSED, "answered_directly", user=user)
    audit_record(
        action="gov_hotline.order.create",
        tenant=tenant,
        request=request,
        actor=user if getattr(user, "pk", None) else None,
        obj=order,
        data={"number": order.number, "channel": channel, "status": order.status},
    )
    return order


@transaction.atomic
def intake_confirm(
    *,
    tenant: Tenant,
    text: str,
    request_type: str,
    subcategory: str,
    summary: str,
    district: str = "",
    address: str = "",
    urgency: str = Urgency.NORMAL,
    contact_name: str = "",
    emergency_line: str = "",
    direct_answer: str = "",
    transcript: list | None = None,
    draft: dict | None = None,
    intake: RecordingIntake | None = None,
    merge_into: WorkOrder | None = None,
    user=None,
    request=None,
) -> WorkOrder:
    """Saves the order an agent confirmed from a draft (`subcategory` as "top/sub"), marks the
    recording or call intake it came from as confirmed, and, when the agent recognised a
    re-report, merges it into `merge_into` (the citizen's words stay on the merged order).
    All or nothing: a merge that is refused leaves no order behind."""
    category, _sep, subcategory = subcategory.partition("/")
    transcript = transcript or []
    # A transcript without a live call behind it came from an uploaded recording.
    from_call = intake is not None and intake.call_id is not None
    order = order_create(
        tenant=tenant,
        text=text,
        channel=Channel.RECORDING if transcript and not from_call else Channel.PHONE,
        transcript=transcript,
        request_type=request_type,
        category=category,
        subcategory=subcategory,
        district=district,
        address=address,
        summary=summary,
        urgency=urgency,
        contact_name=contact_name,
        emergency_line=emergency_line,
        direct_answer=direct_answer,
        draft=draft if isinstance(draft, dict) else {},
        user=user,
        request=request,
        recording=intake.recording if intake is not None and intake.recording else None,
    )
    if intake is not None:
        # Both were read through the tenant's querysets; the check keeps a caller honest.
        if intake.tenant_id != order.tenant_id:
            raise ValueError("an intake and its order belong to one tenant")
        intake.order = order
        intake.save(update_fields=["order"])
    if merge_into is not None:
        order_merge(main=merge_into, duplicates=[order], user=user)
    return order


def _suffix(upload) -> str:
    name = getattr(upload, "name", "") or ""
    return name[name.rfind(".") :].lower()[:8] if "." in name else ""


def _keep_training_example(order: WorkOrder, subcategory: Category, draft: dict) -> None:
    """A confirmed order is training data; if the agent changed what the classifier proposed,
    the example records which fields were corrected. `subcategory` is the order's own, which
    `resolve_category` guarantees but the nullable field cannot say."""
    corrected = []
    if draft:
        if draft.get("request_type") and draft["request_type"] != order.request_type:
            corrected.append("request_type")
        proposed = f"{draft.get('category', '')}/{draft.get('subcategory', '')}"
        if draft.get("subcategory") and proposed != str(order.subcategory):
            corrected.append("subcategory")
        for name in ("district", "urgency"):
            value = getattr(order, name)
            if draft.get(name, "") != (str(value) if value else ""):
                corrected.append(name)
    TrainingExample.objects.create(
        tenant_id=order.tenant_id,
        text=order.text,
        request_type=order.request_type,
        subcategory=subcategory,
        source=(
            ExampleSource.CORRECTION
            if set(corrected) & set(TRAINED_FIELDS)
            else ExampleSource.ORDER
        ),
        order=order,
        corrected_fields=corrected,
    )


@transaction.atomic
def order_merge(*, main: WorkOrder, duplicates: list[WorkOrder], user=None) -> WorkOrder:
    """Merge orders about the same issue under `main`; they follow its handling from now on."""
    if not duplicates:
        raise ValidationError(_("Choose at least one order to merge."))
    if not main.is_open:
        raise ValidationError(_("The main order must still be open."))
    for order in duplicates:
        if order.pk == main.pk or order.tenant_id != main.tenant_id:
            raise ValidationError(_("An order cannot be merged into itself."))
        if not order.is_open:
            raise ValidationError(
                _("Order %(n)s is no longer open and cannot be merged.") % {"n": order.number}
            )
    for order in duplicates:
        order.merged_into = main
        order.assignments.filter(
            status__in=[AssignmentStatus.PENDING, AssignmentStatus.ACCEPTED]
        ).update(status=AssignmentStatus.WITHDRAWN)
        _set_status(order, OrderStatus.MERGED, "merged", user=user, main=main.number)
    _event(main, "merged_in", user=user, orders=[o.number for o in duplicates])
    return main
