import pytest
from django.urls import reverse

from suite.tenancy.models import Role
from tests.cross_tenant import covers
from tests.factories import JobFactory, member

pytestmark = pytest.mark.django_db

MODULES = {
    "customer_service": Role.CS_AGENT,
    "video_ringtone": Role.RINGTONE_REVIEWER,
    "video_analytics": Role.VIDEO_ANALYST,
    "gov_hotline": Role.HOTLINE_AGENT,
}


@covers(*(f"{label}:home" for label in MODULES))
@pytest.mark.parametrize(("label", "role"), MODULES.items())
def test_module_page_shows_only_own_tenant_jobs(client, tenant_a, tenant_b, label, role):
    JobFactory(tenant=tenant_a, kind=f"{label}.mine")
    JobFactory(tenant=tenant_b, kind=f"{label}.theirs")
    client.force_login(member(tenant_a, role))
    response = client.get(reverse(f"{label}:home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{label}.mine" in page
    assert f"{label}.theirs" not in page


@pytest.mark.parametrize("label", MODULES)
def test_module_page_is_404_for_roles_without_access(client, tenant_a, label):
    # A department handler works only in the hotline module.
    client.force_login(member(tenant_a, Role.DEPARTMENT_HANDLER))
    expected = 200 if label == "gov_hotline" else 404
    assert client.get(reverse(f"{label}:home")).status_code == expected


def test_subscriber_is_sent_to_the_mobile_home(client, tenant_a):
    client.force_login(member(tenant_a, Role.SUBSCRIBER))
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:subscriber_home")


def test_anonymous_user_is_sent_to_login(client, db):
    response = client.get(reverse("customer_service:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
