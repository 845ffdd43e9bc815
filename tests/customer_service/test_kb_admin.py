"""Knowledge base: rolling an article back to a past version, and category editing (API and
portal page), each tenant-scoped."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from customer_service.models import KbArticle, KbArticleVersion, KbCategory
from customer_service.services import knowledge as kb
from suite.audit.models import AuditEntry
from suite.tenancy.models import Role
from tests.cross_tenant import covers
from tests.factories import member

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def client_for(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def edited_article(tenant, user=None) -> KbArticle:
    article = kb.article_create(
        tenant=tenant, title="国际漫游开通", body="第一版：发送KTMY到10086。"
    )
    kb.article_update(article=article, body="第二版：在App里开通。", user=user)
    return article


def test_rollback_restores_old_text_as_a_new_version_and_is_audited(tenant_a):
    user = member(tenant_a, Role.CS_SUPERVISOR, username="sup")
    article = edited_article(tenant_a)
    kb.article_rollback(article=article, version=1, user=user)
    article.refresh_from_db()
    assert article.version == 3 and article.body == "第一版：发送KTMY到10086。"
    bodies = dict(KbArticleVersion.objects.filter(article=article).values_list("version", "body"))
    assert bodies == {1: "第一版：发送KTMY到10086。", 2: "第二版：在App里开通。", 3: bodies[1]}
    event = AuditEntry.objects.filter(action="customer_service.article_rollback").get()
    assert event.data == {"from_version": 2, "restored": 1, "new_version": 3}
    # Rolling back to a version with the current text, or one that does not exist, is refused.
    for version in (3, 1, 9, "x"):
        with pytest.raises(Exception) as exc:
            kb.article_rollback(article=article, version=version, user=user)
        assert "version" in str(exc.value)
    assert KbArticleVersion.objects.filter(article=article).count() == 3


@covers("api:cs-article-rollback")
def test_rollback_api_is_for_editors_of_the_tenant(tenant_a, tenant_b):
    sup = member(tenant_a, Role.CS_SUPERVISOR, username="sup")
    agent = member(tenant_a, Role.CS_AGENT, username="agent")
    ours, theirs = edited_article(tenant_a), edited_article(tenant_b)
    url = reverse("api:cs-article-rollback", args=[ours.pk])
    assert client_for(agent).post(url, {"version": 1}, format="json").status_code == 403
    response = client_for(sup).post(url, {"version": 1}, format="json")
    assert response.status_code == 200 and response.json()["version"] == 3
    assert response.json()["body"].startswith("第一版")
    bad = client_for(sup).post(url, {"version": 7}, format="json")
    assert bad.status_code == 400 and "version" in bad.json()["error"]["fields"]
    other = reverse("api:cs-article-rollback", args=[theirs.pk])
    assert client_for(sup).post(other, {"version": 1}, format="json").status_code == 404
    theirs.refresh_from_db()
    assert theirs.version == 2


@covers("api:cs-category-list", "api:cs-category-detail")
def test_category_api_create_rename_reorder_delete(tenant_a, tenant_b):
    sup = member(tenant_a, Role.CS_SUPERVISOR, username="sup")
    agent = member(tenant_a, Role.CS_AGENT, username="agent")
    api = client_for(sup)
    url = reverse("api:cs-category-list")
    created = api.post(url, {"name": "漫游", "order": 3}, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    article = kb.article_create(
        tenant=tenant_a, title="日本漫游", body="每天25元。", category="漫游"
    )
    assert article.category_id == pk
    dup = api.post(url, {"name": "漫游"}, format="json")
    assert dup.status_code == 400 and "name" in dup.json()["error"]["fields"]
    assert api.post(url, {"name": "  "}, format="json").status_code == 400
    assert client_for(agent).post(url, {"name": "宽带"}, format="json").status_code == 403
    assert [c["name"] for c in client_for(agent).get(url).json()] == ["漫游"]
    detail = reverse("api:cs-category-detail", args=[pk])
    renamed = api.patch(detail, {"name": "国际漫游", "order": 1}, format="json")
    assert renamed.status_code == 200 and renamed.json() == {
        "id": pk,
        "name": "国际漫游",
        "order": 1,
    }
    # Another tenant's category reads as missing, for reading and for writing.
    theirs = kb.category_create(tenant=tenant_b, name="成都")
    their_url = reverse("api:cs-category-detail", args=[theirs.pk])
    assert api.get(their_url).status_code == 404
    assert api.patch(their_url, {"name": "x"}, format="json").status_code == 404
    assert api.delete(their_url).status_code == 404
    assert api.delete(detail).status_code == 204
    article.refresh_from_db()
    assert article.category is None and KbArticle.objects.filter(pk=article.pk).exists()
    assert KbCategory.objects.filter(pk=theirs.pk).exists()


@covers("customer_service:categories")
def test_categories_page(client, tenant_a, tenant_b):
    sup = member(tenant_a, Role.CS_SUPERVISOR, username="sup")
    theirs = kb.category_create(tenant=tenant_b, name="成都专区")
    client.force_login(sup)
    url = reverse("customer_service:categories")
    client.post(url, {"action": "create", "name": "宽带", "order": "2"})
    category = KbCategory.objects.for_tenant(tenant_a).get(name="宽带")
    client.post(url, {"action": "update", "id": category.pk, "name": "家庭宽带", "order": "5"})
    category.refresh_from_db()
    assert (category.name, category.order) == ("家庭宽带", 5)
    page = client.get(url).content.decode()
    assert "家庭宽带" in page and "成都专区" not in page
    assert client.post(url, {"action": "delete", "id": theirs.pk}).status_code == 404
    response = client.post(url, {"action": "update", "id": category.pk, "name": "", "order": "1"})
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.name == "家庭宽带"  # nothing half-saved
    client.post(url, {"action": "delete", "id": category.pk})
    assert not KbCategory.objects.for_tenant(tenant_a).exists()
    assert KbCategory.objects.filter(pk=theirs.pk).exists()
    agent = member(tenant_a, Role.CS_AGENT, username="agent")
    client.force_login(agent)
    assert client.get(url).status_code in (302, 403, 404)


def test_article_page_restores_a_version(client, tenant_a):
    sup = member(tenant_a, Role.CS_SUPERVISOR, username="sup")
    article = edited_article(tenant_a)
    client.force_login(sup)
    url = reverse("customer_service:article", args=[article.pk])
    assert 'name="version" value="1"' in client.get(url).content.decode()
    client.post(url, {"action": "rollback", "version": "1"})
    article.refresh_from_db()
    assert article.version == 3 and article.body.startswith("第一版")


def test_the_knowledge_page_follows_its_indexing_job_until_it_is_done(client, tenant_a, tenant_b):
    from suite.jobs.models import Job, JobStatus

    sup = member(tenant_a, Role.CS_SUPERVISOR, username="sup")
    client.force_login(sup)
    url = reverse("customer_service:knowledge")
    theirs = Job.objects.create(
        tenant=tenant_b, kind="customer_service.kb_index", idempotency_key="theirs"
    )
    assert "data-job-progress" not in client.get(url).content.decode()
    job = Job.objects.create(tenant=tenant_a, kind="customer_service.kb_index", idempotency_key="k")
    page = client.get(url).content.decode()
    assert f'data-job-id="{job.pk}"' in page and f'data-job-id="{theirs.pk}"' not in page
    assert 'data-status="queued"' in page
    Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error="embedder down")
    page = client.get(url).content.decode()
    assert 'data-status="failed"' in page and "job-progress-retry" in page
    Job.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED)
    assert "data-job-progress" not in client.get(url).content.decode()
