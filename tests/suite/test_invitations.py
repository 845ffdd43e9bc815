"""A tenant admin cannot join another tenant's account without its consent, and the answer to
adding a name does not tell whether the account exists."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from suite.accounts.models import Invitation
from suite.tenancy.models import Membership, Role
from tests.cross_tenant import covers
from tests.factories import member

pytestmark = pytest.mark.django_db


def _invite(api, username: str, role: str = "cs_agent"):
    return api.post("/api/v1/members/", {"username": username, "role": role}, format="json")


def test_a_foreign_account_is_invited_not_added(api_a, tenant_a, admin_b):
    response = _invite(api_a, "admin_b")
    assert response.status_code == 202
    assert not Membership.objects.filter(user=admin_b, tenant=tenant_a).exists()
    assert Invitation.objects.filter(tenant=tenant_a, username="admin_b").exists()


def test_unknown_and_foreign_names_get_one_identical_answer(api_a, admin_b):
    foreign = _invite(api_a, "admin_b")
    unknown = _invite(api_a, "nobody_here")
    assert foreign.status_code == unknown.status_code == 202
    strip = lambda body: {k: v.replace("admin_b", "X").replace("nobody_here", "X")  # noqa: E731
                          for k, v in body.items()}  # fmt: skip
    assert strip(foreign.json()) == strip(unknown.json())
    assert "如果" in foreign.json()["detail"]


def test_portal_answer_is_identical_for_unknown_and_foreign_names(client_a, admin_b):
    url = reverse("portal:members")
    foreign = client_a.post(url, {"username": "admin_b", "role": "cs_agent"}, follow=True)
    unknown = client_a.post(url, {"username": "nobody_here", "role": "cs_agent"}, follow=True)
    messages = [[str(m) for m in r.context["messages"]] for r in (foreign, unknown)]
    assert messages[0] == [m.replace("nobody_here", "admin_b") for m in messages[1]]
    assert not Membership.objects.filter(user=admin_b, tenant__slug="gd-sz").exists()


@covers("api:invitation-list", "api:invitation-accept", "api:invitation-decline")
def test_the_invited_user_accepts_and_only_they_can(api_a, tenant_a, tenant_b, admin_b):
    _invite(api_a, "admin_b")
    bystander = member(tenant_b, Role.CS_AGENT)
    theirs = APIClient()
    theirs.force_login(bystander)
    assert theirs.get("/api/v1/invitations/").json() == []
    invitation = Invitation.objects.get(username="admin_b")
    assert theirs.post(f"/api/v1/invitations/{invitation.pk}/accept/").status_code == 404
    invited = APIClient()
    invited.force_login(admin_b)
    listing = invited.get("/api/v1/invitations/").json()
    assert [i["tenant"]["slug"] for i in listing] == ["gd-sz"]
    response = invited.post(f"/api/v1/invitations/{invitation.pk}/accept/")
    assert response.status_code == 200
    assert Membership.objects.filter(user=admin_b, tenant=tenant_a, role="cs_agent").exists()
    # Used up: a second accept or a decline is a 404.
    assert invited.post(f"/api/v1/invitations/{invitation.pk}/decline/").status_code == 404


def test_a_declined_invitation_grants_nothing(api_a, tenant_a, admin_b):
    _invite(api_a, "admin_b")
    invited = APIClient()
    invited.force_login(admin_b)
    invitation = Invitation.objects.get(username="admin_b")
    assert invited.post(f"/api/v1/invitations/{invitation.pk}/decline/").status_code == 204
    assert not Membership.objects.filter(user=admin_b, tenant=tenant_a).exists()


@covers("portal:invitations", "portal:invitation_answer")
def test_pending_invitations_show_after_sign_in_and_are_accepted_in_the_portal(
    api_a, client, tenant_a, admin_b, admin_a
):
    _invite(api_a, "admin_b", role="hotline_agent")
    client.force_login(admin_b)
    home = client.get(reverse("portal:home")).content.decode()
    assert 'id="pending-invitations"' in home
    page = client.get(reverse("portal:invitations")).content.decode()
    assert tenant_a.name in page
    invitation = Invitation.objects.get(username="admin_b")
    # Someone else cannot answer it (404, like a missing one).
    other = APIClient()
    other.force_login(admin_a)
    assert (
        other.post(reverse("portal:invitation_answer", args=[invitation.pk, "accept"])).status_code
        == 404
    )
    response = client.post(reverse("portal:invitation_answer", args=[invitation.pk, "accept"]))
    assert response.status_code == 302
    assert Membership.objects.filter(user=admin_b, tenant=tenant_a, role="hotline_agent").exists()


def test_existing_members_get_another_role_directly(api_a, tenant_a):
    agent = member(tenant_a, Role.CS_AGENT, username="agent_a")
    response = _invite(api_a, "agent_a", role="cs_supervisor")
    assert response.status_code == 201
    assert Membership.objects.filter(user=agent, tenant=tenant_a, role="cs_supervisor").exists()
