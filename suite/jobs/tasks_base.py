"""The base of every background task: carries tenant and job, idempotent, capped retries."""

import logging

from celery import Task

from suite.tenancy.models import Tenant

from .models import Job, JobStatus
from .services import job_fail, job_start, job_succeed

logger = logging.getLogger("suite.jobs")


class RetryableJobError(Exception):
    """Raise from a job body for transient failures (a model server down); the task retries."""


class TenantJobTask(Task):
    """Subclasses implement `execute(job, tenant) -> dict`; callers send tenant_id and job_id.

    The job is looked up through the tenant-scoped queryset, so a task can never act on another
    tenant's job; a job that already finished is not run again (redelivery after acks_late).
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
        if job is None:
            logger.warning("job %s not found in tenant %s; dropped", job_id, tenant_id)
            return None
        if job.is_finished:
            return job.status
        job_start(job=job)
        try:
            result = self.execute(job, tenant)
        except RetryableJobError as exc:
            if self.request.retries >= self.max_retries:
                job_fail(job=job, error=str(exc))
                return JobStatus.FAILED
            raise self.retry(
                exc=exc, countdown=self.retry_backoff_seconds * 2**self.request.retries
            ) from exc
        except Exception as exc:
            logger.exception("job %s failed", job_id)
            job_fail(job=job, error=f"{type(exc).__name__}: {exc}")
            return JobStatus.FAILED
        job_succeed(job=job, result=result or {})
        return JobStatus.SUCCEEDED
