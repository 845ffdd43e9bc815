"""Celery tasks: they take ids and call services. Analysis runs on the `vision` queue."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import translation

from suite.ai import gateway
from suite.ai.capabilities import QUEUE_FOR, Capability
from suite.ai.errors import AiError
from suite.celery import app
from suite.jobs.models import Job
from suite.jobs.services import job_set_progress
from suite.jobs.tasks_base import TenantJobTask
from suite.tenancy.models import Tenant

from . import services
from .models import Analysis, Camera, CameraStatus

logger = logging.getLogger("video_analytics")


class AnalyseClipTask(TenantJobTask):
    name = "video_analytics.analyse_clip"
    route_queue = QUEUE_FOR[Capability.DETECT]

    def execute(self, job: Job, tenant: Tenant) -> dict:
        from .analysis import analysis_run

        analysis = (
            Analysis.objects.for_tenant(tenant)
            .select_related("camera")
            .get(pk=job.params["analysis"])
        )

        def progress(percent: int, message: str) -> None:
            job_set_progress(job=job, progress=percent, message=message)

        return analysis_run(
            analysis=analysis,
            caller=gateway.Caller(tenant=tenant, user=job.created_by),
            progress=progress,
        )


analyse_clip = app.register_task(AnalyseClipTask())


@app.task(
    bind=True,
    name="video_analytics.deliver_webhook",
    acks_late=True,
    max_retries=4,
    ignore_result=True,
)
def deliver_webhook(self, *, tenant_id: int, delivery_id: int) -> str:
    outcome = services.webhook_attempt(tenant_id=tenant_id, delivery_id=delivery_id)
    if outcome == "retry" and not self.request.is_eager:
        # 10 s, 20 s, 40 s, 80 s; the service gives up after WEBHOOK_MAX_ATTEMPTS attempts
        raise self.retry(countdown=10 * 2**self.request.retries)
    return outcome


@app.task(name="video_analytics.watch_camera", acks_late=True, ignore_result=True)
def watch_camera(*, tenant_id: int, camera_id: int, max_seconds: float = 60) -> dict:
    """One bounded stretch of a live stream; schedule it (beat or a loop) for continuous
    watching. A stream that cannot be reached leaves the camera offline, never a crash."""
    from .analysis import stream_watch

    camera = (
        Camera.objects.filter(tenant_id=tenant_id, pk=camera_id).select_related("tenant").first()
    )
    if camera is None or camera.status == CameraStatus.DISABLED or not camera.stream_secret:
        return {"skipped": True}
    try:
        with translation.override(settings.LANGUAGE_CODE):
            return stream_watch(
                camera=camera, caller=gateway.Caller(tenant=camera.tenant), max_seconds=max_seconds
            )
    except Exception as exc:  # the worker stays up; the camera says what went wrong
        logger.exception("watching camera %s failed", camera_id)
        detail = exc.message if isinstance(exc, AiError) else type(exc).__name__
        services.camera_set_health(camera=camera, status=CameraStatus.OFFLINE, detail=detail)
        return {"error": type(exc).__name__}


watch_camera.route_queue = QUEUE_FOR[Capability.DETECT]


@app.task(name="video_analytics.retention_sweep", ignore_result=True)
def retention_sweep_all() -> dict:
    """Periodic (daily under celery beat): applies every tenant's retention policies."""
    totals: dict[str, int] = {}
    for tenant_id in Camera.objects.values_list("tenant_id", flat=True).distinct():
        tenant = Tenant.objects.get(pk=tenant_id)
        for key, value in services.retention_sweep(tenant=tenant).items():
            totals[key] = totals.get(key, 0) + value
    return totals


@app.task(name="video_analytics.watch_streams", ignore_result=True)
def watch_streams(*, stretch_s: float = 55) -> int:
    """Periodic (every minute under celery beat): one bounded watch per stream camera that is
    not disabled, on the vision queue, so a worker restart or a lost task costs one minute.
    Stands aside while `manage.py watch_cameras` runs (it watches continuously)."""
    from .models import SourceKind
    from .watching import supervisor_alive

    if supervisor_alive():
        return 0

    cameras = list(
        Camera.objects.exclude(status=CameraStatus.DISABLED)
        .exclude(source_kind=SourceKind.UPLOAD)
        .exclude(stream_secret="")
        .values_list("tenant_id", "pk")
    )
    for tenant_id, camera_id in cameras:
        watch_camera.apply_async(
            kwargs={"tenant_id": tenant_id, "camera_id": camera_id, "max_seconds": stretch_s}
        )
    return len(cameras)
