from django.db.models import QuerySet

from suite.tenancy.models import Tenant

from .models import Job


def jobs_for(*, tenant: Tenant, kind_prefix: str | None = None) -> QuerySet[Job]:
    jobs = Job.objects.for_tenant(tenant)
    if kind_prefix:
        jobs = jobs.filter(kind__startswith=kind_prefix)
    return jobs
