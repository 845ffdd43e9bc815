"""What a zh-hans agent, dispatcher and department handler read: each action's label matches the
order's or assignment's status (待签收 -> 签收, never the chat desk's 接入; a dispatched order is
改派, not 派单 again), and the intake's district list is the tenant's own city (issue 16)."""

import re

import pytest
from django.test import Client

from gov_hotline import services
from gov_hotline.models import Department, District, OrderStatus, WorkOrder
from gov_hotline.taxonomy import CITY_DISTRICTS
from suite.tenancy.models import Role, Tenant, TenantKind
from suite.tenancy.services import tenant_create
from tests.factories import member

from .conftest import new_order


def zh(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.cookies["django_language"] = "zh-hans"
    client.force_login(user)
    return client


def button(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>([^<]+)</button>', html)
    assert found, element_id
    return found.group(1).strip()


def test_the_dispatch_button_says_dispatch_first_and_reassign_after(hl_a, dispatcher_a):
    client = zh(dispatcher_a)
    order = new_order(hl_a)
    page = client.get(f"/gov-hotline/orders/{order.pk}/").content.decode()
    assert button(page, "gh-dispatch") == "派单"
    lead = Department.objects.for_tenant(hl_a).get(code="sthj")
    form = {"action": "dispatch", "lead": str(lead.pk)}
    done = client.post(f"/gov-hotline/orders/{order.pk}/act/", form, follow=True)
    assert "已派单。" in done.content.decode()
    for status in (OrderStatus.DISPATCHED, OrderStatus.IN_PROGRESS, OrderStatus.RETURNED):
        WorkOrder.objects.filter(pk=order.pk).update(status=status)
        page = client.get(f"/gov-hotline/orders/{order.pk}/").content.decode()
        assert "<h3>改派</h3>" in page
        assert button(page, "gh-dispatch") == "改派", status
    again = client.post(f"/gov-hotline/orders/{order.pk}/act/", form, follow=True)
    assert "已改派。" in again.content.decode()


def test_a_pending_assignment_is_signed_for_not_connected(hl_a, handler_a):
    order = new_order(hl_a)
    services.order_dispatch(order=order, lead=Department.objects.for_tenant(hl_a).get(code="sthj"))
    assignment = order.assignments.get()
    client = zh(handler_a)
    page = client.get(f"/gov-hotline/queue/{assignment.pk}/").content.decode()
    assert "待签收" in page
    assert button(page, "gh-accept") == "签收"
    assert "接入" not in page
    client.post(f"/gov-hotline/queue/{assignment.pk}/", {"action": "accept"})
    page = client.get(f"/gov-hotline/queue/{assignment.pk}/").content.decode()
    assert "已签收" in page and 'id="gh-accept"' not in page
    assert "提交答复" in page


@pytest.fixture
def demo_tenants(db):
    from suite.tenancy.demo import seed_demo

    seed_demo()
    return {t.slug: t for t in Tenant.objects.all()}


def test_the_demo_centre_offers_shenzhen_districts_and_no_other_provinces(demo_tenants):
    centre = demo_tenants["gd-12345"]  # Guangdong's centre: Guangzhou's and Shenzhen's calls
    services.catalogue_install_defaults(tenant=centre)
    names = set(District.objects.for_tenant(centre).values_list("name", flat=True))
    assert {"南山区", "福田区", "宝安区", "天河区"} <= names
    assert not names & set(CITY_DISTRICTS["成都"])


def test_a_shenzhen_centres_intake_offers_its_own_districts_only(db):
    province = tenant_create(slug="p-gd", name="广东省分公司", kind=TenantKind.PROVINCE)
    city = tenant_create(slug="c-sz", name="深圳市分公司", kind=TenantKind.CITY, parent=province)
    centre = tenant_create(
        slug="sz-12345", name="12345热线", kind=TenantKind.HOTLINE_CENTER, parent=city
    )
    services.catalogue_install_defaults(tenant=centre)
    page = zh(member(centre, Role.HOTLINE_AGENT, username="sz_hl_agent")).post(
        "/gov-hotline/intake/",
        {"step": "draft", "text": "我住在南山区粤海街道科技园南区，楼下施工太吵，希望处理。"},
    )
    offered = [value for value, _label in page.context["confirm"].fields["district"].choices]
    assert set(offered) - {""} == set(CITY_DISTRICTS["深圳"])
    assert page.context["confirm"].initial["district"] == "南山区"
