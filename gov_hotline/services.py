"""Writes of the hotline: the catalogue, work orders and their whole workflow.

Every function takes the tenant (or a tenant-owned object already fetched through the tenant's
queryset) explicitly, validates before it writes, and records an OrderEvent for the history."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from suite.audit.services import audit_record
from suite.tenancy.models import Tenant

from . import extraction
from .completeness import check_reply
from .models import (
    Assignment,
    AssignmentStatus,
    Category,
    Channel,
    Department,
    DispatchRule,
    District,
    ExampleSource,
    ExtensionRequest,
    ExtensionStatus,
    HandlingRole,
    Holiday,
    Open311Feed,
    OrderEvent,
    OrderStatus,
    RecordingIntake,
    RequestType,
    ReturnVisit,
    Satisfaction,
    SlaRule,
    TrainingExample,
    Urgency,
    WorkOrder,
)
from .sla import WorkCalendar, due_at
from .taxonomy import (
    CITY_DISTRICTS,
    DEFAULT_DEPARTMENTS,
    DEFAULT_DISPATCH,
    DEFAULT_TAXONOMY,
    EMERGENCY_LINES,
    districts_for_names,
)

MAX_EXTENSION_DAYS = 30
TRAINED_FIELDS = ("request_type", "subcategory")
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = (".jpg", ".jpeg", ".png", ".pdf")


# --- catalogue ----------------------------------------------------------------------------


def tenant_default_districts(tenant: Tenant) -> tuple[str, ...]:
    """The districts a tenant starts from: its own city's, found from its name or its
    ancestors' in the tenancy tree (a Shenzhen centre gets Shenzhen's, a provincial centre its
    province's cities')."""
    names, node = [], tenant
    while node is not None:
        names.append(node.name)
        node = node.parent
    return districts_for_names(names)


@transaction.atomic
def catalogue_install_defaults(*, tenant: Tenant, city: str | None = None) -> None:
    """The default taxonomy, districts, departments and dispatch catalogue (idempotent). The
    districts are the tenant's own city's (`tenant_default_districts`), or `city`'s if given."""
    subs: dict[str, Category] = {}
    for position, (top_name, children) in enumerate(DEFAULT_TAXONOMY.items()):
        top, _created = Category.objects.get_or_create(
            tenant=tenant, parent=None, name=top_name, defaults={"position": position}
        )
        for child_pos, name in enumerate(children):
            subs[name], _created = Category.objects.get_or_create(
                tenant=tenant, parent=top, name=name, defaults={"position": child_pos}
            )
    for name in CITY_DISTRICTS[city] if city else tenant_default_districts(tenant):
        District.objects.get_or_create(tenant=tenant, name=name)
    departments = {}
    for code, name in DEFAULT_DEPARTMENTS:
        departments[code], _created = Department.objects.get_or_create(
            tenant=tenant, code=code, defaults={"name": name}
        )
    for sub_name, (lead, co) in DEFAULT_DISPATCH.items():
        DispatchRule.objects.get_or_create(
            tenant=tenant,
            category=subs[sub_name],
            district=None,
            department=departments[lead],
            defaults={"role": HandlingRole.LEAD},
        )
        for code in co:
            DispatchRule.objects.get_or_create(
                tenant=tenant,
                category=subs[sub_name],
                district=None,
                department=departments[code],
                defaults={"role": HandlingRole.CO},
            )


@transaction.atomic
def category_create(*, tenant: Tenant, name: str, parent: Category | None = None) -> Category:
    name = name.strip()
    if not name or len(name) > 40:
        raise ValidationError({"name": _("A category name needs 1 to 40 characters.")})
    if parent is not None and (parent.tenant_id != tenant.pk or parent.parent_id is not None):
        raise ValidationError({"parent": _("Choose a top-level category of this tenant.")})
    if Category.objects.for_tenant(tenant).filter(parent=parent, name=name).exists():
        raise ValidationError({"name": _("This category already exists.")})
    position = Category.objects.for_tenant(tenant).filter(parent=parent).count()
    return Category.objects.create(tenant=tenant, name=name, parent=parent, position=position)


@transaction.atomic
def district_create(*, tenant: Tenant, name: str) -> District:
    """Adds a district to the tenant's own list (drafts pick only from this list)."""
    name = name.strip()
    if not name or len(name) > 40:
        raise ValidationError({"name": _("A district name needs 1 to 40 characters.")})
    district, created = District.objects.get_or_create(tenant=tenant, name=name)
    if not created:
        raise ValidationError({"name": _("This district already exists.")})
    return district


