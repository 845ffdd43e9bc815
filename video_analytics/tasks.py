"""Celery tasks: they take ids and call services. Analysis runs on the `vision` queue."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import translation

from suite.ai import gateway
from suite.ai.types import Capability
from suite.celery import app
from suite.errors import SuiteError
from suite.jobs.models import Job
from suite.jobs.services import backoff_claim, backoff_record, job_set_progress
from suite.jobs.tasks_base import TenantJobTask
from suite.tenancy.models import Tenant

from . import services
from .ingest import Backoff
from .models import Analysis, Camera, CameraStatus

logger = logging.getLogger("video_analytics")


class AnalyseClipTask(TenantJobTask):
    name = "video_analytics.analyse_clip"
    route_queue = gateway.QUEUE_FOR[Capability.DETECT]

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


# A beat-driven stretch tries a dead stream once or twice, not for minutes: the back-off
# between stretches (below) is what keeps retrying it, without holding a worker.
STRETCH_BACKOFF = Backoff(base_s=1.0, cap_s=4.0, max_failures=2)
# Between stretches of a stream that could not be reached: 1 min, 2, 4, ... up to 30 min.
RETRY_BASE_S = 60.0
RETRY_CAP_S = 30 * 60.0
# A stretch still queued or running holds its camera this long at most (then it is presumed
# lost with its worker and the camera may be scheduled again).
STRETCH_HOLD_S = 10 * 60.0


def _backoff_key(camera_id: int) -> str:
    return f"video_analytics.camera:{camera_id}"


@app.task(name="video_analytics.watch_camera", acks_late=True, ignore_result=True)
def watch_camera(
    *, tenant_id: int, camera_id: int, max_seconds: float = 60, scheduled: bool = False
) -> dict:
    """One bounded stretch of a live stream; `watch_streams` schedules them (scheduled=True)
    for continuous watching. A stream that cannot be reached leaves the camera offline, never
    a crash, and is tried again after a growing wait."""
    from .analysis import stream_watch

    camera = (
        Camera.objects.filter(tenant_id=tenant_id, pk=camera_id).select_related("tenant").first()
    )
    result: dict = {"skipped": True}
    try:
        if camera is None or camera.status == CameraStatus.DISABLED or not camera.stream_secret:
            return result
        try:
            with translation.override(settings.LANGUAGE_CODE):
                result = stream_watch(
                    camera=camera,
                    caller=gateway.Caller(tenant=camera.tenant),
                    max_seconds=max_seconds,
                    backoff=STRETCH_BACKOFF,
                )
        except Exception as exc:  # the worker stays up; the camera says what went wrong
            logger.exception("watching camera %s failed", camera_id)
            detail = exc.message if isinstance(exc, SuiteError) else type(exc).__name__
            services.camera_set_health(camera=camera, status=CameraStatus.OFFLINE, detail=detail)
            result = {"error": type(exc).__name__}
        return result
    finally:
        if scheduled:
            ok = not result.get("error") and bool(result.get("frames"))
            wait = backoff_record(
                tenant_id=tenant_id,
                key=_backoff_key(camera_id),
                ok=ok or bool(result.get("skipped")),
                base_s=RETRY_BASE_S,
                cap_s=RETRY_CAP_S,
            )
            if wait:
                result["retry_in_s"] = wait


# Watchers run for a minute at a time: on their own queue and worker, never in the pool that
# users' jobs wait for (scripts/run.sh and README "Production" start it).
watch_camera.route_queue = "streams"


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
    not disabled and not backing off, on the streams queue, so a worker restart or a lost task
    costs one minute (or the hold, if the worker died with the stretch).
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
    queued = 0
    for tenant_id, camera_id in cameras:
        # Skips a camera whose stream is backing off, or whose previous stretch is still
        # queued or running (one slow worker must not pile up a stretch a minute per camera).
        if not backoff_claim(
            tenant_id=tenant_id, key=_backoff_key(camera_id), hold_s=STRETCH_HOLD_S
        ):
            continue
        watch_camera.apply_async(
            kwargs={
                "tenant_id": tenant_id,
                "camera_id": camera_id,
                "max_seconds": stretch_s,
                "scheduled": True,
            }
        )
        queued += 1
    return queued
