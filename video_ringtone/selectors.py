"""Reads. Every query starts from `for_tenant` (theme templates: from the tenant's own chain of
ancestors, never another tree); a subscriber sees only their own drafts."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from suite.jobs.models import Job, JobStatus
from suite.jobs.selectors import job_queue_position, job_status_label
from suite.tenancy.models import Tenant

from .catalog import PROFILES, THEMES, Theme
from .models import (
    Assignment,
    AssignmentState,
    Candidate,
    Comment,
    Draft,
    Employee,
    Render,
    RenderStatus,
    Ringtone,
    RingtoneLimits,
    RingtoneStatus,
    ThemeTemplate,
)


@dataclass(frozen=True)
class Limits:
    min_duration_s: int = 5
    max_duration_s: int = 48
    review_sla_hours: int = 24


def ancestry(tenant) -> list[int]:
    """The tenant's chain in its own tree, root first and the tenant last (from the
    materialised path, whose slugs are unique: no other tree's tenant can be in it)."""
    slugs = [slug for slug in tenant.path.strip("/").split("/") if slug]
    by_slug = dict(Tenant.objects.filter(slug__in=slugs).values_list("slug", "pk"))
    return [by_slug[slug] for slug in slugs if slug in by_slug]


def inherited_themes(tenant) -> QuerySet[ThemeTemplate]:
    """Theme templates of the tenant's ancestors (a province's reach its cities and their
    enterprises), nearest last; read-only for the tenant."""
    chain = ancestry(tenant)[:-1]
    rows = ThemeTemplate.objects.filter(tenant_id__in=chain).select_related("tenant")
    return rows.order_by("tenant__path", "label")


def themes_for(tenant) -> list[Theme]:
    """The built-in theme templates, then those inherited down the tree and the tenant's own;
    a nearer tenant's template replaces an ancestor's with the same key."""
    chosen: dict[str, ThemeTemplate] = {}
    for row in [*inherited_themes(tenant), *ThemeTemplate.objects.for_tenant(tenant)]:
        chosen.pop(row.key, None)  # re-insert so the nearer one also takes the later place
        chosen[row.key] = row
    return [
        *THEMES.values(),
        *(Theme(t.key, t.label, t.prompt, t.caption, t.style, t.music) for t in chosen.values()),
    ]


def theme_get(tenant, key: str) -> Theme | None:
    return next((t for t in themes_for(tenant) if t.key == key), None)


def limits_for(tenant) -> Limits:
    row = RingtoneLimits.objects.for_tenant(tenant).first()
    if row is None:
        return Limits()
    return Limits(row.min_duration_s, row.max_duration_s, row.review_sla_hours)


def drafts_of(*, tenant, owner) -> QuerySet[Draft]:
    return Draft.objects.for_tenant(tenant).filter(owner=owner)


def draft_get(*, tenant, owner, pk: int) -> Draft:
    """The owner's draft; another user's or tenant's is a 404 like a missing one."""
    return get_object_or_404(drafts_of(tenant=tenant, owner=owner), pk=pk)


def draft_candidates(draft: Draft) -> QuerySet[Candidate]:
    return Candidate.objects.for_tenant(draft.tenant).filter(draft=draft)


def draft_latest_render(draft: Draft) -> Render | None:
    """The user's latest render of the draft (not the renditions made after approval)."""
    return (
        Render.objects.for_tenant(draft.tenant)
        .filter(draft=draft, rendition_of__isnull=True)
        .first()
    )


def draft_last_done_render(draft: Draft) -> Render | None:
    return (
        Render.objects.for_tenant(draft.tenant)
        .filter(draft=draft, status=RenderStatus.DONE, rendition_of__isnull=True)
        .first()
    )


IMAGES_JOB_KIND = "video_ringtone.images"


def draft_images_job(draft: Draft) -> Job | None:
    """The draft's latest image-generation job: the page shows its progress while it runs,
    its failure with a retry, and nothing once a later one succeeded."""
    return (
        Job.objects.for_tenant(draft.tenant)
        .filter(kind=IMAGES_JOB_KIND, params__draft_id=draft.pk)
        .order_by("-created_at")
        .first()
    )


def job_progress(job: Job | None) -> dict | None:
    """A job as the progress bar shows it: its place in line while it waits ("排队中（第 3
    位）"), then its progress and stage; whether it is still busy or failed."""
    if job is None:
        return None
    position = job_queue_position(job)
    return {
        "id": str(job.pk),
        "status": job.status,
        "queue_position": position,
        "status_display": job_status_label(job, position=position),
        "progress": job.progress,
        "message": job.message,
        "busy": job.status in (JobStatus.QUEUED, JobStatus.RUNNING),
        "failed": job.status == JobStatus.FAILED,
        "started_at": job.started_at.isoformat() if job.started_at else "",
    }


