"""Another tenant's objects answer 404 exactly like missing ones, and never appear in lists."""

import pytest
from rest_framework.test import APIClient

from suite.accounts.models import ApiKey
from suite.accounts.services import api_key_create
from suite.tenancy.models import Membership, Role
from tests.cross_tenant import covers
from tests.factories import AuditEntryFactory, JobFactory, member

pytestmark = pytest.mark.django_db

MISSING_ID = 987654321


def _ids(response) -> set:
    return {row["id"] for row in response.json()["results"]}


@covers("api:api-key-list", "api:api-key-detail", "api:api-key-revoke")
def test_api_keys_of_other_tenant_are_invisible(api_a, tenant_a, tenant_b):
    mine = api_key_create(tenant=tenant_a, name="mine", scopes=["maas"]).record
    theirs = api_key_create(tenant=tenant_b, name="theirs", scopes=["maas"]).record

    assert _ids(api_a.get("/api/v1/api-keys/")) == {mine.pk}
    other = api_a.get(f"/api/v1/api-keys/{theirs.pk}/")
    missing = api_a.get(f"/api/v1/api-keys/{MISSING_ID}/")
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()

    assert api_a.post(f"/api/v1/api-keys/{theirs.pk}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


@covers("api:member-list", "api:member-detail")
def test_members_of_other_tenant_are_invisible(api_a, admin_a, admin_b, tenant_b):
    listed = {row["username"] for row in api_a.get("/api/v1/members/").json()["results"]}
    assert listed == {"admin_a"}
    theirs = Membership.objects.get(user=admin_b)
    assert api_a.get(f"/api/v1/members/{theirs.pk}/").status_code == 404
    assert api_a.delete(f"/api/v1/members/{theirs.pk}/").status_code == 404
    assert Membership.objects.filter(pk=theirs.pk).exists()


@covers("api:audit-entry-list", "api:audit-entry-detail")
def test_audit_entries_of_other_tenant_are_invisible(api_a, tenant_a, tenant_b):
    mine = AuditEntryFactory(tenant=tenant_a, action="x.mine")
    theirs = AuditEntryFactory(tenant=tenant_b, action="x.theirs")
    ids = _ids(api_a.get("/api/v1/audit-log/?action=x.mine")) | _ids(
        api_a.get("/api/v1/audit-log/?action=x.theirs")
    )
    assert ids == {mine.pk}
    assert api_a.get(f"/api/v1/audit-log/{theirs.pk}/").status_code == 404


@covers("api:job-list", "api:job-detail")
def test_jobs_of_other_tenant_are_invisible(api_a, tenant_a, tenant_b):
    mine = JobFactory(tenant=tenant_a)
    theirs = JobFactory(tenant=tenant_b)
    assert _ids(api_a.get("/api/v1/jobs/")) == {str(mine.pk)}
    assert api_a.get(f"/api/v1/jobs/{theirs.pk}/").status_code == 404


@covers("api:me")
def test_me_lists_only_own_memberships(api_a, admin_b):
    body = api_a.get("/api/v1/me/").json()
    assert body["username"] == "admin_a"
    assert [m["tenant"]["slug"] for m in body["memberships"]] == ["gd-sz"]
    assert body["current_tenant"] == "gd-sz"
    assert body["phone"] == "138****5678"


@covers("api:auth-password")
def test_password_change_touches_only_the_caller(api_a, admin_a, admin_b):
    before = admin_b.password
    response = api_a.post(
        "/api/v1/auth/password/",
        {"old_password": "Correct-Horse-42", "new_password": "Another-Strong-Pass-9"},
        format="json",
    )
    assert response.status_code == 204
    admin_b.refresh_from_db()
    admin_a.refresh_from_db()
    assert admin_b.password == before
    assert admin_a.check_password("Another-Strong-Pass-9")


def test_api_key_sees_only_its_tenant_and_needs_scope(tenant_a, tenant_b, key_a):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key_a}")
    # Admin endpoints refuse API keys whatever their scopes.
    response = api.get("/api/v1/api-keys/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "API keys cannot be used here; sign in as a user."


def test_user_in_two_tenants_sees_only_the_selected_one(tenant_a, tenant_b):
    user = member(tenant_a, Role.TENANT_ADMIN)
    Membership.objects.create(user=user, tenant=tenant_b, role=Role.TENANT_ADMIN)
    key_b = api_key_create(tenant=tenant_b, name="b", scopes=["maas"]).record
    api = APIClient()
    api.force_login(user)
    assert _ids(api.get("/api/v1/api-keys/")) == set()
    session = api.session
    session["tenant_id"] = tenant_b.pk
    session.save()
    assert _ids(api.get("/api/v1/api-keys/")) == {key_b.pk}
    assert ApiKey.objects.count() == 1


@covers("api:job-list", "api:job-detail")
def test_a_subscriber_sees_only_the_jobs_they_started(tenant_a, admin_a):
    alice = member(tenant_a, Role.SUBSCRIBER, username="alice")
    bob = member(tenant_a, Role.SUBSCRIBER, username="bob")
    alices = JobFactory(tenant=tenant_a, created_by=alice)
    bobs = JobFactory(tenant=tenant_a, created_by=bob, kind="probe.bob", message="bob's photo")
    staffs = JobFactory(tenant=tenant_a, created_by=admin_a)
    api = APIClient()
    api.force_login(alice)
    assert _ids(api.get("/api/v1/jobs/")) == {str(alices.pk)}
    assert api.get(f"/api/v1/jobs/{bobs.pk}/").status_code == 404
    assert api.get(f"/api/v1/jobs/{staffs.pk}/").status_code == 404
    assert api.get(f"/api/v1/jobs/{alices.pk}/").status_code == 200
    staff = APIClient()
    staff.force_login(admin_a)
    assert _ids(staff.get("/api/v1/jobs/")) == {str(alices.pk), str(bobs.pk), str(staffs.pk)}
