"""The agent, dispatcher and department handler views in a real browser (headless Chromium)."""

import pytest
from playwright.sync_api import expect

from gov_hotline import services, training
from gov_hotline.models import Department, WorkOrder
from suite.ai import gateway
from suite.tenancy.models import Tenant
from tests.browser import screenshot, staff_login

from .conftest import new_order, subset_rows

pytestmark = pytest.mark.browser

CALL = (
    "你好，我住在天河区体育西路，楼下烧烤店天天吵到凌晨两点，严重影响休息，希望有关部门处理。"
    "我的电话13912345678"
)


@pytest.fixture
def hotline(demo):
    tenant = Tenant.objects.get(slug="gd-12345")
    services.catalogue_install_defaults(tenant=tenant)
    from suite.accounts.models import User

    Department.objects.for_tenant(tenant).get(code="sthj").members.add(
        User.objects.get(username="hl_handler")
    )
    return tenant


def test_agent_gets_a_filled_draft_and_saves_it(page, live_server, hotline):
    training.examples_import_labelled(tenant=hotline, rows=subset_rows())
    training.classifier_train(tenant=hotline, caller=gateway.Caller(tenant=hotline))
    staff_login(page, live_server, "hl_agent")
    page.goto(f"{live_server.url}/gov-hotline/intake/")
    page.locator("#id_text").fill(CALL)
    page.locator("#gh-intake-form button[type=submit]").click()
    expect(page.locator("#id_subcategory")).to_have_value("生态环境/噪音污染")
    expect(page.locator("#id_district")).to_have_value("天河区")
    expect(page.locator("#gh-phone")).to_have_text("139****5678")
    expect(page.locator("#gh-fallback")).to_be_visible()  # no chat model: labelled
    expect(page.locator('#gh-draft-confidence tr[data-field="district"] mark')).to_have_text(
        "天河区"
    )
    screenshot(page, "gov-hotline-intake-draft")
    page.locator("#id_urgency").select_option("urgent")  # the agent corrects one field
    page.locator("#gh-confirm-form button[type=submit]").click()
    expect(page.locator("#gh-order-status")).to_have_attribute("data-status", "new")
    order = WorkOrder.objects.for_tenant(hotline).get()
    assert order.urgency == "urgent" and order.subcategory.name == "噪音污染"
    assert "urgency" in order.draft and order.draft["urgency"] == "normal"


def test_dispatcher_dispatches_from_the_suggestions(page, live_server, hotline):
    order = new_order(hotline)
    staff_login(page, live_server, "hl_dispatcher")
    page.goto(f"{live_server.url}/gov-hotline/orders/")
    page.locator(f'#gh-orders tr[data-order="{order.number}"] a').click()
    expect(page.locator('#gh-suggestions li[data-department="sthj"]')).to_contain_text("派单目录")
    # The lead is preselected from the catalogue; the co-handler too.
    page.locator("#gh-dispatch-form button[type=submit]").click()
    expect(page.locator("#gh-order-status")).to_have_attribute("data-status", "dispatched")
    expect(page.locator('#gh-assignments tr[data-role="lead"]')).to_contain_text("市生态环境局")
    expect(page.locator('#gh-assignments tr[data-role="co"]')).to_contain_text("市公安局")
    screenshot(page, "gov-hotline-dispatched")


def test_department_accepts_and_replies_after_the_completeness_check(page, live_server, hotline):
    order = new_order(hotline)
    services.order_dispatch(
        order=order, lead=Department.objects.for_tenant(hotline).get(code="sthj")
    )
    staff_login(page, live_server, "hl_handler")
    page.goto(f"{live_server.url}/gov-hotline/queue/")
    page.locator(f'#gh-queue tr[data-order="{order.number}"] a').click()
    page.locator("#gh-accept").click()
    expect(page.locator("#gh-assignment-status")).to_have_attribute("data-status", "accepted")
    page.locator("#id_reply").fill("收到")
    page.locator("#gh-reply-form button[type=submit]").click()
    expect(page.locator(".msg-error").first).to_be_visible()  # too vague: refused, says why
    page.locator("#id_reply").fill(
        "经现场核实，该工地夜间打桩施工无许可，已责令停止夜间施工并立案处罚。"
    )
    page.locator("#gh-reply-form button[type=submit]").click()
    expect(page.locator("#gh-queue")).not_to_contain_text(order.number)
    order.refresh_from_db()
    assert order.status == "replied"
    screenshot(page, "gov-hotline-department-queue")
