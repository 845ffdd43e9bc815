"""Personal bearer tokens: expiry, revocation by their holder and by a tenant admin, and
revocation of every token when the password changes."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from suite.accounts.models import UserToken
from suite.audit.models import AuditEntry
from suite.tenancy.models import Role
from tests.cross_tenant import covers
from tests.factories import PASSWORD, member

pytestmark = pytest.mark.django_db


def _token(username: str, password: str = PASSWORD) -> str:
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password})
    assert response.status_code == 201, response.content
    return response.json()["token"]


def _bearer(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def test_tokens_expire_after_the_configured_hours(admin_a, settings):
    settings.AUTH_TOKEN_TTL_HOURS = 2
    token = _token("admin_a")
    record = UserToken.objects.get(user=admin_a)
    assert record.expires_at - record.created_at <= timedelta(hours=2, seconds=5)
    assert _bearer(token).get("/api/v1/me/").status_code == 200
    UserToken.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - timedelta(hours=3),
        expires_at=timezone.now() - timedelta(hours=1),
    )
    response = _bearer(token).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "令牌无效、已过期或已吊销。"


def test_a_shorter_ttl_also_ends_tokens_issued_before_it(admin_a, settings):
    token = _token("admin_a")
    UserToken.objects.filter(user=admin_a).update(
        created_at=timezone.now() - timedelta(hours=5), expires_at=None
    )
    settings.AUTH_TOKEN_TTL_HOURS = 4
    assert _bearer(token).get("/api/v1/me/").status_code == 401


def test_password_change_revokes_every_token_of_the_user(admin_a):
    first, second = _token("admin_a"), _token("admin_a")
    response = _bearer(first).post(
        "/api/v1/auth/password/",
        {"old_password": PASSWORD, "new_password": "Another-Horse-77"},
        format="json",
    )
    assert response.status_code == 204
    for token in (first, second):
        assert _bearer(token).get("/api/v1/me/").status_code == 401
    assert not UserToken.objects.filter(user=admin_a, revoked_at__isnull=True).exists()
    assert AuditEntry.objects.filter(action="user_token.revoked_all").exists()
    # The new password issues a fresh, working token.
    assert _bearer(_token("admin_a", "Another-Horse-77")).get("/api/v1/me/").status_code == 200


def test_portal_password_change_revokes_tokens_too(client_a, admin_a):
    token = _token("admin_a")
    response = client_a.post(
        reverse("portal:password_change"),
        {
            "old_password": PASSWORD,
            "new_password": "Another-Horse-77",
            "new_password_again": "Another-Horse-77",
        },
    )
    assert response.status_code == 302
    admin_a.refresh_from_db()
    assert admin_a.check_password("Another-Horse-77")
    assert _bearer(token).get("/api/v1/me/").status_code == 401


def test_delete_token_revokes_only_the_token_used(admin_a):
    used, other = _token("admin_a"), _token("admin_a")
    assert _bearer(used).delete("/api/v1/auth/token/").status_code == 204
    assert _bearer(used).get("/api/v1/me/").status_code == 401
    assert _bearer(other).get("/api/v1/me/").status_code == 200


def test_delete_token_without_a_user_token_is_a_clear_400(api_a):
    response = api_a.delete("/api/v1/auth/token/")
    assert response.status_code == 400
    assert "令牌" in response.json()["error"]["message"]
    assert APIClient().delete("/api/v1/auth/token/").status_code == 401


@covers("api:member-revoke-tokens")
def test_tenant_admin_revokes_a_members_tokens_but_not_another_tenants(api_a, tenant_a, tenant_b):
    agent = member(tenant_a, Role.CS_AGENT, username="agent_a")
    foreign = member(tenant_b, Role.CS_AGENT, username="agent_b")
    agent_token, foreign_token = _token("agent_a"), _token("agent_b")
    mine = agent.memberships.get()
    response = api_a.post(f"/api/v1/members/{mine.pk}/revoke-tokens/")
    assert response.status_code == 200
    assert response.json()["revoked"] == 1
    assert _bearer(agent_token).get("/api/v1/me/").status_code == 401
    theirs = foreign.memberships.get()
    assert api_a.post(f"/api/v1/members/{theirs.pk}/revoke-tokens/").status_code == 404
    assert _bearer(foreign_token).get("/api/v1/me/").status_code == 200


def test_only_tenant_admins_revoke_members_tokens(tenant_a, admin_a):
    agent = member(tenant_a, Role.CS_AGENT)
    api = APIClient()
    api.force_login(agent)
    own = admin_a.memberships.get()
    assert api.post(f"/api/v1/members/{own.pk}/revoke-tokens/").status_code == 403