@transaction.atomic
def category_set_active(*, category: Category, active: bool) -> Category:
    category.is_active = active
    category.save(update_fields=["is_active"])
    if category.parent_id is None:
        category.children.update(is_active=active)
    return category


@transaction.atomic
def holiday_set(*, tenant: Tenant, date, name: str, is_workday: bool = False) -> Holiday:
    holiday, _created = Holiday.objects.update_or_create(
        tenant=tenant, date=date, defaults={"name": name.strip()[:60], "is_workday": is_workday}
    )
    return holiday


@transaction.atomic
def department_member_set(*, department: Department, user, member: bool) -> Department:
    """Adds or removes a department handler; only handlers of the department's tenant."""
    from suite.tenancy.models import Role
    from suite.tenancy.selectors import user_has_role

    if member and not user_has_role(user, department.tenant, Role.DEPARTMENT_HANDLER):
        raise ValidationError(
            {"user": _("Only department handlers of this tenant can join a department.")}
        )
    if member:
        department.members.add(user)
    else:
        department.members.remove(user)
    return department


@transaction.atomic
def dispatch_rule_set(
    *,
    tenant: Tenant,
    category: Category,
    department: Department,
    role: str,
    district: District | None = None,
) -> DispatchRule:
    if role not in HandlingRole.values:
        raise ValidationError({"role": _("Choose lead or co-handling.")})
    for obj in (category, department, district):
        if obj is not None and obj.tenant_id != tenant.pk:
            raise ValidationError(_("Choose a category, department and district of this tenant."))
    rule, _created = DispatchRule.objects.update_or_create(
        tenant=tenant,
        category=category,
        district=district,
        department=department,
        defaults={"role": role},
    )
    return rule


@transaction.atomic
def sla_rule_set(*, tenant: Tenant, request_type: str, urgency: str, working_days: int) -> SlaRule:
    if request_type not in RequestType.values or urgency not in Urgency.values:
        raise ValidationError(_("Unknown request type or urgency."))
    if not 0 <= working_days <= 60:
        raise ValidationError({"working_days": _("Working days must be between 0 and 60.")})
    rule, _created = SlaRule.objects.update_or_create(
        tenant=tenant,
        request_type=request_type,
        urgency=urgency,
        defaults={"working_days": working_days},
    )
    return rule


# --- orders ------------------------------------------------------------------------------


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
    _keep_training_example(order, draft or {})
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


def _keep_training_example(order: WorkOrder, draft: dict) -> None:
    """A confirmed order is training data; if the agent changed what the classifier proposed,
    the example records which fields were corrected."""
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
        subcategory=order.subcategory,
        source=(
            ExampleSource.CORRECTION
            if set(corrected) & set(TRAINED_FIELDS)
            else ExampleSource.ORDER
        ),
        order=order,
        corrected_fields=corrected,
    )


# --- dispatch ------------------------------------------------------------------------------


def _lock(order: WorkOrder) -> WorkOrder:
    """Re-reads the order under a row lock: transitions see the current status, never a stale
    copy, and two people acting at once are serialised."""
    order.refresh_from_db(from_queryset=WorkOrder.objects.select_for_update())
    return order


def _require_status(order: WorkOrder, *allowed: str) -> None:
    _lock(order)
    if order.status not in allowed:
        raise ValidationError(
            _("This cannot be done while the order is “%(status)s”.")
            % {"status": order.get_status_display()}
        )


@transaction.atomic
def order_dispatch(
    *,
    order: WorkOrder,
    lead: Department,
    co: list[Department] | None = None,
    reasons: dict[int, str] | None = None,
    user=None,
    note: str = "",
) -> WorkOrder:
    """Dispatch (or reassign) to a lead department and optional co-handlers."""
    _require_status(
        order,
        OrderStatus.NEW,
        OrderStatus.RETURNED,
        OrderStatus.DISPATCHED,
        OrderStatus.IN_PROGRESS,
    )
    co = [d for d in co or [] if d.pk != lead.pk]
    for department in [lead, *co]:
        if department.tenant_id != order.tenant_id or not department.is_active:
            raise ValidationError({"department": _("Choose an active department of this tenant.")})
    reasons = reasons or {}
    reassign = order.status != OrderStatus.NEW
    withdrawn = order.assignments.filter(
        status__in=[AssignmentStatus.PENDING, AssignmentStatus.ACCEPTED]
    ).update(status=AssignmentStatus.WITHDRAWN)
    for department, role in [(lead, HandlingRole.LEAD)] + [(d, HandlingRole.CO) for d in co]:
        Assignment.objects.create(
            tenant_id=order.tenant_id,
            order=order,
            department=department,
            role=role,
            reason=reasons.get(department.pk, "")[:300],
        )
    _set_status(
        order,
        OrderStatus.DISPATCHED,
        "reassigned" if reassign else "dispatched",
        user=user,
        note=note,
        lead=lead.name,
        co=[d.name for d in co],
        withdrawn=withdrawn,
    )
    return order


