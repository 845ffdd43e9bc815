"""Background jobs: (re)build a tenant's knowledge index after an import, so the first caller
after a large import does not wait for the embeddings."""

from __future__ import annotations

from django.utils.translation import gettext as _

from suite.celery import app
from suite.jobs.models import Job
from suite.jobs.services import job_set_progress
from suite.jobs.tasks_base import TenantJobTask
from suite.tenancy.models import Tenant

from . import knowledge


class KnowledgeIndexTask(TenantJobTask):
    name = "customer_service.kb_index"

    def execute(self, job: Job, tenant: Tenant) -> dict:
        def indexed(done: int, total: int) -> None:
            job_set_progress(
                job=job,
                progress=5 + round(90 * done / total),
                message=_("Indexing articles: %(done)s of %(total)s")
                % {"done": done, "total": total},
            )

        index, vectors = knowledge.tenant_index(tenant, progress=indexed)
        return {"documents": len(index), "mode": "hybrid" if vectors else "lexical"}


kb_index = app.register_task(KnowledgeIndexTask())


@app.task(name="customer_service.sla_breach_check", acks_late=True)
def sla_breach_check(tenant_id: int | None = None) -> dict:
    """Marks overdue open tickets, tenant by tenant (each in its own transaction). Safe to run
    twice or concurrently: a ticket is marked, and its agents alerted, only once."""
    from .services.tickets import tickets_mark_sla_breached

    tenants = Tenant.objects.filter(is_active=True)
    if tenant_id is not None:
        tenants = tenants.filter(pk=tenant_id)
    marked = {}
    for tenant in tenants.order_by("pk"):
        found = tickets_mark_sla_breached(tenant=tenant)
        if found:
            marked[tenant.slug] = [t.number for t in found]
    return {"marked": marked}
