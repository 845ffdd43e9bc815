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
from suite.jobs.services import job_enqueue

from .. import checks
from ..models import Draft, Render, RenderStatus, Ringtone, RingtoneStatus
from ..selectors import limits_for
from .common import media_path
from .rendering import duration_problem, renditions_start, spec_texts


def ringtone_submit(
    *, draft: Draft, render: Render, user, in_gallery: bool = False, request=None
) -> Ringtone:
    """Submit a finished render: the automatic checks run as a job on the `video` queue (they
    decode the video), then the ringtone joins the human review queue or is rejected."""

    if render.draft_id != draft.pk or render.status != RenderStatus.DONE:
        raise ValidationError({"render": _("Render the ringtone, then submit the finished video.")})
    if Ringtone.objects.for_tenant(draft.tenant).filter(render=render).exists():
        raise ValidationError({"render": _("This video was already submitted.")})
    with transaction.atomic():
        ringtone = Ringtone.objects.create(
            tenant=draft.tenant,
            owner=user,
            draft=draft,
            render=render,
            kind=draft.kind,
            title=draft.title,
            spec={**render.spec},
            in_gallery=in_gallery,
            review_due_at=timezone.now()
            + timedelta(hours=limits_for(draft.tenant).review_sla_hours),
        )
        job_enqueue(
            tenant=draft.tenant,
            kind="video_ringtone.checks",
            task="video_ringtone.check",
            params={"ringtone_id": ringtone.pk},
            idempotency_key=f"checks-{ringtone.pk}",
            created_by=user,
        )
        audit_record(
            action="video_ringtone.submit", tenant=draft.tenant, request=request, actor=user,
            obj=ringtone,
        )  # fmt: skip
    return ringtone


def ringtone_check(*, ringtone: Ringtone, user=None) -> Ringtone:
    """Run the automatic checks once; a ringtone past this stage is left as it is."""
    if ringtone.status != RingtoneStatus.CHECKING:
        return ringtone
    render = ringtone.render
    video = media_path(render.video)
    middles, scenes, start = [], [], 0.0
    for item in render.spec["scenes"]:
        middles.append(start + item["duration_s"] / 2)
        start += item["duration_s"]
        with Image.open(media_path(item["image"])) as picture:
            textured = checks.picture_texture(picture) >= checks.TEXTURE_GRADIENT
        scenes.append((item["duration_s"], textured))
    results = checks.run_checks(
        caller=gateway.Caller(tenant=ringtone.tenant, user=user or ringtone.owner),
        video=video,
        width=render.width,
        height=render.height,
        images=checks.frames_at(video, middles),
        texts=spec_texts(render.spec),
        duration_problem=duration_problem(ringtone.tenant, render.duration_s),
        duration_s=render.duration_s,
        scenes=scenes,
    )
    failed = [r for r in results if r["status"] == checks.FAIL]
    with transaction.atomic():
        ringtone.checks = results
        ringtone.status = RingtoneStatus.IN_REVIEW
        if failed:
            ringtone.status = RingtoneStatus.REJECTED
            ringtone.reviewed_at = timezone.now()
            reason = _("Automatic checks failed: %(details)s") % {
                "details": "; ".join(r["detail"] for r in failed)
            }
            ringtone.reason = reason[:300]
        ringtone.save(update_fields=["checks", "status", "reviewed_at", "reason"])
        audit_record(
            action="video_ringtone.checked", tenant=ringtone.tenant, actor=user,
            actor_label="" if user else "system", obj=ringtone,
            data={"status": ringtone.status, "failed": [r["key"] for r in failed]},
        )  # fmt: skip
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
    if approve:
        renditions_start(ringtone=ringtone)
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