def _check_handler(assignment: Assignment, user) -> None:
    assignment.refresh_from_db(from_queryset=Assignment.objects.select_for_update())
    if user is not None and not assignment.department.members.filter(pk=user.pk).exists():
        # Same answer as an assignment that does not exist.
        raise PermissionDenied


@transaction.atomic
def assignment_accept(*, assignment: Assignment, user=None) -> Assignment:
    _check_handler(assignment, user)
    if assignment.status != AssignmentStatus.PENDING:
        raise ValidationError(_("Only a pending assignment can be accepted."))
    assignment.status = AssignmentStatus.ACCEPTED
    assignment.accepted_at = timezone.now()
    assignment.save(update_fields=["status", "accepted_at"])
    order = _lock(assignment.order)
    if assignment.role == HandlingRole.LEAD and order.status == OrderStatus.DISPATCHED:
        _set_status(
            order,
            OrderStatus.IN_PROGRESS,
            "accepted",
            user=user,
            department=assignment.department.name,
        )
    else:
        _event(order, "accepted", user=user, department=assignment.department.name)
    return assignment


@transaction.atomic
def assignment_return(*, assignment: Assignment, objection: str, user=None) -> Assignment:
    """退回/争议: the department says the order is not theirs, and why."""
    _check_handler(assignment, user)
    objection = (objection or "").strip()
    if len(objection) < 5:
        raise ValidationError(
            {"objection": _("Say why the order is returned (at least 5 characters).")}
        )
    if assignment.status not in (AssignmentStatus.PENDING, AssignmentStatus.ACCEPTED):
        raise ValidationError(_("This assignment can no longer be returned."))
    assignment.status = AssignmentStatus.RETURNED
    assignment.objection = objection
    assignment.save(update_fields=["status", "objection"])
    order = _lock(assignment.order)
    if assignment.role == HandlingRole.LEAD:
        _set_status(
            order,
            OrderStatus.RETURNED,
            "returned",
            user=user,
            note=objection,
            department=assignment.department.name,
        )
    else:
        _event(order, "returned", user=user, note=objection, department=assignment.department.name)
    return assignment


@transaction.atomic
def extension_request(
    *, assignment: Assignment, working_days: int, reason: str, user=None
) -> ExtensionRequest:
    _check_handler(assignment, user)
    reason = (reason or "").strip()
    if assignment.role != HandlingRole.LEAD or assignment.status != AssignmentStatus.ACCEPTED:
        raise ValidationError(
            _("Only the lead department, after accepting, can ask for more time.")
        )
    if not 1 <= int(working_days) <= MAX_EXTENSION_DAYS:
        raise ValidationError(
            {"working_days": _("Ask for 1 to %(n)d working days.") % {"n": MAX_EXTENSION_DAYS}}
        )
    if len(reason) < 5:
        raise ValidationError({"reason": _("Say why more time is needed.")})
    if assignment.extensions.filter(status=ExtensionStatus.PENDING).exists():
        raise ValidationError(_("An extension request is already waiting for a decision."))
    extension = ExtensionRequest.objects.create(
        tenant_id=assignment.tenant_id,
        assignment=assignment,
        working_days=working_days,
        reason=reason,
    )
    _event(assignment.order, "extension_requested", user=user, note=reason, days=working_days)
    return extension


@transaction.atomic
def extension_decide(*, extension: ExtensionRequest, approve: bool, user=None) -> ExtensionRequest:
    if extension.status != ExtensionStatus.PENDING:
        raise ValidationError(_("This extension request was already decided."))
    extension.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REJECTED
    extension.decided_by = user if getattr(user, "pk", None) else None
    extension.decided_at = timezone.now()
    extension.save(update_fields=["status", "decided_by", "decided_at"])
    order = _lock(extension.assignment.order)
    if approve:
        calendar = WorkCalendar.for_tenant(order.tenant)
        order.due_at = calendar.add_working_days(
            order.due_at or timezone.now(), extension.working_days
        )
        order.reminded_at = None
        order.escalated_at = None
        order.save(update_fields=["due_at", "reminded_at", "escalated_at", "updated_at"])
    _event(
        order,
        "extension_approved" if approve else "extension_rejected",
        user=user,
        days=extension.working_days,
    )
    return extension


