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


def test_products_offer_subscribers_entries_on_the_mobile_home(client, tenant_a, monkeypatch):
    from django.apps import apps

    config = apps.get_app_config("customer_service")
    monkeypatch.setattr(
        config, "subscriber_entries", (("customer_service:home", "在线客服"),), raising=False
    )
    client.force_login(member(tenant_a, Role.SUBSCRIBER, phone="13800138000"))
    page = client.get(reverse("portal:subscriber_home")).content.decode()
    assert f'href="{reverse("customer_service:home")}"' in page
    assert "在线客服" in page


def test_seed_demo_runs_each_product_demo_module(db, monkeypatch):
    import sys
    import types

    from suite.products import seed_product_demos

    calls = []
    fake = types.ModuleType("video_analytics.demo")
    fake.seed_demo = lambda: calls.append("video_analytics")
    monkeypatch.setitem(sys.modules, "video_analytics.demo", fake)
    monkeypatch.setattr(
        "suite.products.has_module", lambda config, name: config.label == "video_analytics"
    )
    assert seed_product_demos() == ["video_analytics"]
    assert calls == ["video_analytics"]
