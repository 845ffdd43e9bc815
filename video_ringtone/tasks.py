"""Celery tasks: candidate images on the `image` queue, rendering on `video`, platform calls on
`default`. Each takes ids, looks rows up through the job's tenant, and calls a service."""

from __future__ import annotations

from suite.ai.gateway import QUEUE_FOR
from suite.ai.types import Capability
from suite.celery import app
from suite.jobs.models import Job
from suite.jobs.tasks_base import RetryableJobError, TenantJobTask
from suite.tenancy.models import Tenant

from .models import Assignment, Draft, Render, Ringtone
from .platform import PlatformTransientError
from .services import drafts, publishing, rendering, review


class GenerateCandidatesTask(TenantJobTask):
    name = "video_ringtone.generate_candidates"
    route_queue = QUEUE_FOR[Capability.GENERATE_IMAGE]

    def execute(self, job: Job, tenant: Tenant) -> dict:
        draft = Draft.objects.for_tenant(tenant).filter(pk=job.params["draft_id"]).first()
        if draft is None:
            return {"skipped": "draft deleted"}
        return drafts.candidates_generate(
            draft=draft,
            source=job.params["source"],
            count=int(job.params.get("count", 2)),
            user=job.created_by,
            job=job,
        )


class RenderTask(TenantJobTask):
    name = "video_ringtone.render"
    route_queue = "video"
    max_retries = 0  # a failed render is shown to the user, who can render again

    def execute(self, job: Job, tenant: Tenant) -> dict:
        render = Render.objects.for_tenant(tenant).filter(pk=job.params["render_id"]).first()
        if render is None:
            return {"skipped": "render deleted"}
        return rendering.render_execute(render=render, job=job)


class CheckRingtoneTask(TenantJobTask):
    name = "video_ringtone.check"
    route_queue = "video"  # decodes the video: the same workers as rendering

    def execute(self, job: Job, tenant: Tenant) -> dict:
        ringtone = Ringtone.objects.for_tenant(tenant).filter(pk=job.params["ringtone_id"]).first()
        if ringtone is None:
            return {"skipped": "ringtone deleted"}
        ringtone = review.ringtone_check(ringtone=ringtone, user=job.created_by)
        return {"status": ringtone.status}


class RenditionsTask(TenantJobTask):
    name = "video_ringtone.renditions"
    route_queue = "video"
    max_retries = 0

    def execute(self, job: Job, tenant: Tenant) -> dict:
        ringtone = Ringtone.objects.for_tenant(tenant).filter(pk=job.params["ringtone_id"]).first()
        if ringtone is None:
            return {"skipped": "ringtone deleted"}
        return rendering.renditions_execute(ringtone=ringtone, job=job)


class PlatformSyncTask(TenantJobTask):
    name = "video_ringtone.platform_sync"
    retry_backoff_seconds = 10

    def execute(self, job: Job, tenant: Tenant) -> dict:
        assignment = (
            Assignment.objects.for_tenant(tenant)
            .filter(pk=job.params["assignment_id"])
            .select_related("ringtone__render")
            .first()
        )
        if assignment is None:
            return {"skipped": "assignment deleted"}
        try:
            return publishing.assignment_sync(assignment=assignment, action=job.params["action"])
        except PlatformTransientError as exc:
            if self.request.retries >= self.max_retries:
                publishing.assignment_give_up(assignment=assignment, error=str(exc))
            raise RetryableJobError(str(exc)) from exc


generate_candidates = app.register_task(GenerateCandidatesTask())
render_ringtone = app.register_task(RenderTask())
platform_sync = app.register_task(PlatformSyncTask())
check_ringtone = app.register_task(CheckRingtoneTask())
render_renditions = app.register_task(RenditionsTask())