def evidence_check(*, upload: UploadedFile) -> None:
    """Validates a department's evidence file before anything else touches it: its type by
    name, its size, that the content is what the name says (the file is later served with the
    type its name implies), then suite's one file check (a whole PDF, or an image whose pixel
    count is checked from the header before any pixel is decoded)."""
    from suite.ai.errors import InvalidInput
    from suite.media import files

    name = (upload.name or "").lower()
    if not name.endswith(EVIDENCE_TYPES):
        raise ValidationError({"evidence": _("Evidence must be a JPEG, PNG or PDF file.")})
    if upload.size > MAX_EVIDENCE_BYTES:
        raise ValidationError({"evidence": _("Evidence files are limited to 10 MB.")})
    data = upload.read()
    upload.seek(0)
    named = (
        files.PDF if name.endswith(".pdf") else files.PNG if name.endswith(".png") else files.JPEG
    )
    if files.sniff_file(data) != named:
        if named == files.PDF:
            raise ValidationError({"evidence": _("This file is not a PDF document.")})
        raise ValidationError(
            {
                "evidence": _("The file's content does not match its name: it is not a %(type)s.")
                % {"type": files.LABELS[named]}
            }
        )
    try:
        files.validate_file(data, kinds=(named,), filename=name, max_bytes=MAX_EVIDENCE_BYTES)
    except InvalidInput as exc:
        raise ValidationError({"evidence": exc.message}) from exc


@transaction.atomic
def assignment_evidence_attach(
    *, assignment: Assignment, upload: UploadedFile, user=None
) -> Assignment:
    """Evidence of the handling, attached by the department before it replies (over REST the
    file and the reply are two requests; the portal's reply form carries both). The file is
    validated before it is read for anything else; a second file replaces the first, as a
    new reply with evidence does."""
    _check_handler(assignment, user)
    if assignment.status != AssignmentStatus.ACCEPTED:
        raise ValidationError(
            _("Evidence can be attached once the assignment is accepted, before the reply.")
        )
    evidence_check(upload=upload)
    order = assignment.order
    assignment.evidence.save(f"{order.number}-{assignment.pk}{_suffix(upload)}", upload, save=False)
    assignment.save(update_fields=["evidence"])
    _event(
        order,
        "evidence_attached",
        user=user,
        department=assignment.department.name,
        file=assignment.evidence.name.rsplit("/", 1)[-1],
    )
    return assignment


@transaction.atomic
def assignment_reply(
    *, assignment: Assignment, reply: str, evidence: UploadedFile | None = None, user=None
) -> Assignment:
    """The department's result. Evidence is validated first, then the lead's reply is checked
    against the demand; an incomplete reply is refused with what is missing, and nothing is
    saved."""
    if evidence is not None:
        evidence_check(upload=evidence)
    _check_handler(assignment, user)
    if assignment.status != AssignmentStatus.ACCEPTED:
        raise ValidationError(_("Accept the assignment before replying."))
    order = _lock(assignment.order)
    report = check_reply(demand=order.summary, reply=reply)
    if not report.ok:
        raise ValidationError({"reply": report.problems})
    assignment.reply = reply.strip()
    assignment.status = AssignmentStatus.REPLIED
    assignment.replied_at = timezone.now()
    if evidence is not None:
        assignment.evidence.save(
            f"{order.number}-{assignment.pk}{_suffix(evidence)}", evidence, save=False
        )
    assignment.save()
    if assignment.role == HandlingRole.LEAD:
        _set_status(
            order,
            OrderStatus.REPLIED,
            "replied",
            user=user,
            note=assignment.reply,
            completeness=report.as_dict(),
        )
    else:
        _event(order, "co_replied", user=user, note=assignment.reply)
    return assignment


@transaction.atomic
def order_close(*, order: WorkOrder, user=None) -> WorkOrder:
    _require_status(order, OrderStatus.REPLIED)
    order.closed_at = timezone.now()
    _set_status(order, OrderStatus.CLOSED, "closed", user=user)
    return order


