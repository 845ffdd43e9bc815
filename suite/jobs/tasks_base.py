"""The base of every background task: carries tenant and job, idempotent, capped retries,
and a lease the worker keeps renewing while it works (see `services.job_sweep_lost`)."""

import contextlib
import logging
import threading
from collections.abc import Iterator

from celery import Task
from django.conf import settings
from django.db import connection

from suite.tenancy.models import Tenant

from .models import Job, JobStatus
from .services import JobLeaseLost, job_fail, job_renew_lease, job_start, job_succeed

logger = logging.getLogger("suite.jobs")


class RetryableJobError(Exception):
    """Raise from a job body for transient failures (a model server down); the task retries."""


@contextlib.contextmanager
def lease_heartbeat(job: Job, every_s: float | None = None) -> Iterator[None]:
    """Renews the job's lease every `every_s` seconds from a side thread while the body runs,
    so a long step that reports no progress (a model loading, one big encode) does not look
    like a dead worker. The thread stops with the body, or once the job is no longer ours."""
    every_s = every_s or settings.JOBS_HEARTBEAT_SECONDS
    stop = threading.Event()
    beat_job = Job(pk=job.pk, lease_owner=job.lease_owner)

    def beat() -> None:
        try:
            while not stop.wait(every_s):
                if not job_renew_lease(job=beat_job):
                    return
        except Exception:  # a heartbeat must never take the job down with it
            logger.exception("heartbeat of job %s failed", job.pk)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"job-heartbeat-{job.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


class TenantJobTask(Task):
    """Subclasses implement `execute(job, tenant) -> dict`; callers send tenant_id and job_id.

    The job is looked up through the tenant-scoped queryset, so a task can never act on another
    tenant's job; a job that already finished is not run again (redelivery after acks_late),
    and one another live run holds is left to it. `execute` must be idempotent: after a lost
    worker the same job runs again from the start (see `services.job_sweep_lost`).
    """

    abstract = True
    acks_late = True
    reject_on_worker_lost = True
    max_retries = 3
    retry_backoff_seconds = 5

    def execute(self, job: Job, tenant: Tenant) -> dict:
        raise NotImplementedError

    def run(self, *, tenant_id: int, job_id: str):
        tenant = Tenant.objects.filter(pk=tenant_id).first()
        job = Job.objects.for_tenant(tenant).filter(pk=job_id).first()
        # No tenant finds no job (for_tenant); the tenant test is for the type checker.
        if job is None or tenant is None:
            logger.warning("job %s not found in tenant %s; dropped", job_id, tenant_id)
            return None
        if job.is_finished:
            return job.status
        if job_start(job=job, owner=self.request.id) is None:
            logger.info("job %s is held by another live run; this copy stands aside", job_id)
            return None
        try:
            with lease_heartbeat(job):
                result = self.execute(job, tenant)
        except JobLeaseLost:
            logger.warning("job %s was taken from this run (lease lapsed); stopped", job_id)
            return None
        except RetryableJobError as exc:
            if self.request.retries >= self.max_retries:
                return self._fail(job, str(exc))
            countdown = self.retry_backoff_seconds * 2**self.request.retries
            # Held through the wait: the retry is the same message, so it may take the job back.
            job_renew_lease(job=job, seconds=countdown + settings.JOBS_LEASE_SECONDS)
            raise self.retry(exc=exc, countdown=countdown) from exc
        except Exception as exc:
            logger.exception("job %s failed", job_id)
            return self._fail(job, f"{type(exc).__name__}: {exc}")
        try:
            job_succeed(job=job, result=result or {})
        except JobLeaseLost:
            logger.warning("job %s finished after it was taken from this run", job_id)
            return None
        return JobStatus.SUCCEEDED

    def _fail(self, job: Job, error: str):
        try:
            job_fail(job=job, error=error)
        except JobLeaseLost:
            return None
        return JobStatus.FAILED
