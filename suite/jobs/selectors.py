from django.db.models import QuerySet

from suite.tenancy.models import STAFF_ROLES, Tenant
from suite.tenancy.selectors import user_has_role

from .models import Job


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