@transaction.atomic
def order_send_back(*, order: WorkOrder, note: str, user=None) -> WorkOrder:
    """The dispatcher finds the reply wanting: back to the lead department."""
    _require_status(order, OrderStatus.REPLIED)
    if len((note or "").strip()) < 5:
        raise ValidationError({"note": _("Say what the reply is missing.")})
    order.assignments.filter(role=HandlingRole.LEAD, status=AssignmentStatus.REPLIED).update(
        status=AssignmentStatus.ACCEPTED
    )
    _set_status(order, OrderStatus.IN_PROGRESS, "sent_back", user=user, note=note.strip())
    return order


@transaction.atomic
def order_transfer(*, order: WorkOrder, line: str, user=None) -> WorkOrder:
    if line not in EMERGENCY_LINES:
        raise ValidationError({"line": _("Emergency lines are 110, 119, 120 and 122.")})
    _require_status(order, *[s for s in OrderStatus.values if s not in ("closed", "merged")])
    order.emergency_line = line
    order.closed_at = timezone.now()
    _set_status(order, OrderStatus.TRANSFERRED, "transferred", user=user, line=line)
    return order


@transaction.atomic
def visit_record(
    *, order: WorkOrder, satisfaction: str, comment: str = "", user=None
) -> ReturnVisit:
    """回访. An unsatisfied citizen reopens the order with the same lead department."""
    if satisfaction not in Satisfaction.values:
        raise ValidationError({"satisfaction": _("Choose satisfied, basically or unsatisfied.")})
    _require_status(order, OrderStatus.CLOSED)
    visit = ReturnVisit.objects.create(
        tenant_id=order.tenant_id,
        order=order,
        satisfaction=satisfaction,
        comment=comment.strip(),
        visited_by=user if getattr(user, "pk", None) else None,
    )
    if satisfaction == Satisfaction.UNSATISFIED:
        lead = order.assignments.filter(
            role=HandlingRole.LEAD, status=AssignmentStatus.REPLIED
        ).last()
        order.reopen_count += 1
        order.closed_at = None
        order.due_at = due_at(order.tenant, order.request_type, order.urgency, timezone.now())
        order.reminded_at = order.escalated_at = None
        if lead is not None:
            lead.status = AssignmentStatus.ACCEPTED
            lead.save(update_fields=["status"])
            _set_status(order, OrderStatus.IN_PROGRESS, "reopened", user=user, note=comment)
        else:
            _set_status(order, OrderStatus.NEW, "reopened", user=user, note=comment)
    else:
        _event(order, "visited", user=user, satisfaction=satisfaction, note=comment)
    return visit


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


# --- deadlines -----------------------------------------------------------------------------

REMIND_BEFORE = timedelta(hours=24)


@transaction.atomic
def sla_sweep(*, tenant: Tenant, now: datetime | None = None) -> dict:
    """Reminders for orders due within a day, escalation of overdue ones; each once."""
    now = now or timezone.now()
    open_orders = WorkOrder.objects.for_tenant(tenant).filter(
        status__in=[
            OrderStatus.NEW,
            OrderStatus.DISPATCHED,
            OrderStatus.IN_PROGRESS,
            OrderStatus.RETURNED,
        ],
        due_at__isnull=False,
    )
    reminded = escalated = 0
    for order in open_orders.filter(
        due_at__lte=now + REMIND_BEFORE, due_at__gt=now, reminded_at=None
    ):
        order.reminded_at = now
        order.save(update_fields=["reminded_at"])
        _event(order, "sla_reminder", due=order.due_at.isoformat())
        reminded += 1
    for order in open_orders.filter(due_at__lte=now, escalated_at=None):
        order.escalated_at = now
        order.save(update_fields=["escalated_at"])
        _event(order, "sla_overdue", due=order.due_at.isoformat())
        escalated += 1
    return {"reminded": reminded, "escalated": escalated}


@transaction.atomic
def open311_feed_set(
    *, tenant: Tenant, public_reads: bool, actor=None, request=None
) -> Open311Feed:
    """Opens (or closes) the tenant's Open311 GETs to callers without an API key."""
    feed, _created = Open311Feed.objects.update_or_create(
        tenant=tenant, defaults={"public_reads": public_reads}
    )
    audit_record(
        action="gov_hotline.open311.feed_set",
        tenant=tenant,
        request=request,
        actor=actor,
        obj=feed,
        data={"public_reads": public_reads},
    )
    return feed
