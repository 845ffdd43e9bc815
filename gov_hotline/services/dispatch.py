"""An order's way through departments: dispatch, accept, return, extend, reply, close,
return visits and merges."""

from __future__ import annotations

from typing import cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..completeness import check_reply
from ..models import (
    Assignment,
    AssignmentStatus,
    Department,
    ExtensionRequest,
    ExtensionStatus,
    HandlingRole,
    OrderStatus,
    ReturnVisit,
    Satisfaction,
    WorkOrder,
)
from ..sla import WorkCalendar, due_at
from ..taxonomy import (
    EMERGENCY_LINES,
)
from .common import EVIDENCE_TYPES, MAX_EVIDENCE_BYTES, MAX_EXTENSION_DAYS
from .orders import _event, _set_status, _suffix


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
    # Django's upload handlers always set the size; the stubs allow None for bare files.
    if cast(int, upload.size) > MAX_EVIDENCE_BYTES:
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
        # Just saved, so the file has a name.
        file=cast(str, assignment.evidence.name).rsplit("/", 1)[-1],
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
