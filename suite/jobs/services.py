import logging
import uuid
from datetime import timedelta

from celery import Task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from suite.accounts.models import ApiKeyScope
from suite.realtime.publish import tenant_group_send
from suite.tenancy.models import Tenant

from .models import Backoff, Job, JobStatus
from .selectors import job_queue_position, job_status_label, queued_in

logger = logging.getLogger("suite.jobs")

JOBS_GROUP = "jobs"
# How many waiting jobs learn their new place when one leaves the queue (the rest catch up
# when they reach it or on the next page load).
POSITION_UPDATES = 50


class JobLeaseLost(Exception):
    """The job was taken from this run (its lease lapsed and the sweep queued it again): the
    run stops at its next progress update and writes nothing more."""


# Which API-key scope follows which jobs, by the first part of the job kind (the app that
# runs it). A kind not listed here reaches staff and its starter only, never a key.
JOB_KIND_SCOPES = {
    "ai": ApiKeyScope.MAAS,
    "customer_service": ApiKeyScope.CALLCENTER,
    "gov_hotline": ApiKeyScope.HOTLINE,
    "video_ringtone": ApiKeyScope.RINGTONE,
    "video_analytics": ApiKeyScope.VIDEO,
}


def user_jobs_group(user_id: int) -> str:
    """The group of one user's own jobs: what a non-staff member's /ws/jobs/ joins."""
    return f"{JOBS_GROUP}.user{user_id}"


def kind_jobs_group(app: str) -> str:
    """The group of one app's jobs: what an API key with that app's scope joins."""
    return f"{JOBS_GROUP}.kind.{app}"


def key_jobs_groups(key) -> tuple[str, ...]:
    """The job groups an API key follows: those of the apps its scopes cover."""
    return tuple(
        kind_jobs_group(app) for app, scope in JOB_KIND_SCOPES.items() if key.has_scope(scope)
    )


def job_event(job: Job, *, position: int | None = None) -> dict:
    if position is None:
        position = job_queue_position(job)
    return {
        "type": "job.updated",
        "job": {
            "id": str(job.id),
            "kind": job.kind,
            "status": job.status,
            "status_display": job_status_label(job, position=position),
            "queue": job.queue,
            "queue_position": position,
            "progress": job.progress,
            "message": job.message,
            "error": job.error,
            "result": job.result,
        },
    }


def _publish(job: Job, *, position: int | None = None) -> None:
    event = job_event(job, position=position)
    # Staff see the tenant's jobs; the user who started one also gets it in their own group.
    groups = [JOBS_GROUP]
    if job.created_by_id is not None:
        groups.append(user_jobs_group(job.created_by_id))
    app = job.kind.split(".", 1)[0]
    if app in JOB_KIND_SCOPES:
        groups.append(kind_jobs_group(app))

    def send() -> None:
        for name in groups:
            tenant_group_send(job.tenant_id, name, event)

    transaction.on_commit(send)


def _publish_queue_moved(queue: str) -> None:
    """A job left the queue: those still waiting moved up one place, and their pages say so."""

    def send() -> None:
        for position, waiting in enumerate(queued_in(queue)[:POSITION_UPDATES], start=1):
            _publish(waiting, position=position)

    transaction.on_commit(send)


def _lease_until(now=None):
    return (now or timezone.now()) + timedelta(seconds=settings.JOBS_LEASE_SECONDS)


def registered_task(name: str):
    """The Celery task registered as `name`.

    Services name the task they start instead of importing it: tasks call services, so a
    services module that imported its tasks would close an import cycle (`pyproject.toml`'s
    import contracts forbid it). A web process has not necessarily imported every tasks
    module; Celery's autodiscovery imports them on the first unknown name.
    """
    from suite.celery import app

    if name not in app.tasks:
        app.loader.import_default_modules()
    try:
        return app.tasks[name]
    except KeyError:
        raise LookupError(f"no Celery task is registered as {name!r}") from None


def task_send(name: str, *, kwargs: dict, **options) -> None:
    """Sends the task registered as `name` (see `registered_task`) with `apply_async`."""
    registered_task(name).apply_async(kwargs=kwargs, **options)


