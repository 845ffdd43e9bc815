"""Indexing a large knowledge import reports progress batch by batch (what the jobs page and
/ws/jobs/ show while the articles are embedded)."""

import pytest

from customer_service import knowledge
from customer_service.services.knowledge import article_create, kb_index_refresh
from tests.job_progress import assert_progress_climbs, record_job_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    return record_job_events(monkeypatch)


def test_indexing_reports_each_batch_of_articles(
    tenant_a, settings, english, published, django_capture_on_commit_callbacks
):
    from customer_service.tasks import kb_index

    settings.CUSTOMER_SERVICE_KB_VECTORS = False  # lexical: no embedding model needed here
    count = knowledge.INDEX_BATCH * 2 + 5  # three batches
    for n in range(count):
        article_create(
            tenant=tenant_a,
            title=f"套餐问题 {n}",
            body=f"第 {n} 号套餐的资费说明和办理方式。",
            status="published",
        )
    with django_capture_on_commit_callbacks(execute=False):
        job = kb_index_refresh(tenant=tenant_a)
    kb_index.apply(kwargs={"tenant_id": tenant_a.pk, "job_id": str(job.pk)})
    assert_progress_climbs(published, steps=3)
    messages = [m for s, _p, m in published if s == "running" and m]
    assert messages[-1] == f"Indexing articles: {count} of {count}"
    job.refresh_from_db()
    assert job.result == {"documents": count, "mode": "lexical"}
