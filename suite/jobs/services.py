import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from suite.realtime.publish import tenant_group_send
from suite.tenancy.models import Tenant

from .models import Job, JobStatus

JOBS_GROUP = "jobs"


def user_jobs_group(user_id: int) -> str:
    """The group of one user's own jobs: what a non-staff member's /ws/jobs/ joins."""
    return f"{JOBS_GROUP}.user{user_id}"


def job_event(job: Job) -> dict:
    return {
        "type": "job.updated",
        "job": {
            "id": str(job.id),
            "kind": job.kind,
            "status": job.status,
            "progress": job.progress,
            "message": job.message,
            "error": job.error,
            "result": job.result,
        },
    }


def _publish(job: Job) -> None:
    event = job_event(job)
    # Staff see the tenant's jobs; the user who started one also gets it in their own group.
    groups = [JOBS_GROUP]
    if job.created_by_id is not None:
        groups.append(user_jobs_group(job.created_by_id))

    def send() -> None:
        for name in groups:
            tenant_group_send(job.tenant_id, name, event)

    transaction.on_commit(send)


def job_enqueue(
    *,
    tenant: Tenant,
    kind: str,
    task,
    params: dict | None = None,
    idempotency_key: str | None = None,
    created_by=None,
) -> tuple[Job, bool]:
    """Create the job and send its task after commit; an existing key returns the first job.

    `created_by` is the user who started it: pass it wherever there is one, since a non-staff
    member (a subscriber) sees only the jobs they started, live and over REST.
    """
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
            )
            transaction.on_commit(
                lambda: task.apply_async(kwargs={"tenant_id": tenant.pk, "job_id": str(job.pk)})
            )
    except IntegrityError:
        # A concurrent request with the same key won the race.
        return Job.objects.for_tenant(tenant).get(idempotency_key=key), False
    return job, True


@transaction.atomic
def job_start(*, job: Job) -> Job:
    job.status = JobStatus.RUNNING
    job.attempts += 1
    job.started_at = job.started_at or timezone.now()
    job.error = ""
    job.save(update_fields=["status", "attempts", "started_at", "error"])
    _publish(job)
    return job


@transaction.atomic
def job_set_progress(*, job: Job, progress: int, message: str = "") -> Job:
    job.progress = max(0, min(100, int(progress)))
    job.message = message[:300]
    job.save(update_fields=["progress", "message"])
    _publish(job)
    return job


@transaction.atomic
def job_succeed(*, job: Job, result: dict) -> Job:
    job.status = JobStatus.SUCCEEDED
    job.progress = 100
    job.result = result
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "progress", "result", "finished_at"])
    _publish(job)
    return job


@transaction.atomic
def job_fail(*, job: Job, error: str) -> Job:
    job.status = JobStatus.FAILED
    job.error = error[:2000]
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    _publish(job)
    return job