def render_profile(render: Render) -> str:
    """The device profile a render was made for (what "render again" asks for)."""
    side = min(render.width, render.height)
    return next((p for p, s in PROFILES.items() if s == side), "standard")


def draft_work(draft: Draft) -> dict:
    """The draft's background work as the page and its poll see it: the latest image job and
    the latest render, each with its job's progress."""
    images_job = draft_images_job(draft)
    images = job_progress(images_job)
    if images is not None and images_job is not None:
        images["source"] = images_job.params.get("source", "")
    latest = draft_latest_render(draft)
    render = None
    if latest is not None:
        job = Job.objects.for_tenant(draft.tenant).filter(pk=latest.job_id).first()
        render = job_progress(job) or {
            "id": "", "status": "", "queue_position": None, "status_display": "",
            "progress": 0, "message": "", "busy": False, "failed": False, "started_at": "",
        }  # fmt: skip
        # the render's own state decides (an inline render has no job)
        render.update(
            id=str(latest.pk),
            job_id=render["id"],
            job_status=render["status"],
            status=latest.status,
            busy=latest.status in (RenderStatus.QUEUED, RenderStatus.RUNNING),
            failed=latest.status == RenderStatus.FAILED,
            profile=render_profile(latest),
        )
    return {
        "images": images,
        "images_pending": bool(images and images["busy"]),
        "candidates": draft_candidates(draft).count(),
        "render": render,
    }


def renditions(ringtone: Ringtone) -> dict[str, Render]:
    """Device profile -> the finished rendition for it (the approved render among them)."""
    extra = Render.objects.for_tenant(ringtone.tenant).filter(
        rendition_of=ringtone, status=RenderStatus.DONE
    )
    done = [ringtone.render, *extra]
    by_side = {min(r.width, r.height): r for r in done}
    return {profile: by_side[side] for profile, side in PROFILES.items() if side in by_side}


def ringtones_of(*, tenant, owner) -> QuerySet[Ringtone]:
    return Ringtone.objects.for_tenant(tenant).filter(owner=owner).select_related("render")


def review_queue(tenant) -> QuerySet[Ringtone]:
    return (
        Ringtone.objects.for_tenant(tenant)
        .filter(status=RingtoneStatus.IN_REVIEW)
        .select_related("render", "owner")
        .order_by("review_due_at")
    )


def recently_reviewed(tenant) -> QuerySet[Ringtone]:
    return (
        Ringtone.objects.for_tenant(tenant)
        .exclude(status=RingtoneStatus.IN_REVIEW)
        .select_related("render", "reviewer")
        .order_by("-reviewed_at")
    )


def gallery(tenant) -> QuerySet[Ringtone]:
    return (
        Ringtone.objects.for_tenant(tenant)
        .filter(status=RingtoneStatus.APPROVED, in_gallery=True)
        .select_related("render")
        .order_by("-like_count", "-reviewed_at")
    )


def comments_of(ringtone: Ringtone) -> QuerySet[Comment]:
    return Comment.objects.for_tenant(ringtone.tenant).filter(ringtone=ringtone)


def assignments_of_phone(*, tenant, phone: str) -> QuerySet[Assignment]:
    return (
        Assignment.objects.for_tenant(tenant)
        .filter(phone=phone)
        .exclude(state=AssignmentState.REMOVED)
        .select_related("ringtone")
    )


def employees(tenant) -> QuerySet[Employee]:
    return Employee.objects.for_tenant(tenant)


def employees_with_ringtones(tenant) -> list[Employee]:
    """The roster, each employee with ``enterprise_assignment``: the enterprise ringtone now on
    their line (the newest one not taken off), or None."""
    staff = list(Employee.objects.for_tenant(tenant))
    current: dict[str, Assignment] = {}
    lines = (
        Assignment.objects.for_tenant(tenant)
        .filter(phone__in=[e.phone for e in staff], ringtone__kind="enterprise")
        .exclude(state=AssignmentState.REMOVED)
        .select_related("ringtone")
        .order_by("created_at")
    )
    for assignment in lines:
        current[assignment.phone] = assignment  # oldest first: the newest wins
    for employee in staff:
        employee.enterprise_assignment = current.get(employee.phone)
    return staff


def enterprise_ringtones(tenant) -> QuerySet[Ringtone]:
    return Ringtone.objects.for_tenant(tenant).filter(kind="enterprise").select_related("render")