def job_enqueue(
    *,
    tenant: Tenant,
    kind: str,
    task: str | Task,
    params: dict | None = None,
    idempotency_key: str | None = None,
    created_by=None,
) -> tuple[Job, bool]:
    """Create the job and send its task after commit; an existing key returns the first job.
    `task` is the name of a registered task (what services pass, see `registered_task`) or the
    task itself.

    `created_by` is the user who started it: pass it wherever there is one, since a non-staff
    member (a subscriber) sees only the jobs they started, live and over REST.
    """
    runner = registered_task(task) if isinstance(task, str) else task
    key = idempotency_key or uuid.uuid4().hex
    existing = Job.objects.for_tenant(tenant).filter(idempotency_key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            job = Job.objects.create(
                tenant=tenant,
                kind=kind,
                params=params or {},
                idempotency_key=key,
                created_by=created_by,
                task_name=getattr(runner, "name", "") or "",
                # the queue `suite.celery.route_by_task_queue` will send it to
                queue=getattr(runner, "route_queue", None) or "default",
            )
            transaction.on_commit(
                lambda: runner.apply_async(kwargs={"tenant_id": tenant.pk, "job_id": str(job.pk)})
            )
            _publish(job)
    except IntegrityError:
        # A concurrent request with the same key won the race.
        return Job.objects.for_tenant(tenant).get(idempotency_key=key), False
    return job, True


class JobNotRetryable(Exception):
    """The job is not a failed one of a kind that can run again as it was."""


@transaction.atomic
def job_retry(*, job: Job) -> Job:
    """Runs a failed job again: the same job (its id, kind, parameters and tenant, so whatever
    points at it follows the new run) goes to the back of its queue and its task is sent again.
    The caller reads `job` through a tenant-scoped queryset and audits the retry."""
    from .kinds import job_kind_retryable

    try:
        task = registered_task(job.task_name) if job.task_name else None
    except LookupError:
        task = None
    locked = Job.objects.select_for_update().filter(pk=job.pk, tenant_id=job.tenant_id).first()
    if (
        locked is None
        or locked.status != JobStatus.FAILED
        or task is None
        or not job_kind_retryable(locked.kind)
    ):
        raise JobNotRetryable(str(job.pk))
    now = timezone.now()
    Job.objects.filter(pk=locked.pk).update(
        status=JobStatus.QUEUED,
        progress=0,
        message="",
        error="",
        result={},
        started_at=None,
        finished_at=None,
        lease_expires_at=None,
        lease_owner="",
        queued_at=now,
    )
    job.refresh_from_db()
    tenant_id, pk = job.tenant_id, str(job.pk)
    transaction.on_commit(lambda: task.apply_async(kwargs={"tenant_id": tenant_id, "job_id": pk}))
    _publish(job)
    return job


@transaction.atomic
def job_start(*, job: Job, owner: str | None = None) -> Job | None:
    """Claims the job for one run (`owner`: the Celery task id) and starts its lease.

    A queued job, a running one whose lease lapsed, or one this same message already held (a
    retry, or a redelivery after its pool process died) can be claimed; a job another live run
    holds cannot (None): a duplicate message of it stands aside instead of running it twice.
    """
    owner = owner or uuid.uuid4().hex
    now = timezone.now()
    claimable = Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING) & (
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now) | Q(lease_owner=owner)
    )
    was_queued = job.status == JobStatus.QUEUED
    claimed = (
        Job.objects.filter(pk=job.pk)
        .filter(claimable)
        .update(
            status=JobStatus.RUNNING,
            attempts=F("attempts") + 1,
            started_at=Coalesce("started_at", now),
            error="",
            lease_expires_at=_lease_until(now),
            lease_owner=owner,
        )
    )
    if not claimed:
        return None
    job.refresh_from_db()
    _publish(job)
    if was_queued:
        _publish_queue_moved(job.queue)
    return job


def _owned(job: Job):
    """The job's row while this run still holds it."""
    return Job.objects.filter(pk=job.pk, lease_owner=job.lease_owner)


def job_renew_lease(*, job: Job, seconds: float | None = None) -> bool:
    """The heartbeat: pushes the lease out; False once the job is no longer this run's."""
    until = timezone.now() + timedelta(seconds=seconds or settings.JOBS_LEASE_SECONDS)
    renewed = _owned(job).filter(status=JobStatus.RUNNING).update(lease_expires_at=until)
    if renewed:
        job.lease_expires_at = until
    return bool(renewed)


@transaction.atomic
def job_set_progress(*, job: Job, progress: int, message: str = "") -> Job:
    """Progress also renews the lease. Raises JobLeaseLost when the job was taken from this
    run, so a worker presumed dead that was only slow stops instead of racing its successor."""
    job.progress = max(0, min(100, int(progress)))
    job.message = message[:300]
    fields = {"progress": job.progress, "message": job.message}
    if job.status == JobStatus.RUNNING:
        fields["lease_expires_at"] = job.lease_expires_at = _lease_until()
    if not _owned(job).update(**fields):
        raise JobLeaseLost(str(job.pk))
    _publish(job)
    return job


