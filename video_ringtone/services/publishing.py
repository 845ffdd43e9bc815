"""Publishing approved ringtones: set on a number (time window, caller group) through the
operator platform adapter, enterprise-wide assignment, gallery likes and comments."""

from __future__ import annotations

import re
from datetime import time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from suite.audit.services import audit_record
from suite.jobs.services import job_enqueue
from suite.privacy import mask_phone, mask_text

from ..models import (
    Assignment,
    AssignmentState,
    CallerGroup,
    Comment,
    Employee,
    Like,
    Ringtone,
    RingtoneStatus,
)
from ..platform import PlatformError, PlatformTransientError, ProvisionRequest, get_platform
from ..selectors import renditions as ringtone_renditions
from .common import check_text
from .ratelimits import rate_check

PHONE = re.compile(r"^1[3-9]\d{9}$")
MAX_COMMENT = 200


def _require_approved(ringtone: Ringtone) -> None:
    if ringtone.status != RingtoneStatus.APPROVED:
        raise ValidationError({"ringtone": _("Only approved ringtones can be set.")})


def _phone(value: str) -> str:
    value = re.sub(r"[\s-]", "", value or "")
    if not PHONE.match(value):
        raise ValidationError({"phone": _("Enter an 11-digit mainland mobile number.")})
    return value


def assignment_create(
    *,
    ringtone: Ringtone,
    phone: str,
    user,
    start_time: time | None = None,
    end_time: time | None = None,
    caller_group: str = CallerGroup.ALL,
) -> Assignment:
    """Set the ringtone on a number. It replaces the number's setting for the same caller
    group; provisioning runs as a job so a slow platform never blocks the page."""
    _require_approved(ringtone)
    phone = _phone(phone)
    if caller_group not in CallerGroup.values:
        raise ValidationError({"caller_group": _("Pick one of the caller groups.")})
    if (start_time is None) != (end_time is None):
        raise ValidationError({"end_time": _("Give both the start and the end of the window.")})
    if start_time is not None and start_time == end_time:
        raise ValidationError({"end_time": _("The window must not be empty.")})
    with transaction.atomic():
        replaced = list(
            Assignment.objects.for_tenant(ringtone.tenant)
            .filter(phone=phone, caller_group=caller_group)
            .exclude(state=AssignmentState.REMOVED)
        )
        for old in replaced:
            assignment_remove(assignment=old, user=user)
        assignment = Assignment.objects.create(
            tenant=ringtone.tenant,
            ringtone=ringtone,
            phone=phone,
            start_time=start_time,
            end_time=end_time,
            caller_group=caller_group,
            created_by=user,
        )
        _enqueue(assignment, "provision", user)
        audit_record(
            action="video_ringtone.set",
            tenant=ringtone.tenant,
            actor=user,
            obj=assignment,
            data={"phone": mask_phone(phone), "ringtone": ringtone.pk},
        )
    return assignment


def gallery_ringtone_set(*, ringtone: Ringtone, user) -> tuple[Assignment, bool]:
    """一键设置同款: a ringtone another subscriber shared in the gallery (approved, so already
    checked and reviewed) set on the user's own number for all callers, through the same
    checks and provisioning job as "set as my ringtone". Returns (assignment, created): the
    same ringtone already on the number for all callers is kept, not provisioned again."""
    if ringtone.status != RingtoneStatus.APPROVED or not ringtone.in_gallery:
        raise ValidationError({"ringtone": _("Only ringtones shared in the gallery can be set.")})
    if not user.phone:
        raise ValidationError(
            {"phone": _("Your account has no mobile number to set a ringtone on.")}
        )
    current = (
        Assignment.objects.for_tenant(ringtone.tenant)
        .filter(phone=user.phone, caller_group=CallerGroup.ALL, ringtone=ringtone)
        .exclude(state__in=(AssignmentState.REMOVED, AssignmentState.FAILED))
        .filter(start_time__isnull=True)
        .first()
    )
    if current is not None:
        return current, False
    return assignment_create(ringtone=ringtone, phone=user.phone, user=user), True


def _enqueue(assignment: Assignment, action: str, user) -> None:

    job_enqueue(
        tenant=assignment.tenant,
        kind=f"video_ringtone.{action}",
        task="video_ringtone.platform_sync",
        params={"assignment_id": str(assignment.pk), "action": action},
        idempotency_key=f"{action}-{assignment.pk}",
        created_by=user,
    )


@transaction.atomic
def assignment_remove(*, assignment: Assignment, user) -> Assignment:
    if assignment.state == AssignmentState.REMOVED:
        return assignment
    assignment.state = AssignmentState.REMOVED
    assignment.save(update_fields=["state"])
    if assignment.platform_ref:
        _enqueue(assignment, "deprovision", user)
    return assignment


