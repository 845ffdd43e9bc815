"""Celery tasks: candidate images on the `image` queue, rendering on `video`, platform calls on
`default`. Each takes ids, looks rows up through the job's tenant, and calls a service."""

from __future__ import annotations

from django.utils.translation import gettext as _

from suite.ai import gateway
from suite.ai.capabilities import QUEUE_FOR, Capability
from suite.celery import app
from suite.jobs.models import Job
from suite.jobs.services import job_set_progress
from suite.jobs.tasks_base import RetryableJobError, TenantJobTask
from suite.tenancy.models import Tenant

from .catalog import frame_size
from .models import Assignment, CandidateSource, Draft, Photo, Render, Ringtone
from .platform import PlatformTransientError
from .services import drafts, publishing, rendering, review
from .services.common import media_path

CANDIDATE_SHORT_SIDE = 576


class GenerateCandidatesTask(TenantJobTask):
    name = "video_ringtone.generate_candidates"
    route_queue = QUEUE_FOR[Capability.GENERATE_IMAGE]

    def execute(self, job: Job, tenant: Tenant) -> dict:
        from PIL import Image

        draft = Draft.objects.for_tenant(tenant).filter(pk=job.params["draft_id"]).first()
        if draft is None:
            return {"skipped": "draft deleted"}
        caller = gateway.Caller(tenant=tenant, user=job.created_by)
        count = int(job.params.get("count", 2))
        made = []
        if job.params["source"] == CandidateSource.TEXT:
            width, height = frame_size(draft.orientation, CANDIDATE_SHORT_SIDE)
            job_set_progress(job=job, progress=10, message=_("Generating images"))
            served = gateway.generate_image(
                caller, draft.prompt, width=width, height=height, style=draft.style or None, n=count
            )
            result = served.value
            for image, plain in zip(result.images, result.unlabelled, strict=True):
                made.append(
                    drafts.candidate_create(
                        draft=draft, image=image, unlabelled=plain, source=CandidateSource.TEXT,
                        style=draft.style, info=served.info,
                    )
                )  # fmt: skip
        else:
            photos = list(Photo.objects.for_tenant(tenant).filter(draft=draft))
            for index, photo in enumerate(photos):
                job_set_progress(
                    job=job, progress=10 + 80 * index // len(photos), message=_("AI portraits")
                )
                with Image.open(media_path(photo.file)) as img:
                    picture = img.convert("RGB")
                style = draft.style or "photo_portrait"
                served = gateway.edit_image(caller, picture, draft.prompt, style=style, n=1)
                result = served.value
                for image, plain in zip(result.images, result.unlabelled, strict=True):
                    made.append(
                        drafts.candidate_create(
                            draft=draft, image=image, unlabelled=plain,
                            source=CandidateSource.PHOTO, style=style, info=served.info,
                        )
                    )  # fmt: skip
        info = served.info if made else None
        return {
            "candidates": [c.pk for c in made],
            "engine": info.engine if info else "",
            "fallback": info.fallback if info else False,
        }


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