@transaction.atomic
def job_succeed(*, job: Job, result: dict) -> Job:
    job.status = JobStatus.SUCCEEDED
    job.progress = 100
    job.result = result
    job.finished_at = timezone.now()
    job.lease_expires_at = None
    if not _owned(job).update(
        status=job.status,
        progress=job.progress,
        result=job.result,
        finished_at=job.finished_at,
        lease_expires_at=None,
    ):
        raise JobLeaseLost(str(job.pk))
    _publish(job)
    return job


@transaction.atomic
def job_fail(*, job: Job, error: str) -> Job:
    job.status = JobStatus.FAILED
    job.error = error[:2000]
    job.finished_at = timezone.now()
    job.lease_expires_at = None
    if not _owned(job).update(
        status=job.status, error=job.error, finished_at=job.finished_at, lease_expires_at=None
    ):
        raise JobLeaseLost(str(job.pk))
    _publish(job)
    return job


def job_sweep_lost(*, now=None) -> dict[str, int]:
    """Celery beat's sweep: a running job whose lease lapsed lost its worker (killed, out of
    memory, the host gone). It is queued again under the same job, id and idempotency key
    while it has re-queues left (JOBS_LOST_REQUEUES), else it fails with "worker lost"."""
    now = now or timezone.now()
    counts = {"requeued": 0, "failed": 0}
    lost_ids = list(
        Job.objects.filter(status=JobStatus.RUNNING, lease_expires_at__lt=now).values_list(
            "pk", flat=True
        )
    )
    for job_id in lost_ids:
        outcome = _recover(job_id, now=now)
        if outcome:
            counts[outcome] += 1
    if lost_ids:
        logger.warning("lost jobs swept: %s", counts)
    return counts


@transaction.atomic
def _recover(job_id, *, now) -> str | None:
    from suite.celery import app

    job = (
        Job.objects.select_for_update()
        .filter(pk=job_id, status=JobStatus.RUNNING, lease_expires_at__lt=now)
        .first()
    )
    if job is None:  # renewed or finished meanwhile
        return None
    task = app.tasks.get(job.task_name) if job.task_name else None
    # Stored texts are in the suite's language, like the workers' progress messages.
    with translation.override(settings.LANGUAGE_CODE):
        if task is not None and job.requeues < settings.JOBS_LOST_REQUEUES:
            job.status = JobStatus.QUEUED
            job.requeues += 1
            job.lease_expires_at = None
            job.lease_owner = ""
            job.queued_at = now
            job.message = _("The worker running this job stopped; queued again.")
            job.save(
                update_fields=[
                    "status",
                    "requeues",
                    "lease_expires_at",
                    "lease_owner",
                    "queued_at",
                    "message",
                ]
            )
            tenant_id, pk = job.tenant_id, str(job.pk)
            transaction.on_commit(
                lambda: task.apply_async(kwargs={"tenant_id": tenant_id, "job_id": pk})
            )
            _publish(job)
            return "requeued"
        job.status = JobStatus.FAILED
        job.error = _(
            "Worker lost: the worker running this job stopped without finishing it "
            "(%(attempts)s attempts)."
        ) % {"attempts": job.attempts}
        job.finished_at = now
        job.lease_expires_at = None
        job.save(update_fields=["status", "error", "finished_at", "lease_expires_at"])
        _publish(job)
        return "failed"


# --- back-off for recurring work ------------------------------------------------------------


def backoff_claim(*, tenant_id: int, key: str, hold_s: float, now=None) -> bool:
    """True (and held for `hold_s`) when the work keyed `key` may run now: its back-off has
    elapsed and no earlier run is still queued or under way (the hold is released by
    `backoff_record`, or lapses if that run died)."""
    now = now or timezone.now()
    Backoff.objects.get_or_create(tenant_id=tenant_id, key=key)
    due = Q(not_before__isnull=True) | Q(not_before__lte=now)
    free = Q(held_until__isnull=True) | Q(held_until__lte=now)
    return bool(
        Backoff.objects.filter(tenant_id=tenant_id, key=key)
        .filter(due & free)
        .update(held_until=now + timedelta(seconds=hold_s))
    )


def backoff_record(
    *, tenant_id: int, key: str, ok: bool, base_s: float, cap_s: float, now=None
) -> float:
    """Ends a run: success clears the back-off; a failure doubles the wait (base_s, 2*base_s,
    ... up to cap_s). Returns the seconds until the work may run again."""
    now = now or timezone.now()
    backoff, _created = Backoff.objects.get_or_create(tenant_id=tenant_id, key=key)
    if ok:
        backoff.failures, backoff.not_before, wait = 0, None, 0.0
    else:
        backoff.failures += 1
        wait = min(cap_s, base_s * 2 ** (backoff.failures - 1))
        backoff.not_before = now + timedelta(seconds=wait)
    backoff.held_until = None
    backoff.save(update_fields=["failures", "not_before", "held_until", "updated_at"])
    return wait
