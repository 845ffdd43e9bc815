from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from suite.tenancy.models import STAFF_ROLES, Tenant
from suite.tenancy.selectors import user_has_role

from .models import Job, JobStatus


def jobs_for(*, tenant: Tenant, kind_prefix: str | None = None) -> QuerySet[Job]:
    jobs = Job.objects.for_tenant(tenant)
    if kind_prefix:
        jobs = jobs.filter(kind__startswith=kind_prefix)
    return jobs


def jobs_visible_to(*, tenant: Tenant, user, kind_prefix: str | None = None) -> QuerySet[Job]:
    """Staff see the tenant's jobs; any other member (a subscriber) only the jobs they started."""
    jobs = jobs_for(tenant=tenant, kind_prefix=kind_prefix)
    if user_has_role(user, tenant, *STAFF_ROLES):
        return jobs
    if not getattr(user, "is_authenticated", False):
        return jobs.none()
    return jobs.filter(created_by=user)


def queued_in(queue: str) -> QuerySet[Job]:
    """The jobs waiting on one Celery queue, first in line first. Across tenants on purpose:
    they share the workers, so that is the real line (callers only reveal positions)."""
    return Job.objects.filter(status=JobStatus.QUEUED, queue=queue).order_by("queued_at", "pk")


def job_queue_position(job: Job) -> int | None:
    """1 for the next job its queue's workers take, 2 for the one after...; None unless queued."""
    if job.status != JobStatus.QUEUED:
        return None
    ahead = Q(queued_at__lt=job.queued_at) | Q(queued_at=job.queued_at, pk__lt=job.pk)
    return queued_in(job.queue).filter(ahead).count() + 1


def job_status_label(job: Job, *, position: int | None = None) -> str:
    """What a person reads for the job's state, e.g. "排队中（第 3 位）" for a waiting job."""
    if job.status == JobStatus.QUEUED:
        position = position if position is not None else job_queue_position(job)
        if position:
            return _("Queued (position %(position)s)") % {"position": position}
    return str(job.get_status_display())