def assignment_sync(*, assignment: Assignment, action: str) -> dict:
    """Runs in the worker. Raises PlatformTransientError for the job to retry."""
    platform = get_platform()
    assignment.attempts += 1
    try:
        if action == "deprovision":
            platform.deprovision(
                tenant_id=assignment.tenant_id,
                request_id=str(assignment.pk),
                platform_ref=assignment.platform_ref,
            )
        else:
            if assignment.state == AssignmentState.REMOVED:
                return {"skipped": "removed before provisioning"}
            render = assignment.ringtone.render
            assignment.platform_ref = platform.provision(
                ProvisionRequest(
                    tenant_id=assignment.tenant_id,
                    request_id=str(assignment.pk),
                    phone=assignment.phone,
                    content_id=render.content_id,
                    video_path=render.video,
                    start_time=assignment.start_time,
                    end_time=assignment.end_time,
                    caller_group=assignment.caller_group,
                    renditions={
                        profile: rendition.video
                        for profile, rendition in ringtone_renditions(assignment.ringtone).items()
                    },
                )
            )
            assignment.state = AssignmentState.ACTIVE
            assignment.last_error = ""
    except PlatformTransientError as exc:
        assignment.last_error = str(exc)[:300]
        assignment.save(update_fields=["attempts", "last_error"])
        raise
    except PlatformError as exc:
        assignment.state = AssignmentState.FAILED
        assignment.last_error = str(exc)[:300]
        assignment.save(update_fields=["attempts", "state", "last_error"])
        return {"error": assignment.last_error}
    assignment.save(update_fields=["attempts", "platform_ref", "state", "last_error"])
    return {"platform_ref": assignment.platform_ref, "state": assignment.state}


def assignment_give_up(*, assignment: Assignment, error: str) -> None:
    if assignment.state == AssignmentState.PENDING:
        assignment.state = AssignmentState.FAILED
        assignment.last_error = error[:300]
        assignment.save(update_fields=["state", "last_error"])


@transaction.atomic
def enterprise_assign(*, ringtone: Ringtone, user) -> list[Assignment]:
    """The enterprise ringtone on every employee's line (their colleagues' calls included):
    all of them or, if one line is refused, none."""
    _require_approved(ringtone)
    if ringtone.kind != "enterprise":
        raise ValidationError({"ringtone": _("Only enterprise ringtones go to all employees.")})
    staff = list(Employee.objects.for_tenant(ringtone.tenant))
    if not staff:
        raise ValidationError({"ringtone": _("Add employees before assigning the ringtone.")})
    return [assignment_create(ringtone=ringtone, phone=e.phone, user=user) for e in staff]


@transaction.atomic
def employee_add(*, tenant, name: str, phone: str) -> Employee:
    name = (name or "").strip()
    if not name or len(name) > 50:
        raise ValidationError({"name": _("Enter the employee's name (at most 50 characters).")})
    phone = _phone(phone)
    try:
        with transaction.atomic():
            return Employee.objects.create(tenant=tenant, name=name, phone=phone)
    except IntegrityError as exc:
        raise ValidationError({"phone": _("This number is already on the list.")}) from exc


@transaction.atomic
def employee_remove(*, employee: Employee, user) -> int:
    """Off the roster, and the enterprise's ringtone off their line; returns how many
    assignments were taken off (each deprovisioned by its job)."""
    taken_off = (
        Assignment.objects.for_tenant(employee.tenant)
        .filter(phone=employee.phone, ringtone__kind="enterprise")
        .exclude(state=AssignmentState.REMOVED)
    )
    removed = 0
    for assignment in taken_off:
        assignment_remove(assignment=assignment, user=user)
        removed += 1
    audit_record(
        action="video_ringtone.employee_remove", tenant=employee.tenant, actor=user,
        obj=employee, data={"phone": mask_phone(employee.phone)},
    )  # fmt: skip
    employee.delete()
    return removed


@transaction.atomic
def like_toggle(*, ringtone: Ringtone, user) -> bool:
    """Returns whether the user now likes it. Raises RateLimited past the like limits."""
    _require_approved(ringtone)
    rate_check(tenant=ringtone.tenant, user=user, action="like")
    deleted, _unused = (
        Like.objects.for_tenant(ringtone.tenant).filter(ringtone=ringtone, user=user).delete()
    )
    if deleted:
        Ringtone.objects.filter(pk=ringtone.pk).update(like_count=F("like_count") - 1)
        return False
    Like.objects.create(tenant=ringtone.tenant, ringtone=ringtone, user=user)
    Ringtone.objects.filter(pk=ringtone.pk).update(like_count=F("like_count") + 1)
    return True


@transaction.atomic
def comment_add(*, ringtone: Ringtone, user, text: str) -> Comment:
    _require_approved(ringtone)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write something first.")})
    if len(text) > MAX_COMMENT:
        raise ValidationError({"text": _("At most %(limit)s characters.") % {"limit": MAX_COMMENT}})
    check_text(ringtone.tenant, "text", text)
    rate_check(tenant=ringtone.tenant, user=user, action="comment")
    # Comments are public within the tenant: phone and ID numbers in them are masked.
    return Comment.objects.create(
        tenant=ringtone.tenant, ringtone=ringtone, user=user, text=mask_text(text)
    )
