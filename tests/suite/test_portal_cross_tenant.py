"""Portal pages: another tenant's objects are 404 and never listed."""

import pytest
from django.urls import reverse

from suite.accounts.models import ApiKey
from suite.accounts.services import api_key_create
from suite.audit.tasks import EXPORT_KIND, export_path
from suite.jobs.models import Job, JobStatus
from suite.tenancy.models import Membership, Role
from tests.cross_tenant import covers
from tests.factories import AuditEntryFactory, JobFactory, member

pytestmark = pytest.mark.django_db


@covers("portal:api_keys", "portal:api_key_revoke")
def test_api_keys_page_and_revoke_are_tenant_scoped(client_a, tenant_a, tenant_b):
    mine = api_key_create(tenant=tenant_a, name="mine-key", scopes=["maas"]).record
    theirs = api_key_create(tenant=tenant_b, name="their-key", scopes=["maas"]).record
    page = client_a.get(reverse("portal:api_keys")).content.decode()
    assert mine.prefix in page
    assert theirs.prefix not in page
    response = client_a.post(reverse("portal:api_key_revoke", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


@covers("portal:members", "portal:member_remove")
def test_members_page_and_remove_are_tenant_scoped(client_a, admin_b):
    page = client_a.get(reverse("portal:members")).content.decode()
    assert "admin_a" in page
    assert "admin_b" not in page
    theirs = Membership.objects.get(user=admin_b)
    assert client_a.post(reverse("portal:member_remove", args=[theirs.pk])).status_code == 404
    assert Membership.objects.filter(pk=theirs.pk).exists()


@covers("portal:audit_log")
def test_audit_page_lists_only_own_tenant(client_a, tenant_a, tenant_b):
    AuditEntryFactory(tenant=tenant_a, action="probe.mine")
    AuditEntryFactory(tenant=tenant_b, action="probe.theirs")
    page = client_a.get(reverse("portal:audit_log")).content.decode()
    assert "probe.mine" in page
    assert "probe.theirs" not in page


@covers("portal:jobs", "portal:home")
def test_jobs_and_home_list_only_own_tenant(client_a, tenant_a, tenant_b):
    JobFactory(tenant=tenant_a, kind="probe.mine")
    JobFactory(tenant=tenant_b, kind="probe.theirs")
    for url in (reverse("portal:jobs"), reverse("portal:home")):
        page = client_a.get(url).content.decode()
        assert "probe.mine" in page, url
        assert "probe.theirs" not in page, url


@covers("portal:job_download", "portal:audit_export")
def test_export_download_of_other_tenant_is_404(client_a, tenant_b, admin_b, client, settings):
    job = JobFactory(
        tenant=tenant_b, kind=EXPORT_KIND, status=JobStatus.SUCCEEDED, result={"filename": "x.csv"}
    )
    path = export_path(job)
    path.parent.mkdir(parents=True)
    path.write_text("secret")
    assert client_a.get(reverse("portal:job_download", args=[job.pk])).status_code == 404
    # The export button creates a job in the caller's tenant only.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    before = Job.objects.filter(tenant=tenant_b).count()
    client_a.post(reverse("portal:audit_export"))
    assert Job.objects.filter(tenant=tenant_b).count() == before


@covers("portal:switch_tenant")
def test_cannot_switch_into_a_tenant_without_membership(client_a, tenant_b):
    response = client_a.post(reverse("portal:switch_tenant"), {"tenant": tenant_b.pk})
    assert response.status_code == 404
    assert client_a.session.get("tenant_id") is None


def test_switching_between_own_tenants_changes_what_is_shown(client, tenant_a, tenant_b):
    user = member(tenant_a, Role.TENANT_ADMIN)
    Membership.objects.create(user=user, tenant=tenant_b, role=Role.TENANT_ADMIN)
    JobFactory(tenant=tenant_b, kind="probe.b")
    client.force_login(user)
    assert "probe.b" not in client.get(reverse("portal:jobs")).content.decode()
    response = client.post(reverse("portal:switch_tenant"), {"tenant": tenant_b.pk})
    assert response.status_code == 302
    assert "probe.b" in client.get(reverse("portal:jobs")).content.decode()


@covers("portal:password_change")
def test_password_change_page_changes_only_own_password(client_a, admin_a, admin_b):
    before = admin_b.password
    response = client_a.post(
        reverse("portal:password_change"),
        {
            "old_password": "Correct-Horse-42",
            "new_password": "Brand-New-Pass-77",
            "new_password_again": "Brand-New-Pass-77",
        },
    )
    assert response.status_code == 302
    admin_a.refresh_from_db()
    admin_b.refresh_from_db()
    assert admin_a.check_password("Brand-New-Pass-77")
    assert admin_b.password == before


@covers("portal:subscriber_home")
def test_subscriber_home_shows_only_own_sign_ins(client, tenant_a, tenant_b):
    sub_a = member(tenant_a, Role.SUBSCRIBER, phone="13800138000")
    sub_b = member(tenant_b, Role.SUBSCRIBER, phone="13900139000")
    AuditEntryFactory(tenant=tenant_a, actor=sub_a, action="auth.login", ip="10.1.1.1")
    AuditEntryFactory(tenant=tenant_b, actor=sub_b, action="auth.login", ip="10.2.2.2")
    client.force_login(sub_a)
    page = client.get(reverse("portal:subscriber_home")).content.decode()
    assert "10.1.1.1" in page
    assert "10.2.2.2" not in page
    assert "138****8000" in page
    assert "13800138000" not in page


def test_new_api_key_is_shown_once_and_refresh_does_not_mint_another(client_a, tenant_a):
    response = client_a.post(reverse("portal:api_keys"), {"name": "crm", "scopes": ["maas"]})
    assert response.status_code == 302
    first = client_a.get(reverse("portal:api_keys")).content.decode()
    assert 'id="new-api-key"' in first
    again = client_a.get(reverse("portal:api_keys")).content.decode()
    assert 'id="new-api-key"' not in again
    assert ApiKey.objects.for_tenant(tenant_a).count() == 1


def test_portal_is_chinese_by_default_and_api_negotiates(client, admin_a):
    page = client.get(reverse("portal:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-CN">' in page.content.decode()
    client.cookies["django_language"] = "en"
    assert '<html lang="en">' in client.get(reverse("portal:login")).content.decode()
    api = client.get("/api/v1/jobs/", HTTP_ACCEPT_LANGUAGE="en")
    assert api.json()["error"]["message"] == "Authentication credentials were not provided."


def test_subscriber_logout_returns_to_phone_login(client, tenant_a):
    client.force_login(member(tenant_a, Role.SUBSCRIBER, phone="13800138000"))
    response = client.post(reverse("portal:logout"))
    assert response["Location"] == reverse("portal:subscriber_login")
