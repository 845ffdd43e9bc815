"""The knowledge-index job: queued by an import, runs in its tenant only."""

import pytest

from customer_service import knowledge
from customer_service.services.knowledge import articles_import, kb_index_refresh
from customer_service.tasks import kb_index
from suite.jobs.models import Job, JobStatus

pytestmark = pytest.mark.django_db


def test_import_queues_an_index_job_that_indexes_the_tenants_articles(tenant_a, tenant_b):
    articles_import(tenant=tenant_a, data="# 宽带报装\n需要身份证。\n".encode(), fmt="markdown",
                    publish=True)  # fmt: skip
    job = Job.objects.for_tenant(tenant_a).get(kind="customer_service.kb_index")
    knowledge.forget(tenant_a.pk)
    assert kb_index.run(tenant_id=tenant_a.pk, job_id=str(job.pk)) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    assert job.result == {"documents": 1, "mode": "hybrid"}
    assert tenant_a.pk in knowledge._cache

    # Tenant b's job id sent with tenant a's id is not found there: nothing runs.
    theirs = kb_index_refresh(tenant=tenant_b)
    assert kb_index.run(tenant_id=tenant_a.pk, job_id=str(theirs.pk)) is None
    theirs.refresh_from_db()
    assert theirs.status == JobStatus.QUEUED
