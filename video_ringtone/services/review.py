"""Submitting a render for review: automatic checks first, then the human review queue."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from suite.ai import gateway
from suite.audit.services import audit_record

from .. import checks
from ..models import Draft, Render, RenderStatus, Ringtone, RingtoneStatus
from ..selectors import limits_for
from .common import media_path
from .rendering import duration_problem, spec_texts


def ringtone_submit(*, draft: Draft, render: Render, user, request=None) -> Ringtone:
    if render.draft_id != draft.pk or render.status != RenderStatus.DONE:
        raise ValidationError({"render": _("Render the ringtone, then submit the finished video.")})
    if Ringtone.objects.for_tenant(draft.tenant).filter(render=render).exists():
        raise ValidationError({"render": _("This video was already submitted.")})
    images = []
    for item in render.spec["scenes"]:
        with Image.open(media_path(item["image"])) as img:
            images.append(img.convert("RGB"))
    results = checks.run_checks(
        caller=gateway.Caller(tenant=draft.tenant, user=user),
        video=media_path(render.video),
        width=render.width,
        height=render.height,
        images=images,
        texts=spec_texts(render.spec),
        duration_problem=duration_problem(draft.tenant, render.duration_s),
        duration_s=render.duration_s,
    )
    failed = [r for r in results if r["status"] == checks.FAIL]
    now = timezone.now()
    with transaction.atomic():
        ringtone = Ringtone.objects.create(
            tenant=draft.tenant,
            owner=user,
            draft=draft,
            render=render,
            kind=draft.kind,
            title=draft.title,
            spec={**render.spec},
            checks=results,
            review_due_at=now + timedelta(hours=limits_for(draft.tenant).review_sla_hours),
        )
        if failed:
            ringtone.status = RingtoneStatus.REJECTED
            ringtone.reviewed_at = now
            ringtone.reason = _("Automatic checks failed: %(details)s") % {
                "details": "; ".join(r["detail"] for r in failed)
            }
            ringtone.reason = ringtone.reason[:300]
            ringtone.save(update_fields=["status", "reviewed_at", "reason"])
        audit_record(
            action="video_ringtone.submit",
            tenant=draft.tenant,
            request=request,
            actor=user,
            obj=ringtone,
            data={"status": ringtone.status},
        )
    return ringtone


@transaction.atomic
def review_decide(*, ringtone: Ringtone, reviewer, approve: bool, reason: str = "", request=None):
    if ringtone.status != RingtoneStatus.IN_REVIEW:
        raise ValidationError({"status": _("This ringtone has already been reviewed.")})
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationError({"reason": _("Say why the ringtone is rejected.")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("At most 300 characters.")})
    ringtone.status = RingtoneStatus.APPROVED if approve else RingtoneStatus.REJECTED
    ringtone.reason = reason
    ringtone.reviewer = reviewer
    ringtone.reviewed_at = timezone.now()
    ringtone.save(update_fields=["status", "reason", "reviewer", "reviewed_at"])
    audit_record(
        action="video_ringtone.approve" if approve else "video_ringtone.reject",
        tenant=ringtone.tenant,
        request=request,
        actor=reviewer,
        obj=ringtone,
        data={"reason": reason},
    )
    return ringtone


@transaction.atomic
def limits_set(
    *, tenant, min_duration_s: int, max_duration_s: int, review_sla_hours: int, request=None
):
    """The operator's limits for this tenant's ringtones."""
    from ..models import RingtoneLimits

    if not 1 <= min_duration_s < max_duration_s <= 120:
        raise ValidationError(
            {"max_duration_s": _("Durations must satisfy 1 ≤ minimum < maximum ≤ 120 seconds.")}
        )
    if not 1 <= review_sla_hours <= 168:
        raise ValidationError({"review_sla_hours": _("The review SLA is 1 to 168 hours.")})
    limits, _created = RingtoneLimits.objects.update_or_create(
        tenant=tenant,
        defaults={
            "min_duration_s": min_duration_s,
            "max_duration_s": max_duration_s,
            "review_sla_hours": review_sla_hours,
        },
    )
    audit_record(
        action="video_ringtone.limits",
        tenant=tenant,
        request=request,
        obj=limits,
        data={"min": min_duration_s, "max": max_duration_s, "sla_hours": review_sla_hours},
    )
    return limits
