"""Background jobs: (re)build a tenant's knowledge index after an import, so the first caller
after a large import does not wait for the embeddings."""

from __future__ import annotations

from suite.celery import app
from suite.jobs.models import Job
from suite.jobs.tasks_base import TenantJobTask
from suite.tenancy.models import Tenant

from . import knowledge


class KnowledgeIndexTask(TenantJobTask):
    name = "customer_service.kb_index"

    def execute(self, job: Job, tenant: Tenant) -> dict:
        index, vectors = knowledge.tenant_index(tenant)
        return {"documents": len(index), "mode": "hybrid" if vectors else "lexical"}


kb_index = app.register_task(KnowledgeIndexTask())
